"""Compare each function's escapes at base and head, independent of line numbers. Pure.

What counts as the same escape is documented in docs/matching.md: the same escape at the
place the diff maps its line to; the same kind at that place (a renamed variable, or an
escape the change re-expressed: CHANGED); the same escape anywhere in the function (code
that moved). Compiler temporaries are compared without their numbers, and constants
boxed into interfaces allocate nothing, so they are left out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from goescape import constants
from goescape.changes import LineMap
from goescape.escapes import HEAP_KINDS, LEAK, MOVED, Escape, stable_expr
from goescape.functions import INIT, FunctionId, IgnoreComment
from goescape.outcome import (
    ABSENT,
    CHANGED,
    NEW,
    UNCHANGED,
    Finding,
    FunctionSummary,
    Location,
)

# `F.func1`, `F.func1.2`, `F.gowrap1`: closures and wrappers the compiler names after F.
_CLOSURE_SUFFIX = re.compile(r"(\.(func|gowrap|deferwrap)\d+)(\.\d+)*$")
# `[T]` in a declaration, `[go.shape.int]` in the compiler's name of an instantiation.
_TYPE_ARGS = re.compile(r"\[[^\[\]]*\]")
# Tokens of a printed expression: literals, names, numbers, one punctuation character.
_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"?|`[^`]*`|\'(?:[^\'\\]|\\.)*\'|\.autotmp_\w*|~\w+|[A-Za-z_]\w*|\d[\w.]*|\S'
)
_NAME = re.compile(r"[A-Za-z_]\w*")
# Names whose change is never a rename: keywords, predeclared functions and types, and the
# words the compiler prints for what has no name (`func literal`, `... argument`).
_FIXED = constants.PREDECLARED | frozenset(
    [
        "append",
        "cap",
        "clear",
        "close",
        "complex",
        "copy",
        "delete",
        "imag",
        "len",
        "make",
        "max",
        "min",
        "new",
        "panic",
        "print",
        "println",
        "real",
        "recover",
        "error",
        "any",
        "true",
        "false",
        "nil",
        "iota",
        "func",
        "map",
        "chan",
        "struct",
        "interface",
        "literal",
        "argument",
    ]
)
# Mid-stack inlining: a marker is looked up through at most this many inlined callees.
_MAX_CALLEE_DEPTH = 4


class Declaration(NamedTuple):
    display: str  # as the compiler prints it: "(*Point).Add"
    path: str
    line: int


class Sides(NamedTuple):
    head: list[tuple[FunctionId, Escape]]
    base: list[tuple[FunctionId, Escape]]
    head_decls: Mapping[FunctionId, Declaration]
    base_decls: Mapping[FunctionId, Declaration]
    # The files the change names (both sides of a rename): where a function can have been
    # deleted. None: look through every declaration.
    changed: frozenset[str] | None = None


# The marker that silences an escape (at head), if any: see functions.suppression_for.
Suppression = Callable[[Escape], IgnoreComment | None]
# Whether an escape of one side ("head" or "base") boxes a constant: see constants.decide.
ConstantTest = Callable[[str, Escape], bool]


def printed_constant(side: str, escape: Escape) -> bool:
    """The constant test without the source: what the printed expression alone tells
    (`T(literal)` counts as a constant only for a predeclared T)."""
    del side
    return escape.kind not in (MOVED, LEAK) and constants.decide(escape.expr, None, _no_type)


def _no_type(name: str) -> bool:
    del name
    return False


class _Match(NamedTuple):
    escape: Escape
    state: str
    ordinal: int
    previous: Escape | None  # CHANGED: the base escape it replaced


def compare(
    sides: Sides,
    *,
    touched: Mapping[FunctionId, str],
    added_lines: Mapping[str, frozenset[int]],
    suppression: Suppression,
    count_leaks: bool,
    lines: LineMap | None = None,
    constant: ConstantTest = printed_constant,
) -> tuple[list[Finding], list[FunctionSummary], list[str]]:
    """Findings for every escape of a touched function (new, changed, unchanged, absent), the
    new escapes of untouched functions (induced), a summary per reported function, warnings.

    `lines` is the diff's map of base lines to head lines (None: positions are not compared,
    only kinds and expressions)."""
    head = _by_function(p for p in sides.head if not _constant(constant, "head", p[1]))
    base = _by_function(p for p in sides.base if not _constant(constant, "base", p[1]))
    by_display = _Displays(sides.head_decls)
    callees = _Callees(head, by_display)
    silencer = _Silencer(suppression, callees)

    findings: list[Finding] = []
    summaries: list[FunctionSummary] = []
    warnings: dict[str, None] = {}
    counted_kinds = HEAP_KINDS | ({LEAK} if count_leaks else frozenset())
    deleted = _deleted(sides, touched)
    renamed = _renamed_functions(sides, touched, deleted, lines) if lines is not None else {}
    compared = set(touched) | set(head) | (deleted - set(renamed.values()))
    for function in sorted(compared):
        head_list = head.get(function, [])
        base_list = base.get(renamed.get(function, function), [])
        changed = function in touched or function in deleted
        if not changed and _nothing_more(head_list, base_list):
            continue  # every escape at head can be paired: nothing new to report
        matches = _match(head_list, base_list, lines, added_lines)
        if not changed and not any(m.state == NEW for m in matches):
            continue
        before = sum(e.kind in counted_kinds for e in base_list)
        after = sum(e.kind in counted_kinds for e in head_list)
        new_function = function not in sides.base_decls and function not in renamed
        decl = sides.head_decls.get(function) or sides.base_decls.get(function)
        display = decl.display if decl else _fallback_display(function)
        new_count = 0
        for escape, state, ordinal, previous in matches:
            if not changed and state != NEW:
                continue
            ignore = silencer.find(escape, function) if state != ABSENT else None
            if ignore is not None and ignore.problem:
                warnings[f"{escape.path}:{ignore.line}: {ignore.problem}"] = None
                ignore = None
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
                previous=previous,
                callee_copies=(callees.chains(escape, function) if state in (NEW, CHANGED) else ()),
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


def _deleted(sides: Sides, touched: Mapping[FunctionId, str]) -> set[FunctionId]:
    """Functions of the changed packages that the change deleted (or renamed): what they
    had at base is removed, and counted so. Only a file the change names can have lost one:
    any other declares at head what it declared at base."""
    changed_packages = {f.package for f in touched}
    base: Iterable[FunctionId] = sides.base_decls
    declared_in = getattr(sides.base_decls, "declared_in", None)
    if declared_in is not None and sides.changed is not None:
        base = declared_in(sides.changed)
    return {f for f in base if f.package in changed_packages and f not in sides.head_decls}


def _renamed_functions(
    sides: Sides, touched: Mapping[FunctionId, str], deleted: set[FunctionId], lines: LineMap
) -> dict[FunctionId, FunctionId]:
    """New functions that are deleted ones renamed where they stood (head -> base): the
    diff changed the deleted declaration's line and kept the line after it, and the new
    function is declared right above that line (the body goes on unchanged). Their escapes
    are then compared as one function's. A function replaced wholesale is no rename."""
    new = {
        (d.path, d.line): f
        for f in touched
        if f not in sides.base_decls and (d := sides.head_decls.get(f)) is not None
    }
    found: dict[FunctionId, FunctionId] = {}
    for old in sorted(deleted):
        decl = sides.base_decls[old]
        place = lines.place(decl.path, decl.line)
        after = lines.place(decl.path, decl.line + 1)
        if place is None or after is None or after.first != after.last:
            continue
        candidate = new.get((after.path, after.line - 1))
        if candidate is not None and candidate.package == old.package and candidate not in found:
            found[candidate] = old
    return found


