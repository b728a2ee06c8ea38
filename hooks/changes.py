"""Which lines a change touched: parse git's unified diff. Pure.

Paths come from the lines that hold one path each (`rename from/to`, `---`/`+++`); the
`diff --git a/X b/Y` header is ambiguous when names contain spaces and is only the fallback
(mode changes, binary files, empty new files), where both names are the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

ADDED = "A"
MODIFIED = "M"
DELETED = "D"
RENAMED = "R"
COPIED = "C"  # only with -C, which goescape does not pass


class Hunk(NamedTuple):
    """One `@@ -old_start,old_count +new_start,new_count @@` of `git diff -U0`.

    A count of 0 means nothing on that side: the start is then the line after which the
    other side's lines were added (old) or removed (new), as git writes it."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int


class FileChange(NamedTuple):
    """One file of `git diff -U0` between base and head."""

    path: str  # repo-relative, posix, head side (the base path for a deleted file)
    old_path: str | None  # repo-relative base path; None when the file is new
    status: str  # "A" added, "M" modified, "D" deleted, "R" renamed (may also be modified)
    added_lines: frozenset[int]  # head-side line numbers added or changed
    deleted_after: frozenset[
        int
    ]  # head-side line n: base lines were removed after line n (0 = top)
    binary: bool = False  # git printed "Binary files ... differ": no line information
    hunks: tuple[Hunk, ...] = ()  # in file order; how base lines map to head lines


def git_diff_args(base: str, head: str | None = None) -> list[str]:
    """The git command whose output `parse_diff` reads (head None: the working tree).

    The prefixes and switches are explicit because user configuration could change them
    (diff.noprefix, diff.mnemonicPrefix, diff.relative, external diff drivers, textconv)."""
    args = [
        "git",
        "-c",
        "core.quotePath=false",
        "diff",
        "-U0",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--no-relative",
        "-M",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        base,
    ]
    if head is not None:
        args.append(head)
    return [*args, "--"]


_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_OCTAL = frozenset("01234567")
_ESCAPES = {
    "a": 7,
    "b": 8,
    "t": 9,
    "n": 10,
    "v": 11,
    "f": 12,
    "r": 13,
    '"': 34,
    "\\": 92,
}


def unquote_path(text: str) -> str:
    """Undo git's C-style quoting of a path (`"a\\tb\\303\\251"`); plain text is returned as is.

    Octal escapes are bytes of the UTF-8 name; undecodable bytes survive as surrogates, as
    Python's own file system names do."""
    if len(text) < 2 or not text.startswith('"') or not text.endswith('"'):
        return text
    out = bytearray()
    body = text[1:-1]
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\" or i + 1 == len(body):
            out += ch.encode("utf-8", errors="surrogateescape")
            i += 1
        elif all(c in _OCTAL for c in body[i + 1 : i + 4]) and i + 4 <= len(body):
            out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        elif (code := _ESCAPES.get(body[i + 1])) is not None:
            out.append(code)
            i += 2
        else:  # not an escape git writes: keep the backslash as it is
            out += b"\\"
            i += 1
    return out.decode("utf-8", errors="surrogateescape")


def _strip_prefix(path: str, prefix: str) -> str:
    return path[len(prefix) :] if path.startswith(prefix) else path


def _side_path(rest: str, prefix: str) -> str | None:
    """The path of a `---`/`+++` line (None for /dev/null)."""
    # Git ends the name with a tab when it contains a space (for GNU patch); a real tab in
    # a name would be quoted, so the tab is never part of it.
    rest = rest.removesuffix("\t")
    if rest == "/dev/null":
        return None
    return _strip_prefix(unquote_path(rest), prefix)


