"""The sticky summary: one table of the compared functions and the new escapes. Pure.

The same markdown is the pull request's sticky issue comment (behind a marker) and the job's
step summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from goescape.sarif_read import ReportedEscape, SarifReport
from goescape.sarif_summary import counted_phrase

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
    # Only what goescape counted is called a new heap escape (a leak only as a leak); the
    # rest (caused by a change elsewhere, leaking parameters without --leaks, ...) is listed
    # apart.
    counted = [e for e in escapes if e.counted]
    others = [e for e in escapes if not e.counted]
    if counted:
        phrase = counted_phrase(counted)
        lines.append(f"**{phrase[0].upper()}{phrase[1:]}**")
    else:
        lines.append(f"**{NONE_FOUND}**")
    if counted:
        lines += ["", *_table(counted, links)]
    if others:
        lines += ["", "Not counted:", "", *_table(others, links)]
    skipped = list(report.notifications)
    if skipped:
        lines += ["", "<details><summary>Notes</summary>", ""]
        lines += [f"- {plain(n)}" for n in skipped]
        lines += ["", "</details>"]
    extra = list(notes)
    if extra:
        lines += ["", *extra]  # our own sentences, not source text
    return "\n".join(lines) + "\n"


def _table(escapes: Sequence[ReportedEscape], links: Links) -> list[str]:
    lines = ["| Line | Function | Compiler |", "| --- | --- | --- |"]
    for e in escapes:
        where = f"[{code(f'{e.path}:{e.line}', in_table=True)}]({links.blob(e.path, e.line)})"
        lines.append(
            f"| {where} | {code(e.display, in_table=True)} "
            f"| {code(e.compiler_message, in_table=True)} |"
        )
    return lines


def sticky_body(summary: str) -> str:
    return f"{marker(SUMMARY)}\n{summary}"
