"""Turn a run's Outcome into what the user reads (text) or a program reads (JSON). Pure.

The text report leads with what fails the run, one `path:line:col:` line per escape so
editors and terminals can jump to it, then the sections that only inform.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from goescape import __version__
from goescape.escapes import LEAK, Escape, FlowStep
from goescape.hints import category, hint_for
from goescape.outcome import (
    ABSENT,
    CHANGED,
    NEW,
    UNCHANGED,
    BenchmarkComparison,
    BenchmarkMeasure,
    Finding,
    Outcome,
    Skipped,
)

JSON_SCHEMA_VERSION = 1

_BOLD, _RED, _YELLOW, _DIM, _RESET = "\033[1m", "\033[31m", "\033[33m", "\033[2m", "\033[0m"
# A `from ... at path:line[:col]` step whose text already carries its position.
_ENDS_WITH_POSITION = re.compile(r" at \S.*:\d+(:\d+)?$")
# Skip reasons that start with a noun we can count: "test file (use --tests)".
_COUNTABLE = {"file": "files", "package": "packages", "directory": "directories"}


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _sorted(findings: Iterable[Finding]) -> list[Finding]:
    """Hotter first (with a profile), then by position."""
    return sorted(
        findings,
        key=lambda f: (-(f.hotness or 0.0), f.escape.path, f.escape.line, f.escape.col, f.ordinal),
    )


def _changed_functions(outcome: Outcome) -> int:
    return sum(1 for s in outcome.functions if s.changed)


def _kinds(findings: Iterable[Finding], adjective: str = "") -> str:
    """ "2 heap escapes and 1 leaking param": leaks are never called heap escapes."""
    findings = list(findings)
    leaks = sum(1 for f in findings if f.escape.kind == LEAK)
    heap = len(findings) - leaks
    word = f"{adjective} " if adjective else ""
    parts = []
    if heap:
        parts.append(_plural(heap, f"{word}heap escape", f"{word}heap escapes"))
    if leaks:
        parts.append(_plural(leaks, f"{word}leaking param", f"{word}leaking params"))
    return " and ".join(parts)


def _headline(outcome: Outcome) -> str:
    if not outcome.base.commit:
        return "goescape: no changed Go functions (no commit yet: nothing to compare against)"
    base = f"(base {outcome.base.commit[:7]}, {outcome.base.how})"
    counted = outcome.counted()
    changed = _changed_functions(outcome)
    rose = len(outcome.regressed())
    if not counted and changed == 0 and not rose:
        return f"goescape: no changed Go functions {base}"
    what = _kinds(counted, "new") or "no new heap escapes"
    where = _plural(changed, "changed function", "changed functions")
    more = f", {_plural(rose, 'benchmark', 'benchmarks')} with more allocs/op" if rose else ""
    return f"goescape: {what} in {where}{more} {base}"


def _totals(outcome: Outcome) -> str:
    """The changed functions' counts, which add up: before = unchanged + changed + removed,
    after = unchanged + changed + new."""
    mine = [f for f in outcome.findings if not f.induced and outcome.counted_kind(f)]
    by_state = Counter(f.state for f in mine)
    before = sum(s.before for s in outcome.functions if s.changed)
    after = sum(s.after for s in outcome.functions if s.changed)
    new = by_state[NEW]
    counted = sum(1 for f in mine if outcome.counts(f))
    unit = "escapes" if outcome.count_leaks else "heap escapes"
    return (
        f"{unit} in the changed functions: {before} -> {after} ({by_state[UNCHANGED]} unchanged, "
        f"{by_state[CHANGED]} changed, {new} new of which {counted} counted, "
        f"{by_state[ABSENT]} removed)"
    )


def _removed(outcome: Outcome) -> list[str]:
    """ "removed 2 heap escapes in Parse", one line per function that lost some."""
    by_function: dict[str, list[Finding]] = {}
    for f in _sorted(outcome.findings):
        if f.state == ABSENT and outcome.counted_kind(f):
            by_function.setdefault(f.display, []).append(f)
    return [f"removed {_kinds(gone)} in {name}" for name, gone in by_function.items()]


def skip_command(environ: Mapping[str, str]) -> str:
    """The git command whose hook run the report ends by saying how to skip: pre-commit names
    the remote only when git runs it for `git push`."""
    return "git push" if environ.get("PRE_COMMIT_REMOTE_NAME") else "git commit"


def _how_to_accept(counted: list[Finding], where: str, skip: str) -> list[str]:
    """The end of a failing report: how to accept an escape, and how to skip the hook once."""
    places = list(
        dict.fromkeys(f"{shown_path(f.escape.path, where)}:{f.escape.line}" for f in counted)
    )
    shown = ", ".join(places[:3]) + (", ..." if len(places) > 3 else "")
    return [
        f"to accept an escape: add `//goescape:ignore <reason>` at the end of the line it "
        f"names ({shown}) or alone on the line above",
        f"to skip goescape once: SKIP=goescape {skip} ...",
    ]


def _note(finding: Finding, outcome: Outcome, *, counts: bool, induced: bool) -> str:
    """What goes in the parentheses after an escape: counts, new function, causes."""
    parts = []
    if finding.new_function:
        parts.append("new function")
    elif counts:
        unit = "escapes" if outcome.count_leaks else "heap escapes"
        parts.append(f"{finding.before} -> {finding.after} {unit}")
    if induced and finding.induced:
        parts.append("caused by this change")
    if finding.escape.inlined:
        # The escape sits in the caller because the callee's body was inlined there.
        parts.append(f"via inlined {finding.escape.inlined}")
    if finding.cold:
        parts.append(f"cold: {finding.cold}")
    if finding.hotness is not None and outcome.profile is not None:
        parts.append(f"{_percent(finding.hotness)} of CPU in {outcome.profile.path}")
    return ", ".join(parts)


def _percent(share: float) -> str:
    percent = share * 100
    if percent == 0:
        return "0%"
    return f"{percent:.1f}%" if percent >= 0.1 else "<0.1%"


def shown_path(path: str, where: str) -> str:
    """Repo-relative `path` as seen from the repo-relative directory `where`, as go vet
    prints paths: `point.go` in its own directory, `../util/buf.go` from a sibling. Paths
    outside the repository (GOROOT, `<autogenerated>`) are kept."""
    if not where or not path or path.startswith(("/", "<", "../")) or path == "..":
        return path
    return posixpath.relpath(path, where)


def _step_line(step: FlowStep, where: str) -> str:
    # `from` steps carry the position of the expression they name; `flow:` lines do not.
    if step.text.startswith("from ") and not _ENDS_WITH_POSITION.search(step.text):
        col = f":{step.col}" if step.col else ""
        return f"{step.text} at {shown_path(step.path, where)}:{step.line}{col}"
    return step.text


def _flow_lines(escape: Escape, where: str) -> list[str]:
    lines = []
    for step in escape.flow:
        indent = "      " if step.text.startswith("from ") else "    "
        lines.append(f"{indent}{_step_line(step, where)}")
    if lines:
        return ["    why:", *("  " + line for line in lines)]
    return []


class _Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if self.color else text


def _entry(
    finding: Finding, note: str, *, explain: bool, style: _Style, where: str, code: str = ""
) -> list[str]:
    esc = finding.escape
    col = f":{esc.col}" if esc.col else ""
    head = f"{shown_path(esc.path, where)}:{esc.line}{col}: {finding.display}: {esc.message}"
    if note:
        head += f"   ({note})"
    lines = [
        style(code, head) if code else head,
        style(_DIM, f"    hint: {hint_for(esc, finding.cold)}"),
    ]
    if explain:
        lines.extend(_flow_lines(esc, where))
    return lines


def _section(title: str, body: list[str], style: _Style) -> list[str]:
    return ["", style(_YELLOW, title), *body] if body else []


def _skipped_line(skipped: tuple[Skipped, ...]) -> str:
    by_reason: Counter[str] = Counter()
    kind_of: dict[str, str] = {}
    for item in skipped:
        by_reason[item.reason] += 1
        kind_of.setdefault(item.reason, "file" if item.path.endswith(".go") else "package")
    parts = []
    for reason, n in by_reason.items():
        head, paren, tail = reason.partition(" (")
        words = head.split(" ")
        if words[-1] in _COUNTABLE:
            if n > 1:
                words[-1] = _COUNTABLE[words[-1]]
            parts.append(f"{n} {' '.join(words)}{paren}{tail}")
        else:
            noun = kind_of[reason]
            parts.append(f"{_plural(n, noun, _COUNTABLE[noun])} ({reason})")
    return "skipped: " + ", ".join(parts)


def _new_shown(outcome: Outcome) -> list[Finding]:
    return _sorted(f for f in outcome.findings if f.state == NEW)


class _Entries(NamedTuple):
    """The findings the text report shows with a hint (and --explain's flow), by section."""

    counted: list[Finding]
    induced: list[Finding]
    cold: list[Finding]
    colder: list[Finding]  # than --min-hotness
    leaks: list[Finding]  # not counted (without --leaks)


def _entries(outcome: Outcome) -> _Entries:
    counted = _sorted(outcome.counted())
    counted_set = set(counted)
    open_new = [f for f in _new_shown(outcome) if f not in counted_set and f.suppressed is None]
    induced = [f for f in open_new if f.induced and (f.is_heap or outcome.count_leaks)]
    cold = [f for f in open_new if not f.induced and f.is_heap and f.cold]
    colder = [
        f
        for f in open_new
        if not f.induced and f.is_heap and f not in cold and outcome.min_hotness is not None
    ]
    leaks = [] if outcome.count_leaks else [f for f in open_new if f.escape.kind == LEAK]
    return _Entries(counted, induced, cold, colder, leaks)


def shown_with_hints(outcome: Outcome) -> list[Finding]:
    """The findings `render_text` shows as entries with a hint (and, with `explain`, the
    compiler's flow): what a text report needs the compiler's explanation for."""
    return [f for group in _entries(outcome) for f in group]


def render_text(
    outcome: Outcome,
    *,
    explain: bool,
    color: bool = False,
    where: str = "",
    skip: str = "git commit",
) -> str:
    """The report as the user reads it, without a final newline. `color` adds ANSI codes;
    paths are relative to `where`, the repo-relative directory goescape runs in; `skip` is
    the git command a failing report says how to run without the hook (skip_command)."""
    style = _Style(color)
    entries = _entries(outcome)
    counted = entries.counted
    new = _new_shown(outcome)
    lines = [style(_BOLD, _headline(outcome))]

    for f in counted:
        note = _note(f, outcome, counts=True, induced=True)
        lines += _entry(f, note, explain=explain, style=style, where=where, code=_RED)
    for b in outcome.regressed():
        lines.append(style(_RED, _benchmark_line(b)))

    earlier = _earlier_commits_line(outcome)
    if earlier:
        lines += ["", earlier]

    colder = (
        f"in functions colder than --min-hotness {outcome.min_hotness:g} (not counted):"
        if outcome.min_hotness is not None
        else ""
    )
    uncounted = (
        (
            "caused by this change in functions it did not touch"
            " (not counted; --fail-on-induced counts them):",
            entries.induced,
        ),
        (
            "on paths that run only when something fails"
            " (not counted; --fail-on-cold counts them):",
            entries.cold,
        ),
        (colder, entries.colder),
    )
    for title, group in uncounted:
        body: list[str] = []
        for f in group:
            # counts=True: each section's title says why it does not count.
            note = _note(f, outcome, counts=True, induced=False)
            body += _entry(f, note, explain=explain, style=style, where=where)
        lines += _section(title, body, style)

    body = [_benchmark_line(b) for b in outcome.benchmarks if not b.regressed]
    lines += _section(
        "benchmarks (base -> head; a rise in allocs/op fails the run, ns/op only informs):",
        body,
        style,
    )

    body = []
    for f in new:
        if f.suppressed is not None and (f.is_heap or outcome.count_leaks):
            why = f"reason: {f.suppressed}" if f.suppressed else "no reason given"
            esc = f.escape
            col = f":{esc.col}" if esc.col else ""
            path = shown_path(esc.path, where)
            body.append(f"{path}:{esc.line}{col}: {f.display}: {esc.message}   ({why})")
    lines += _section("suppressed by //goescape:ignore (not counted):", body, style)

    body = []
    for f in entries.leaks:
        # Heap escape counts say nothing about a leak.
        note = _note(f, outcome, counts=False, induced=True)
        body += _entry(f, note, explain=explain, style=style, where=where)
    lines += _section("new leaking params (not counted; --leaks counts them):", body, style)

    body = []
    for f in _sorted(outcome.findings):
        if f.state == CHANGED and outcome.counted_kind(f):
            was = f"was: {f.previous.message}" if f.previous is not None else "changed"
            body += _entry(f, was, explain=False, style=style, where=where)[:1]
    lines += _section(
        "changed at the same place (the same kind of escape, re-expressed; not counted):",
        body,
        style,
    )

    summary = _removed(outcome)
    if _changed_functions(outcome):
        summary.append(_totals(outcome))
    if summary:
        lines += ["", *summary]

    tail = []
    if outcome.skipped:
        tail.append(_skipped_line(outcome.skipped))
    tail += [style(_YELLOW, f"warning: {w}") for w in outcome.warnings]
    if tail:
        lines += ["", *tail]
    if counted:
        lines += ["", *_how_to_accept(counted, where, skip)]
    return "\n".join(lines)


def _earlier_commits(outcome: Outcome) -> list[Finding]:
    """New escapes in changed functions that the commit being made does not touch (the
    pre-commit stage): an earlier commit of the branch introduced them."""
    return [
        f
        for f in outcome.findings
        if f.earlier_commit
        and f.state == NEW
        and not f.induced
        and f.suppressed is None
        and (f.is_heap or outcome.count_leaks)
    ]


def _earlier_commits_line(outcome: Outcome) -> str:
    found = _earlier_commits(outcome)
    if not found:
        return ""
    names = list(dict.fromkeys(f.display for f in _sorted(found)))
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    unit = "new escape" if outcome.count_leaks else "new heap escape"
    return (
        f"earlier commits: {_plural(len(found), unit, unit + 's')} in {shown}, which this "
        "commit does not touch (not counted here; pre-push and CI judge the whole branch)"
    )


def _figure(value: float) -> str:
    # As `go test -bench` prints them: whole numbers in full (`:g` would give 1.80665e+07).
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _benchmark_line(b: BenchmarkComparison) -> str:
    """`example.com/m/geom BenchmarkLabel: 0 -> 1 allocs/op, 0 -> 16 B/op, 52 -> 160 ns/op`."""
    head = f"{b.package} {b.name}: "
    if b.base is None or b.head is None:
        only = b.head or b.base
        assert only is not None
        where = "head" if b.base is None else "base"
        return (
            f"{head}{_figure(only.allocs_per_op)} allocs/op, {_figure(only.bytes_per_op)} B/op, "
            f"{_figure(only.ns_per_op)} ns/op   (only at {where})"
        )
    text = (
        f"{head}{_figure(b.base.allocs_per_op)} -> {_figure(b.head.allocs_per_op)} allocs/op, "
        f"{_figure(b.base.bytes_per_op)} -> {_figure(b.head.bytes_per_op)} B/op, "
        f"{_figure(b.base.ns_per_op)} -> {_figure(b.head.ns_per_op)} ns/op"
    )
    return f"{text}   (allocs/op rose)" if b.regressed else text


def _measure_json(m: BenchmarkMeasure | None) -> dict[str, float] | None:
    if m is None:
        return None
    return {
        "allocs_per_op": m.allocs_per_op,
        "bytes_per_op": m.bytes_per_op,
        "ns_per_op": m.ns_per_op,
    }


def _position(path: str, line: int, col: int) -> dict[str, Any]:
    return {"path": path, "line": line, "col": col}


def _finding_json(f: Finding, counted: bool) -> dict[str, Any]:
    esc = f.escape
    return {
        "function": {
            "package": f.function.package,
            "receiver": f.function.receiver,
            "name": f.function.name,
            "display": f.display,
        },
        **_position(esc.path, esc.line, esc.col),
        "kind": esc.kind,
        "expression": esc.expr,
        "message": esc.message,
        "state": f.state,
        "counted": counted,
        "induced": f.induced,
        "suppressed": f.suppressed is not None,
        "suppression_reason": f.suppressed,
        "before": f.before,
        "after": f.after,
        "ordinal": f.ordinal,
        "new_function": f.new_function,
        "earlier_commit": f.earlier_commit,
        "previous": _previous_json(f.previous),
        "inlined": esc.inlined or None,
        "inlined_from": _position(*f.inlined_from) if f.inlined_from else None,
        "cold": bool(f.cold),
        "cold_reason": f.cold or None,
        "hotness": f.hotness,
        "hint": hint_for(esc, f.cold),
        "hint_category": category(esc, f.cold),
        "flow": [{**_position(s.path, s.line, s.col), "text": s.text} for s in esc.flow],
    }


def _previous_json(previous: Escape | None) -> dict[str, Any] | None:
    if previous is None:
        return None
    return {
        **_position(previous.path, previous.line, previous.col),
        "expression": previous.expr,
        "message": previous.message,
    }


def render_json(outcome: Outcome) -> str:
    """The outcome as one JSON document (format: docs/json.md), without a final newline."""
    counted = _sorted(outcome.counted())
    counted_set = set(counted)
    findings = _sorted(outcome.findings)
    new = [f for f in findings if f.state == NEW]
    per_function = outcome.counted_by_function()
    doc: dict[str, Any] = {
        "schema_version": JSON_SCHEMA_VERSION,
        "tool": {"name": "goescape", "version": __version__, "go": outcome.go_version},
        "base": {
            "commit": outcome.base.commit,
            "short": outcome.base.commit[:7],
            "how": outcome.base.how,
        },
        "head": {"commit": outcome.head_commit or None, "label": outcome.head_label},
        "options": {
            "count_leaks": outcome.count_leaks,
            "fail_on_induced": outcome.fail_on_induced,
            "fail_on_cold": outcome.fail_on_cold,
            "min_hotness": outcome.min_hotness,
        },
        "profile": outcome.profile._asdict() if outcome.profile else None,
        "summary": {
            "exit_code": 1 if outcome.failed() else 0,
            "counted": len(counted),
            "counted_heap": sum(1 for f in counted if f.is_heap),
            "counted_leaks": sum(1 for f in counted if f.escape.kind == LEAK),
            "changed_functions": _changed_functions(outcome),
            "new": len(new),
            "new_induced": sum(1 for f in new if f.induced),
            "new_suppressed": sum(1 for f in new if f.suppressed is not None),
            "new_earlier_commit": len(_earlier_commits(outcome)),
            "changed": sum(1 for f in findings if f.state == CHANGED),
            "unchanged": sum(1 for f in findings if f.state == UNCHANGED),
            "removed": sum(1 for f in findings if f.state == ABSENT),
            "new_cold": sum(1 for f in new if f.cold),
            "benchmarks_regressed": len(outcome.regressed()),
            "skipped": len(outcome.skipped),
            "warnings": len(outcome.warnings),
        },
        "counted": [_finding_json(f, True) for f in counted],
        "findings": [_finding_json(f, f in counted_set) for f in findings],
        "functions": [
            {
                "function": {
                    "package": s.function.package,
                    "receiver": s.function.receiver,
                    "name": s.function.name,
                    "display": s.display,
                },
                "path": s.path,
                "line": s.line,
                "changed": s.changed,
                "new_function": s.new_function,
                "before": s.before,
                "after": s.after,
                "new": per_function.get(s.function, 0),
            }
            for s in sorted(outcome.functions, key=lambda s: (s.path, s.line, s.display))
        ],
        "skipped": [{"path": s.path, "reason": s.reason} for s in outcome.skipped],
        "warnings": list(outcome.warnings),
        "benchmarks": [
            {
                "package": b.package,
                "name": b.name,
                "base": _measure_json(b.base),
                "head": _measure_json(b.head),
                "regressed": b.regressed,
            }
            for b in outcome.benchmarks
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)