def _nothing_more(head: list[Escape], base: list[Escape]) -> bool:
    """Whether base has each (kind, expression) of head at least as often."""
    if len(head) > len(base):
        return False
    left = Counter(_key(e) for e in base)
    left.subtract(_key(e) for e in head)
    return min(left.values(), default=0) >= 0


def _constant(test: ConstantTest, side: str, escape: Escape) -> bool:
    return escape.kind not in (MOVED, LEAK) and test(side, escape)


def _by_function(pairs: Iterable[tuple[FunctionId, Escape]]) -> dict[FunctionId, list[Escape]]:
    grouped: dict[FunctionId, list[Escape]] = {}
    for function, escape in pairs:
        grouped.setdefault(function, []).append(escape)
    return grouped


def _position(escape: Escape) -> tuple[str, int, int]:
    return (escape.path, escape.line, escape.col)


def _key(escape: Escape) -> tuple[str, str]:
    return (escape.kind, stable_expr(escape.expr))


def _match(
    head: list[Escape],
    base: list[Escape],
    lines: LineMap | None,
    added_lines: Mapping[str, frozenset[int]],
) -> list[_Match]:
    """Pair one function's escapes at head with those at base, in three rounds:

    1. the same escape (kind and expression, temporaries unnumbered) at the place the diff
       maps the base escape's line to: unchanged;
    2. the same kind at that place: a renamed variable or the same expression with other
       names is unchanged, anything else CHANGED (`[]string{}` -> `make([]string, 0, n)`);
    3. the same escape anywhere else (moved code): unchanged. When head has more of one,
       the new ones are those on added or changed lines (then the last ones).

    Ordinals number the escapes of one (kind, expression) by position, paired ones first,
    so an escape that was already there keeps its fingerprint when another is added above."""
    head = sorted(head, key=_position)
    base = sorted(base, key=_position)
    paired: dict[int, tuple[int, str]] = {}  # head index -> (base index, state)
    taken: set[int] = set()  # base indexes
    if lines is not None:
        _pair_at_places(head, base, lines, paired, taken)

    # Round 3, by (kind, expression) among what is left.
    left_head: dict[tuple[str, str], list[int]] = {}
    left_base: dict[tuple[str, str], list[int]] = {}
    for h, escape in enumerate(head):
        if h not in paired:
            left_head.setdefault(_key(escape), []).append(h)
    for b, escape in enumerate(base):
        if b not in taken:
            left_base.setdefault(_key(escape), []).append(b)
    for key, candidates in left_head.items():
        theirs = left_base.get(key, [])
        extra = len(candidates) - len(theirs)
        ours = candidates
        if extra > 0:
            on_added = [
                h for h in candidates if head[h].line in added_lines.get(head[h].path, frozenset())
            ]
            others = [h for h in candidates if h not in on_added]
            new = set((others + on_added)[-extra:])
            ours = [h for h in candidates if h not in new]
        for h, b in zip(ours, theirs, strict=False):
            paired[h] = (b, UNCHANGED)
            taken.add(b)

    return _numbered(head, base, paired, taken)