def _header_paths(rest: str) -> tuple[str, str] | None:
    """Both paths of `diff --git <rest>`, when they can be told apart."""
    if rest.startswith('"'):
        first, _, tail = _split_quoted(rest)
        second = tail.lstrip(" ")
        return _strip_prefix(first, "a/"), _strip_prefix(unquote_path(second), "b/")
    if rest.endswith('"'):
        start = rest.rfind(' "')
        if start >= 0:
            return (
                _strip_prefix(rest[:start], "a/"),
                _strip_prefix(unquote_path(rest[start + 1 :]), "b/"),
            )
    # Unquoted: `a/NAME b/NAME` with the same NAME on both sides (the only case the header
    # is used for), so split in the middle.
    if len(rest) % 2 == 1:
        half = (len(rest) - 1) // 2
        old, new = rest[:half], rest[half + 1 :]
        if old.startswith("a/") and new.startswith("b/") and old[2:] == new[2:]:
            return old[2:], new[2:]
    return None


def _split_quoted(text: str) -> tuple[str, int, str]:
    """Split a leading C-quoted string off `text`: (unquoted, end index, remainder)."""
    i = 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return unquote_path(text[: i + 1]), i + 1, text[i + 1 :]
        i += 1
    return unquote_path(text), len(text), ""


class _File:
    """A file section being read."""

    def __init__(self, header: str) -> None:
        self.header = _header_paths(header)
        self.old: str | None = None  # from `--- ` (None: /dev/null)
        self.new: str | None = None  # from `+++ `
        self.sides_seen = False
        self.rename_from: str | None = None
        self.rename_to: str | None = None
        self.copy_from: str | None = None
        self.created = False
        self.deleted = False
        self.binary = False
        self.added: set[int] = set()
        self.deleted_after: set[int] = set()
        self.hunks: list[Hunk] = []

    def result(self) -> FileChange:
        old, new = self.old, self.new
        if not self.sides_seen and self.header is not None:
            old, new = self.header
        old = self.rename_from or self.copy_from or old
        new = self.rename_to or new
        if self.created:
            status, old = ADDED, None
        elif self.deleted:
            status, new = DELETED, old
        elif self.copy_from is not None:
            status = COPIED
        elif self.rename_from is not None:
            status = RENAMED
        else:
            status = MODIFIED
        return FileChange(
            path=new or old or "",
            old_path=old,
            status=status,
            added_lines=frozenset(self.added),
            deleted_after=frozenset(self.deleted_after),
            binary=self.binary,
            hunks=tuple(self.hunks),
        )


def parse_diff(text: str) -> list[FileChange]:
    """Parse `git -c core.quotePath=false diff -U0 --no-color --no-ext-diff -M` output."""
    files: list[FileChange] = []
    current: _File | None = None
    # Only "\n" ends a line: str.splitlines would also split source lines at form feeds,
    # U+2028 and other characters that Go source may contain.
    lines = iter(text.split("\n"))
    for line in lines:
        if line.startswith("diff --git "):
            if current is not None:
                files.append(current.result())
            current = _File(line[len("diff --git ") :])
        elif current is None:
            continue  # anything before the first file (none expected)
        elif line.startswith("@@ "):
            _read_hunk(line, lines, current)
        else:
            _read_extended_header(line, current)
    if current is not None:
        files.append(current.result())
    return files


def _read_extended_header(line: str, current: _File) -> None:
    if line.startswith("--- "):
        current.sides_seen = True
        current.old = _side_path(line[4:], "a/")
    elif line.startswith("+++ "):
        current.sides_seen = True
        current.new = _side_path(line[4:], "b/")
    elif line.startswith("rename from "):
        current.rename_from = unquote_path(line[len("rename from ") :])
    elif line.startswith("rename to "):
        current.rename_to = unquote_path(line[len("rename to ") :])
    elif line.startswith("copy from "):
        current.copy_from = unquote_path(line[len("copy from ") :])
    elif line.startswith("copy to "):
        current.rename_to = unquote_path(line[len("copy to ") :])
    elif line.startswith("new file mode "):
        current.created = True
    elif line.startswith("deleted file mode "):
        current.deleted = True
    elif line.startswith("Binary files ") or line == "GIT binary patch":
        current.binary = True
    # index, old/new mode, similarity index: nothing to record.


