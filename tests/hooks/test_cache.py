from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest
from goescape import cache
from goescape.cache import CacheKey
from goescape.cli import main

from tests.conftest import go_version, goroots
from tests.gitrepo import GitRepo

KEY = CacheKey(
    merge_base="3f2a1c0" + "0" * 33,
    module_root="/home/dev/src/app",
    package="example.com/app/geom",
    files=(("point.go", "a" * 40), ("line.go", "b" * 40)),
    go_version="go1.27.3",
    goroot="/usr/local/go",
    gcflags=("-m",),
    tags=("integration",),
    goos="linux",
    goarch="amd64",
    cgo_enabled="1",
    goexperiment="",
    tests=False,
    tool_version="0.1.0",
)

TEXT = "# example.com/app/geom\ngeom/point.go:9:2: moved to heap: p\n"

# One changed value per key part: each must lead to another entry.
CHANGED_PARTS: list[tuple[str, Any]] = [
    ("merge_base", "9" * 40),
    ("module_root", "/home/dev/src/app-copy"),
    ("package", "example.com/app/util"),
    ("files", (("point.go", "c" * 40), ("line.go", "b" * 40))),  # base file edited
    ("files", (("point.go", "a" * 40),)),  # a file fewer
    ("files", (("point.go", "a" * 40), ("line.go", "b" * 40), ("new.go", "d" * 40))),
    ("go_version", "go1.22.10"),
    ("goroot", "/opt/go1.27.3"),
    ("gcflags", ("-m=2",)),
    ("gcflags", ("-m", "-l")),
    ("tags", ()),
    ("tags", ("integration", "slow")),
    ("goos", "darwin"),
    ("goarch", "arm64"),
    ("cgo_enabled", "0"),
    ("goexperiment", "rangefunc"),
    ("tests", True),
    ("tool_version", "0.2.0"),
]


def test_every_key_part_is_listed() -> None:
    assert {name for name, _ in CHANGED_PARTS} == set(CacheKey._fields)


def test_round_trip(tmp_path: Path) -> None:
    assert cache.load(KEY, directory=tmp_path) is None
    cache.store(KEY, TEXT, directory=tmp_path)
    assert cache.load(KEY, directory=tmp_path) == TEXT


def test_round_trip_keeps_unicode_and_empty_text(tmp_path: Path) -> None:
    other = KEY._replace(package="example.com/app/ünï")
    cache.store(KEY, "", directory=tmp_path)
    cache.store(other, "größe/π.go:1:6: moved to heap: ß\n", directory=tmp_path)
    assert cache.load(KEY, directory=tmp_path) == ""
    assert cache.load(other, directory=tmp_path) == "größe/π.go:1:6: moved to heap: ß\n"


@pytest.mark.parametrize(("field", "value"), CHANGED_PARTS)
def test_every_key_part_changes_the_entry(tmp_path: Path, field: str, value: Any) -> None:
    cache.store(KEY, TEXT, directory=tmp_path)
    changed = KEY._replace(**{field: value})
    assert cache.digest(changed) != cache.digest(KEY)
    assert cache.load(changed, directory=tmp_path) is None
    cache.store(changed, "other\n", directory=tmp_path)
    assert cache.load(KEY, directory=tmp_path) == TEXT
    assert cache.load(changed, directory=tmp_path) == "other\n"


def test_order_of_files_and_tags_does_not_matter(tmp_path: Path) -> None:
    cache.store(KEY, TEXT, directory=tmp_path)
    reordered = KEY._replace(files=tuple(reversed(KEY.files)), tags=("integration",))
    assert cache.load(reordered, directory=tmp_path) == TEXT
    two_tags = KEY._replace(tags=("a", "b"))
    cache.store(two_tags, "ab\n", directory=tmp_path)
    assert cache.load(KEY._replace(tags=("b", "a")), directory=tmp_path) == "ab\n"


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) - 5],  # torn: body shorter than the header says
        lambda data: data.split(b"\n", 1)[0],  # header only
        lambda data: b"not json\n" + data.split(b"\n", 1)[1],
        lambda data: b"",
    ],
    ids=["truncated", "header-only", "bad-header", "empty"],
)
def test_a_damaged_entry_is_a_miss(tmp_path: Path, damage: Any) -> None:
    cache.store(KEY, TEXT, directory=tmp_path)
    (entry,) = (tmp_path / f"v{cache.FORMAT}").glob("*.txt")
    entry.write_bytes(damage(entry.read_bytes()))
    assert cache.load(KEY, directory=tmp_path) is None


