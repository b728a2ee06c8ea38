"""What the compiler says about inlining: which functions can be inlined, and where it inlined
which callee. Pure: the compiler's `-m` text in, records out.

An inlinable function's body is compiled again in every caller it is inlined into, in other
packages too, and the caller's escapes change with it. These lines tell which callers a
change can reach: `path:line:col: can inline F ...` at F's declaration, and
`path:line:col: inlining call to pkg.F` at each call site inlined (for nested inlining, one
line per callee, all at the outer call site).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

CAN = "can inline"
CALL = "inlining call to"

_MARK = re.compile(r"(.+?):(\d+)(?::(\d+))?: (can inline|inlining call to) (\S+)")


class Mark(NamedTuple):
    package: str  # import path from the `# import/path` header ("" before any)
    path: str  # file as printed by the compiler
    line: int
    col: int  # 0 when the compiler gives none (`//line` directives)
    kind: str  # CAN or CALL
    name: str  # the function as printed: "TabWidth", "(*Point).Scale", "util.TabWidth"


def scan(text: str) -> list[Mark]:
    """Every `can inline` and `inlining call to` line of `text`, in order."""
    marks: list[Mark] = []
    package = ""
    for line in text.splitlines():
        if line.startswith("# "):
            # `# example.com/m/geom [example.com/m/geom.test]`: the package as built for tests.
            package = line[2:].strip().partition(" ")[0]
            continue
        if ": can inline " not in line and ": inlining call to " not in line:
            continue
        match = _MARK.match(line)
        if match is None:
            continue
        path, row, col, kind, name = match.groups()
        marks.append(Mark(package, path, int(row), int(col or 0), kind, name))
    return marks


def may_inline(functions: Iterable[tuple[str, str]], texts: Iterable[str]) -> bool:
    """Whether a `can inline` line of `texts` may name one of `functions` ((receiver type,
    name) pairs, "" for no receiver): one regular-expression search over each text, where
    `scan` reads every line. False means none does; True, that `scan` must tell."""
    shapes = sorted({_printed(receiver, name) for receiver, name in functions})
    if not shapes:
        return False
    pattern = re.compile(r": can inline (?:" + "|".join(shapes) + r")(?![\w.])")
    return any(pattern.search(text) for text in texts)


# Type arguments as the compiler prints them: `[go.shape.int]`, `[go.shape.struct { X int }]`.
_TYPE_ARGS = r"(?:\[[^\n]*?\])?"


def _printed(receiver: str, name: str) -> str:
    """A pattern for how `can inline` prints a function of its own package: `Parse`,
    `Map[go.shape.int]`, `(*parser).Parse`, `parser.Parse`, `(*List[go.shape.int]).Push`
    (with -m=2, ` with cost N as: ...` follows)."""
    own = re.escape(name) + _TYPE_ARGS
    if not receiver:
        return own
    kind = re.escape(receiver) + _TYPE_ARGS
    return rf"(?:\(\*{kind}\)|{kind})\.{own}"


def bare_name(printed: str) -> str:
    """The function's or method's own name in a printed name: `Scale` for
    `util.(*Point).Scale`, `Map` for `Map[go.shape.int]`, `func1` for `F.func1`."""
    # Type arguments may hold dots: `Map[go.shape.int]`.
    return _without_type_args(printed).rpartition(".")[2]


def split_name(printed: str) -> tuple[str, str, str]:
    """(package qualifier, receiver type, name) of a printed function name, type arguments
    dropped: `("util", "Point", "Scale")` for `util.(*Point).Scale`, `("", "", "Max")` for
    `Max[go.shape.int]`, `("", "List", "Push")` for `(*List[go.shape.int]).Push`."""
    plain = _without_type_args(printed)
    if "(" in plain:
        before, _, rest = plain.partition("(")
        receiver, _, name = rest.partition(").")
        return before.removesuffix("."), receiver.lstrip("*"), name
    qualifier, _, name = plain.rpartition(".")
    return qualifier, "", name


def _without_type_args(printed: str) -> str:
    depth = 0
    plain = []
    for char in printed:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif depth == 0:
            plain.append(char)
    return "".join(plain)
