from __future__ import annotations

import re
import subprocess
import textwrap
from pathlib import Path

import pytest
from goescape.functions import (
    INIT,
    FunctionDecl,
    GoFile,
    IgnoreComment,
    display_name,
    function_at,
    parse_go,
    suppression_for,
    touched_functions,
)


def go(text: str) -> bytes:
    return textwrap.dedent(text).lstrip("\n").encode()


def summary(fn: FunctionDecl) -> tuple[str, str, bool, tuple[str, ...], int, int, int]:
    return (
        fn.receiver,
        fn.name,
        fn.pointer_receiver,
        fn.type_params,
        fn.doc_start_line,
        fn.start_line,
        fn.end_line,
    )


# --- declarations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            "package p\n\nfunc Show() {}\n",
            [("", "Show", False, (), 3, 3, 3)],
            id="plain-function",
        ),
        pytest.param(
            "package p\n\nfunc (p *Point) Add(q Point) *Point {\n\treturn p\n}\n",
            [("Point", "Add", True, (), 3, 3, 5)],
            id="pointer-receiver",
        ),
        pytest.param(
            'package p\n\nfunc (p Point) String() string { return "" }\n',
            [("Point", "String", False, (), 3, 3, 3)],
            id="value-receiver",
        ),
        pytest.param(
            "package p\n\nfunc (l *List[T]) Push(v T) {}\n",
            [("List", "Push", True, ("T",), 3, 3, 3)],
            id="generic-pointer-receiver",
        ),
        pytest.param(
            "package p\n\nfunc (m Map[K, V]) Get(k K) V { var v V; return v }\n",
            [("Map", "Get", False, ("K", "V"), 3, 3, 3)],
            id="generic-value-receiver-two-params",
        ),
        pytest.param(
            "package p\n\nfunc (Map[_, V]) Len() int { return 0 }\n",
            [("Map", "Len", False, ("_", "V"), 3, 3, 3)],
            id="generic-unnamed-receiver-blank-param",
        ),
        pytest.param(
            "package p\n\nfunc (*T) A() {}\nfunc ((*T)) B() {}\nfunc (t *(T)) C() {}\n"
            "func (t (T)) D() {}\n",
            [
                ("T", "A", True, (), 3, 3, 3),
                ("T", "B", True, (), 4, 4, 4),
                ("T", "C", True, (), 5, 5, 5),
                ("T", "D", False, (), 6, 6, 6),
            ],
            id="unnamed-and-parenthesised-receivers",
        ),
        pytest.param(
            "package p\n\nfunc Map[T, U any](xs []T, f func(T) U) []U { return nil }\n",
            [("", "Map", False, (), 3, 3, 3)],
            id="generic-function",
        ),
        pytest.param(
            """
            package p

            // Outer has closures.
            func Outer() func() int {
            	f := func() func() int {
            		return func() int {
            			return 1
            		}
            	}
            	return f()
            }

            func After() {}
            """,
            [("", "Outer", False, (), 3, 4, 11), ("", "After", False, (), 13, 13, 13)],
            id="nested-closures",
        ),
        pytest.param(
            """
            package p

            // Doc line one.
            //
            // Doc line three.
            func A() {}

            // Detached: a blank line follows.

            func B() {}
            var x = 1 // trailing comment, not a doc comment
            func C() {}
            /*
            Block doc.
            */
            func D() {}
            //go:noinline
            func E() {}
            """,
            [
                ("", "A", False, (), 3, 6, 6),
                ("", "B", False, (), 10, 10, 10),
                ("", "C", False, (), 12, 12, 12),
                ("", "D", False, (), 13, 16, 16),
                ("", "E", False, (), 17, 18, 18),
            ],
            id="doc-comments",
        ),
        pytest.param(
            "package p\n\nfunc init() {}\n\nfunc init() {\n}\n\nfunc (T) init() {}\n",
            [
                ("", "init", False, (), 3, 3, 3),
                ("", "init", False, (), 5, 5, 6),
                ("T", "init", False, (), 8, 8, 8),
            ],
            id="init-functions",
        ),
        pytest.param(
            "package p\n\nfunc External(x int) int\n\nfunc After() {}\n",
            [("", "External", False, (), 3, 3, 3), ("", "After", False, (), 5, 5, 5)],
            id="body-less-declaration",
        ),
        pytest.param(
            "package p\r\n\r\n// Doc.\r\nfunc W() {\r\n}\r\n",
            [("", "W", False, (), 3, 4, 5)],
            id="crlf",
        ),
    ],
)
def test_declarations(source: str | bytes, expected: list[tuple[object, ...]]) -> None:
    data = go(source) if isinstance(source, str) else source
    parsed = parse_go(data)
    assert [summary(fn) for fn in parsed.functions] == expected
    assert parsed.package == "p"
    assert not parsed.syntax_error


