"""The sticky summary: the compared functions and every reported escape, counted first. Pure.

The same markdown is the pull request's sticky issue comment (behind a marker) and the job's
step summary. Its count of new heap escapes is the one the outputs and the CLI give: the
escapes whose SARIF result says `counted`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from goescape.sarif_read import ReportedBenchmark, ReportedEscape, SarifReport

from . import words
from .comments import MAX_BODY, SUMMARY, Links, marker
from .markdown import code, plain

TITLE = "### goescape: heap escapes"
NONE_FOUND = "No new heap escapes."
MAX_NOTES = 50


def _cell(text: str) -> str:
    return plain(text)  # plain also neutralises `|`, which would end a table cell


def _where(path: str, line: int, links: Links) -> str:
    return f"[{code(f'{path}:{line}', in_table=True)}]({links.blob(path, line)})"


def _rows(rows: list[str], budget: int) -> tuple[list[str], int]:
    """The rows that fit in `budget` characters, and how many were left out."""
    kept: list[str] = []
    for row in rows:
        if budget - len(row) - 1 < 0:
            return kept, len(rows) - len(kept)
        kept.append(row)
        budget -= len(row) + 1
    return kept, 0


def summary_markdown(
    report: SarifReport,
    escapes: Sequence[ReportedEscape],
    links: Links,
    notes: Iterable[str] = (),
    *,
    profile: str = "",
) -> str:
    """`escapes`: the reported ones (new or changed, not suppressed)."""
    base = report.base_commit[:12] or "?"
    head = code(links.head_sha[:12]) if links.head_sha else "the working tree"
    lines = [TITLE, "", f"Compared {head} with its merge base {code(base)}."]
    if profile:
        lines[-1] += f" Escapes are ranked by the CPU profile {code(profile)}."
    extra = list(notes)  # our own sentences, not source text
    skipped = list(report.notifications[:MAX_NOTES])
    if len(report.notifications) > MAX_NOTES:
        more = len(report.notifications) - MAX_NOTES
        skipped.append(f"\u2026 and {more} more, in the SARIF file")
    benchmark_lines = benchmarks_table(report.benchmarks) if report.benchmarks else []
    # Tables get what the fixed text leaves of GitHub's limit on a comment's length.
    budget = MAX_BODY - 2_000 - sum(len(n) + 3 for n in [*extra, *skipped, *benchmark_lines])
    function_rows = [
        f"| {code(f.display, in_table=True)} | {_where(f.path, f.line, links)} "
        f"| {f.before} | {f.after} | {f.new} |"
        for f in sorted(report.functions, key=lambda f: (f.path, f.line, f.display))
    ]
    ordered = words.ordered(escapes)
    counted = [e for e in ordered if e.counted]
    shown = [e for e in ordered if not e.counted]
    # A column for what else the report says (cold, hotness, ...) only when it says something.
    noted = any(words.facts(e, profile) for e in counted)
    counted_rows = [
        f"| {_where(e.path, e.line, links)} | {code(e.display, in_table=True)} "
        f"| {code(e.compiler_message, in_table=True)} |"
        + (f" {'; '.join(words.facts(e, profile, _cell))} |" if noted else "")
        for e in counted
    ]
    shown_rows = [
        f"| {_where(e.path, e.line, links)} | {code(e.display, in_table=True)} "
        f"| {words.title(e)}: {code(e.compiler_message, in_table=True)} "
        f"| {'; '.join([*words.facts(e, profile, _cell), words.not_counted(e)])} |"
        for e in shown
    ]
    # Escapes before functions: when space runs out, the findings matter most.
    counted_rows, counted_cut = _rows(counted_rows, budget)
    budget -= sum(len(r) + 1 for r in counted_rows)
    shown_rows, shown_cut = _rows(shown_rows, budget)
    budget -= sum(len(r) + 1 for r in shown_rows)
    function_rows, function_cut = _rows(function_rows, budget)
    if report.functions:
        lines += [
            "",
            "| Function | File | Before | After | New |",
            "| --- | --- | ---: | ---: | ---: |",
            *function_rows,
        ]
        if function_cut:
            cut = words.plural(function_cut, "more function", "more functions")
            lines.append(f"\n\u2026 and {cut}.")
    else:
        lines += ["", "The change touches no Go function goescape compares."]
    lines.append("")
    if counted:
        lines += [
            f"**{words.counts_phrase(counted)}**",
            "",
            "| Line | Function | Compiler |" + (" Notes |" if noted else ""),
            "| --- | --- | --- |" + (" --- |" if noted else ""),
            *counted_rows,
        ]
        if counted_cut:
            lines.append(f"\n\u2026 and {counted_cut} more, in the SARIF file.")
    else:
        lines.append(f"**{NONE_FOUND}**")
    if shown:
        lines += [
            "",
            f"**{words.plural(len(shown), 'finding', 'findings')} shown, not counted**",
            "",
            "| Line | Function | Finding | Why it does not count |",
            "| --- | --- | --- | --- |",
            *shown_rows,
        ]
        if shown_cut:
            lines.append(f"\n\u2026 and {shown_cut} more, in the SARIF file.")
    if benchmark_lines:
        lines += ["", *benchmark_lines]
    if skipped:
        lines += ["", "<details><summary>Notes</summary>", ""]
        lines += [f"- {plain(n)}" for n in skipped]
        lines += ["", "</details>"]
    if extra:
        lines += ["", *extra]
    return "\n".join(lines) + "\n"


# Benchmarks listed in the summary at most; the rest are in the SARIF file.
MAX_BENCHMARKS = 50


def _figure(value: float) -> str:
    # As `go test -bench` prints them: whole numbers in full (`:g` would give 1.80665e+07).
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _pair(base: float | None, head: float | None) -> str:
    shown = [_figure(v) if v is not None else "-" for v in (base, head)]
    return f"{shown[0]} \u2192 {shown[1]}"


def benchmarks_table(benchmarks: Sequence[ReportedBenchmark]) -> list[str]:
    """`--bench`: allocs/op and B/op at base and head (a rise in allocs/op fails the run, the
    row is marked), ns/op for information."""
    rose = sum(1 for b in benchmarks if b.regressed)
    title = f"**Benchmarks** ({rose} with more allocs/op)" if rose else "**Benchmarks**"
    lines = [
        title,
        "",
        "| Benchmark | allocs/op | B/op | ns/op |",
        "| --- | ---: | ---: | ---: |",
    ]
    ordered = sorted(benchmarks, key=lambda b: (not b.regressed, b.package, b.name))
    for b in ordered[:MAX_BENCHMARKS]:
        base, head = b.base, b.head
        mark = " **\u2191**" if b.regressed else ""
        lines.append(
            f"| {code(f'{b.package} {b.name}', in_table=True)}{mark} "
            f"| {_pair(base and base.allocs_per_op, head and head.allocs_per_op)} "
            f"| {_pair(base and base.bytes_per_op, head and head.bytes_per_op)} "
            f"| {_pair(base and base.ns_per_op, head and head.ns_per_op)} |"
        )
    if len(ordered) > MAX_BENCHMARKS:
        lines.append(f"\n\u2026 and {len(ordered) - MAX_BENCHMARKS} more, in the SARIF file.")
    return lines


def sticky_body(summary: str) -> str:
    return f"{marker(SUMMARY)}\n{summary}"
