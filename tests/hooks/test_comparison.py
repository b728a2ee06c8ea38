"""The comparison of base and head escapes, on plain records."""

from __future__ import annotations

import pytest
from goescape.comparison import Declaration, Sides, compare
from goescape.escapes import ESCAPES, LEAK, MOVED, Escape
from goescape.functions import FunctionId, IgnoreComment
from goescape.outcome import ABSENT, NEW, UNCHANGED, Location

PKG = "example.com/m/geom"
ADD = FunctionId(PKG, "Point", "Add")
SHOW = FunctionId(PKG, "", "Show")
CALLER = FunctionId(PKG, "", "Caller")
DECLS = {
    ADD: Declaration("(*Point).Add", "geom/point.go", 5),
    SHOW: Declaration("Show", "geom/show.go", 3),
    CALLER: Declaration("Caller", "geom/caller.go", 3),
}


def esc(line: int, message: str, path: str = "geom/point.go", inlined: str = "") -> Escape:
    if message.startswith("moved to heap: "):
        kind, expr = MOVED, message.removeprefix("moved to heap: ")
    elif message.startswith("leaking param: "):
        kind, expr = LEAK, message.removeprefix("leaking param: ")
    else:
        kind, expr = ESCAPES, message.removesuffix(" escapes to heap")
    return Escape(PKG, path, line, 2, kind, expr, message, (), inlined)


def run(
    head: list[tuple[FunctionId, Escape]],
    base: list[tuple[FunctionId, Escape]],
    *,
    touched: tuple[FunctionId, ...] = (ADD,),
    added: dict[str, set[int]] | None = None,
    ignores: dict[tuple[str, int], str] | None = None,
    count_leaks: bool = False,
    base_decls: dict[FunctionId, Declaration] | None = None,
) -> list[tuple[str, int, str, str, int]]:
    def suppression(path: str, line: int) -> IgnoreComment | None:
        reason = (ignores or {}).get((path, line))
        return None if reason is None else IgnoreComment(line - 1, reason)

    findings, _, _ = compare(
        Sides(head, base, DECLS, DECLS if base_decls is None else base_decls),
        touched={f: DECLS[f].path for f in touched},
        added_lines={p: frozenset(lines) for p, lines in (added or {}).items()},
        suppression=suppression,
        count_leaks=count_leaks,
    )
    return [(f.state, f.escape.line, f.escape.message, f.display, f.ordinal) for f in findings]


@pytest.mark.parametrize(
    ("head", "base", "added", "expected"),
    [
        pytest.param(
            [(ADD, esc(7, "moved to heap: r"))],
            [],
            {"geom/point.go": {7}},
            [(NEW, 7, "moved to heap: r", "(*Point).Add", 0)],
            id="pointer-return-is-new",
        ),
        pytest.param(
            [(ADD, esc(17, "moved to heap: r"))],
            [(ADD, esc(7, "moved to heap: r"))],
            {"geom/point.go": {3, 4}},
            [(UNCHANGED, 17, "moved to heap: r", "(*Point).Add", 0)],
            id="line-shift-is-unchanged",
        ),
        pytest.param(
            [(ADD, esc(6, "x escapes to heap")), (ADD, esc(8, "x escapes to heap"))],
            [(ADD, esc(6, "x escapes to heap"))],
            {"geom/point.go": {8}},
            [
                (UNCHANGED, 6, "x escapes to heap", "(*Point).Add", 0),
                (NEW, 8, "x escapes to heap", "(*Point).Add", 1),
            ],
            id="one-more-of-the-same-text-is-the-added-line",
        ),
        pytest.param(
            [(ADD, esc(6, "x escapes to heap")), (ADD, esc(8, "x escapes to heap"))],
            [(ADD, esc(8, "x escapes to heap"))],
            {"geom/point.go": {6}},
            [
                (NEW, 6, "x escapes to heap", "(*Point).Add", 1),
                (UNCHANGED, 8, "x escapes to heap", "(*Point).Add", 0),
            ],
            id="added-above-keeps-the-old-ordinal",
        ),
        pytest.param(
            [],
            [(ADD, esc(7, "moved to heap: r"))],
            {"geom/point.go": {7}},
            [(ABSENT, 7, "moved to heap: r", "(*Point).Add", 0)],
            id="removed-is-absent",
        ),
        pytest.param(
            [(ADD, esc(7, "moved to heap: s"))],
            [(ADD, esc(7, "moved to heap: r"))],
            {"geom/point.go": {7}},
            [
                (ABSENT, 7, "moved to heap: r", "(*Point).Add", 0),
                (NEW, 7, "moved to heap: s", "(*Point).Add", 0),
            ],
            id="renamed-variable-is-new-and-absent",
        ),
        pytest.param(
            [(ADD, esc(7, '"add" escapes to heap')), (ADD, esc(7, "42 escapes to heap"))],
            [],
            {"geom/point.go": {7}},
            [],
            id="boxed-literals-allocate-nothing",
        ),
        pytest.param(
            [(ADD, esc(7, "moved to heap: r", path="geom/moved.go"))],
            [(ADD, esc(12, "moved to heap: r"))],
            {"geom/moved.go": {1, 2, 3, 4, 5, 6, 7, 8}},
            [(UNCHANGED, 7, "moved to heap: r", "(*Point).Add", 0)],
            id="moved-to-another-file",
        ),
    ],
)
def test_matching(
    head: list[tuple[FunctionId, Escape]],
    base: list[tuple[FunctionId, Escape]],
    added: dict[str, set[int]],
    expected: list[tuple[str, int, str, str, int]],
) -> None:
    assert run(head, base, added=added) == expected


