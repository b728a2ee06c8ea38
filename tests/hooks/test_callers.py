"""Escapes a change causes in other packages: callers of a changed inlinable function are
compiled too, at base and head, and only then."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from goescape import callers, git
from goescape.modules import Module, Package
from goescape.sides import Side

from tests.gitrepo import GitRepo
from tests.runs import json_run

pytestmark = pytest.mark.slow

UTIL = (
    """
package util

var Sink any

// TabWidth is small enough to be inlined.
func TabWidth(n int) int {
	return 4 - n%4
}

// Keep can be inlined, and its parameter does not leak.
func Keep(p *int) int {
	return *p + 1
}

// half is unexported: other packages reach it only through Halve, which inlines it.
func half(n int) int {
	return n / 2
}

func Halve(n int) int { return half(n) }

// twice is unexported and inlined by nothing exported.
func twice(n int) int {
	return 2 * n
}

var _ = twice

// Long is too big to be inlined.
func Long(xs []int) int {
	total := 0
	for i, x := range xs {
		if x%2 == 0 {
			total += x * i
		} else if x%3 == 0 {
			total -= x
		} else if x%5 == 0 {
			total += x / 5
		} else if x%7 == 0 {
			total *= 2
		} else {
			total++
		}
		for j := 0; j < x; j++ {
			total += j
		}
	}
"""
    + "".join(f"\ttotal = total*{i} + len(xs)\n" for i in range(3, 23))
    + """\treturn total
}
"""
)

TEXT = """
package text

import "example.com/m/util"

// Width inlines util.TabWidth, and is inlined in turn.
func Width(n int) int { return util.TabWidth(n) + 1 }

func Hold() int {
	x := 1
	return util.Keep(&x)
}

func Total(xs []int) int { return util.Long(xs) }

func H(n int) int { return util.Halve(n) }
"""

APP = """
package app

import "example.com/m/text"

func Use(n int) int { return text.Width(n) }
"""

OTHER = """
package other

import "example.com/m/util"

