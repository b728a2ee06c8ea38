"""The repository's files at base and at head: read from the working tree or from git, and
parsed once."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from goescape import git

if TYPE_CHECKING:
    from goescape.functions import GoFile

# Files besides .go that change what the compiler sees.
_BUILD_SUFFIXES = (".go", ".s", ".S", ".c", ".h", ".cc", ".cpp", ".hh", ".hpp", ".syso")
_MODULE_FILES = ("go.mod", "go.sum", "go.work", "go.work.sum")


class Worktree:
    """The working tree's files, read and parsed once per run for every side that has them.

    Most files of a changed package are the same at base and at head: one parse serves both.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.top = str(root)
        self._bytes: dict[str, bytes | None] = {}
        self._parsed: dict[str, GoFile | None] = {}

    def read(self, path: str) -> bytes | None:
        if path not in self._bytes:
            try:
                self._bytes[path] = (self.root / path).read_bytes()
            except OSError:
                self._bytes[path] = None
        return self._bytes[path]

    def parsed(self, path: str) -> GoFile | None:
        if path not in self._parsed:
            self._parsed[path] = _parse(self.read(path))
        return self._parsed[path]


class Side:
    """The repository's files at one revision; None = the working tree."""

    def __init__(
        self,
        repo: git.Git,
        commit: str | None,
        differing: frozenset[str],
        worktree: Worktree | None = None,
    ) -> None:
        self.repo = repo
        self.commit = commit
        # Paths whose content at this side differs from the working tree.
        self.differing = differing
        self.worktree = worktree if worktree is not None else Worktree(repo.root)
        self._blobs: dict[str, bytes | None] = {}
        self._dirs: dict[str, list[str]] = {}
        self._blob_ids: dict[str, str] = {}
        self._parsed: dict[str, GoFile | None] = {}

    def _own(self, path: str) -> bool:
        """Whether `path` has content of its own here, not the working tree's."""
        return self.commit is not None and path in self.differing

    def read(self, path: str) -> bytes | None:
        if not self._own(path):
            return self.worktree.read(path)
        if path not in self._blobs:
            self._blobs.update(self.repo.read_blobs(self.commit or "", [path]))
        return self._blobs[path]

    def peek(self, path: str) -> bytes | None:
        """`read`, without keeping a working-tree file's bytes: for reading many files once."""
        if self._own(path) or path in self.worktree._bytes:
            return self.read(path)
        try:
            with open(os.path.join(self.worktree.top, path), "rb") as file:
                return file.read()
        except OSError:
            return None

    def prefetch(self, paths: Iterable[str]) -> None:
        if self.commit is None:
            return
        wanted = [p for p in paths if p in self.differing and p not in self._blobs]
        if wanted:
            self._blobs.update(self.repo.read_blobs(self.commit, wanted))

    def list_directories(self, directories: Iterable[str]) -> None:
        """Learn the files of several directories at once (one git command for a commit)."""
        wanted = [d for d in dict.fromkeys(directories) if d not in self._dirs]
        if self.commit is None or not wanted:
            return
        for directory, files in self.repo.trees_files(self.commit, wanted).items():
            self._blob_ids.update(files)
            self._dirs[directory] = sorted(p for p in files if p.endswith(".go"))

    def go_files(self, directory: str) -> list[str]:
        """Repo-relative paths of the .go files directly in `directory`."""
        if directory not in self._dirs:
            if self.commit is None:
                folder = self.repo.root / directory
                names = sorted(p.name for p in folder.glob("*.go") if p.is_file())
                self._dirs[directory] = [posixpath.join(directory, n) for n in names]
            else:
                self.list_directories([directory])
        return self._dirs[directory]

    def blob_id(self, path: str) -> str:
        """The git blob id of a file listed by `go_files` (commits only)."""
        return self._blob_ids.get(path, "")

    def parsed(self, path: str) -> GoFile | None:
        if not self._own(path):
            return self.worktree.parsed(path)
        if path not in self._parsed:
            self._parsed[path] = _parse(self.read(path))
        return self._parsed[path]


def _parse(source: bytes | None) -> GoFile | None:
    from goescape import functions

    return None if source is None else functions.parse_go(source)


def overlay(side: Side, root: Path) -> dict[str, bytes | None]:
    """What to lay over the working tree so the compiler sees `side`."""
    if side.commit is None:
        return {}
    relevant = [
        p
        for p in side.differing
        if p.endswith(_BUILD_SUFFIXES) or posixpath.basename(p) in _MODULE_FILES
    ]
    side.prefetch(relevant)
    return {str(root / p): side.read(p) for p in relevant}
