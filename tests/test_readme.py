"""The README tells the truth about the commands it documents."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from goescape import changed_modules, demo, sarif_summary
from goescape import cli as hook_cli
from goescape.bot import cli as bot_cli

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# The user guide and the reference together: an option may be documented in either.
DOCS = "\n".join(
    [README, *(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))]
)


def _options(main: Callable[[list[str]], int]) -> list[str]:
    """The long options a command's --help lists."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main(["--help"])
    return sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", out.getvalue())) - {"--help"})


@pytest.mark.parametrize(
    "option",
    sorted(
        {
            option
            for main in (hook_cli.main, demo.main, changed_modules.main, sarif_summary.main)
            for option in _options(main)
        }
    ),
)
def test_every_goescape_option_is_documented(option: str) -> None:
    assert re.search(rf"`{re.escape(option)}[ `\\]", DOCS), option


def test_every_subcommand_is_documented() -> None:
    for command in hook_cli.COMMANDS:
        assert f"goescape {command}" in README, command


@pytest.mark.parametrize("option", _options(bot_cli.main))
def test_every_bot_option_is_documented(option: str) -> None:
    assert re.search(rf"`{re.escape(option)}[ `]", DOCS), option


def test_ci_runs_the_readme_test_command() -> None:
    block = README[README.index("## Development") :]
    command = re.search(r"```sh\n.*\n(.*)\n```", block)
    assert command is not None
    assert command.group(1) == "python -m pytest"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "\n" + command.group(1) + "\n" in ci


def test_manifest_hook_id_is_the_one_documented() -> None:
    manifest = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "- id: goescape\n" in manifest
    assert "      - id: goescape\n" in README


def test_workflow_snippets_pass_actionlint(tmp_path: Path) -> None:
    """Every workflow the README shows (the complete example files are checked by
    tests/test_action.py; this covers the snippets) is one actionlint accepts."""
    from tests.test_action import tool

    snippets = [b for b in re.findall(r"```yaml\n(.*?)```", README, re.S) if "jobs:" in b]
    assert snippets
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    for n, snippet in enumerate(snippets):
        header = "" if re.search(r"^on:", snippet, re.M) else "on: pull_request\n"
        (folder / f"snippet{n}.yml").write_text(header + snippet, encoding="utf-8")
    proc = subprocess.run(
        [tool("actionlint"), *sorted(str(p) for p in folder.iterdir())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _docs_pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_workflow_snippets_in_docs_pass_actionlint(tmp_path: Path) -> None:
    """The reference pages' workflows too (the SARIF upload job, the examples they show)."""
    from tests.test_action import tool

    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    for page in sorted((ROOT / "docs").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for n, snippet in enumerate(re.findall(r"```yaml\n(.*?)```", text, re.S)):
            if "jobs:" in snippet:
                header = "" if re.search(r"^on:", snippet, re.M) else "on: pull_request\n"
                (folder / f"{page.stem}{n}.yml").write_text(header + snippet, encoding="utf-8")
    assert list(folder.iterdir())
    proc = subprocess.run(
        [tool("actionlint"), *sorted(str(p) for p in folder.iterdir())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


# Written on another branch (the performance work); checked like the others once it exists.
def _anchors(page: Path) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces
    to hyphens (code spans lose their backticks)."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    headings = re.findall(r"^#+ (.+)$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", _docs_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_between_the_pages_leads_somewhere(page: Path) -> None:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    for link in links:
        if re.match(r"[a-z]+:", link):
            continue
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        assert path.exists(), f"{page.name}: {link}"
        if anchor:
            assert path.suffix == ".md", f"{page.name}: {link}"
            assert anchor in _anchors(path), f"{page.name}: {link}"


@pytest.mark.slow
def test_the_quick_start_shows_what_the_demo_prints() -> None:
    """The README's sample output is the demo's, as it prints it today (its commits have
    fixed dates, so their ids do not change)."""
    section = README[README.index("## Quick start\n") :]
    shown = section[section.index("It prints:\n\n```\n") + len("It prints:\n\n```\n") :]
    shown = shown[: shown.index("```")]
    proc = subprocess.run(
        [sys.executable, "-m", "goescape", "demo"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == shown
