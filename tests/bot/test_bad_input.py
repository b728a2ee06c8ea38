"""Bad input: one line on stderr, exit 2, no traceback, nothing sent to GitHub."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.conftest import escape, report


def _one_line(err: str) -> str:
    assert err.count("\n") == 1
    assert "Traceback" not in err
    return err


def test_missing_sarif(github, run_bot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_bot(github, None)  # no file written: the real reader runs
    assert result.code == 2
    assert "goescape.sarif" in _one_line(result.err)
    assert github.requests == []


def test_malformed_sarif(github, run_bot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "goescape.sarif").write_text("{not json", encoding="utf-8")
    result = run_bot(github, None)
    assert result.code == 2
    assert _one_line(result.err).startswith("goescape-bot: ")
    assert github.requests == []


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"event_name": "workflow_run"}, "workflow_run event is not a pull request"),
        ({"event": {"ref": "refs/heads/main"}}, "is not a pull_request event"),
        ({"token": ""}, "no token"),
    ],
    ids=["workflow-run-without-pr", "event-without-pull-request", "no-token"],
)
def test_bad_environment(github, run_bot, kwargs, words) -> None:  # type: ignore[no-untyped-def]
    result = run_bot(github, report(escape(6)), **kwargs)
    assert result.code == 2
    assert words in _one_line(result.err)
    assert github.requests == []


def test_a_push_event_annotates_without_a_token(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    result = run_bot(github, report(escape(6)), event_name="push", token="")
    assert result.code == 0
    assert result.out.startswith("::warning file=geom/geom.go,line=6,")
    assert github.requests == []


def test_no_comments_needs_no_token_or_network(run_bot) -> None:  # type: ignore[no-untyped-def]
    result = run_bot(None, report(escape(6)), "--no-comments", token="")
    assert result.code == 0
    assert result.out.startswith("::warning file=geom/geom.go,line=6,")
    assert "`moved to heap: t`" in result.summary


def test_pr_option_instead_of_event(github, run_bot, pr) -> None:  # type: ignore[no-untyped-def]
    """The workflow_run half of the fork-safe pair passes the number and the head sha."""
    result = run_bot(
        github,
        report(escape(6)),
        "--pr",
        "7",
        "--head-sha",
        pr.head,
        "--base-sha",
        pr.base,
        event_name="workflow_run",
        event={"workflow_run": {"id": 1}},
    )
    assert result.code == 0
    assert [c["line"] for c in github.bot_comments()] == [6]
