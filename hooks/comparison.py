"""Compare each function's escapes at base and head, independent of line numbers. Pure."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from goescape.escapes import ESCAPES, HEAP_KINDS, LEAK, Escape
from goescape.functions import INIT, FunctionId, IgnoreComment
from goescape.outcome import ABSENT, NEW, UNCHANGED, Finding, FunctionSummary, Location

# `F.func1`, `F.func1.2`, `F.gowrap1`: closures and wrappers the compiler names after F.
_CLOSURE_SUFFIX = re.compile(r"(\.(func|gowrap|deferwrap)\d+)(\.\d+)*$")
# A literal boxed into an interface (`fmt.Println("add", 1)`) is reported as escaping, but
# the compiler points the interface at read-only data: nothing is allocated.
_LITERAL = re.compile(
    r'^(-?[0-9][0-9a-fA-FxXoObB_.eEpP+-]*i?|"([^"\\]|\\.)*"|`[^`]*`|\'([^\'\\]|\\.)+\'|true|false|nil)$'
)
# `[T]` in a declaration, `[go.shape.int]` in the compiler's name of an instantiation.
_TYPE_ARGS = re.compile(r"\[[^\[\]]*\]")


class Declaration(NamedTuple):
    display: str  # as the compiler prints it: "(*Point).Add"
    path: str
    line: int


class Sides(NamedTuple):
    head: list[tuple[FunctionId, Escape]]
    base: list[tuple[FunctionId, Escape]]
    head_decls: Mapping[FunctionId, Declaration]
    base_decls: Mapping[FunctionId, Declaration]


Suppression = Callable[[str, int], IgnoreComment | None]


def compare(
    sides: Sides,
    *,
    touched: Mapping[FunctionId, str],
    added_lines: Mapping[str, frozenset[int]],
    suppression: Suppression,
    count_leaks: bool,
) -> tuple[list[Finding], list[FunctionSummary], list[str]]:
    """Findings for every escape of a touched function (new, unchanged, absent), the new
    escapes of untouched functions (induced), a summary per reported function, warnings."""
    head = _by_function(p for p in sides.head if not _boxed_literal(p[1]))
    base = _by_function(p for p in sides.base if not _boxed_literal(p[1]))
    by_display = {
        (f.package, _TYPE_ARGS.sub("", d.display)): d for f, d in sides.head_decls.items()
    }

    findings: list[Finding] = []
    summaries: list[FunctionSummary] = []
    warnings: dict[str, None] = {}
    for function in sorted(set(touched) | set(head)):
        head_list, base_list = head.get(function, []), base.get(function, [])
        changed = function in touched
        states = _match(head_list, base_list, added_lines)
        if not changed and not any(state == NEW for _, state, _ in states):
            continue
        counted_kinds = HEAP_KINDS | ({LEAK} if count_leaks else frozenset())
        before = sum(e.kind in counted_kinds for e in base_list)
        after = sum(e.kind in counted_kinds for e in head_list)
        new_function = function not in sides.base_decls and not base_list
        decl = sides.head_decls.get(function) or sides.base_decls.get(function)
        display = decl.display if decl else _fallback_display(function)
        new_count = 0
        for escape, state, ordinal in states:
            if not changed and state != NEW:
                continue
            ignore = suppression(escape.path, escape.line) if state != ABSENT else None
            if ignore is not None and not ignore.reason:
                warnings[f"{escape.path}:{ignore.line}: //goescape:ignore without a reason"] = None
            finding = Finding(
                function=function,
                display=display,
                escape=escape,
                state=state,
                induced=not changed,
                suppressed=None if ignore is None else ignore.reason,
                before=before,
                after=after,
                ordinal=ordinal,
                new_function=new_function,
                inlined_from=_inlined_from(escape, function, by_display),
            )
            findings.append(finding)
            if state == NEW and ignore is None and escape.kind in counted_kinds:
                new_count += 1
        summaries.append(
            FunctionSummary(
                function=function,
                display=display,
                path=decl.path if decl else touched.get(function, ""),
                line=decl.line if decl else 0,
                changed=changed,
                new_function=new_function,
                before=before,
                after=after,
                new=new_count,
            )
        )
    findings.sort(key=lambda f: (f.escape.path, f.escape.line, f.escape.col, f.escape.message))
    return findings, summaries, list(warnings)


def _boxed_literal(escape: Escape) -> bool:
    return escape.kind == ESCAPES and _LITERAL.match(escape.expr) is not None


def _by_function(pairs: Iterable[tuple[FunctionId, Escape]]) -> dict[FunctionId, list[Escape]]:
    grouped: dict[FunctionId, list[Escape]] = {}
    for function, escape in pairs:
        grouped.setdefault(function, []).append(escape)
    return grouped


def _position(escape: Escape) -> tuple[str, int, int]:
    return (escape.path, escape.line, escape.col)


def _match(
    head: list[Escape], base: list[Escape], added_lines: Mapping[str, frozenset[int]]
) -> list[tuple[Escape, str, int]]:
    """(escape, state, ordinal) for one function. Escapes with the same (kind, expr) are
    interchangeable; when head has more of them, the new ones are those on added lines
    (then the last ones). Matched escapes keep ordinals 0.. in position order, so an escape
    that was already there keeps its fingerprint when an identical one is added above it."""
    head_groups: dict[tuple[str, str], list[Escape]] = {}
    base_groups: dict[tuple[str, str], list[Escape]] = {}
    for escape in head:
        head_groups.setdefault((escape.kind, escape.expr), []).append(escape)
    for escape in base:
        base_groups.setdefault((escape.kind, escape.expr), []).append(escape)

    result: list[tuple[Escape, str, int]] = []
    for key in sorted(set(head_groups) | set(base_groups)):
        ours = sorted(head_groups.get(key, []), key=_position)
        theirs = sorted(base_groups.get(key, []), key=_position)
        matched = min(len(ours), len(theirs))
        extra = len(ours) - matched
        if extra:
            on_added = [e for e in ours if e.line in added_lines.get(e.path, frozenset())]
            others = [e for e in ours if e not in on_added]
            new = (others + on_added)[-extra:]
        else:
            new = []
        kept = [e for e in ours if e not in new]
        result += [(e, UNCHANGED, n) for n, e in enumerate(kept)]
        result += [(e, NEW, matched + n) for n, e in enumerate(new)]
        result += [(e, ABSENT, matched + n) for n, e in enumerate(theirs[matched:])]
    return result


def _inlined_from(
    escape: Escape, function: FunctionId, by_display: Mapping[tuple[str, str], Declaration]
) -> Location | None:
    if not escape.inlined:
        return None
    name = _TYPE_ARGS.sub("", _CLOSURE_SUFFIX.sub("", escape.inlined))
    decl = by_display.get((function.package, name))
    if decl is None and name == INIT:
        decl = by_display.get((function.package, INIT))
    return Location(decl.path, decl.line, 1) if decl else None


def _fallback_display(function: FunctionId) -> str:
    return f"{function.receiver}.{function.name}" if function.receiver else function.name
