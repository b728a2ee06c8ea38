"""Which boxed values are constants (allocate nothing), from what the compiler prints and, for
`T(literal)`, from the source. Expressions as Go 1.22 and 1.27 print them."""

from __future__ import annotations

import pytest
from goescape.constants import COMPLEX, CUT_SHORT, LITERAL, TYPED, Shape, decide, shape

CUT = '"fx: Check was called with a negative number, which this package neve...'


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('"add"', Shape(LITERAL, "")),
        ('""', Shape(LITERAL, "")),
        ('"tab\\there \\"q\\""', Shape(LITERAL, "")),
        ("42", Shape(LITERAL, "")),
        ("-1.5", Shape(LITERAL, "")),
        ("4611686018427387904", Shape(LITERAL, "")),
        ("1e+100", Shape(LITERAL, "")),
        ("'a'", Shape(LITERAL, "")),
        ("'\\''", Shape(LITERAL, "")),
        ("true", Shape(LITERAL, "")),
        (CUT, Shape(CUT_SHORT, "")),
        ('"a long string cut inside an escape \\...', Shape(CUT_SHORT, "")),
        ("(1 + 2i)", Shape(COMPLEX, "")),
        ("(-2 + -3i)", Shape(COMPLEX, "")),
        ("time.Duration(1000000000)", Shape(TYPED, "time.Duration")),
        ("itemType(15)", Shape(TYPED, "itemType")),
        ("itemType(-3)", Shape(TYPED, "itemType")),
        ('MyError("boom")', Shape(TYPED, "MyError")),
        (f"MyError({CUT})", Shape(TYPED, "MyError")),
        ("myC((1 + 2i))", Shape(TYPED, "myC")),
        ("myB(true)", Shape(TYPED, "myB")),
        ("uint64(9223372036854775808)", Shape(TYPED, "uint64")),
        # Not constants.
        ("MyError(s)", None),
        ("itemType(n)", None),
        ("string(b)", None),
        ("itemType(g(1))", None),
        ('"a" + s', None),
        ('"flate: corrupt input before offset " + ~r0', None),
        ("x", None),
        ("&Point{...}", None),
        ("T.M(t, 3)", None),
        ('fmt.Sprintf("%v not an Int", ... argument...)', None),
        # A constant of a type parameter: Go 1.22 allocates for it.
        ("go.shape.int(5)", None),
    ],
)
def test_shape(expr: str, expected: Shape | None) -> None:
    assert shape(expr) == expected


TYPES = {"itemType", "MyError", "time.Duration"}


@pytest.mark.parametrize(
    ("expr", "written", "constant"),
    [
        ('"add"', None, True),
        (CUT, b'"fx: Check was', True),
        ("(1 + 2i)", None, True),
        # A named constant: printed at its name, its selector's dot or its operator.
        ("itemType(15)", b"itemEOF, x)", True),
        ("time.Duration(1000000000)", b".Second)", True),
        ("time.Duration(5000000000)", b"*time.Second)", True),
        ("g(15)", b"itemEOF)", True),  # folded: whatever the name, there is no call here
        # Written as a conversion: a constant when the name is a type.
        ("itemType(15)", b"(15))", True),
        ('MyError("boom")', b'("boom")', True),
        ("time.Duration(5)", b"(5))", True),
        ("int64(5)", b"(5)", True),
        # ... and a call that returns a fresh value otherwise.
        ("g(15)", b"(15))", False),
        ('os.Getenv("HOME")', b'("HOME"))', False),
        # Without the source, the name decides.
        ("itemType(15)", None, True),
        ("g(15)", None, False),
        ("MyError(s)", b"(s)", False),
        ("string(b)", b"(b)", False),
    ],
)
def test_decide(expr: str, written: bytes | None, constant: bool) -> None:
    assert decide(expr, written, TYPES.__contains__) is constant
