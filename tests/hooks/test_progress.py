"""The progress line: only on an interactive terminal, rewritten in place, then erased."""

from __future__ import annotations

import io

import pytest
from goescape.progress import Progress, wanted


class FakeTerminal(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "environ", "expected"),
    [
        (True, {}, True),
        (True, {"TERM": "xterm-256color"}, True),
        (False, {}, False),  # piped or redirected
        (True, {"PRE_COMMIT": "1"}, False),  # pre-commit keeps every byte of the output
        (True, {"CI": "true"}, False),
        (True, {"CI": "1"}, False),
        (True, {"CI": "false"}, True),
        (True, {"CI": ""}, True),
        (True, {"TERM": "dumb"}, False),
    ],
)
def test_shown_only_on_an_interactive_terminal(
    tty: bool, environ: dict[str, str], expected: bool
) -> None:
    assert wanted(FakeTerminal(tty), environ) is expected


def test_updates_rewrite_one_line_and_leaving_erases_it() -> None:
    term = FakeTerminal(True)
    with Progress(True, term, width=80) as progress:
        progress.update("compiling 3 packages at base and head…")
        progress.update("comparing")
    assert term.getvalue() == (
        "\rcompiling 3 packages at base and head…"
        + "\rcomparing"
        + " " * 29  # blanks over the rest of the longer message
        + "\rcomparing"
        + "\r"
        + " " * 9
        + "\r"
    )


def test_long_messages_are_cut_to_the_terminal_width() -> None:
    term = FakeTerminal(True)
    progress = Progress(True, term, width=12)
    progress.update("compiling example.com/very/long/package")
    assert term.getvalue() == "\rcompiling …"


def test_disabled_progress_writes_nothing() -> None:
    term = FakeTerminal(True)
    with Progress(False, term) as progress:
        progress.update("compiling 3 packages at base and head…")
    assert term.getvalue() == ""


def test_clear_without_update_writes_nothing() -> None:
    term = FakeTerminal(True)
    Progress(True, term).clear()
    assert term.getvalue() == ""


def test_for_stderr_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    term = FakeTerminal(True)
    monkeypatch.setattr("sys.stderr", term)
    assert Progress.for_stderr({}).enabled
    assert not Progress.for_stderr({"PRE_COMMIT": "1"}).enabled
    with Progress.for_stderr({}) as progress:
        progress.update("x")
    assert term.getvalue() == "\rx\r \r"
