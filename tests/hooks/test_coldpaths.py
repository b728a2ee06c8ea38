"""Cold paths: tables of real shapes, both ways, at the positions the compiler prints."""

from __future__ import annotations

import re
import subprocess
import textwrap

import pytest
from goescape import coldpaths
from goescape.escapes import HEAP_KINDS, Escape, parse

# Each shape: one function (imports shared), and for each heap escape the compiler reports
# in it, by its message, the reason goescape must give ("" = an ordinary, hot path).
COLD_SHAPES = [
    pytest.param(
        """
        func PanicSprintf(n int) {
        	if n < 0 {
        		panic(fmt.Sprintf("negative %d", n))
        	}
        }
        """,
        {
            'fmt.Sprintf("negative %d", ... argument...) escapes to heap': "panic argument",
            "n escapes to heap": "panic argument",
        },
        id="panic(fmt.Sprintf(...))",
    ),
    pytest.param(
        """
        func PanicValue(n int) {
        	panic(n)
        }
        """,
        {"n escapes to heap": "panic argument"},
        id="panic(n)",
    ),
    pytest.param(
        """
        func Errorf(s string) (int, error) {
        	if s == "" {
        		return 0, fmt.Errorf("empty %q", s)
        	}
        	return len(s), nil
        }
        """,
        {
            "s escapes to heap": "error return",
            "&errors.errorString{...} escapes to heap": "error return",
        },
        id="return 0, fmt.Errorf(...)",
    ),
    pytest.param(
        """
        func NewErr(n int) error {
        	if n > 1 {
        		return errors.New("too many: " + strconv.Itoa(n))
        	}
        	return nil
        }
        """,
        {
            '"too many: " + ~r0 escapes to heap': "error return",
            "&errors.errorString{...} escapes to heap": "error return",
        },
        id="return errors.New(...)",
    ),
    pytest.param(
        """
        func ParseLine(s string, line int) (*Point, error) {
        	if s == "" {
        		return nil, &ParseError{Line: line}
        	}
        	return nil, nil
        }
        """,
        {"&ParseError{...} escapes to heap": "error return"},
        id="return nil, &ParseError{...}",
    ),
    pytest.param(
        """
        //go:noinline
        func ErrSyntax(msg string, offset int) *ParseError {
        	return &ParseError{Line: offset + len(msg)}
        }

        func Decode(b []byte, cursor int) (int, error) {
        	if len(b) == 0 {
        		return 0, ErrSyntax(fmt.Sprintf("empty at %d", cursor), cursor)
        	}
        	return int(b[0]), nil
        }
        """,
        # go-json's internal/errors constructors are named so (ErrSyntax, ErrExpected, ...).
        {"&ParseError{...} escapes to heap": "", "cursor escapes to heap": "error return"},
        id="return 0, ErrSyntax(...)",
    ),
    pytest.param(
        """
        func Fatal(err error, n int) {
        	if err != nil {
        		log.Fatalf("failed after %d tries: %v", n, err)
        	}
        }
        """,
        {"n escapes to heap": "argument of log.Fatalf"},
        id="log.Fatalf(...)",
    ),
    pytest.param(
        """
        func Panicln(n int) {
        	log.Panicln("bad", n)
        }
        """,
        {"n escapes to heap": "argument of log.Panicln"},
        id="log.Panicln(...)",
    ),
    pytest.param(
        """
        func Exit(code int, name string) {
        	if code != 0 {
        		fmt.Fprintln(os.Stderr, "exit", name)
        		os.Exit(code)
        	}
        }
        """,
        {"name escapes to heap": "block ending in os.Exit"},
        id="block ending in os.Exit",
    ),
    pytest.param(
        """
        func Check(err error, n int) error {
        	if err != nil {
        		log.Printf("check %d failed", n)
        		return err
        	}
        	return nil
        }
        """,
        {"n escapes to heap": "block ending in an error return"},
        id="if err != nil { log.Printf(...); return err }",
    ),
    pytest.param(
        """
        func Wrap(n int) (string, error) {
        	s, err := strconv.Atoi(strconv.Itoa(n))
        	if err != nil {
        		msg := fmt.Sprint("converting ", n)
        		return "", errors.New(msg)
        	}
        	return strconv.Itoa(s), nil
        }
        """,
        {
            "n escapes to heap": "block ending in an error return",
            "&errors.errorString{...} escapes to heap": "error return",
        },
        id="if err != nil { msg := ...; return errors.New(msg) }",
    ),
    pytest.param(
        """
        func Kind(k int) string {
        	switch k {
        	case 0:
        		return "zero"
        	default:
        		p := &Point{k, k}
        		panic(p)
        	}
        }
        """,
        {"&Point{...} escapes to heap": "block ending in panic"},
        id="default: ...; panic(p)",
    ),
    pytest.param(
        """
        func Must(s string) int {
        	n, err := strconv.Atoi(s)
        	if err != nil {
        		for _, r := range s {
        			if r == ' ' {
        				break
        			}
        		}
        		panic(fmt.Sprint("not a number: ", s))
        	}
        	return n
        }
        """,
        {
            "fmt.Sprint(... argument...) escapes to heap": "panic argument",
            "s escapes to heap": "panic argument",
        },
        id="a loop's own break does not leave the block",
    ),
]

