"""The comparison of base and head escapes, on plain records."""

from __future__ import annotations

import pytest
from goescape.changes import FileChange, Hunk, LineMap
from goescape.comparison import Declaration, Sides, _renamed, compare
from goescape.escapes import ESCAPES, LEAK, MOVED, Escape, FlowStep
from goescape.functions import FunctionId, IgnoreComment
from goescape.outcome import ABSENT, CHANGED, NEW, UNCHANGED, Location

PKG = "example.com/m/geom"
ADD = FunctionId(PKG, "Point", "Add")
SHOW = FunctionId(PKG, "", "Show")
CALLER = FunctionId(PKG, "", "Caller")
NEWP = FunctionId(PKG, "", "NewPoint")
DECLS = {
    ADD: Declaration("(*Point).Add", "geom/point.go", 5),
    SHOW: Declaration("Show", "geom/show.go", 3),
    CALLER: Declaration("Caller", "geom/caller.go", 3),
    NEWP: Declaration("NewPoint", "geom/new.go", 3),
}
GO = "geom/point.go"


def esc(
    line: int,
    message: str,
    path: str = GO,
    inlined: str = "",
    col: int = 2,
    flow: tuple[FlowStep, ...] = (),
) -> Escape:
    if message.startswith("moved to heap: "):
        kind, expr = MOVED, message.removeprefix("moved to heap: ")
    elif message.startswith("leaking param: "):
        kind, expr = LEAK, message.removeprefix("leaking param: ")
    else:
        kind, expr = ESCAPES, message.removesuffix(" escapes to heap")
    return Escape(PKG, path, line, col, kind, expr, message, flow, inlined)


def diff(*hunks: tuple[int, int, int, int], path: str = GO, old: str = GO) -> LineMap:
    """The LineMap of one modified file with these `@@ -a,m +c,n @@` hunks."""
    added = {c + i for _, _, c, n in hunks for i in range(n)}
    change = FileChange(
        path, old, "M", frozenset(added), frozenset(), hunks=tuple(Hunk(*h) for h in hunks)
    )
    return LineMap([change])


Row = tuple[str, int, str, int, str]  # state, line, message, ordinal, previous message


def run(
    head: list[tuple[FunctionId, Escape]],
    base: list[tuple[FunctionId, Escape]],
    *,
    lines: LineMap | None = None,
    touched: tuple[FunctionId, ...] = (ADD,),
    added: dict[str, set[int]] | None = None,
) -> list[Row]:
    findings, _, _ = compare(
        Sides(head, base, DECLS, DECLS),
        touched={f: DECLS[f].path for f in touched},
        added_lines={p: frozenset(n) for p, n in (added or {}).items()},
        suppression=lambda escape: None,
        count_leaks=False,
        lines=lines,
    )
    return [
        (
            f.state,
            f.escape.line,
            f.escape.message,
            f.ordinal,
            f.previous.message if f.previous else "",
        )
        for f in findings
    ]


