"""A text report compiles with -m, and with -m=2 only for what it shows (explanations.py):
its report must be, word for word, the one a -m=2 compile of everything gives (a SARIF run,
which carries every explanation), while a run that shows nothing new compiles once, with -m.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from goescape.cli import main

from tests.gitrepo import GitRepo

pytestmark = pytest.mark.slow

BASE = """
package geom

import "fmt"

type Point struct{ X, Y int }

// Add adds.
func (p Point) Add(q Point) Point {
	r := Point{p.X + q.X, p.Y + q.Y}
	return r
}

// Keep keeps a copy; the marker below names another word, on a line of the explanation.
func Keep(n int) *int {
	v := n
	return &v //goescape:ignored
}

// NewPoint is inlined into its callers.
func NewPoint(x int) *Point {
	return &Point{X: x}
}

// newBox is inlined; the marker for its escape is on a line of the explanation.
func newBox(n int) *int {
	b := n
	return &b //goescape:ignore boxed on purpose
}

func Show(x int) { fmt.Println(x) }
"""

# Each change, and what the report shows because of the explanations (besides hints).
CHANGES = {
    # A returned pointer: its hint comes from the flow's `(return)`.
    "pointer returned": [
        (
            "func (p Point) Add(q Point) Point {\n\tr := Point{p.X + q.X, p.Y + q.Y}\n\treturn r",
            "func (p Point) Add(q Point) *Point {\n\tr := Point{p.X + q.X, p.Y + q.Y}\n\treturn &r",
        )
    ],
    # Silenced only by the marker on the return line, a line of its explanation.
    "marker on an explanation line": [
        (
            "func Show(",
            "func Silenced(n int) *int {\n\tw := n\n"
            "\treturn &w //goescape:ignore returned on purpose\n}\n\nfunc Show(",
        )
    ],
    # An unchanged escape of a touched function; the near miss on its explanation line warns.
    "near miss on an explanation line": [("\tv := n\n", "\tv := n // touched\n")],
    # The escape of an inlined callee, in a new caller.
    "inlined callee": [
        ("func Show(", "func Origin() *Point { return NewPoint(0) }\n\nfunc Show("),
    ],
    # A new caller's copy of newBox's escape: silenced by the marker on the callee's own
    # explanation line.
    "marker on an inlined callee's explanation line": [
        ("func Show(", "func UseBox() *int { return newBox(1) }\n\nfunc Show("),
    ],
}


@pytest.fixture
def geom(repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    monkeypatch.setenv("GOESCAPE_CACHE_DIR", str(tmp_path / "cache"))
    repo.go_module()
    repo.write("geom/point.go", BASE)
    repo.commit("base")
    return repo


def flags(builds: list[list[str]]) -> list[str]:
    """The -gcflags values of each build, e.g. ["-m", "-m=2"] for two builds."""
    return [
        ",".join(sorted({a.rpartition("=-")[2] for a in cmd if a.startswith("-gcflags=")}))
        for cmd in builds
    ]


def text_run(repo: GitRepo, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["-C", str(repo.path), "--base", "HEAD", *args])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("explain", [[], ["--explain"]], ids=["plain", "explain"])
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_text_report_is_the_one_an_explained_compile_gives(
    geom: GitRepo,
    capsys: pytest.CaptureFixture[str],
    go_builds: list[list[str]],
    tmp_path: Path,
    change: str,
    explain: list[str],
    any_go: Path,
) -> None:
    text = BASE
    for old, new in CHANGES[change]:
        assert old in text
        text = text.replace(old, new)
    geom.write("geom/point.go", text)

    first = text_run(geom, capsys, *explain)
    first_builds = flags(go_builds)
    go_builds.clear()
    again = text_run(geom, capsys, *explain)
    again_builds = flags(go_builds)
    go_builds.clear()
    third = text_run(geom, capsys, *explain)
    third_builds = flags(go_builds)
    go_builds.clear()
    every = text_run(geom, capsys, *explain, "--sarif", str(tmp_path / "out.sarif"))

    assert first == every
    assert again == every
    assert third == every
    # What the explanation changes shows, each in its own way.
    code, out = every
    if change == "pointer returned":
        assert code == 1
        assert "hint: return the value, not a pointer to it" in out
    elif change == "marker on an explanation line":
        assert code == 0
        assert "Silenced: moved to heap: w   (reason: returned on purpose)" in out
    elif change == "marker on an inlined callee's explanation line":
        assert code == 0
        assert "UseBox: moved to heap: b   (reason: boxed on purpose)" in out
    elif change == "near miss on an explanation line":
        assert code == 0
        assert re.search(r"warning: geom/point.go:16: `goescape:ignored` is not", out)
    else:
        assert code == 1
        assert "via inlined NewPoint" in out
    # --explain shows the flow of every entry with a hint.
    assert ("    why:" in out) == (bool(explain) and code == 1)
    # The first run compiled with -m (head and base), then the head with -m=2; the next
    # asks for -m=2 at once, at base too (the base side then comes from goescape's cache).
    assert (sorted(first_builds[:2]), first_builds[2:]) == (["m", "m"], ["m=2"])
    assert again_builds == ["m=2", "m=2"]
    assert third_builds == ["m=2"]


def test_nothing_new_is_compiled_once_with_m(
    geom: GitRepo,
    capsys: pytest.CaptureFixture[str],
    go_builds: list[list[str]],
    tmp_path: Path,
) -> None:
    geom.write("geom/point.go", BASE.replace("\tr := Point", "\t// a comment\n\tr := Point"))
    code, out = text_run(geom, capsys)
    assert (code, flags(go_builds)) == (0, ["m", "m"])
    assert out.startswith("goescape: no new heap escapes in 1 changed function")
    assert (code, out) == text_run(geom, capsys, "--sarif", str(tmp_path / "out.sarif"))


def test_a_report_that_goes_away_compiles_with_m_again(
    geom: GitRepo, capsys: pytest.CaptureFixture[str], go_builds: list[list[str]]
) -> None:
    old, new = CHANGES["pointer returned"][0]
    geom.write("geom/point.go", BASE.replace(old, new))
    assert text_run(geom, capsys)[0] == 1
    geom.write("geom/point.go", BASE.replace("return r", "return r // fixed"))
    go_builds.clear()
    assert text_run(geom, capsys)[0] == 0  # both sides asked for -m=2, none needed
    assert flags(go_builds) == ["m=2", "m=2"]
    go_builds.clear()
    geom.write("geom/point.go", BASE.replace("return r", "return r // fixed again"))
    assert text_run(geom, capsys)[0] == 0
    assert flags(go_builds) == ["m"]