@pytest.mark.parametrize(
    ("source", "names", "spans"),
    [
        pytest.param(
            """
            package p

            import "fmt"

            func A() {
            	fmt.Println("x"
            }

            func B() int { return 2 }
            """,
            ["A", "B"],
            [(5, 7), (9, 9)],
            id="unclosed-call",
        ),
        pytest.param(
            """
            package p

            func A() {
            	x := := 1
            }

            func (t *T) B() int { return 2 }
            """,
            ["A", "B"],
            [(3, 5), (7, 7)],
            id="bad-statement",
        ),
        pytest.param(
            """
            package p

            func A() {}

            func B( {

            func C() {}
            """,
            ["A", "B"],  # B's body is taken to be the `{` on its line, to the end
            [(3, 3), (5, 7)],
            id="broken-signature",
        ),
    ],
)
def test_syntax_errors_keep_what_recovery_finds(
    source: str, names: list[str], spans: list[tuple[int, int]]
) -> None:
    parsed = parse_go(go(source))
    assert parsed.syntax_error
    assert [fn.name for fn in parsed.functions] == names
    assert [(fn.start_line, fn.end_line) for fn in parsed.functions] == spans


def test_unclosed_function_at_end_of_file() -> None:
    parsed = parse_go(b"package p\n\nfunc A() {\n\tx := 1\n")
    assert parsed.syntax_error
    assert [summary(fn) for fn in parsed.functions] == [("", "A", False, (), 3, 3, 4)]


def test_unclosed_var_block_still_counts_as_initialisers() -> None:
    parsed = parse_go(b"package p\n\nvar (\n\ta = f()\n\nfunc F() {}\n")
    assert parsed.syntax_error
    assert parsed.init_spans == ((4, 4),)
    assert function_at(parsed, 4) == ("", INIT)
    assert [fn.name for fn in parsed.functions] == ["F"]


def test_nested_declarations_resolve_to_the_innermost() -> None:
    # Error recovery could leave a declaration inside another one's span.
    outer = FunctionDecl("", "A", False, 3, 20, 3, None)
    inner = FunctionDecl("T", "B", True, 8, 10, 7, IgnoreComment(7, "why"))
    gofile = GoFile("p", False, (outer, inner), (), (IgnoreComment(7, "why"),))
    assert [function_at(gofile, n) for n in (4, 7, 9, 11)] == [
        ("", "A"),
        ("T", "B"),
        ("T", "B"),
        ("", "A"),
    ]
    assert suppression_for(gofile, 9) == IgnoreComment(7, "why")
    assert suppression_for(gofile, 12) is None


# --- package, init spans, generated files -----------------------------------------------------


VARS = """
package p

import "strings"

var single = strings.Repeat("x", 2)

var (
	a = 1
	f = func() *int {
		x := 2
		return &x
	}
)

const c = 3

var zero int

type T struct{ p *int }

func F() {
	var local = 4
	const k = 5
	_ = local
}
"""


