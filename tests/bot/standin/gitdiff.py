"""A pull request's files as GitHub lists them, and how GitHub carries review comments across
a push, computed with real git. Test-only.

Deliberately independent of the bot's own diff parsing, so a bug there cannot hide here.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_STATUS = {"A": "added", "M": "modified", "D": "removed", "R": "renamed", "C": "copied"}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "core.quotePath=false", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def right_lines(patch: str) -> set[int]:
    """Head-side lines inside the hunks: the lines GitHub accepts a RIGHT comment on."""
    lines: set[int] = set()
    line = 0
    for text in patch.splitlines():
        m = _HUNK.match(text)
        if m:
            line = int(m.group(3))
        elif text.startswith(("+", " ")):
            lines.add(line)
            line += 1
    return lines


def position_of(patch: str, line: int) -> int | None:
    """GitHub's `position` of a head-side line: counted in lines from the file's first hunk
    header (the line below it is 1), later hunk headers and removed lines included."""
    position, new, started = 0, 0, False
    for text in patch.splitlines():
        m = _HUNK.match(text)
        if m:
            if started:
                position += 1
            started, new = True, int(m.group(3))
            continue
        position += 1
        if text.startswith(("+", " ")):
            if new == line:
                return position
            new += 1
    return None


def diff_hunk(patch: str, line: int) -> str:
    """The hunk that holds `line`, from its header down to that line (GitHub's `diff_hunk`)."""
    hunk: list[str] = []
    new = 0
    for text in patch.splitlines():
        m = _HUNK.match(text)
        if m:
            hunk, new = [text], int(m.group(3))
            continue
        hunk.append(text)
        if text.startswith(("+", " ")):
            if new == line:
                return "\n".join(hunk)
            new += 1
    return hunk[0] if hunk else ""


def line_map(repo: Path, old: str, new: str, path: str) -> Callable[[int], int | None]:
    """Where each line of `path` at `old` is at `new`; None for a line the push changed or
    removed (GitHub then makes a comment on it outdated)."""
    try:
        diff = _git(repo, "diff", "--no-color", "-U0", old, new, "--", path)
        _git(repo, "cat-file", "-e", f"{new}:{path}")
    except subprocess.CalledProcessError:
        return lambda line: None  # the file is gone at `new`
    hunks = []
    for text in diff.splitlines():
        m = _HUNK.match(text)
        if m:
            start, count = int(m.group(1)), int(m.group(2) or "1")
            added = int(m.group(4) or "1")
            hunks.append((start, count, added))

    def where(line: int) -> int | None:
        shift = 0
        for start, count, added in hunks:
            if count == 0:  # lines inserted after old line `start`
                if line > start:
                    shift += added
            elif start <= line < start + count:
                return None
            elif line >= start + count:
                shift += added - count
        return line + shift

    return where


def _split_z(text: str) -> list[str]:
    return [part for part in text.split("\0") if part != ""]


def pull_files(repo: Path, base: str, head: str) -> list[dict[str, Any]]:
    """Raw per-file facts, in git's order: filename, previous_filename, status, additions,
    deletions, patch (None for a binary file) and blob_sha. Four git processes, whatever the
    number of files."""
    revs = f"{base}...{head}"
    entries: list[tuple[str, list[str]]] = []
    parts = iter(_split_z(_git(repo, "diff", "--name-status", "-z", "-M", revs)))
    for status in parts:
        names = [next(parts)] + ([next(parts)] if status[0] in "RC" else [])
        entries.append((status, names))
    counts: list[tuple[int, int]] = []
    parts = iter(_split_z(_git(repo, "diff", "--numstat", "-z", "-M", revs)))
    for row in parts:
        added, deleted, name = row.split("\t", 2)
        if not name:  # a rename: the two names follow
            next(parts), next(parts)
        counts.append((int(added) if added != "-" else 0, int(deleted) if deleted != "-" else 0))
    sections: list[list[str]] = []
    for text in _git(repo, "diff", "--no-color", "-M", "-U3", revs).splitlines():
        if text.startswith("diff --git "):
            sections.append([])
        elif sections:
            sections[-1].append(text)
    assert len(entries) == len(counts) == len(sections), "git listed files differently"
    blobs = {}
    for row in _split_z(_git(repo, "ls-tree", "-r", "-z", head)):
        meta, path = row.split("\t", 1)
        blobs[path] = meta.split()[2]
    files: list[dict[str, Any]] = []
    for (status, names), (added, deleted), body in zip(entries, counts, sections, strict=True):
        path = names[-1]
        first = next((i for i, t in enumerate(body) if t.startswith("@@")), None)
        entry: dict[str, Any] = {
            "filename": path,
            "status": _STATUS.get(status[0], "modified"),
            "additions": added,
            "deletions": deleted,
            "patch": "\n".join(body[first:]) if first is not None else None,
            "blob_sha": blobs.get(path, "0" * 40),
        }
        if status[0] in "RC":
            entry["previous_filename"] = names[0]
        files.append(entry)
    return files
