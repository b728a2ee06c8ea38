"""The compiler's inlining lines: which functions can be inlined, where callees were inlined."""

from __future__ import annotations

import pytest
from goescape import inlining
from goescape.inlining import CALL, CAN, Mark

TEXT = """\
# example.com/m/util
util/util.go:5:6: can inline TabWidth with cost 6 as: func(int) int { return 4 - n % 4 }
util/util.go:13:6: can inline (*Point).Scale with cost 4 as: method(*Point) func(int) { p.X *= k }
util/util.go:10:9: &Point{...} escapes to heap
util/util.go:20:6: cannot inline Long: function too complex: cost 81 exceeds budget 80
# example.com/m/text [example.com/m/text.test]
text/reader.go:5:6: can inline Width
text/reader.go:5:45: inlining call to util.TabWidth
text/reader.go:9:9: inlining call to util.(*Point).Scale
text/reader.go:12:2: x escapes to heap: can inline Fake
shapes.tmpl:10: can inline Template with cost 3 as: func(int) *int { return &x }
/usr/local/go/src/cmp/cmp.go:63:6: can inline cmp.isNaN[go.shape.int] with cost 4 as: func() {}
"""


def test_scan_reads_both_kinds_with_their_package() -> None:
    assert inlining.scan(TEXT) == [
        Mark("example.com/m/util", "util/util.go", 5, 6, CAN, "TabWidth"),
        Mark("example.com/m/util", "util/util.go", 13, 6, CAN, "(*Point).Scale"),
        Mark("example.com/m/text", "text/reader.go", 5, 6, CAN, "Width"),
        Mark("example.com/m/text", "text/reader.go", 5, 45, CALL, "util.TabWidth"),
        Mark("example.com/m/text", "text/reader.go", 9, 9, CALL, "util.(*Point).Scale"),
        Mark("example.com/m/text", "shapes.tmpl", 10, 0, CAN, "Template"),
        Mark(
            "example.com/m/text",
            "/usr/local/go/src/cmp/cmp.go",
            63,
            6,
            CAN,
            "cmp.isNaN[go.shape.int]",
        ),
    ]


@pytest.mark.parametrize(
    ("printed", "bare"),
    [
        ("TabWidth", "TabWidth"),
        ("util.TabWidth", "TabWidth"),
        ("(*Point).Scale", "Scale"),
        ("Point.Add", "Add"),
        ("util.(*Point).Scale", "Scale"),
        ("Map[go.shape.int]", "Map"),
        ("slices.Sort[go.shape.[]int,go.shape.int]", "Sort"),
        ("(*List[go.shape.int]).Push", "Push"),
        ("Counter.func1", "func1"),
        ("init.func1", "func1"),
    ],
)
def test_bare_name(printed: str, bare: str) -> None:
    assert inlining.bare_name(printed) == bare


# How `can inline` prints functions (with -m; -m=2 adds ` with cost N as: <body>`), and
# the (receiver, name) each is.
PRINTED = [
    ("TabWidth", ("", "TabWidth")),
    ("(*Point).Scale", ("Point", "Scale")),
    ("Point.Add", ("Point", "Add")),
    ("Map[go.shape.int]", ("", "Map")),
    ("Sort[go.shape.[]int,go.shape.int]", ("", "Sort")),
    ("(*List[go.shape.int]).Push", ("List", "Push")),
    ("(*List[go.shape.struct { X int }]).Push", ("List", "Push")),
    ("List[go.shape.int].Len", ("List", "Len")),
    ("Counter.func1", ("", "Counter")),  # a closure of Counter: not Counter itself
    ("TabWidthLong", ("", "TabWidthLong")),
]
FUNCTIONS = sorted({f for _, f in PRINTED} | {("Point", "Push"), ("", "Scale"), ("", "Width")})


@pytest.mark.parametrize(("printed", "itself"), PRINTED)
@pytest.mark.parametrize("cost", ["", " with cost 12 as: func() int { return x.Push(TabWidth) }"])
@pytest.mark.parametrize("function", FUNCTIONS)
def test_may_inline(
    printed: str, itself: tuple[str, str], cost: str, function: tuple[str, str]
) -> None:
    """Yes for the function printed, no for any other (a closure is not its function)."""
    text = f"# example.com/m/util\nutil/util.go:3:6: can inline {printed}{cost}\n"
    expected = function == itself and not printed.endswith(".func1")
    assert inlining.may_inline([function], [text]) == expected
    assert inlining.may_inline([function, ("", "Other")], ["", text]) == expected


def test_may_inline_reads_only_can_inline_lines() -> None:
    text = "util/util.go:9:6: inlining call to TabWidth\nutil/util.go:3:6: TabWidth does not escape"
    assert not inlining.may_inline([("", "TabWidth")], [text])
    assert inlining.may_inline([("", "TabWidth")], [text, "x.go:1:6: can inline TabWidth"])
    assert not inlining.may_inline([], [text, "x.go:1:6: can inline TabWidth"])


@pytest.mark.parametrize(
    ("printed", "parts"),
    [
        ("TabWidth", ("", "", "TabWidth")),
        ("util.TabWidth", ("util", "", "TabWidth")),
        ("(*Point).Scale", ("", "Point", "Scale")),
        ("geom.Point.Add", ("geom.Point", "", "Add")),
        ("util.(*Point).Scale", ("util", "Point", "Scale")),
        ("Max[go.shape.int]", ("", "", "Max")),
        ("(*List[go.shape.int]).Push", ("", "List", "Push")),
        ("Map[go.shape.struct { X int },go.shape.func() int]", ("", "", "Map")),
        ("F.func1", ("F", "", "func1")),
    ],
)
def test_split_name(printed: str, parts: tuple[str, str, str]) -> None:
    assert inlining.split_name(printed) == parts