@pytest.mark.parametrize(
    ("head", "base", "lines", "expected"),
    [
        pytest.param(
            [(ADD, esc(7, "moved to heap: r"))],
            [],
            diff((6, 0, 7, 1)),
            [(NEW, 7, "moved to heap: r", 0, "")],
            id="pointer-return-is-new",
        ),
        pytest.param(
            [(ADD, esc(17, "moved to heap: r"))],
            [(ADD, esc(7, "moved to heap: r"))],
            diff((2, 0, 3, 10)),
            [(UNCHANGED, 17, "moved to heap: r", 0, "")],
            id="line-shift-is-unchanged",
        ),
        pytest.param(
            [(ADD, esc(6, "x escapes to heap")), (ADD, esc(8, "x escapes to heap"))],
            [(ADD, esc(6, "x escapes to heap"))],
            diff((7, 0, 8, 1)),
            [(UNCHANGED, 6, "x escapes to heap", 0, ""), (NEW, 8, "x escapes to heap", 1, "")],
            id="one-more-of-the-same-text-is-the-added-line",
        ),
        pytest.param(
            [(ADD, esc(6, "x escapes to heap")), (ADD, esc(8, "x escapes to heap"))],
            [(ADD, esc(7, "x escapes to heap"))],
            diff((5, 0, 6, 1)),
            [(NEW, 6, "x escapes to heap", 1, ""), (UNCHANGED, 8, "x escapes to heap", 0, "")],
            id="added-above-keeps-the-old-ordinal",
        ),
        pytest.param(
            [],
            [(ADD, esc(7, "moved to heap: r"))],
            diff((7, 1, 6, 0)),
            [(ABSENT, 7, "moved to heap: r", 0, "")],
            id="removed-is-absent",
        ),
        pytest.param(
            # `.autotmp_3` became `.autotmp_7`: a statement was added above, the line is not.
            [(ADD, esc(9, '"unknown type " + .autotmp_7.String() escapes to heap'))],
            [(ADD, esc(8, '"unknown type " + .autotmp_3.String() escapes to heap'))],
            diff((6, 0, 7, 1)),
            [(UNCHANGED, 9, '"unknown type " + .autotmp_7.String() escapes to heap', 0, "")],
            id="temporaries-are-not-matched-by-number",
        ),
        pytest.param(
            [(ADD, esc(9, "~r1 escapes to heap"))],
            [(ADD, esc(9, "~r0 escapes to heap"))],
            diff((3, 1, 3, 1)),
            [(UNCHANGED, 9, "~r1 escapes to heap", 0, "")],
            id="results-are-not-matched-by-number",
        ),
        pytest.param(
            [(ADD, esc(7, "moved to heap: ptr"))],
            [(ADD, esc(7, "moved to heap: p"))],
            diff((7, 2, 7, 2)),
            [(UNCHANGED, 7, "moved to heap: ptr", 0, "")],
            id="renamed-variable-is-the-same-escape",
        ),
        pytest.param(
            [(ADD, esc(8, "ptr.X escapes to heap"))],
            [(ADD, esc(7, "p.X escapes to heap"))],
            diff((7, 1, 7, 2)),
            [(UNCHANGED, 8, "ptr.X escapes to heap", 0, "")],
            id="renamed-in-an-expression-is-the-same-escape",
        ),
        pytest.param(
            [(ADD, esc(7, "make([]string, 0, n) escapes to heap"))],
            [(ADD, esc(7, "[]string{} escapes to heap"))],
            diff((7, 1, 7, 1)),
            [(CHANGED, 7, "make([]string, 0, n) escapes to heap", 0, "[]string{} escapes to heap")],
            id="re-expressed-is-changed",
        ),
        pytest.param(
            [(ADD, esc(7, "p.Y escapes to heap"))],
            [(ADD, esc(7, "p.X escapes to heap"))],
            diff((7, 1, 7, 1)),
            [(CHANGED, 7, "p.Y escapes to heap", 0, "p.X escapes to heap")],
            id="another-field-is-changed-not-renamed",
        ),
        pytest.param(
            [(ADD, esc(7, "&Point{} escapes to heap"))],
            [(ADD, esc(7, "moved to heap: p"))],
            diff((7, 1, 7, 1)),
            [
                (NEW, 7, "&Point{} escapes to heap", 0, ""),
                (ABSENT, 7, "moved to heap: p", 0, ""),
            ],
            id="another-kind-is-new",
        ),
        pytest.param(
            # Two changed lines swapped places: the same escapes in the same hunk.
            [
                (ADD, esc(7, "make([]int, n) escapes to heap")),
                (ADD, esc(8, "&T{} escapes to heap")),
            ],
            [
                (ADD, esc(7, "&T{} escapes to heap")),
                (ADD, esc(8, "make([]int, n) escapes to heap")),
            ],
            diff((7, 2, 7, 2)),
            [
                (UNCHANGED, 7, "make([]int, n) escapes to heap", 0, ""),
                (UNCHANGED, 8, "&T{} escapes to heap", 0, ""),
            ],
            id="lines-swapped-in-a-hunk",
        ),
        pytest.param(
            # `fmt.Println(p)` became `fmt.Println(q)` on line 5, and line 9 adds `fmt.Println(p)`:
            # the one on the added line is the new one.
            [(ADD, esc(5, "q escapes to heap")), (ADD, esc(9, "p escapes to heap"))],
            [(ADD, esc(5, "p escapes to heap"))],
            diff((5, 1, 5, 1), (8, 0, 9, 1)),
            [(UNCHANGED, 5, "q escapes to heap", 0, ""), (NEW, 9, "p escapes to heap", 0, "")],
            id="a-rename-at-its-place-before-the-same-text-elsewhere",
        ),
        pytest.param(
            # A line moved down: removed at 5, added at 12.
            [(ADD, esc(12, "&T{} escapes to heap"))],
            [(ADD, esc(5, "&T{} escapes to heap"))],
            diff((5, 1, 4, 0), (12, 0, 12, 1)),
            [(UNCHANGED, 12, "&T{} escapes to heap", 0, "")],
            id="moved-line",
        ),
        pytest.param(
            [(ADD, esc(7, "moved to heap: r", path="geom/moved.go"))],
            [(ADD, esc(12, "moved to heap: r"))],
            diff((10, 5, 9, 0)),
            [(UNCHANGED, 7, "moved to heap: r", 0, "")],
            id="moved-to-another-file",
        ),
        pytest.param(
            [(ADD, esc(7, "moved to heap: s"))],
            [(ADD, esc(7, "moved to heap: r"))],
            None,
            [(ABSENT, 7, "moved to heap: r", 0, ""), (NEW, 7, "moved to heap: s", 0, "")],
            id="without-the-diff-only-the-text-matches",
        ),
        pytest.param(
            [(ADD, esc(7, '"add" escapes to heap')), (ADD, esc(7, "42 escapes to heap"))],
            [],
            diff((7, 0, 7, 1)),
            [],
            id="boxed-literals-allocate-nothing",
        ),
        pytest.param(
            [
                (ADD, esc(7, "int64(5) escapes to heap")),
                (ADD, esc(7, "(1 + 2i) escapes to heap")),
                (
                    ADD,
                    esc(
                        7,
                        '"fx: Check was called with a negative number, which this package neve...'
                        " escapes to heap",
                    ),
                ),
                (ADD, esc(7, "itemType(15) escapes to heap")),
                (ADD, esc(7, "string(b) escapes to heap")),
            ],
            [],
            diff((7, 0, 7, 1)),
            # Without the source, `T(15)` may be a call: only predeclared types are known.
            [
                (NEW, 7, "itemType(15) escapes to heap", 0, ""),
                (NEW, 7, "string(b) escapes to heap", 0, ""),
            ],
            id="constants-by-their-printed-shape",
        ),
    ],
)
def test_matching(
    head: list[tuple[FunctionId, Escape]],
    base: list[tuple[FunctionId, Escape]],
    lines: LineMap | None,
    expected: list[Row],
) -> None:
    assert run(head, base, lines=lines) == expected


