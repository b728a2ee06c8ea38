"""A pull request's files as GitHub lists them, computed with real git. Test-only."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
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
    """Head-side lines inside the hunks: the lines GitHub accepts a RIGHT comment on.
    Deliberately independent of the bot's parser, so a bug there cannot hide here."""
    lines: set[int] = set()
    line = 0
    for text in patch.splitlines():
        m = _HUNK.match(text)
        if m:
            line = int(m.group(1))
        elif text.startswith(("+", " ")):
            lines.add(line)
            line += 1
    return lines


def pull_files(repo: Path, base: str, head: str) -> list[dict[str, Any]]:
    """Raw per-file facts: filename, previous_filename, status, additions, deletions, patch."""
    revs = f"{base}...{head}"
    files: list[dict[str, Any]] = []
    numstat = {}
    for row in _git(repo, "diff", "--numstat", "-M", revs).splitlines():
        added, deleted, name = row.split("\t", 2)
        numstat[name.split(" => ")[-1].rstrip("}")] = (int(added), int(deleted))
    for row in _git(repo, "diff", "--name-status", "-M", revs).splitlines():
        parts = row.split("\t")
        status, names = parts[0], parts[1:]
        path = names[-1]
        diff = _git(repo, "diff", "-M", "-U3", revs, "--", *names)
        body = diff.splitlines()
        first = next((i for i, t in enumerate(body) if t.startswith("@@")), len(body))
        added, deleted = numstat.get(path, (0, 0))
        entry: dict[str, Any] = {
            "filename": path,
            "status": _STATUS.get(status[0], "modified"),
            "additions": added,
            "deletions": deleted,
            "patch": "\n".join(body[first:]),
            "blob_sha": _git(repo, "rev-parse", f"{head}:{path}").strip()
            if status[0] != "D"
            else "0" * 40,
        }
        if status[0] in "RC":
            entry["previous_filename"] = names[0]
        files.append(entry)
    return files
