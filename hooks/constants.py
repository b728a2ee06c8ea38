"""Which boxed values are constants. Pure.

A constant converted to an interface (`fmt.Println("add", 1)`, `return MyError("boom")`,
`log.Print(time.Second)`) is printed as `X escapes to heap`, but the compiler points the
interface at read-only data: nothing is allocated. The compiler prints a constant as its
value, so the printed expression tells, with one exception: `T(literal)` is how both a typed
constant (`itemType(15)`, `time.Duration(1000000000)`) and a call with a constant argument
(`g(15)`, which does allocate) are printed. For those the source decides (see `decide`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

# The classes of constants, as docs/matching.md names them.
LITERAL = "literal"  # "add", 42, -1.5, 'a', true
CUT_SHORT = "cut-short string"  # over 72 characters: `"fx: Check was called ... neve...`
COMPLEX = "complex constant"  # (1 + 2i), (-2 + -3i)
TYPED = "typed constant"  # time.Duration(1000000000), itemType(15), MyError("boom")

_NUMBER = r"-?[0-9][0-9a-fA-FxXoObB_.eEpP+-]*i?"
_STRING = r'"(?:[^"\\]|\\.)*"|`[^`]*`'
# The compiler quotes a string constant and cuts it after 72 characters of its quoted form,
# ending with `...` and no closing quote (the cut may fall inside an escape sequence).
_CUT_SHORT = r'"(?:[^"\\]|\\.)*\\?\.\.\.'
_RUNE = r"'(?:[^'\\]|\\.)+'"
_COMPLEX = rf"\({_NUMBER} \+ {_NUMBER}\)"
_BOOL = r"true|false|nil"
_NAME = r"[A-Za-z_][A-Za-z_0-9]*"

_CLASSES = (
    (LITERAL, re.compile(rf"(?:{_NUMBER}|{_STRING}|{_RUNE}|{_BOOL})")),
    (CUT_SHORT, re.compile(_CUT_SHORT)),
    (COMPLEX, re.compile(_COMPLEX)),
)
# `T(value)`: T a type name, qualified by a package name or not; a constant of a type
# parameter is printed with its shape (`go.shape.int(5)`) and is not one of these (Go 1.22
# allocates for it).
_TYPED = re.compile(rf"({_NAME}(?:\.{_NAME})?)\((.+)\)")

# Predeclared types a constant can have; a program could shadow them, but that is not
# worth a guess.
PREDECLARED = frozenset(
    [
        "bool",
        "byte",
        "complex64",
        "complex128",
        "float32",
        "float64",
        "int",
        "int8",
        "int16",
        "int32",
        "int64",
        "rune",
        "string",
        "uint",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "uintptr",
    ]
)


class Shape(NamedTuple):
    """What a printed expression says about being a constant."""

    kind: str  # LITERAL, CUT_SHORT, COMPLEX or TYPED
    type_name: str  # TYPED: the type as printed ("time.Duration", "itemType"); else ""


def shape(expr: str) -> Shape | None:
    """The constant `expr` prints, if its printed form is one; None for anything else."""
    untyped = _untyped(expr)
    if untyped:
        return Shape(untyped, "")
    typed = _TYPED.fullmatch(expr)
    if typed is not None and _untyped(typed.group(2)) and not typed.group(1).startswith("go."):
        return Shape(TYPED, typed.group(1))
    return None


def _untyped(expr: str) -> str:
    for kind, pattern in _CLASSES:
        if pattern.fullmatch(expr):
            return kind
    return ""


def decide(expr: str, written: bytes | None, is_type: Callable[[str], bool]) -> bool:
    """Whether the escaping `expr` is a constant, so allocates nothing.

    `written` is the source from the escape's column on (None when unknown), `is_type` tells
    whether a name as the compiler prints it (`itemType`, `time.Duration`) is a type there.

    The compiler prints a call or conversion at its opening parenthesis, and a named constant
    at the name (`itemEOF`), its selector's dot (`time.Second`) or its operator
    (`5*time.Second`). So `T(literal)` printed where the source has no `(` is a constant the
    compiler folded; where it has one, it is a conversion when T is a type, and a call that
    returns a fresh value otherwise.
    """
    found = shape(expr)
    if found is None:
        return False
    if found.kind != TYPED:
        return True
    if written is not None and not written.startswith(b"("):
        return True
    return found.type_name in PREDECLARED or is_type(found.type_name)