def test_untouched_function_reports_only_new_escapes_as_induced() -> None:
    findings, summaries, _ = compare(
        Sides(
            [
                (CALLER, esc(5, "moved to heap: p", "geom/caller.go")),
                (SHOW, esc(4, "x escapes to heap", "geom/show.go")),
            ],
            [(SHOW, esc(4, "x escapes to heap", "geom/show.go"))],
            DECLS,
            DECLS,
        ),
        touched={ADD: "geom/point.go"},
        added_lines={},
        suppression=lambda path, line: None,
        count_leaks=False,
    )
    assert [(f.display, f.state, f.induced) for f in findings] == [("Caller", NEW, True)]
    assert [(s.display, s.changed, s.new) for s in summaries] == [
        ("Caller", False, 1),
        ("(*Point).Add", True, 0),
    ]


def test_counts_before_and_after_and_new_function() -> None:
    findings, summaries, _ = compare(
        Sides([(SHOW, esc(4, "x escapes to heap", "geom/show.go"))], [], DECLS, {}),
        touched={SHOW: "geom/show.go"},
        added_lines={"geom/show.go": frozenset({4})},
        suppression=lambda path, line: None,
        count_leaks=False,
    )
    assert [(f.before, f.after, f.new_function) for f in findings] == [(0, 1, True)]
    assert [(s.before, s.after, s.new, s.new_function) for s in summaries] == [(0, 1, 1, True)]


@pytest.mark.parametrize(("count_leaks", "after", "new"), [(False, 1, 1), (True, 2, 2)])
def test_leaks_count_only_when_asked(count_leaks: bool, after: int, new: int) -> None:
    _, summaries, _ = compare(
        Sides(
            [(ADD, esc(7, "moved to heap: r")), (ADD, esc(5, "leaking param: q"))],
            [],
            DECLS,
            DECLS,
        ),
        touched={ADD: "geom/point.go"},
        added_lines={"geom/point.go": frozenset({5, 7})},
        suppression=lambda path, line: None,
        count_leaks=count_leaks,
    )
    assert [(s.after, s.new) for s in summaries] == [(after, new)]


@pytest.mark.parametrize(
    ("reason", "warnings", "suppressed"),
    [
        ("pooled on purpose", [], "pooled on purpose"),
        ("", ["geom/point.go:6: //goescape:ignore without a reason"], ""),
    ],
)
def test_suppression(reason: str, warnings: list[str], suppressed: str) -> None:
    findings, summaries, found_warnings = compare(
        Sides([(ADD, esc(7, "moved to heap: r"))], [], DECLS, DECLS),
        touched={ADD: "geom/point.go"},
        added_lines={"geom/point.go": frozenset({7})},
        suppression=lambda path, line: IgnoreComment(line - 1, reason),
        count_leaks=False,
    )
    assert [f.suppressed for f in findings] == [suppressed]
    assert found_warnings == warnings
    assert [s.new for s in summaries] == [0]


@pytest.mark.parametrize(
    ("inlined", "expected"),
    [
        ("(*Point).Add", Location("geom/point.go", 5, 1)),
        ("Show.func1", Location("geom/show.go", 3, 1)),
        ("fmt.Println", None),
        ("", None),
    ],
)
def test_inlined_callee_location(inlined: str, expected: Location | None) -> None:
    findings, _, _ = compare(
        Sides(
            [(CALLER, esc(5, "&Point{} escapes to heap", "geom/caller.go", inlined))],
            [],
            DECLS,
            DECLS,
        ),
        touched={CALLER: "geom/caller.go"},
        added_lines={},
        suppression=lambda path, line: None,
        count_leaks=False,
    )
    assert [f.inlined_from for f in findings] == [expected]