def test_an_entry_of_another_key_under_the_same_name_is_a_miss(tmp_path: Path) -> None:
    # Stands in for a hash collision: the header's key must match, not just the file name.
    other = KEY._replace(package="example.com/app/other")
    cache.store(other, "other\n", directory=tmp_path)
    entries = tmp_path / f"v{cache.FORMAT}"
    (entries / f"{cache.digest(other)}.txt").rename(entries / f"{cache.digest(KEY)}.txt")
    assert cache.load(KEY, directory=tmp_path) is None


def test_cache_dir_precedence(tmp_path: Path) -> None:
    home = str(Path.home())
    assert cache.cache_dir({}) == Path(home) / ".cache" / "goescape"
    assert cache.cache_dir({"XDG_CACHE_HOME": "/x/cache"}) == Path("/x/cache/goescape")
    # A relative XDG_CACHE_HOME is invalid by the XDG spec and ignored.
    assert cache.cache_dir({"XDG_CACHE_HOME": "rel"}) == Path(home) / ".cache" / "goescape"
    assert cache.cache_dir({"XDG_CACHE_HOME": "/x", cache.ENV_DIR: "/y"}) == Path("/y")


def test_default_directory_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "c"))
    cache.store(KEY, TEXT)
    assert cache.load(KEY) == TEXT
    assert list((tmp_path / "c" / f"v{cache.FORMAT}").glob("*.txt"))


def test_unwritable_cache_degrades_to_no_cache(tmp_path: Path) -> None:
    # A regular file where the directory should be fails for root too (unlike chmod).
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    cache.store(KEY, TEXT, directory=blocker / "cache")
    assert cache.load(KEY, directory=blocker / "cache") is None
    assert cache.clear(directory=blocker / "cache") == 0


def test_read_only_cache_still_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache.store(KEY, TEXT, directory=tmp_path)
    entries = tmp_path / f"v{cache.FORMAT}"

    # What a read-only directory does to a writer (chmod does not stop root, who runs CI).
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache.os, "replace", refuse)
    other = KEY._replace(package="example.com/app/other")
    cache.store(other, "other\n", directory=tmp_path)
    assert cache.load(other, directory=tmp_path) is None
    assert cache.load(KEY, directory=tmp_path) == TEXT
    assert [p.name for p in entries.iterdir()] == [f"{cache.digest(KEY)}.txt"]  # no temp file


def test_eviction_bounds_the_size_and_keeps_recent_entries(tmp_path: Path) -> None:
    entries = tmp_path / f"v{cache.FORMAT}"
    body = "x" * 1000
    keys = [KEY._replace(package=f"example.com/app/p{i}") for i in range(40)]
    for i, key in enumerate(keys):
        cache.store(key, body, directory=tmp_path, max_bytes=10_000)
        # Distinct use times, oldest first, without sleeping.
        os.utime(entries / f"{cache.digest(key)}.txt", (1_000_000 + i, 1_000_000 + i))
    total = sum(p.stat().st_size for p in entries.glob("*.txt"))
    assert 0 < total <= 10_000
    assert cache.load(keys[-1], directory=tmp_path) == body
    assert cache.load(keys[0], directory=tmp_path) is None


def test_store_leaves_no_temporary_files(tmp_path: Path) -> None:
    for i in range(5):
        cache.store(KEY._replace(package=f"p{i}"), TEXT, directory=tmp_path)
    names = os.listdir(tmp_path / f"v{cache.FORMAT}")
    assert len(names) == 5
    assert all(not n.startswith(".") for n in names)


def test_clear_removes_entries(tmp_path: Path) -> None:
    cache.store(KEY, TEXT, directory=tmp_path)
    cache.store(KEY._replace(package="p"), TEXT, directory=tmp_path)
    assert cache.clear(directory=tmp_path) == 2
    assert cache.load(KEY, directory=tmp_path) is None


def _writer(directory: str, worker: int, rounds: int) -> None:
    # Large, distinct bodies: a torn write would show as a mixed or short text.
    for i in range(rounds):
        cache.store(KEY, _body(worker, i), directory=Path(directory))


def _body(worker: int, i: int) -> str:
    return f"{worker}:{i}\n" + (chr(ord("a") + worker) * 200_000) + f"\nend {worker}:{i}\n"


def test_concurrent_writers_never_produce_a_torn_entry(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    workers, rounds = 4, 25
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), w, rounds)) for w in range(workers)]
    for proc in procs:
        proc.start()
    valid = {_body(w, i) for w in range(workers) for i in range(rounds)}
    while any(p.is_alive() for p in procs):
        text = cache.load(KEY, directory=tmp_path)
        if text is not None:
            assert text in valid
    for proc in procs:
        proc.join()
        assert proc.exitcode == 0
    final = cache.load(KEY, directory=tmp_path)
    assert final in valid
    assert not [n for n in os.listdir(tmp_path / f"v{cache.FORMAT}") if n.startswith(".tmp-")]


