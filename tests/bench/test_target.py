"""The benchmark's fresh edit of one function of any package (tests/bench/target.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench import target

SOURCE = """package geom

type Point struct{ X int }

type List[T any] struct{ xs []T }

func (p *Point) Scale(k int) { p.X *= k }

func (p Point) Add(q Point) Point {
	return Point{p.X + q.X}
}

func (l *List[T]) Push(x T) { l.xs = append(l.xs, x) }

func Map[T any](x T) T { return x }

func Scale(n int) int { return n }
"""


@pytest.fixture
def package(tmp_path: Path) -> Path:
    (tmp_path / "geom.go").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "geom_test.go").write_text("package geom\n\nfunc Add() {}\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("spec", "line"),
    [
        ("(*Point).Scale", 7),
        ("Point.Scale", 7),
        ("Point.Add", 9),
        ("(*List[T]).Push", 13),
        ("List.Push", 13),
        ("Map", 15),
        ("Scale", 17),
    ],
)
def test_find_and_edit(package: Path, spec: str, line: int) -> None:
    fn = target.find(package, spec)
    assert fn.line == line
    fn.edit(41)
    edited = (package / "geom.go").read_text(encoding="utf-8").split("\n")
    assert edited[line] == "\t_ = 41"  # the body's first statement, on a line of its own
    fn.edit(42, escape=True)
    edited = (package / "geom.go").read_text(encoding="utf-8").split("\n")
    assert edited[line] == f"\t_ = make([]byte, {(1 << 20) + 42})"
    fn.restore()
    assert (package / "geom.go").read_text(encoding="utf-8") == SOURCE


@pytest.mark.parametrize("spec", ["Missing", "Point.Missing", "(*Other).Scale", ".Scale"])
def test_a_function_not_declared_once_is_an_error(package: Path, spec: str) -> None:
    with pytest.raises(ValueError, match=r"declarations|name a function"):
        target.find(package, spec)
