"""A real git repository in a temporary directory, for tests."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


class GitRepo:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=self.path, check=True, capture_output=True, text=True
        ).stdout

    def write(self, rel: str, text: str) -> Path:
        """Write `text` (dedented) to `rel`, creating directories."""
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return target

    def read(self, rel: str) -> str:
        return (self.path / rel).read_text(encoding="utf-8")

    def commit(self, message: str = "change", *, add: bool = True) -> str:
        if add:
            self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def go_module(self, module: str = "example.com/m", rel: str = "") -> None:
        self.write(f"{rel}/go.mod" if rel else "go.mod", f"module {module}\n\ngo 1.21\n")

    def state(self) -> tuple[str, str, str, str, str]:
        """Everything of the user's that goescape must never change."""
        return (
            self.git("status", "--porcelain=v1", "--untracked-files=all", "--ignored"),
            self.git("stash", "list"),
            self.git("worktree", "list", "--porcelain"),
            self.git("for-each-ref"),
            self.git("diff", "--cached", "--binary"),
        )


def project_snapshot(root: Path) -> GitRepo:
    """This project's working tree (tracked and untracked files, not ignored ones) committed
    to a new repository at `root`: what a clone of it would hold once committed, including
    files not committed yet."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = PROJECT / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    snapshot = GitRepo(root)
    snapshot.commit("snapshot")
    return snapshot
