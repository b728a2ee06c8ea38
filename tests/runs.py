"""Running goescape's CLI from tests: in this process, its JSON report read back; with no Go
on PATH."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from goescape.cli import main

from tests.gitrepo import GitRepo


def json_run(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, dict[str, Any]]:
    """(exit code, JSON report) of `goescape -C REPO --format json ARGS`."""
    code = main(["-C", str(repo.path), "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def only_git_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PATH holds git and nothing else (no go): a folder under `tmp_path` with a link to it."""
    only_git = tmp_path / "bin"
    only_git.mkdir()
    git = shutil.which("git")
    assert git
    (only_git / "git").symlink_to(git)
    monkeypatch.setenv("PATH", str(only_git))