def _pair_at_places(
    head: list[Escape],
    base: list[Escape],
    lines: LineMap,
    paired: dict[int, tuple[int, str]],
    taken: set[int],
) -> None:
    """Rounds 1 and 2 of `_match`: each base escape with the head escape at its place, the
    same one first, then one of the same kind. Among several, the one on the line of the
    same offset, at the same column, nearest."""
    at_line: dict[tuple[str, int], list[int]] = {}
    for h, escape in enumerate(head):
        at_line.setdefault((escape.path, escape.line), []).append(h)
    places = [lines.place(b.path, b.line) for b in base]
    for same_key in (True, False):
        for b, old in enumerate(base):
            place = places[b]
            if b in taken or place is None:
                continue
            best: tuple[tuple[bool, bool, int], int] | None = None
            for line in range(place.first, place.last + 1):
                for h in at_line.get((place.path, line), ()):
                    new = head[h]
                    if h in paired or new.kind != old.kind:
                        continue
                    if same_key and _key(new) != _key(old):
                        continue
                    rank = (line != place.line, new.col != old.col, abs(line - place.line))
                    if best is None or rank < best[0]:
                        best = (rank, h)
            if best is not None:
                new = head[best[1]]
                paired[best[1]] = (b, UNCHANGED if same_key else _changed(old, new))
                taken.add(b)