# --- End to end: a cached base never gives a wrong answer --------------------------------
#
# Each scenario first fills the cache under one setting, then changes only what a stale
# entry would get wrong. The correct answer is "nothing new" (exit 0); reusing the earlier
# entry would make the base miss an escape that the head has on a changed line (exit 1).

BUF = """
package geom

func Buf() int {
	b := make([]byte, size)
	return len(b) + 1
}

func Grow(xs []int, n int) []int {
	xs = append(xs, n)
	return xs
}
"""


def _goescape(repo: GitRepo, *args: str) -> int:
    return main(["-C", str(repo.path), "--base", "HEAD", *args])


def _entries(directory: Path) -> list[Path]:
    return sorted((directory / f"v{cache.FORMAT}").glob("*.txt"))


@pytest.fixture
def buf(repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "goescape-cache"))
    repo.go_module()
    repo.write("geom/g.go", BUF)
    repo.write("geom/fast.go", "//go:build fast\n\npackage geom\n\nconst size = 1 << 20\n")
    repo.write("geom/slow.go", "//go:build !fast\n\npackage geom\n\nconst size = 16\n")
    repo.commit("base")
    return repo


def _edit_line(repo: GitRepo, old: str, new: str) -> None:
    text = repo.read("geom/g.go")
    assert old in text
    repo.write("geom/g.go", text.replace(old, new))


@pytest.mark.slow
def test_a_cache_hit_really_replays_the_entry(
    buf: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The control for the tests below: an entry that matches is used, so a stale one would be.
    _edit_line(buf, "b := make([]byte, size)", "b := make([]byte, size) // sized")
    assert _goescape(buf, "--tags", "fast") == 0  # 1 -> 1 escapes: nothing new
    entries = _entries(tmp_path / "goescape-cache")
    assert entries
    for entry in entries:  # empty every entry, keeping its key: "no escapes at base"
        header = json.loads(entry.read_bytes().split(b"\n", 1)[0])
        header["length"] = 0
        entry.write_text(json.dumps(header) + "\n", encoding="utf-8")
    assert _goescape(buf, "--tags", "fast") == 1
    assert "make([]byte, 1048576) escapes to heap" in capsys.readouterr().out
    assert _goescape(buf, "--tags", "fast", "--no-cache") == 0


@pytest.mark.slow
def test_changed_tags_do_not_reuse_the_entry(buf: GitRepo, tmp_path: Path) -> None:
    _edit_line(buf, "b := make([]byte, size)", "b := make([]byte, size) // sized")
    assert _goescape(buf) == 0  # size 16: no escape on either side
    assert _entries(tmp_path / "goescape-cache")
    assert _goescape(buf, "--tags", "fast") == 0  # 1 -> 1, not 0 -> 1


@pytest.mark.slow
def test_an_edited_base_does_not_reuse_the_entry(buf: GitRepo, tmp_path: Path) -> None:
    _edit_line(buf, "b := make([]byte, size)", "b := make([]byte, 1<<20) // big")
    assert _goescape(buf) == 1  # really new against the first base
    assert _entries(tmp_path / "goescape-cache")
    # The base commit is rewritten to allocate the same; the head is unchanged.
    head = buf.read("geom/g.go")
    _edit_line(buf, "b := make([]byte, 1<<20) // big", "b := make([]byte, 1<<20)")
    buf.git("commit", "-q", "--amend", "-a", "-m", "base, edited")
    buf.write("geom/g.go", head)
    assert _goescape(buf) == 0


def _append_escapes(goroot: Path) -> bool:
    # `append escapes to heap` is printed from Go 1.25 on.
    major, minor = (int(x) for x in go_version(goroot).removeprefix("go").split(".")[:2])
    return (major, minor) >= (1, 25)


@pytest.mark.slow
def test_another_go_version_does_not_reuse_the_entry(
    buf: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    roots = goroots()
    old = [r for r in roots if not _append_escapes(r)]
    new = [r for r in roots if _append_escapes(r)]
    if not old or not new:
        pytest.skip("needs a Go before 1.25 and one from 1.25 on (GOESCAPE_TEST_GOROOTS)")
    _edit_line(buf, "xs = append(xs, n)", "xs = append(xs, n) // grown")
    monkeypatch.delenv("GOROOT", raising=False)
    path = os.environ["PATH"]
    monkeypatch.setenv("PATH", f"{old[0] / 'bin'}{os.pathsep}{path}")
    assert _goescape(buf) == 0  # no append escape on either side
    monkeypatch.setenv("PATH", f"{new[0] / 'bin'}{os.pathsep}{path}")
    assert _goescape(buf) == 0  # 1 -> 1 with the newer compiler, not 0 -> 1
