"""Which lines of the pull request's diff a review comment may be anchored to. Pure.

GitHub rejects a whole review when one comment's line is not in a diff hunk, so every
anchor is checked here first. Lines come from GitHub's own `patch` of each file, or, for
files GitHub sends without one (huge diffs), from the local git diff.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from goescape.changes import PatchLines, parse_patch

GITHUB = "github"
LOCAL_GIT = "git"
# `GET /pulls/{n}/files` lists at most this many files (in pages of up to 100); a longer
# pull request's other files cannot be told apart from files it does not change.
MAX_LISTED_FILES = 3000


class FileAnchors(NamedTuple):
    lines: frozenset[int]  # right-side lines in a hunk: added or context
    source: str  # GITHUB or LOCAL_GIT


class Anchors(NamedTuple):
    files: Mapping[str, FileAnchors]
    truncated: bool = False  # GitHub listed MAX_LISTED_FILES files: there may be more

    def listed(self, path: str) -> bool:
        return path in self.files or not self.truncated

    def allows(self, path: str, line: int) -> bool:
        found = self.files.get(path)
        return found is not None and line in found.lines

    def source(self, path: str) -> str | None:
        found = self.files.get(path)
        return found.source if found else None


def lines_of(patch: str) -> frozenset[int]:
    parsed: PatchLines = parse_patch(patch)
    return parsed.added | parsed.context


def build(
    patches: Iterable[tuple[str, str | None]],
    local: Mapping[str, str | None],
) -> Anchors:
    """`patches`: (path, GitHub's patch or None); `local`: path -> local git patch for the
    files GitHub sent without one (None when git could not produce it either)."""
    files: dict[str, FileAnchors] = {}
    count = 0
    for path, patch in patches:
        count += 1
        if patch is not None:
            files[path] = FileAnchors(lines_of(patch), GITHUB)
        elif local.get(path):
            files[path] = FileAnchors(lines_of(local[path] or ""), LOCAL_GIT)
    return Anchors(files, truncated=count >= MAX_LISTED_FILES)


def hunks_only(diff: str) -> str:
    """The hunks of one file's `git diff` output, as GitHub's `patch` carries them."""
    lines = diff.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("@@"):
            return "\n".join(lines[i:])
    return ""


def from_local(local: Mapping[str, str | None]) -> Anchors:
    """Anchors from local git patches alone (the dry run, which asks GitHub nothing)."""
    return Anchors(
        {path: FileAnchors(lines_of(patch), LOCAL_GIT) for path, patch in local.items() if patch}
    )
