from __future__ import annotations

import os
from pathlib import Path

import pytest
from goescape.changes import (
    FileChange,
    Hunk,
    LineMap,
    PatchLines,
    Place,
    git_diff_args,
    parse_diff,
    parse_patch,
    unquote_path,
)
from goescape.process import run

from tests.gitrepo import GitRepo

# --- git's path quoting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quoted", "path"),
    [
        ("plain.go", "plain.go"),
        ("with space.go", "with space.go"),
        ('"a\\tb.go"', "a\tb.go"),
        ('"a\\nb.go"', "a\nb.go"),
        ('"say \\"hi\\".go"', 'say "hi".go'),
        ('"back\\\\slash.go"', "back\\slash.go"),
        ('"\\303\\251t\\303\\251.go"', "été.go"),  # core.quotePath=true style octal bytes
        ('"caf\\303\\251 \\"x\\".go"', 'café "x".go'),
        ('"ünï\\tx"', "ünï\tx"),  # quotePath=false: UTF-8 stays, only controls are escaped
        ('"bad\\377.go"', "bad\udcff.go"),  # not UTF-8: kept as a surrogate, like os.fsdecode
        ('"odd\\q"', "odd\\q"),  # not an escape git writes: the backslash is kept
    ],
)
def test_unquote_path(quoted: str, path: str) -> None:
    assert unquote_path(quoted) == path


# --- hand-written diffs: the hunk arithmetic ------------------------------------------------


def _one(text: str) -> FileChange:
    files = parse_diff(text)
    assert len(files) == 1
    return files[0]


HEADER = "diff --git a/f.go b/f.go\nindex 1111111..2222222 100644\n--- a/f.go\n+++ b/f.go\n"


@pytest.mark.parametrize(
    ("hunks", "added", "deleted_after"),
    [
        pytest.param("@@ -3 +3 @@\n-a\n+b\n", {3}, set(), id="omitted-counts-mean-1"),
        pytest.param("@@ -3,2 +3,3 @@\n-a\n-b\n+c\n+d\n+e\n", {3, 4, 5}, set(), id="change"),
        pytest.param("@@ -4,0 +5,2 @@\n+a\n+b\n", {5, 6}, set(), id="pure-addition"),
        pytest.param("@@ -0,0 +1 @@\n+first\n", {1}, set(), id="addition-at-top"),
        pytest.param("@@ -5,2 +4,0 @@\n-a\n-b\n", set(), {4}, id="pure-deletion"),
        pytest.param("@@ -1 +0,0 @@\n-a\n", set(), {0}, id="deletion-at-top"),
        pytest.param(
            "@@ -2 +2 @@ func f() {\n-a\n+b\n@@ -9,3 +8,0 @@\n-x\n-y\n-z\n@@ -20,0 +18 @@\n+n\n",
            {2, 18},
            {8},
            id="several-hunks",
        ),
        pytest.param(
            # Content that looks like diff syntax: "-- a/x" removed reads "--- a/x".
            "@@ -1,2 +1,3 @@\n--- a/x\n-diff --git a/y b/y\n+++ b/z\n++@@ -1 +1 @@\n+ \n",
            {1, 2, 3},
            set(),
            id="content-that-looks-like-headers",
        ),
        pytest.param(
            "@@ -1 +0,0 @@\n--- a/evil.go\n@@ -5,0 +4 @@\n++++ b/evil.go\n",
            {4},
            {0},
            id="one-line-hunks-that-look-like-headers",
        ),
        pytest.param(
            "@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n",
            {1},
            set(),
            id="no-newline-base",
        ),
        pytest.param(
            "@@ -1 +1,2 @@\n-a\n+a\n+b\n\\ No newline at end of file\n",
            {1, 2},
            set(),
            id="no-newline-head",
        ),
        pytest.param(
            # Only "\n" ends a diff line: \f, \x1c and U+2028 are Go source characters.
            "@@ -1 +1,2 @@\n-a\n+x\fy\x1cz\u2028w\n+last\n",
            {1, 2},
            set(),
            id="line-separators-inside-lines",
        ),
        pytest.param("@@ -1 +1 @@\n-a\r\n+b\r\n", {1}, set(), id="crlf-content"),
    ],
)
def test_hunks(hunks: str, added: set[int], deleted_after: set[int]) -> None:
    change = _one(HEADER + hunks)._replace(hunks=())
    assert change == FileChange("f.go", "f.go", "M", frozenset(added), frozenset(deleted_after))