def _read_hunk(header: str, lines: Iterator[str], current: _File) -> None:
    match = _HUNK.match(header)
    if match is None:
        return
    old_count = 1 if match.group(2) is None else int(match.group(2))
    new_start = int(match.group(3))
    new_count = 1 if match.group(4) is None else int(match.group(4))
    current.hunks.append(Hunk(int(match.group(1)), old_count, new_start, new_count))
    if new_count == 0:
        # Pure deletion: git gives the head line after which the base lines were removed.
        current.deleted_after.add(new_start)
    # Read exactly the lines the header announces: a removed line "-- x" reads "--- x".
    new_line = new_start
    while old_count > 0 or new_count > 0:
        line = next(lines, None)
        if line is None:
            return
        if line.startswith("\\"):
            continue  # "\ No newline at end of file"
        if line.startswith("+"):
            current.added.add(new_line)
            new_line += 1
            new_count -= 1
        elif line.startswith("-"):
            old_count -= 1
        else:  # context (only with -U>0)
            new_line += 1
            new_count -= 1
            old_count -= 1


class Place(NamedTuple):
    """Where a base line is at head: `line` when it is unchanged, else somewhere in the
    lines [first, last] that replaced it (`line` the likeliest: the same offset in the hunk)."""

    path: str
    line: int
    first: int
    last: int

    @property
    def exact(self) -> bool:
        return self.first == self.last == self.line


class LineMap:
    """The diff's correspondence of base lines to head lines, file by file."""

    def __init__(self, changes: Iterable[FileChange]) -> None:
        self._by_old: dict[str, FileChange] = {}
        self._new_paths: set[str] = set()
        for change in changes:
            self._new_paths.add(change.path)
            if change.old_path is not None:
                self._by_old[change.old_path] = change

    def place(self, path: str, line: int) -> Place | None:
        """Where base `path`:`line` is at head; None when the change removed it (or its file)
        or replaced the file wholesale (a binary diff)."""
        change = self._by_old.get(path)
        if change is None:
            # A file the diff does not name is the same at both sides, unless a new file
            # took its name (then the base file was renamed away or deleted).
            return None if path in self._new_paths else Place(path, line, line, line)
        if change.status == DELETED or change.binary:
            return None
        return _place_in(change, line)


def _place_in(change: FileChange, line: int) -> Place | None:
    shift = 0
    for hunk in change.hunks:
        if hunk.old_count == 0:
            if line <= hunk.old_start:  # the lines were added after old_start
                break
        elif line < hunk.old_start:
            break
        elif line < hunk.old_start + hunk.old_count:
            if hunk.new_count == 0:
                return None
            last = hunk.new_start + hunk.new_count - 1
            likely = min(hunk.new_start + line - hunk.old_start, last)
            return Place(change.path, likely, hunk.new_start, last)
        shift += hunk.new_count - hunk.old_count
    return Place(change.path, line + shift, line + shift, line + shift)


class PatchLines(NamedTuple):
    """Right-side lines of a patch that a review comment may be anchored to."""

    added: frozenset[int]
    context: frozenset[int]


def parse_patch(patch: str) -> PatchLines:
    """Lines of the new side in one file's hunks (GitHub's `patch` field, any context size)."""
    added: set[int] = set()
    context: set[int] = set()
    new_line = 0
    old_left = new_left = 0
    for line in patch.split("\n"):
        match = _HUNK.match(line) if line.startswith("@@") else None
        if match is not None:
            new_line = int(match.group(3))
            old_left = 1 if match.group(2) is None else int(match.group(2))
            new_left = 1 if match.group(4) is None else int(match.group(4))
        elif old_left <= 0 and new_left <= 0:
            continue  # outside any hunk (a trailing empty line, say)
        elif line.startswith("+"):
            added.add(new_line)
            new_line += 1
            new_left -= 1
        elif line.startswith("-"):
            old_left -= 1
        elif line.startswith("\\"):
            continue
        else:  # " text", or "" for an empty context line whose space was trimmed
            context.add(new_line)
            new_line += 1
            new_left -= 1
            old_left -= 1
    return PatchLines(frozenset(added), frozenset(context))


def diff_paths(changes: Iterable[FileChange]) -> list[str]:
    """Every path a diff names: both sides of renames, deleted and binary files too."""
    changes = list(changes)
    paths = [c.path for c in changes] + [c.old_path for c in changes if c.old_path]
    return list(dict.fromkeys(paths))