def test_counts_add_up() -> None:
    # base: 4 heap escapes; head: 1 unchanged, 1 renamed, 1 changed, 1 removed, 2 new.
    head = [
        (ADD, esc(5, "x escapes to heap")),
        (ADD, esc(6, "moved to heap: q")),
        (ADD, esc(7, "make([]int, n) escapes to heap")),
        (ADD, esc(10, "&T{} escapes to heap")),
        (ADD, esc(11, "moved to heap: z")),
    ]
    base = [
        (ADD, esc(5, "x escapes to heap")),
        (ADD, esc(6, "moved to heap: p")),
        (ADD, esc(7, "[]int{} escapes to heap")),
        (ADD, esc(8, "new(T) escapes to heap")),
    ]
    lines = diff((6, 3, 6, 2), (9, 0, 8, 4))
    findings, summaries, _ = compare(
        Sides(head, base, DECLS, DECLS),
        touched={ADD: GO},
        added_lines={GO: frozenset({6, 7, 8, 9, 10, 11})},
        suppression=lambda escape: None,
        count_leaks=False,
        lines=lines,
    )
    states = [f.state for f in findings]
    [summary] = summaries
    assert (summary.before, summary.after) == (4, 5)
    assert summary.before == states.count(UNCHANGED) + states.count(CHANGED) + states.count(ABSENT)
    assert summary.after == states.count(UNCHANGED) + states.count(CHANGED) + states.count(NEW)
    assert sorted(states) == sorted([UNCHANGED, UNCHANGED, CHANGED, ABSENT, NEW, NEW])