def test_header_fallback_for_mode_change_with_spaces_and_b_slash() -> None:
    text = "diff --git a/x b/y.go b/x b/y.go\nold mode 100644\nnew mode 100755\n"
    assert parse_diff(text) == [FileChange("x b/y.go", "x b/y.go", "M", frozenset(), frozenset())]


def test_empty_input() -> None:
    assert parse_diff("") == []


# --- real git output ------------------------------------------------------------------------


def _apply(repo: GitRepo, files: dict[str, bytes | None], executable: tuple[str, ...]) -> None:
    for rel, content in files.items():
        target = repo.path / rel
        if content is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    for rel in executable:
        os.chmod(repo.path / rel, 0o755)


def _diff(repo: GitRepo, base: str, head: str | None) -> list[FileChange]:
    _, out, _ = run(git_diff_args(base, head), cwd=repo.path)
    # Hunks have tests of their own (test_hunk_records, test_line_map).
    changes = parse_diff(out.decode("utf-8", errors="surrogateescape"))
    return sorted(c._replace(hunks=()) for c in changes)


LINES = b"".join(b"line %d\n" % i for i in range(1, 21))
BIN_A = b"\x00\x01\x02binary" * 10
BIN_B = b"\x00\x01\x03binary" * 10


def fc(
    path: str,
    old: str | None,
    status: str,
    added: set[int] | None = None,
    deleted_after: set[int] | None = None,
    *,
    binary: bool = False,
) -> FileChange:
    return FileChange(
        path, old, status, frozenset(added or ()), frozenset(deleted_after or ()), binary
    )


def _edit(text: bytes, old: bytes, new: bytes) -> bytes:
    assert old in text
    return text.replace(old, new, 1)


# name: (base files, head changes (None deletes), made executable at head, expected changes)
Scenario = tuple[
    dict[str, bytes | None], dict[str, bytes | None], tuple[str, ...], list[FileChange]
]
SCENARIOS: dict[str, Scenario] = {
    "modify": (
        {"m.go": LINES},
        {
            "m.go": _edit(
                _edit(_edit(LINES, b"line 2\n", b"line two\n"), b"line 5\nline 6\n", b""),
                b"line 20\n",
                b"line 20\nline 21\nline 22\n",
            )
        },
        (),
        [fc("m.go", "m.go", "M", {2, 19, 20}, {4})],
    ),
    "delete-first-and-last-lines": (
        {"m.go": LINES},
        {"m.go": LINES.removeprefix(b"line 1\n").removesuffix(b"line 20\n")},
        (),
        [fc("m.go", "m.go", "M", set(), {0, 18})],
    ),
    "added": (
        {"keep.go": b"k\n"},
        {"new.go": b"a\nb\nc\n"},
        (),
        [fc("new.go", None, "A", {1, 2, 3})],
    ),
    "added-empty": ({"keep.go": b"k\n"}, {"empty.go": b""}, (), [fc("empty.go", None, "A")]),
    "deleted": (
        {"keep.go": b"k\n", "gone.go": b"a\nb\n"},
        {"gone.go": None},
        (),
        [fc("gone.go", "gone.go", "D", set(), {0})],
    ),
    "renamed": (
        {"old.go": LINES},
        {"old.go": None, "sub dir/new name.go": LINES},
        (),
        [fc("sub dir/new name.go", "old.go", "R")],
    ),
    "renamed-and-edited": (
        {"old.go": LINES},
        {"old.go": None, "new.go": _edit(LINES, b"line 7\n", b"line seven\n")},
        (),
        [fc("new.go", "old.go", "R", {7})],
    ),
    "renamed-quoted": (
        {'a "q".go': LINES},
        {'a "q".go': None, "b\\c.go": _edit(LINES, b"line 3\n", b"")},
        (),
        [fc("b\\c.go", 'a "q".go', "R", set(), {2})],
    ),
    "binary": (
        {"img.bin": BIN_A, "gone.bin": BIN_A},
        {"img.bin": BIN_B, "gone.bin": None, "new dir/new.bin": BIN_B},
        (),
        [
            fc("gone.bin", "gone.bin", "D", binary=True),
            fc("img.bin", "img.bin", "M", binary=True),
            fc("new dir/new.bin", None, "A", binary=True),
        ],
    ),
    "binary-renamed": (
        {"a.bin": BIN_A * 10},
        {"a.bin": None, "b c.bin": BIN_A * 10 + b"\x00"},
        (),
        [fc("b c.bin", "a.bin", "R", binary=True)],
    ),
    "mode-change": (
        {"run me.sh": b"echo\n", "x b/y.sh": b"echo\n"},
        {},
        ("run me.sh", "x b/y.sh"),
        [fc("run me.sh", "run me.sh", "M"), fc("x b/y.sh", "x b/y.sh", "M")],
    ),
    "mode-change-and-edit": (
        {"s.sh": b"a\nb\n"},
        {"s.sh": b"a\nB\n"},
        ("s.sh",),
        [fc("s.sh", "s.sh", "M", {2})],
    ),
    "spaces": (
        {"my dir/my file.go": b"a\n"},
        {"my dir/my file.go": b"a\nb\n", "other file.go": b"x\n"},
        (),
        [
            fc("my dir/my file.go", "my dir/my file.go", "M", {2}),
            fc("other file.go", None, "A", {1}),
        ],
    ),
    "unicode": (
        {"ünïcödé/fïlé.go": b"a\n", "日本.go": b"x\n"},
        {"ünïcödé/fïlé.go": b"b\n", "日本.go": None},
        (),
        [
            fc("ünïcödé/fïlé.go", "ünïcödé/fïlé.go", "M", {1}),
            fc("日本.go", "日本.go", "D", set(), {0}),
        ],
    ),
    "quoted-characters": (
        {'tab\there "q" \\.go': b"a\n"},
        {'tab\there "q" \\.go': b"a\nb\n", "new\nline é.go": b"n\n", 'empty "e".go': b""},
        (),
        [
            fc('empty "e".go', None, "A"),
            fc("new\nline é.go", None, "A", {1}),
            fc('tab\there "q" \\.go', 'tab\there "q" \\.go', "M", {2}),
        ],
    ),
    "no-newline-at-end": (
        {"a.go": b"x\ny", "b.go": b"x\ny\n"},
        {"a.go": b"x\ny\n", "b.go": b"x\ny\nz"},
        (),
        [fc("a.go", "a.go", "M", {2}), fc("b.go", "b.go", "M", {3})],
    ),
    "lines-that-look-like-headers": (
        {"h.txt": b"-- a/x\n++ b/y\nkeep\n"},
        {"h.txt": b"keep\n++ b/z\ndiff --git a/q b/q\n@@ -1 +1 @@\n"},
        (),
        [fc("h.txt", "h.txt", "M", {2, 3, 4}, {0})],
    ),
    "single-lines-that-look-like-headers": (
        {"h.txt": b"-- a/x\nkeep\n"},
        {"h.txt": b"keep\n++ b/y\n"},
        (),
        [fc("h.txt", "h.txt", "M", {2}, {0})],
    ),
    "line-separators-and-crlf": (
        {"s.go": b"a\r\nb\r\nc\r\n"},
        {"s.go": "a\r\nx\fy\x1cz\u2028w\r\nc\r\n".encode()},
        (),
        [fc("s.go", "s.go", "M", {2})],
    ),
}