HOT_SHAPES = [
    pytest.param(
        """
        func Label(n int) string {
        	return fmt.Sprintf("n=%d", n)
        }
        """,
        {"n escapes to heap": ""},
        id="return fmt.Sprintf(...) is hot",
    ),
    pytest.param(
        """
        func Pointer(n int) (*Point, error) {
        	p := Point{n, n}
        	return &p, nil
        }
        """,
        {"moved to heap: p": ""},
        id="return &p, nil",
    ),
    pytest.param(
        """
        func Text(n int) (string, error) {
        	return fmt.Sprint(n), nil
        }
        """,
        {"n escapes to heap": ""},
        id="return fmt.Sprint(n), nil",
    ),
    pytest.param(
        """
        func Before(err error, n int) error {
        	log.Printf("checking %d", n)
        	if err != nil {
        		return err
        	}
        	return nil
        }
        """,
        {"n escapes to heap": ""},
        id="log.Printf before the check",
    ),
    pytest.param(
        """
        func Unchecked(n int) (string, error) {
        	s, err := strconv.Atoi(strconv.Itoa(n))
        	log.Print(s)
        	return "", err
        }
        """,
        {"s escapes to heap": ""},
        id="return err without if err != nil",
    ),
    pytest.param(
        """
        func EarlyReturn(ok bool, n int) error {
        	if !ok {
        		s := fmt.Sprint(n)
        		if s == "" {
        			return nil
        		}
        		return errors.New(s)
        	}
        	return nil
        }
        """,
        {"n escapes to heap": "", "&errors.errorString{...} escapes to heap": "error return"},
        id="a block with a nil return is not cold",
    ),
    pytest.param(
        """
        func Loop(xs []int) {
        	for _, x := range xs {
        		if x < 0 {
        			s := fmt.Sprint(x)
        			if s == "" {
        				break
        			}
        			panic(s)
        		}
        	}
        }
        """,
        {"x escapes to heap": "", "s escapes to heap": "panic argument"},
        id="a break that leaves the block",
    ),
    pytest.param(
        """
        func Closure(n int) func() error {
        	if n < 0 {
        		panic("negative")
        	}
        	return func() error {
        		return fmt.Errorf("n=%d", n)
        	}
        }
        """,
        {
            "func literal escapes to heap": "",
            "n escapes to heap": "error return",
            "&errors.errorString{...} escapes to heap": "error return",
        },
        id="a func literal in a return is judged inside",
    ),
    pytest.param(
        """
        func NotErr(n int) (*ParseError, error) {
        	return &ParseError{Line: n}, nil
        }
        """,
        {"&ParseError{...} escapes to heap": ""},
        id="a built value that is not the error result",
    ),
]

_LITERAL = re.compile(r'"([^"\\]|\\.)*"')

PRELUDE = """
package shapes

import (
	"errors"
	"fmt"
	"log"
	"os"
	"strconv"
)

var _, _, _, _, _ = errors.New, fmt.Sprint, log.Print, os.Exit, strconv.Itoa

type Point struct{ X, Y int }

type ParseError struct{ Line int }

func (e *ParseError) Error() string { return "parse error" }
"""


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, list[Escape]]:
    """Every shape in one package, compiled once with -m=2."""
    folder = tmp_path_factory.mktemp("shapes")
    (folder / "go.mod").write_text("module example.com/shapes\n\ngo 1.21\n", encoding="utf-8")
    bodies = [textwrap.dedent(p.values[0]) for p in [*COLD_SHAPES, *HOT_SHAPES]]
    source = (PRELUDE + "".join(bodies)).encode()
    (folder / "shapes.go").write_bytes(source)
    proc = subprocess.run(
        ["go", "build", "-o", "/dev/null", "-gcflags=-m=2", "."],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return source, parse(proc.stderr)


def _reasons_in(compiled: tuple[bytes, list[Escape]], body: str) -> dict[str, str]:
    source, escapes = compiled
    text = source.decode()
    start = text.index(textwrap.dedent(body))
    first = text[:start].count("\n") + 1
    last = first + textwrap.dedent(body).count("\n")
    # Boxed string literals allocate nothing and are never reported (comparison.py).
    mine = [
        e
        for e in escapes
        if e.kind in HEAP_KINDS and first <= e.line <= last and not _LITERAL.fullmatch(e.expr)
    ]
    reasons = coldpaths.cold_reasons(source, [(e.line, e.col) for e in mine])
    return {e.message: reasons[e.line, e.col] for e in mine}


@pytest.mark.slow
@pytest.mark.parametrize(("body", "expected"), [*COLD_SHAPES, *HOT_SHAPES])
def test_shape(compiled: tuple[bytes, list[Escape]], body: str, expected: dict[str, str]) -> None:
    assert _reasons_in(compiled, body) == expected


@pytest.mark.parametrize(
    ("source", "position", "reason"),
    [
        pytest.param(
            "package p\n\nfunc F(n int) {\n\tpanic(n)\n}\n",
            (4, 0),
            "panic argument",
            id="no column",
        ),
        pytest.param("package p\n", (9, 1), "", id="past the end"),
        pytest.param(
            "package p\n\nfunc F() error {\n\treturn (&E{})\n}\n",
            (4, 10),
            "error return",
            id="parenthesised error",
        ),
        pytest.param(
            "package p\n\nfunc F() (int, error) {\n\treturn g()\n}\n",
            (4, 9),
            "",
            id="multi-value call",
        ),
        pytest.param(
            "package p\n\nfunc F(x int) error {\n\tif x != nil {\n\t\treturn p.errorf(x)\n\t}\n"
            "\treturn nil\n}\n",
            (5, 18),
            "error return",
            id="an errorf method",
        ),
    ],
)
def test_positions(source: str, position: tuple[int, int], reason: str) -> None:
    assert coldpaths.cold_reasons(source.encode(), [position]) == {position: reason}
