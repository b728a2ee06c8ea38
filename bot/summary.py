"""The sticky summary: one table of the compared functions and the new escapes. Pure.

The same markdown is the pull request's sticky issue comment (behind a marker) and the job's
step summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from goescape.sarif_read import ReportedBenchmark, ReportedEscape, SarifReport

from .comments import SUMMARY, Links, marker
from .markdown import code, plain

TITLE = "### goescape: heap escapes"
NONE_FOUND = "No new heap escapes."


def summary_markdown(
    report: SarifReport,
    escapes: Sequence[ReportedEscape],
    links: Links,
    notes: Iterable[str] = (),
) -> str:
    """`escapes`: the reported (new, unsuppressed) ones."""
    base = report.base_commit[:12] or "?"
    head = links.head_sha[:12]
    lines = [TITLE, "", f"Compared {code(head)} with its merge base {code(base)}."]
    if report.functions:
        lines += [
            "",
            "| Function | File | Before | After | New |",
            "| --- | --- | ---: | ---: | ---: |",
        ]
        for f in sorted(report.functions, key=lambda f: (f.path, f.line, f.display)):
            where = f"[{code(f'{f.path}:{f.line}', in_table=True)}]({links.blob(f.path, f.line)})"
            lines.append(
                f"| {code(f.display, in_table=True)} | {where} | {f.before} | {f.after} | {f.new} |"
            )
    else:
        lines += ["", "The change touches no Go function goescape compares."]
    lines.append("")
    if escapes:
        noun = "escape" if len(escapes) == 1 else "escapes"
        lines += [
            f"**{len(escapes)} new heap {noun}**",
            "",
            "| Line | Function | Compiler |",
            "| --- | --- | --- |",
        ]
        for e in escapes:
            where = f"[{code(f'{e.path}:{e.line}', in_table=True)}]({links.blob(e.path, e.line)})"
            lines.append(
                f"| {where} | {code(e.display, in_table=True)} "
                f"| {code(e.compiler_message, in_table=True)}{_mark(e)} |"
            )
    else:
        lines.append(f"**{NONE_FOUND}**")
    if report.benchmarks:
        lines += ["", *benchmarks_table(report.benchmarks)]
    skipped = list(report.notifications)
    if skipped:
        lines += ["", "<details><summary>Notes</summary>", ""]
        lines += [f"- {plain(n)}" for n in skipped]
        lines += ["", "</details>"]
    extra = list(notes)
    if extra:
        lines += ["", *extra]  # our own sentences, not source text
    return "\n".join(lines) + "\n"


def _mark(e: ReportedEscape) -> str:
    """After the compiler's words: cold (not counted) and the function's share of the CPU."""
    parts = []
    if e.cold:
        parts.append(f"cold: {plain(e.cold_reason or 'failure path')}, not counted")
    if e.hotness is not None:
        parts.append(f"{e.hotness * 100:.1f}% of CPU")
    return f" ({'; '.join(parts)})" if parts else ""


def _figure(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def benchmarks_table(benchmarks: Sequence[ReportedBenchmark]) -> list[str]:
    """allocs/op and B/op at base and head (a rise in allocs/op fails the run); ns/op informs."""
    rose = sum(1 for b in benchmarks if b.regressed)
    title = f"**Benchmarks** ({rose} with more allocs/op)" if rose else "**Benchmarks**"
    lines = [
        title,
        "",
        "| Benchmark | allocs/op | B/op | ns/op |",
        "| --- | ---: | ---: | ---: |",
    ]

    def pair(base: float | None, head: float | None) -> str:
        shown = [_figure(v) if v is not None else "-" for v in (base, head)]
        return f"{shown[0]} → {shown[1]}"

    for b in benchmarks:
        name = code(f"{b.package} {b.name}", in_table=True)
        mark = " **↑**" if b.regressed else ""
        lines.append(
            f"| {name}{mark} "
            f"| {pair(b.base and b.base.allocs_per_op, b.head and b.head.allocs_per_op)} "
            f"| {pair(b.base and b.base.bytes_per_op, b.head and b.head.bytes_per_op)} "
            f"| {pair(b.base and b.base.ns_per_op, b.head and b.head.ns_per_op)} |"
        )
    return lines


def sticky_body(summary: str) -> str:
    return f"{marker(SUMMARY)}\n{summary}"