def _numbered(
    head: list[Escape], base: list[Escape], paired: Mapping[int, tuple[int, str]], taken: set[int]
) -> list[_Match]:
    result: list[_Match] = []
    kept: dict[tuple[str, str], int] = {}  # paired head escapes per key
    for h, escape in enumerate(head):
        if h in paired:
            kept[_key(escape)] = kept.get(_key(escape), 0) + 1
    seen: dict[tuple[str, str], int] = {}
    fresh: dict[tuple[str, str], int] = {}
    for h, escape in enumerate(head):
        key = _key(escape)
        if h in paired:
            b, state = paired[h]
            ordinal = seen.get(key, 0)
            seen[key] = ordinal + 1
            previous = base[b] if state == CHANGED else None
            result.append(_Match(escape, state, ordinal, previous))
        else:
            ordinal = kept.get(key, 0) + fresh.get(key, 0)
            fresh[key] = fresh.get(key, 0) + 1
            result.append(_Match(escape, NEW, ordinal, None))
    matched_base: dict[tuple[str, str], int] = {}
    for b in taken:
        matched_base[_key(base[b])] = matched_base.get(_key(base[b]), 0) + 1
    gone: dict[tuple[str, str], int] = {}
    for b, escape in enumerate(base):
        if b in taken:
            continue
        key = _key(escape)
        result.append(_Match(escape, ABSENT, matched_base.get(key, 0) + gone.get(key, 0), None))
        gone[key] = gone.get(key, 0) + 1
    return result


def _changed(old: Escape, new: Escape) -> str:
    """UNCHANGED when `new` is `old` under other names (a renamed variable), else CHANGED."""
    if old.kind == MOVED or _renamed(stable_expr(old.expr), stable_expr(new.expr)):
        return UNCHANGED
    return CHANGED