func Sum(xs []int) int { return util.Long(xs) }
"""

TAB_WIDTH = "\treturn 4 - n%4\n"
# Not a cold path (a panic's argument would be): the escape counts.
KEEPS = "\tif n < 0 {\n\t\tSink = n\n\t}\n\treturn 4 - n%4\n"


@pytest.fixture
def layered(repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    monkeypatch.setenv("GOESCAPE_CACHE_DIR", str(tmp_path / "cache"))
    repo.go_module()
    repo.write("util/util.go", UTIL)
    repo.write("text/reader.go", TEXT)
    repo.write("app/app.go", APP)
    repo.write("other/other.go", OTHER)
    repo.commit("base")
    return repo


def targets(cmd: list[str]) -> list[str]:
    return [arg for arg in cmd if arg.startswith("./") or arg == "."]


def goescape(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, dict[str, Any]]:
    return json_run(repo, capsys, "--base", "HEAD", *args)


def induced(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (f["path"], f["function"]["display"], f["message"])
        for f in doc["findings"]
        if f["induced"] and f["state"] == "new"
    ]


def test_escapes_in_callers_of_other_packages(
    layered: GitRepo,
    capsys: pytest.CaptureFixture[str],
    go_builds: list[list[str]],
    any_go: Path,
) -> None:
    """A branch added to an inlinable function: the compiler reports the new escape in
    every caller it is inlined into, through Width (itself inlined) into app too."""
    layered.write("util/util.go", UTIL.replace(TAB_WIDTH, KEEPS))
    before = (layered.state(), layered.read("util/util.go"), layered.read("text/reader.go"))
    code, doc = goescape(layered, capsys)
    after = (layered.state(), layered.read("util/util.go"), layered.read("text/reader.go"))
    assert after == before  # nothing of the user's: the base is laid over with -overlay
    assert induced(doc) == [
        ("app/app.go", "Use", "util.n escapes to heap"),
        ("text/reader.go", "Width", "util.n escapes to heap"),
    ]
    assert [f["function"]["display"] for f in doc["counted"]] == ["TabWidth"]
    assert code == 1
    # Round by round, each side: util, then text (which imports util and names TabWidth),
    # then app (which names Width); never other, which only calls Long.
    assert sorted(t for cmd in go_builds for t in targets(cmd)) == [
        "./app",
        "./app",
        "./text",
        "./text",
        "./util",
        "./util",
    ]
    # The packages compiled before keep their flags: go takes them from its cache.
    last = go_builds[-1]
    assert {"-gcflags=./text=-m=2", "-gcflags=./util=-m=2", "-gcflags=./app=-m=2"} <= set(last)

    code, doc = goescape(layered, capsys, "--fail-on-induced")
    assert code == 1
    assert {(f["path"], f["induced"]) for f in doc["counted"]} == {
        ("util/util.go", False),
        ("text/reader.go", True),
        ("app/app.go", True),
    }


def test_no_inlinable_change_compiles_nothing_more(
    layered: GitRepo, capsys: pytest.CaptureFixture[str], go_builds: list[list[str]]
) -> None:
    layered.write("util/util.go", UTIL.replace("\t\t\ttotal++\n", "\t\t\ttotal += 2\n"))
    code, doc = goescape(layered, capsys)
    assert code == 0
    assert doc["functions"][0]["function"]["name"] == "Long"
    assert [targets(cmd) for cmd in go_builds] == [["./util"], ["./util"]]


def test_an_unexported_function_reaches_through_an_exported_one(
    layered: GitRepo, capsys: pytest.CaptureFixture[str], go_builds: list[list[str]]
) -> None:
    layered.write(
        "util/util.go",
        UTIL.replace("\treturn n / 2\n", "\tif n < 0 {\n\t\tSink = n\n\t}\n\treturn n / 2\n"),
    )
    code, doc = goescape(layered, capsys)
    assert ("text/reader.go", "H", "util.n escapes to heap") in induced(doc)
    assert ("util/util.go", "Halve", "n escapes to heap") in induced(doc)
    # app names only Width, which does not inline half.
    assert sorted(t for cmd in go_builds for t in targets(cmd)) == [
        "./text",
        "./text",
        "./util",
        "./util",
    ]

    go_builds.clear()
    layered.write("util/util.go", UTIL.replace("\treturn 2 * n\n", "\treturn n + n\n"))
    code, doc = goescape(layered, capsys)
    assert (code, induced(doc)) == (0, [])
    # The base side of util comes from goescape's cache this time: the head only.
    assert [targets(cmd) for cmd in go_builds] == [["./util"]]


def test_inlinable_only_at_base(layered: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    """Keep grows too big to be inlined and keeps its pointer: Hold's x now escapes,
    though Hold did not change."""
    grown = UTIL.replace(
        "func Keep(p *int) int {\n\treturn *p + 1\n}",
        "var kept *int\n\nfunc Keep(p *int) int {\n\tkept = p\n"
        + "".join(f"\t*p += {i} * *p\n" for i in range(30))
        + "\treturn *p\n}",
    )
    layered.write("util/util.go", grown)
    code, doc = goescape(layered, capsys)
    assert ("text/reader.go", "Hold", "moved to heap: x") in induced(doc)
    assert code == 0  # Keep's own `leaking param` does not count without --leaks


def test_a_caller_that_no_longer_compiles_is_skipped(
    layered: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    layered.write(
        "util/util.go",
        UTIL.replace("func TabWidth(n int) int {", "func TabWidth(n, m int) int {"),
    )
    code, doc = goescape(layered, capsys)
    assert code == 0
    assert doc["skipped"] == [
        {
            "path": "text",
            "reason": "does not compile at head (a caller of a changed inlinable function: "
            "not checked for escapes the change causes there)",
        }
    ]


def test_the_callers_base_comes_from_the_cache_next_time(
    layered: GitRepo, capsys: pytest.CaptureFixture[str], go_builds: list[list[str]]
) -> None:
    layered.write("util/util.go", UTIL.replace(TAB_WIDTH, KEEPS))
    first = goescape(layered, capsys)
    assert any(a.startswith("-overlay=") for cmd in go_builds for a in cmd)
    go_builds.clear()
    assert goescape(layered, capsys) == first
    # Only the head side compiled (the base is laid over with -overlay, cached now).
    assert [targets(cmd) for cmd in go_builds] == [["./util"], ["./text"], ["./app"]]
    assert not any(a.startswith("-overlay=") for cmd in go_builds for a in cmd)


@pytest.fixture
def module_side(repo: GitRepo) -> Side:
    repo.go_module()
    files = {
        "util/util.go": "package util\n\nfunc TabWidth(n int) int { return n }\n",
        "a/a.go": 'package a\n\nimport "example.com/m/util"\n\nvar _ = util.TabWidth(1)\n',
        "b/b.go": 'package b\n\nimport u "example.com/m/util"\n\nvar _ = u.\n\tTabWidth\n',
        "c/c.go": 'package c\n\nimport . "example.com/m/util"\n\nvar _ = TabWidth(2)\n',
        "d/d.go": 'package d\n\nimport "example.com/m/util"\n\nvar _ = util.TabWidths\n',
        "e/e.go": "//go:build ignore\n\npackage main\n\n"
        'import "example.com/m/util"\n\nvar _ = util.TabWidth(3)\n',
        "f/f_test.go": 'package f\n\nimport "example.com/m/util"\n\nvar _ = util.TabWidth(4)\n',
        "g/testdata/g.go": 'package g\n\nimport "example.com/m/util"\n\nvar _ = util.TabWidth\n',
        "h/_h.go": 'package h\n\nimport "example.com/m/util"\n\nvar _ = util.TabWidth\n',
        "nested/go.mod": "module example.com/nested\n\ngo 1.21\n",
        "nested/n.go": 'package n\n\nimport "example.com/m/util"\n\nvar _ = util.TabWidth\n',
        "vendor/v/v.go": 'package v\n\nimport "example.com/m/util"\n\nvar _ = util.TabWidth\n',
    }
    for path, text in files.items():
        repo.write(path, text)
    repo.commit("files")
    return Side(git.Git(repo.path), None, frozenset())


MODULE = Module("", "example.com/m")
UTIL_PACKAGE = Package(MODULE, "util", "example.com/m/util")


@pytest.mark.parametrize(
    ("tests", "found"),
    [(False, ["a", "b", "c"]), (True, ["a", "b", "c", "f"])],
)
def test_importers_are_read_from_the_files(
    module_side: Side, tests: bool, found: list[str]
) -> None:
    search = callers.Search(module_side, module_side, frozenset(), "", tests)
    wanted = callers.importers({"example.com/m/util": {"TabWidth"}}, {"util": UTIL_PACKAGE}, search)
    assert sorted(wanted) == found
    assert wanted["a"] == Package(MODULE, "a", "example.com/m/a")
    # Packages compiled already are not found again.
    again = callers.importers(
        {"example.com/m/util": {"TabWidth"}}, {"util": UTIL_PACKAGE, "a": wanted["a"]}, search
    )
    assert sorted(again) == found[1:]


NAMES = {"example.com/m/util": {"TabWidth"}}
COMPILED = {"util": UTIL_PACKAGE}
CALLS = 'package a\n\nimport "example.com/m/util"\n\nvar _ = util.TabWidth(1)\n'


def search_with(repo: GitRepo, base: str, *changed: str) -> callers.Search:
    """A working-tree head whose files `changed` differ from the merge base `base`."""
    lookups = git.Git(repo.path)
    differing = frozenset(changed)
    return callers.Search(
        Side(lookups, None, frozenset()), Side(lookups, base, differing), differing, base, False
    )


def test_importers_at_the_merge_base_are_kept(
    module_side: Side, repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOESCAPE_CACHE_DIR", str(tmp_path / "cache"))
    base = repo.head()
    assert sorted(callers.importers(NAMES, COMPILED, search_with(repo, base))) == ["a", "b", "c"]
    # a.go stops calling TabWidth. Listed as changed, it is read again; otherwise what the
    # files hold at this merge base is the answer kept from the first run.
    repo.write("a/a.go", "package a\n")
    assert sorted(callers.importers(NAMES, COMPILED, search_with(repo, base))) == ["a", "b", "c"]
    found = callers.importers(NAMES, COMPILED, search_with(repo, base, "a/a.go"))
    assert sorted(found) == ["b", "c"]
    # A file the branch adds is one of the changed ones.
    repo.write("z/z.go", CALLS.replace("package a", "package z"))
    found = callers.importers(NAMES, COMPILED, search_with(repo, base, "a/a.go", "z/z.go"))
    assert sorted(found) == ["b", "c", "z"]
    # Without caching everything is read.
    uncached = search_with(repo, base, "a/a.go", "z/z.go")._replace(merge_base="")
    assert sorted(callers.importers(NAMES, COMPILED, uncached)) == ["b", "c", "z"]


def test_what_is_kept_holds_for_files_changed_at_the_time(
    module_side: Side, repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first run of a branch that changed a.go reads its merge-base content for the
    cache; a later run with a.go as it was at the merge base finds it from there."""
    monkeypatch.setenv("GOESCAPE_CACHE_DIR", str(tmp_path / "cache"))
    base = repo.head()
    repo.write("a/a.go", "package a\n")
    found = callers.importers(NAMES, COMPILED, search_with(repo, base, "a/a.go"))
    assert sorted(found) == ["b", "c"]
    repo.write("a/a.go", CALLS)
    repo.write("b/b.go", "package b\n")  # not listed as changed: the kept answer is used
    assert sorted(callers.importers(NAMES, COMPILED, search_with(repo, base))) == ["a", "b", "c"]
