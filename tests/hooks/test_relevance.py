"""Each finding's cold path and hotness (pure)."""

from __future__ import annotations

import pytest
from goescape import coldpaths, functions, relevance
from goescape.escapes import ESCAPES, Escape
from goescape.functions import FunctionId
from goescape.outcome import NEW, UNCHANGED, Finding
from goescape.profile import ProfileTable

SOURCE = b"""package geom

import "fmt"

func Hot(n int) string {
	return fmt.Sprint(n)
}

func Fail(n int) {
	if n < 0 {
		panic(fmt.Sprint(n))
	}
}
"""
PKG = "example.com/m/geom"


def finding(name: str, line: int, col: int, state: str = NEW) -> Finding:
    return Finding(
        function=FunctionId(PKG, "", name),
        display=name,
        escape=Escape(PKG, "geom/geom.go", line, col, ESCAPES, "n", "n escapes to heap"),
        state=state,
        induced=False,
        suppressed=None,
        before=0,
        after=1,
        ordinal=0,
        new_function=False,
        inlined_from=None,
    )


def span(path: str, line: int) -> tuple[int, int] | None:
    gofile = functions.parse_go(SOURCE)
    return next(
        (
            (d.start_line, d.end_line)
            for d in gofile.functions
            if d.start_line <= line <= d.end_line
        ),
        None,
    )


def test_cold_and_hot_by_declaration(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[bytes] = []
    real = coldpaths.cold_reasons

    def counting(source: bytes, positions: object) -> dict[tuple[int, int], str]:
        parsed.append(source)
        return real(source, positions)  # type: ignore[arg-type]

    monkeypatch.setattr(coldpaths, "cold_reasons", counting)
    hot, cold, old = (
        finding("Hot", 6, 20),
        finding("Fail", 11, 20),
        finding("Hot", 6, 20, UNCHANGED),
    )
    out = relevance.annotate([hot, cold, old], lambda p: SOURCE, lambda p: "geom", None, span)
    assert [(f.display, f.cold, f.hotness) for f in out] == [
        ("Hot", "", None),
        ("Fail", "panic argument", None),
        ("Hot", "", None),
    ]
    # Only Fail's declaration, which can hold a cold shape, was parsed, at its own lines.
    (fragment,) = parsed
    assert fragment.startswith(b"\n" * 8 + b"func Fail(n int) {")


def test_hotness_and_main_packages() -> None:
    table = ProfileTable(
        10,
        {
            FunctionId(PKG, "", "Hot"): 4,
            FunctionId("main", "", "Hot"): 9,
        },
    )
    (f,) = relevance.annotate([finding("Hot", 6, 20)], lambda p: SOURCE, lambda p: "geom", table)
    assert f.hotness == 0.4
    # A program names its main package's functions main.F (a test binary by import path).
    (f,) = relevance.annotate([finding("Hot", 6, 20)], lambda p: SOURCE, lambda p: "main", table)
    assert f.hotness == 0.9
    (f,) = relevance.annotate([finding("Gone", 6, 20)], lambda p: SOURCE, lambda p: "geom", table)
    assert f.hotness == 0.0