def _renamed(old: str, new: str) -> bool:
    """Whether two printed expressions differ only by a consistent renaming of names that are
    not field or method selectors (`p.X` and `ptr.X`, but not `p.X` and `p.Y`)."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    if len(a) != len(b):
        return False
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    previous = ""
    for x, y in zip(a, b, strict=True):
        renamable = (
            previous != "."
            and _NAME.fullmatch(x) is not None
            and _NAME.fullmatch(y) is not None
            and x not in _FIXED
            and y not in _FIXED
        )
        if renamable:
            if forward.setdefault(x, y) != y or backward.setdefault(y, x) != x:
                return False
        elif x != y:
            return False
        previous = x
    return True


class _Callees:
    """The inlined callee an escape at a call site comes from, and the callee's own copies of
    that escape (the same kind and expression, in the callee's own words)."""

    def __init__(
        self,
        head: Mapping[FunctionId, list[Escape]],
        by_display: _Displays,
    ) -> None:
        self.head = head
        self.by_display = by_display

    def copies(
        self, escape: Escape, function: FunctionId
    ) -> tuple[Declaration, list[tuple[FunctionId, Escape]]] | None:
        """(the callee's declaration, its copies); None when `escape` is not inlined from a
        function goescape knows."""
        if not escape.inlined:
            return None
        callee = self._callee(escape.inlined, function.package)
        if callee is None:
            return None
        (fid, decl), qualifier = callee
        wanted = (escape.kind, stable_expr(_unqualified(escape.expr, qualifier)))
        return decl, [(fid, e) for e in self.head.get(fid, []) if _key(e) == wanted]

    def chains(
        self, escape: Escape, function: FunctionId, depth: int = 0
    ) -> tuple[tuple[Location, ...], ...]:
        """Each way down through the inlined callees to a copy that is not inlined itself:
        the copies' places, the outermost callee's first. () when none is known."""
        found = self.copies(escape, function) if depth < _MAX_CALLEE_DEPTH else None
        if found is None:
            return ()
        out: list[tuple[Location, ...]] = []
        for fid, copy in found[1]:
            here = Location(copy.path, copy.line, copy.col)
            deeper = self.chains(copy, fid, depth + 1)
            if deeper:
                out.extend((here, *chain) for chain in deeper)
            else:
                out.append((here,))
        return tuple(out)

    def _callee(
        self, inlined: str, package: str
    ) -> tuple[tuple[FunctionId, Declaration], str] | None:
        name = _TYPE_ARGS.sub("", _CLOSURE_SUFFIX.sub("", inlined))
        found = self.by_display.get(package, name)
        if found is not None:
            return found, ""
        # Another package of the module: `geom.NewPoint`, `geom.(*Point).Add`.
        qualifier, dot, rest = name.partition(".")
        if not dot:
            return None
        for (other, display), entry in self.by_display.entries(rest).items():
            if display == rest and other.rsplit("/", 1)[-1] == qualifier:
                return entry, qualifier
        return None


class _Silencer:
    """Finds the marker that silences an escape: its own (functions.suppression_for), or, for
    an escape of an inlined callee, the marker on the callee's own copy of it."""

    def __init__(self, suppression: Suppression, callees: _Callees) -> None:
        self.suppression = suppression
        self.callees = callees

    def find(self, escape: Escape, function: FunctionId, depth: int = 0) -> IgnoreComment | None:
        own = self.suppression(escape)
        if (own is not None and not own.problem) or not escape.inlined:
            return own
        if depth == _MAX_CALLEE_DEPTH:
            return own
        found = self.callees.copies(escape, function)
        if found is None:
            return own
        decl, copies = found
        for fid, copy in copies:
            marker = self.find(copy, fid, depth + 1)
            if marker is not None and not marker.problem:
                return marker
        # The callee's own copy may not escape (its result stays local there): a marker
        # on its declaration still covers it.
        at_decl = escape._replace(path=decl.path, line=decl.line, col=0, flow=(), inlined="")
        marker = self.suppression(at_decl)
        return marker if marker is not None and not marker.problem else own


def _unqualified(expr: str, qualifier: str) -> str:
    """`expr` as written inside the callee's package: the compiler qualifies the callee's
    names in another package's caller (`geom.p`, `&geom.Point{...}`)."""
    if not qualifier:
        return expr
    return re.sub(rf"(?<![\w.]){re.escape(qualifier)}\.", "", expr)


class _Displays:
    """The head side's functions by (package, display name without type arguments). An index
    that reads its files as asked for (attribution.Declarations) is asked to read those that
    may declare the name looked up; the lookup then sees what a whole index would show."""

    def __init__(self, decls: Mapping[FunctionId, Declaration]) -> None:
        self.decls = decls
        self.table: dict[tuple[str, str], tuple[FunctionId, Declaration]] = {}
        self.size = -1

    def entries(self, name: str) -> Mapping[tuple[str, str], tuple[FunctionId, Declaration]]:
        """Every function that can be `name` (its own name after the last dot) by display."""
        search = getattr(self.decls, "search", None)
        known: Mapping[FunctionId, Declaration] = self.decls
        if search is not None:
            search(*_receiver_and_name(name))
            known = self.decls.known()  # type: ignore[attr-defined]
        if len(known) != self.size:
            self.table = {
                (f.package, _TYPE_ARGS.sub("", d.display)): (f, d) for f, d in known.items()
            }
            self.size = len(known)
        return self.table

    def get(self, package: str, name: str) -> tuple[FunctionId, Declaration] | None:
        return self.entries(name).get((package, name))


def _receiver_and_name(display: str) -> tuple[str, str | None]:
    """(name, receiver type) of a display name without type arguments: `NewPoint` ->
    ("NewPoint", ""), `(*Point).Scale` and `Point.Scale` -> ("Scale", "Point"). A qualified
    `geom.NewPoint` could be either: the receiver is left open (None)."""
    owner, dot, name = display.rpartition(".")
    if not dot:
        return name, ""
    if owner.startswith("(*") and owner.endswith(")"):
        return name, owner[2:-1]
    return name, owner if "." not in owner and "(" not in owner else None


def _inlined_from(escape: Escape, function: FunctionId, by_display: _Displays) -> Location | None:
    if not escape.inlined:
        return None
    name = _TYPE_ARGS.sub("", _CLOSURE_SUFFIX.sub("", escape.inlined))
    found = by_display.get(function.package, name)
    if found is None and name == INIT:
        found = by_display.get(function.package, INIT)
    return Location(found[1].path, found[1].line, 1) if found else None


def _fallback_display(function: FunctionId) -> str:
    return f"{function.receiver}.{function.name}" if function.receiver else function.name