@pytest.mark.parametrize("head_kind", ["commit", "worktree"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_real_git_diff(repo: GitRepo, name: str, head_kind: str) -> None:
    base_files, head_files, executable, expected = SCENARIOS[name]
    _apply(repo, base_files, ())
    base = repo.commit("base")
    _apply(repo, head_files, executable)
    if head_kind == "commit":
        head: str | None = repo.commit("head")
    else:
        repo.git("add", "-A")  # new files must be tracked to show up against the work tree
        head = None
    assert _diff(repo, base, head) == sorted(expected)


def test_user_config_does_not_change_the_parse(repo: GitRepo, tmp_path: Path) -> None:
    repo.write("a b/x.go", "one\n")
    repo.write("sub/y.go", "one\n")
    base = repo.commit("base")
    repo.write("a b/x.go", "one\ntwo\n")
    repo.write("sub/y.go", "uno\n")
    head = repo.commit("head")
    for key, value in [
        ("diff.noprefix", "true"),
        ("diff.mnemonicPrefix", "true"),
        ("diff.relative", "true"),
        ("diff.external", "false"),
        ("color.diff", "always"),
        ("color.ui", "always"),
        ("core.quotePath", "true"),
    ]:
        repo.git("config", key, value)
    # Run from a subdirectory, where diff.relative would cut the paths down.
    _, out, _ = run(git_diff_args(base, head), cwd=repo.path / "sub")
    assert sorted(c._replace(hunks=()) for c in parse_diff(out.decode())) == [
        fc("a b/x.go", "a b/x.go", "M", {2}),
        fc("sub/y.go", "sub/y.go", "M", {1}),
    ]


def test_git_diff_args() -> None:
    assert git_diff_args("abc")[-2:] == ["abc", "--"]
    assert git_diff_args("abc", "def")[-3:] == ["abc", "def", "--"]


# --- GitHub's per-file patch ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("patch", "added", "context"),
    [
        pytest.param(
            "@@ -1,3 +1,4 @@ package p\n a\n-b\n+B\n+C\n c",
            {2, 3},
            {1, 4},
            id="context-around-change",
        ),
        pytest.param(
            "@@ -10,6 +10,5 @@ func f() {\n x\n y\n-z\n w\n v\n u\n@@ -40 +39,2 @@\n-q\n+r\n+s\n",
            {39, 40},
            {10, 11, 12, 13, 14},
            id="two-hunks-trailing-newline",
        ),
        pytest.param("@@ -0,0 +1,3 @@\n+a\n+b\n+c", {1, 2, 3}, set(), id="new-file"),
        pytest.param("@@ -1,2 +0,0 @@\n-a\n-b", set(), set(), id="deleted-file"),
        pytest.param(
            "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n",
            {2},
            {1},
            id="no-newline",
        ),
        pytest.param(
            "@@ -1,3 +1,3 @@\n a\n\n-c\n+C",  # a context line whose leading space was trimmed
            {3},
            {1, 2},
            id="empty-context-line",
        ),
        pytest.param(
            "@@ -1,2 +1,2 @@\n+++ x\n--- y\n ctx",
            {1},
            {2},
            id="content-like-headers",
        ),
        pytest.param("", set(), set(), id="empty"),
    ],
)
def test_parse_patch(patch: str, added: set[int], context: set[int]) -> None:
    assert parse_patch(patch) == PatchLines(frozenset(added), frozenset(context))


# --- hunks and the map of base lines to head lines ------------------------------------------


def test_hunk_records() -> None:
    hunks = "@@ -3 +3,2 @@\n-a\n+b\n+c\n@@ -10,2 +11,0 @@\n-x\n-y\n@@ -20,0 +19 @@\n+z\n"
    change = _one(HEADER + hunks)
    assert change.hunks == (Hunk(3, 1, 3, 2), Hunk(10, 2, 11, 0), Hunk(20, 0, 19, 1))


def _map(hunks: str, status: str = "M") -> LineMap:
    change = _one(HEADER + hunks)
    return LineMap([change._replace(status=status)])


@pytest.mark.parametrize(
    ("hunks", "line", "expected"),
    [
        # Before any hunk: the same line.
        ("@@ -10 +10,3 @@\n-a\n+b\n+c\n+d\n", 5, Place("f.go", 5, 5, 5)),
        # A changed line: the lines that replaced it, the same offset likeliest.
        ("@@ -10,2 +10,2 @@\n-a\n-b\n+c\n+d\n", 11, Place("f.go", 11, 10, 11)),
        ("@@ -10 +10,3 @@\n-a\n+b\n+c\n+d\n", 10, Place("f.go", 10, 10, 12)),
        ("@@ -10,3 +10 @@\n-a\n-b\n-c\n+d\n", 12, Place("f.go", 10, 10, 10)),
        # After a hunk: shifted by what it added or removed.
        ("@@ -10 +10,3 @@\n-a\n+b\n+c\n+d\n", 20, Place("f.go", 22, 22, 22)),
        ("@@ -3,0 +4,2 @@\n+a\n+b\n", 3, Place("f.go", 3, 3, 3)),
        ("@@ -3,0 +4,2 @@\n+a\n+b\n", 4, Place("f.go", 6, 6, 6)),
        ("@@ -5,2 +4,0 @@\n-a\n-b\n", 9, Place("f.go", 7, 7, 7)),
        # A removed line is nowhere.
        ("@@ -5,2 +4,0 @@\n-a\n-b\n", 6, None),
    ],
)
def test_line_map(hunks: str, line: int, expected: Place | None) -> None:
    assert _map(hunks).place("f.go", line) == expected


def test_line_map_files() -> None:
    renamed = FileChange(
        "new.go", "old.go", "R", frozenset({3}), frozenset(), hunks=(Hunk(3, 1, 3, 1),)
    )
    deleted = FileChange("gone.go", "gone.go", "D", frozenset(), frozenset({0}))
    added = FileChange(
        "fresh.go", None, "A", frozenset({1}), frozenset(), hunks=(Hunk(0, 0, 1, 1),)
    )
    lines = LineMap([renamed, deleted, added])
    assert lines.place("old.go", 7) == Place("new.go", 7, 7, 7)
    assert lines.place("gone.go", 1) is None
    assert lines.place("same.go", 4) == Place("same.go", 4, 4, 4)
    # A base file whose name a new file took was renamed away or deleted.
    assert LineMap([added._replace(path="old.go")]).place("old.go", 1) is None
    assert Place("a.go", 3, 3, 3).exact
    assert not Place("a.go", 3, 3, 4).exact