def test_init_spans_are_package_level_vars_with_values() -> None:
    parsed = parse_go(go(VARS))
    assert parsed.init_spans == ((5, 5), (7, 13))
    assert [fn.name for fn in parsed.functions] == ["F"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (1, None),  # package clause
        (3, None),  # import
        (5, ("", INIT)),
        (7, ("", INIT)),
        (11, ("", INIT)),  # inside a func literal of a var block
        (14, None),  # blank line
        (15, None),  # a constant runs no code
        (17, None),  # nor does a var without a value
        (19, None),  # type declaration
        (21, ("", "F")),
        (22, ("", "F")),  # a local var belongs to its function
        (25, ("", "F")),
        (26, None),  # past the end
    ],
)
def test_function_at_vars(line: int, expected: tuple[str, str] | None) -> None:
    assert function_at(parse_go(go(VARS)), line) == expected


@pytest.mark.parametrize(
    ("header", "generated"),
    [
        ("// Code generated by stringer -type=Pill; DO NOT EDIT.\n\n", True),
        ("// Code generated by protoc-gen-go. DO NOT EDIT.\n// source: a.proto\n\n", True),
        ("// Copyright 2024 X.\n\n//go:build linux\n\n// Code generated x DO NOT EDIT.\n", True),
        ("// Code generated  DO NOT EDIT.\n", True),  # `.*` may be empty between the spaces
        ("/*\n// Code generated by tool. DO NOT EDIT.\n*/\n", True),  # a line of a block comment
        ("\ufeff// Code generated by x. DO NOT EDIT.\n", True),  # after a byte order mark
        ("// Code generated by x. DO NOT EDIT.\r\n\r\n", True),  # CRLF file
        ("// Code generated by x. DO NOT EDIT\n", False),  # no final period
        ("// Code generated DO NOT EDIT.\n", False),  # needs " .* " between the parts
        ("//Code generated by x. DO NOT EDIT.\n", False),
        ("// code generated by x. DO NOT EDIT.\n", False),
        ("// Code generated by x. DO NOT EDIT. Really.\n", False),
        ("  // Code generated by x. DO NOT EDIT.\n", False),  # the line must start with //
        ("/* Code generated by x. DO NOT EDIT. */\n", False),
        ("// Generated code. DO NOT EDIT.\n", False),
        ("", False),
    ],
)
def test_generated_header(header: str, generated: bool) -> None:
    parsed = parse_go((header + "package p\n\nfunc F() {}\n").encode())
    assert parsed.generated is generated
    assert parsed.package == "p"


def test_generated_marker_after_package_clause_does_not_count() -> None:
    source = "package p\n\n// Code generated by x. DO NOT EDIT.\n\nfunc F() {}\n"
    assert not parse_go(source.encode()).generated
    source = "package p // Code generated by x. DO NOT EDIT.\n"
    assert not parse_go(source.encode()).generated


def test_missing_package_clause() -> None:
    parsed = parse_go(b"func F() {}\n")
    assert parsed.package == ""
    assert [fn.name for fn in parsed.functions] == ["F"]


# --- touched functions ------------------------------------------------------------------------

TOUCH = """
package p

import "fmt"

// A does a.
// More about A.
func A() {
	fmt.Println("a")
	fmt.Println("b")
}

func (p *P) B() {
	f := func() {
		fmt.Println("closure")
	}
	f()
}

var x = 1

func init() {
	x = 2
}

func init() {
	x = 3
}
"""