@pytest.mark.parametrize(
    ("old", "new", "renamed"),
    [
        ("p", "ptr", True),
        ("p.X", "ptr.X", True),
        ("p.X", "p.Y", False),
        ("a + b", "b + a", True),
        ("a + b", "b + b", False),
        ("&Point{...}", "&Vec{...}", True),
        ("[]string{}", "make([]string, 0, n)", False),
        ("fmt.Sprint(a)", "fmt.Sprintf(a)", False),
        ("make([]byte, n)", "new([]byte, n)", False),
        ('"a" + s', '"b" + s', False),
        (".autotmp_.String()", ".autotmp_.String()", True),
        ("func literal", "... argument", False),
    ],
)
def test_renamed(old: str, new: str, renamed: bool) -> None:
    assert _renamed(old, new) is renamed


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
        touched={ADD: GO},
        added_lines={},
        suppression=lambda escape: None,
        count_leaks=False,
        lines=LineMap([]),
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
        suppression=lambda escape: None,
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
        touched={ADD: GO},
        added_lines={GO: frozenset({5, 7})},
        suppression=lambda escape: None,
        count_leaks=count_leaks,
    )
    assert [(s.after, s.new) for s in summaries] == [(after, new)]


@pytest.mark.parametrize(
    ("marker", "warnings", "suppressed"),
    [
        (IgnoreComment(6, "pooled on purpose"), [], "pooled on purpose"),
        (IgnoreComment(6, ""), ["geom/point.go:6: //goescape:ignore without a reason"], ""),
        (
            IgnoreComment(6, "x", problem="`goescape:ignored` is not a goescape marker"),
            ["geom/point.go:6: `goescape:ignored` is not a goescape marker"],
            None,
        ),
    ],
)
def test_suppression(marker: IgnoreComment, warnings: list[str], suppressed: str | None) -> None:
    findings, summaries, found_warnings = compare(
        Sides([(ADD, esc(7, "moved to heap: r"))], [], DECLS, DECLS),
        touched={ADD: GO},
        added_lines={GO: frozenset({7})},
        suppression=lambda escape: marker,
        count_leaks=False,
    )
    assert [f.suppressed for f in findings] == [suppressed]
    assert found_warnings == warnings
    assert [s.new for s in summaries] == [0 if suppressed is not None else 1]


def _marker_at(path: str, line: int):  # type: ignore[no-untyped-def]
    def suppression(escape: Escape) -> IgnoreComment | None:
        if (escape.path, escape.line) == (path, line):
            return IgnoreComment(line, "small, returned")
        return None

    return suppression


@pytest.mark.parametrize(
    ("caller", "callee", "marker", "suppressed"),
    [
        pytest.param(
            esc(8, "moved to heap: p", "geom/caller.go", inlined="NewPoint"),
            esc(4, "moved to heap: p", "geom/new.go"),
            ("geom/new.go", 4),
            "small, returned",
            id="marker-on-the-callee-line",
        ),
        pytest.param(
            esc(8, "moved to heap: geom.p", "app/app.go", inlined="geom.NewPoint"),
            esc(4, "moved to heap: p", "geom/new.go"),
            ("geom/new.go", 4),
            "small, returned",
            id="callee-in-another-package",
        ),
        pytest.param(
            esc(8, "moved to heap: p", "geom/caller.go", inlined="NewPoint"),
            esc(5, "moved to heap: p", "geom/new.go"),
            ("geom/new.go", 3),
            "small, returned",
            id="marker-on-the-callee-declaration",
        ),
        pytest.param(
            esc(8, "moved to heap: q", "geom/caller.go", inlined="NewPoint"),
            esc(4, "moved to heap: p", "geom/new.go"),
            ("geom/new.go", 4),
            None,
            id="another-escape-of-the-callee",
        ),
        pytest.param(
            esc(8, "moved to heap: p", "geom/caller.go"),
            esc(4, "moved to heap: p", "geom/new.go"),
            ("geom/new.go", 4),
            None,
            id="not-inlined",
        ),
    ],
)
def test_marker_on_an_inlined_callee_covers_its_callers(
    caller: Escape, callee: Escape, marker: tuple[str, int], suppressed: str | None
) -> None:
    app = FunctionId("example.com/m/app", "", "Use")
    function = app if caller.path.startswith("app/") else CALLER
    decls = {**DECLS, app: Declaration("Use", "app/app.go", 3)}
    findings, _, _ = compare(
        Sides([(function, caller), (NEWP, callee)], [], decls, decls),
        touched={function: caller.path},
        added_lines={caller.path: frozenset({8})},
        suppression=_marker_at(*marker),
        count_leaks=False,
    )
    [finding] = [f for f in findings if f.function == function]
    assert finding.suppressed == suppressed


@pytest.mark.parametrize(
    ("inlined", "expected"),
    [
        ("(*Point).Add", Location(GO, 5, 1)),
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
        suppression=lambda escape: None,
        count_leaks=False,
    )
    assert [f.inlined_from for f in findings] == [expected]
