"""Which file the compiler means: positions in the standard library and the module cache are
never charged to a repository file with the same base name, and compile errors in a nested
module name the file from the repository's top."""

from __future__ import annotations

import os
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from goescape import attribution, git
from goescape.cli import main
from goescape.modules import Module, Package
from goescape.sides import Side

from tests.gitrepo import GitRepo
from tests.runs import json_run as goescape

pytestmark = pytest.mark.slow


def escapes_of(doc: dict[str, Any], function: str) -> list[tuple[str, int, str, str]]:
    return [
        (f["path"], f["line"], f["message"], f["state"])
        for f in doc["findings"]
        if f["function"]["display"] == function
    ]


def compiler_lines(repo: GitRepo, package: str) -> list[tuple[str, int, str]]:
    """(path, line, message) of the compiler's own escape lines for `package`."""
    proc = subprocess.run(
        ["go", "build", "-o", os.devnull, f"-gcflags={package}=-m=2", package],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=True,
    )
    found = []
    for line in proc.stderr.splitlines():
        match = re.match(r"(.+?):(\d+):\d+: (.*escapes to heap|moved to heap: .*)$", line)
        if match:
            found.append((match.group(1), int(match.group(2)), match.group(3)))
    return found


def big_function(first_line: int, last_line: int) -> str:
    body = "".join(f"\ttotal += n * {i}\n" for i in range(first_line + 2, last_line - 1))
    return f"func Big(n int) int {{\n\ttotal := 0\n{body}\treturn total\n}}\n"


SLICES_HEAD = 'package lst\n\nimport "slices"\n\n'