@pytest.mark.parametrize(
    ("added", "deleted_after", "expected"),
    [
        pytest.param({8}, set(), {("", "A")}, id="body-line"),
        pytest.param({5}, set(), {("", "A")}, id="doc-comment-line"),
        pytest.param({7}, set(), {("", "A")}, id="signature"),
        pytest.param({14}, set(), {("P", "B")}, id="inside-closure"),
        pytest.param({19}, set(), {("", INIT)}, id="package-var"),
        pytest.param({22}, set(), {("", INIT)}, id="first-init-func"),
        pytest.param({26}, set(), {("", INIT)}, id="second-init-func"),
        pytest.param({2, 3, 11, 18}, set(), set(), id="blank-and-import-lines"),
        pytest.param(set(), {8}, {("", "A")}, id="deleted-inside-body"),
        pytest.param(set(), {5}, {("", "A")}, id="deleted-inside-doc-comment"),
        pytest.param(set(), {7}, {("", "A")}, id="deleted-after-signature"),
        pytest.param(set(), {10}, set(), id="deleted-after-closing-brace"),
        pytest.param(set(), {4}, set(), id="deleted-before-doc-comment"),
        pytest.param(set(), {0}, set(), id="deleted-at-top"),
        pytest.param(set(), {12, 22}, {("P", "B"), ("", INIT)}, id="deleted-in-two"),
        pytest.param({1, 9, 16, 25}, {13}, {("", "A"), ("P", "B"), ("", INIT)}, id="everything"),
    ],
)
def test_touched_functions(
    added: set[int], deleted_after: set[int], expected: set[tuple[str, str]]
) -> None:
    parsed = parse_go(go(TOUCH))
    assert touched_functions(parsed, frozenset(added), frozenset(deleted_after)) == expected


def test_touched_functions_many_lines() -> None:
    source = "package p\n\n" + "".join(f"func F{i}() {{\n\t_ = {i}\n}}\n\n" for i in range(500))
    parsed = parse_go(source.encode())
    added = frozenset(range(1, 2003))
    touched = touched_functions(parsed, added, frozenset())
    assert len(touched) == 500


# --- ignore comments and suppression ----------------------------------------------------------

IGNORES = """
package p

// Noisy allocates on purpose.
//goescape:ignore pooled by the caller
func Noisy() *int {
	x := 1
	return &x
}

func Lines() (*int, *int) {
	a := 1 //goescape:ignore measured, cheap
	//goescape:ignore
	b := 2
	c := 3 //goescape:ignored not the directive
	// goescape:ignore written with a space
	d := 4
	e := 5 //goescape:ignore	tab separated reason
	return &a, &b
}

/* //goescape:ignore inside a block comment */
func Block() {}

func Explained() (*int, *int) {
	id := 1
	other := 2 /* goescape:ignore in a block comment */
	_ = &other
	return &id //goescape:ignore returned on purpose
}
"""


def test_ignore_comments() -> None:
    parsed = parse_go(go(IGNORES))
    assert parsed.ignores == (
        IgnoreComment(4, "pooled by the caller", True),
        IgnoreComment(11, "measured, cheap", False),
        IgnoreComment(12, "", True),
        IgnoreComment(15, "written with a space", True),
        IgnoreComment(17, "tab separated reason", False),
        IgnoreComment(26, "in a block comment", False),
        IgnoreComment(28, "returned on purpose", False),
    )
    assert parsed.not_markers == (
        IgnoreComment(
            14,
            "not the directive",
            False,
            "`goescape:ignored` is not a goescape marker (write `//goescape:ignore <reason>`)",
        ),
    )
    by_name = {fn.name: fn for fn in parsed.functions}
    assert by_name["Noisy"].ignored == IgnoreComment(4, "pooled by the caller", True)
    assert by_name["Lines"].ignored is None
    assert by_name["Block"].ignored is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (6, "pooled by the caller"),  # from the doc comment
        (7, "pooled by the caller"),
        (11, "measured, cheap"),  # trailing on the line
        (12, ""),  # the comment line itself
        (13, ""),  # alone on the line above
        (14, None),  # `ignored` is another word: a near miss, see below
        (16, "written with a space"),  # `// goescape:ignore` is honoured too
        (17, "tab separated reason"),
        (26, "in a block comment"),
        (18, None),  # a trailing comment on the line above covers only its own line
        (22, None),
        (2, None),
    ],
)
def test_suppression_for(line: int, reason: str | None) -> None:
    found = suppression_for(parse_go(go(IGNORES)), line)
    assert (found.reason if found is not None and not found.problem else None) == reason


