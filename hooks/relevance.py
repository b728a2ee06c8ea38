"""Does it matter? Each finding's cold path (coldpaths.py) and hotness (profile.py). Pure.

Only new and changed escapes are read for cold paths: they are the ones a run reports, and
reading a file costs a parse. Hotness is the finding's function's share of the profile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from goescape.functions import FunctionId
from goescape.outcome import CHANGED, NEW, Finding, Location

if TYPE_CHECKING:  # a run without a profile never loads profile.py
    from goescape.profile import ProfileTable

MAIN = "main"  # profile.MAIN


# Every cold shape names one of these inside the declaration that holds it: `panic`,
# `log.Fatal*`/`log.Panic*`, `os.Exit`, or a function whose last result is `error`.
_COLD_WORDS = (b"panic", b"error", b"Fatal", b"Panic", b"Exit")

Span = Callable[[str, int], "tuple[int, int] | None"]


def annotate(
    findings: Iterable[Finding],
    read: Callable[[str], bytes | None],
    package_name: Callable[[str], str],
    table: ProfileTable | None,
    span: Span = lambda path, line: None,
) -> list[Finding]:
    """`findings` with `cold` set (from the head file `read(path)` returns) and, with a
    profile, `hotness`. `package_name(path)` is a file's package clause: a main package's
    functions are named `main.F` in profiles, whatever their import path. `span(path, line)`
    gives the lines of the declaration holding a line (None: read the whole file): only
    declarations that can hold a cold shape are parsed, and only they."""
    findings = list(findings)
    wanted: dict[str, set[tuple[int, int]]] = {}
    for f in findings:
        if f.state in (NEW, CHANGED):
            wanted.setdefault(f.escape.path, set()).add((f.escape.line, f.escape.col))
            for place in (p for chain in f.callee_copies for p in chain):
                wanted.setdefault(place.path, set()).add((place.line, place.col))
    reasons: dict[tuple[str, int, int], str] = {}
    for path, positions in wanted.items():
        source = read(path)
        if source is None:
            continue
        lines = source.split(b"\n")
        by_span: dict[tuple[int, int], set[tuple[int, int]]] = {}
        for line, col in positions:
            by_span.setdefault(span(path, line) or (1, len(lines)), set()).add((line, col))
        for (first, last), inside in by_span.items():
            text = b"\n".join(lines[first - 1 : last])
            if not any(word in text for word in _COLD_WORDS):
                continue
            from goescape import coldpaths

            # The declaration alone, at its own lines: what it says does not depend on
            # the rest of the file.
            fragment = b"\n" * (first - 1) + text
            for (line, col), reason in coldpaths.cold_reasons(fragment, inside).items():
                reasons[path, line, col] = reason
    out = []
    for f in findings:
        cold = reasons.get((f.escape.path, f.escape.line, f.escape.col), "")
        if not cold and f.callee_copies:
            cold = _inlined_cold(f.callee_copies, reasons)
        hotness = None
        if table is not None:
            hotness = max(
                table.share(name) for name in _profiled(f.function, package_name(f.escape.path))
            )
        out.append(f._replace(cold=cold, hotness=hotness) if cold or table else f)
    return out


def _inlined_cold(
    chains: tuple[tuple[Location, ...], ...], reasons: dict[tuple[str, int, int], str]
) -> str:
    """Why an escape an inlined callee causes at its call is cold: the callee's code that
    makes it runs only when something fails, in every copy the callee has of it (a callee
    with the same escape on its normal path too keeps it hot)."""
    found = []
    for chain in chains:
        why = next((r for p in chain if (r := reasons.get((p.path, p.line, p.col)))), "")
        if not why:
            return ""
        found.append(why)
    return found[0]


def _profiled(function: FunctionId, package_name: str) -> list[FunctionId]:
    """How a profile may name the function: a program names its main package's functions
    `main.F`; a test binary of that package (`go test -cpuprofile`) by the import path."""
    if package_name == MAIN and not function.package.endswith("_test"):
        return [function._replace(package=MAIN), function]
    return [function]