def test_a_standard_library_file_with_the_same_name(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """slices.Insert instantiated in the package prints the standard library's slices.go
    positions in the package's block; the repository's own slices.go is another file."""
    repo.go_module()
    big = big_function(5, 400)
    repo.write("lst/slices.go", SLICES_HEAD + big + "\nvar _ = slices.Max[[]int]\n")
    repo.commit("base")
    remove = "\nfunc Remove(s []*int, i int) []*int {\n\treturn slices.Insert(s, i, nil)\n}\n"
    repo.write("lst/slices.go", SLICES_HEAD + big + "\nvar _ = slices.Max[[]int]\n" + remove)

    # The compiler really names another slices.go at lines inside Big.
    big_lines = range(5, 400)
    elsewhere = [
        (path, line)
        for path, line, _ in compiler_lines(repo, "./lst")
        if os.path.isabs(path) and path.endswith("/slices/slices.go") and line in big_lines
    ]
    assert elsewhere, "the compiler printed no standard-library position inside Big"

    code, doc = goescape(repo, capsys, "--base", "HEAD")
    assert escapes_of(doc, "Big") == []
    assert {f["path"] for f in doc["findings"]} == {"lst/slices.go"}
    remove_escapes = escapes_of(doc, "Remove")
    assert remove_escapes, doc["findings"]
    assert all(line == 404 for _, line, _, _ in remove_escapes)
    assert code == (1 if doc["counted"] else 0)


MODULE_CACHE_DEP = """package dep

var Sink any

// Keep keeps v.
func Keep[T any](v T) {
	Sink = v
}
"""


def module_proxy(folder: Path) -> str:
    """A file:// module proxy serving example.com/dep v1.0.0 (its file is server.go)."""
    versions = folder / "example.com" / "dep" / "@v"
    versions.mkdir(parents=True)
    gomod = "module example.com/dep\n\ngo 1.21\n"
    (versions / "list").write_text("v1.0.0\n")
    (versions / "v1.0.0.info").write_text('{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}')
    (versions / "v1.0.0.mod").write_text(gomod)
    with zipfile.ZipFile(versions / "v1.0.0.zip", "w") as archive:
        archive.writestr("example.com/dep@v1.0.0/go.mod", gomod)
        archive.writestr("example.com/dep@v1.0.0/server.go", MODULE_CACHE_DEP)
    return folder.as_uri()


SERVER_BASE = """package app

import "example.com/dep"

func Use(x int) {
	_ = dep.Sink
	_ = x
}
"""


def test_a_module_cache_file_with_the_same_name(
    repo: GitRepo,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A generic function of a dependency, instantiated here, is printed at its file in the
    module cache (`../modcache/example.com/dep@v1.0.0/server.go:7:9`): not app/server.go:7."""
    monkeypatch.setenv("GOPROXY", module_proxy(tmp_path / "proxy"))
    monkeypatch.setenv("GOMODCACHE", str(tmp_path / "modcache"))
    monkeypatch.setenv("GOSUMDB", "off")
    monkeypatch.setenv("GOFLAGS", "-modcacherw")  # so that the test's folder can be removed
    repo.write("go.mod", "module example.com/m\n\ngo 1.21\n\nrequire example.com/dep v1.0.0\n")
    repo.write("app/server.go", SERVER_BASE)
    subprocess.run(["go", "mod", "tidy"], cwd=repo.path, check=True, capture_output=True)
    repo.commit("base")
    repo.write("app/server.go", SERVER_BASE.replace("\t_ = dep.Sink\n", "\tdep.Keep(x)\n"))

    in_cache = [
        line
        for path, line, _ in compiler_lines(repo, "./app")
        if "dep@v1.0.0/server.go" in path and 5 <= line <= 8
    ]
    assert in_cache, "the compiler printed no module-cache position inside Use"

    code, doc = goescape(repo, capsys, "--base", "HEAD")
    assert escapes_of(doc, "Use") == [("app/server.go", 6, "dep.v escapes to heap", "new")]
    assert code == 1


@pytest.fixture
def spellings(repo: GitRepo) -> Side:
    repo.write("tools/go.mod", "module example.com/tools\n\ngo 1.21\n")
    repo.write("tools/gen/gen.go", "package gen\n")
    repo.write("tools/other/gen.go", "package other\n")
    repo.commit("files")
    return Side(git.Git(repo.path), None, frozenset())


GEN = Package(Module("tools", "example.com/tools"), "tools/gen", "example.com/tools/gen")


@pytest.mark.parametrize(
    ("printed", "meant"),
    [
        pytest.param("gen/gen.go", "tools/gen/gen.go", id="from-the-module-root"),
        pytest.param("./gen.go", "tools/gen/gen.go", id="from-the-package-directory"),
        pytest.param("gen.go", "tools/gen/gen.go", id="bare-name"),
        pytest.param("{root}/tools/gen/gen.go", "tools/gen/gen.go", id="absolute-own"),
        pytest.param("tools/gen/gen.go", "tools/gen/gen.go", id="replayed-from-the-repo-root"),
        pytest.param("example.com/tools/gen/gen.go", "tools/gen/gen.go", id="trimpath"),
        pytest.param("other/gen.go", None, id="another-package-of-the-module"),
        pytest.param("{root}/tools/other/gen.go", None, id="absolute-another-package"),
        pytest.param("/usr/local/go/src/go/gen.go", None, id="absolute-goroot"),
        pytest.param("../../sdk/go/src/cmd/gen/gen.go", None, id="relative-goroot"),
        pytest.param("../modcache/example.com/x@v1.0.0/gen/gen.go", None, id="module-cache"),
        pytest.param("net/http/gen.go", None, id="trimpath-standard-library"),
        pytest.param("gen/missing.go", None, id="no-such-file"),
    ],
)
def test_which_file_a_spelling_means(spellings: Side, printed: str, meant: str | None) -> None:
    printed = printed.replace("{root}", str(spellings.repo.root))
    assert attribution._in_package(printed, GEN, spellings) == meant


def test_compile_errors_in_a_nested_module_name_the_file_from_the_top(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("tools/go.mod", "module example.com/tools\n\ngo 1.21\n")
    repo.write("tools/gen/gen.go", "package gen\n\nfunc A() int { return 1 }\n")
    repo.commit("base")
    broken = "package gen\n\nfunc A() int { return 1 }\n\nfunc B() int { return x }\n"
    repo.write("tools/gen/gen.go", broken)
    assert main(["-C", str(repo.path), "--base", "HEAD"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "goescape: the code does not compile at head:",
        "  tools/gen/gen.go:5:23: undefined: x",
    ]
    # The same error at the base.
    repo.commit("broken")
    repo.write("tools/gen/gen.go", "package gen\n\nfunc A() int { return 2 }\n")
    assert main(["-C", str(repo.path), "--base", "HEAD"]) == 2
    err = capsys.readouterr().err
    assert "(tools/gen/gen.go:5:23: undefined: x)" in err


# --- the declarations index, read as asked for ----------------------------------------------

TAGGED = {
    "geom/a_linux.go": '//go:build linux\n\npackage geom\n\nfunc Host() string { return "l" }\n',
    "geom/b_other.go": '//go:build !linux\n\npackage geom\n\nfunc Host() string { return "o" }\n',
    "geom/point.go": "package geom\n\ntype Point struct{ X int }\n\n"
    "func (p *Point) Scale(k int) { p.X *= k }\n\nvar Origin = &Point{}\n",
    "geom/gen.go": "// Code generated by hand. DO NOT EDIT.\n\npackage geom\n\nfunc Gen() {}\n",
    "geom/geom_test.go": "package geom_test\n\nfunc Helper() {}\n",
    "app/app.go": "package app\n\nfunc Host() {}\n\nfunc init() {}\n",
}


@pytest.fixture
def indexed(repo: GitRepo) -> tuple[Side, list[Package]]:
    repo.go_module()
    for path, text in TAGGED.items():
        repo.write(path, text)
    repo.commit("base")
    module = Module("", "example.com/m")
    packages = [Package(module, d, f"example.com/m/{d}") for d in ("geom", "app")]
    return Side(git.Git(repo.path), None, frozenset()), packages


@pytest.mark.parametrize("tests", [False, True])
def test_a_lookup_gives_what_the_whole_index_gives(
    indexed: tuple[Side, list[Package]], tests: bool
) -> None:
    side, packages = indexed
    whole = dict(attribution.declarations(packages, side, tests))
    assert len(whole) == 5 + tests  # Host, Scale, init; app: Host, init; the test helper
    # The first file declaring Host, in order: a_linux.go, whatever the build tags.
    host = next(f for f in whole if f.package.endswith("geom") and f.name == "Host")
    assert whole[host].path == "geom/a_linux.go"
    for function, declaration in whole.items():
        lazy = attribution.declarations(packages, side, tests)
        assert lazy[function] == declaration
        assert len(lazy.known()) < len(whole)  # not every file was read for it
    lazy = attribution.declarations(packages, side, tests)
    missing = host._replace(name="Missing")
    assert missing not in lazy
    assert lazy.get(missing) is None
    assert list(lazy) == list(whole)  # iterating reads the rest, in the same order


def test_a_lookup_reads_only_the_files_naming_the_function(
    indexed: tuple[Side, list[Package]], monkeypatch: pytest.MonkeyPatch
) -> None:
    side, packages = indexed
    parsed: list[str] = []
    real = side.parsed

    def counting(path: str) -> Any:
        parsed.append(path)
        return real(path)

    monkeypatch.setattr(side, "parsed", counting)
    lazy = attribution.declarations(packages, side, False)
    scale = next(
        f for f in dict(attribution.declarations(packages, side, False)) if f.name == "Scale"
    )
    parsed.clear()
    assert lazy[scale].display == "(*Point).Scale"
    assert parsed == ["geom/point.go"]