def test_a_near_miss_is_returned_with_its_problem() -> None:
    found = suppression_for(parse_go(go(IGNORES)), 14)
    assert found is not None
    assert found.problem.startswith("`goescape:ignored` is not a goescape marker")


@pytest.mark.parametrize(
    ("line", "explained", "reason"),
    [
        # `moved to heap: id` is reported at the declaration; the marker is on the return.
        (25, [28], "returned on purpose"),
        (25, [], None),
        (25, [27], None),
        # A line of the explanation outside the function does not count.
        (6, [28], "pooled by the caller"),
        (13, [28], ""),
        (16, [11], "written with a space"),
        (18, [28], None),
    ],
)
def test_suppression_on_a_line_of_the_explanation(
    line: int, explained: list[int], reason: str | None
) -> None:
    found = suppression_for(parse_go(go(IGNORES)), line, explained)
    assert (found.reason if found is not None and not found.problem else None) == reason


# --- display names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("receiver", "name", "pointer", "type_params", "expected"),
    [
        ("", "Show", False, (), "Show"),
        ("Point", "Add", True, (), "(*Point).Add"),
        ("Point", "String", False, (), "Point.String"),
        ("", INIT, False, (), "init"),
        ("List", "Push", True, ("T",), "(*List[T]).Push"),
        ("Map", "Get", False, ("K", "V"), "Map[K,V].Get"),
    ],
)
def test_display_name(
    receiver: str, name: str, pointer: bool, type_params: tuple[str, ...], expected: str
) -> None:
    assert display_name(receiver, name, pointer, type_params) == expected


COMPILED = """
package p

type Point struct{ X int }

func (p *Point) Add(q Point) *Point { return &Point{p.X + q.X} }

func (p Point) String() string { return "p" }

func Show(p Point) any { return p }

var global = func() int { return 1 }()

func init() { global = 2 }
"""


@pytest.mark.slow
def test_display_names_match_the_compiler(any_go: Path, tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/p\n\ngo 1.21\n", encoding="utf-8")
    (tmp_path / "p.go").write_bytes(go(COMPILED))
    out = subprocess.run(
        ["go", "build", "-gcflags=-m", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    parsed = parse_go(go(COMPILED))
    ours = {
        fn.start_line: display_name(fn.receiver, fn.name, fn.pointer_receiver)
        for fn in parsed.functions
        if fn.name != INIT  # the compiler numbers them: init.0, init.1
    }
    theirs = {
        int(m[1]): m[2]
        for m in re.finditer(r"^\./p\.go:(\d+):\d+: can inline (\S+)$", out.stderr, re.M)
        if int(m[1]) in ours
    }
    assert theirs == ours
    assert sorted(ours.values()) == ["(*Point).Add", "Point.String", "Show"]


# --- speed ------------------------------------------------------------------------------------


def test_parsing_a_thousand_lines() -> None:
    body = "".join(
        f"// M{i} documents itself.\nfunc (r *R) M{i}(a int) *int {{\n"
        f"\tx := a + {i} // why\n\tf := func() {{ x++ }}\n\tf()\n\treturn &x\n}}\n\n"
        for i in range(125)
    )
    source = ("package big\n\n" + body).encode()
    assert source.count(b"\n") > 1000
    parsed = parse_go(source)
    assert len(parsed.functions) == 125
    assert isinstance(parsed, GoFile)


# --- types and imports: what tells a constant conversion from a call --------------------------


def test_types_and_imports() -> None:
    parsed = parse_go(
        go(
            """
            package p

            import (
            	tm "time"
            	"fmt"
            	_ "embed"
            )

            import "example.com/m/geom"

            type A int
            type (
            	B = string
            	C[T any] struct{}
            )

            func f() {
            	type local int
            	_ = local(1)
            }
            """
        )
    )
    assert parsed.types == frozenset({"A", "B", "C", "local"})
    assert parsed.imports == (
        ("tm", "time"),
        ("", "fmt"),
        ("_", "embed"),
        ("", "example.com/m/geom"),
    )
