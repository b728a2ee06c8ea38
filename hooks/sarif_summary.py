"""`goescape sarif-summary FILE`: a short human summary of a SARIF file goescape wrote."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from goescape import stdout
from goescape.errors import EXIT_CLEAN
from goescape.escapes import LEAK
from goescape.outcome import ABSENT, NEW, UNCHANGED
from goescape.sarif_read import ReportedEscape, SarifError, SarifReport, read

UPDATED = "updated"  # SARIF's baselineState of an escape the change re-expressed (CHANGED)


def counted_phrase(escapes: list[ReportedEscape]) -> str:
    """ "2 new heap escapes and 1 new leaking param" for the escapes that fail the run (those
    goescape marked `counted`); a leaking parameter is never called a heap escape."""
    counted = [e for e in escapes if e.counted]
    leaks = sum(1 for e in counted if e.kind == LEAK)
    heap = len(counted) - leaks
    parts = []
    if heap:
        parts.append(f"{heap} new heap escape{'s' * (heap != 1)}")
    if leaks:
        parts.append(f"{leaks} new leaking param{'s' * (leaks != 1)}")
    return " and ".join(parts) or "no new heap escapes"


def summarize(report: SarifReport) -> str:
    """The summary text (pure)."""
    new = [e for e in report.escapes if e.baseline_state == NEW]
    changed = [e for e in report.escapes if e.baseline_state == UPDATED]
    removed = [e for e in report.escapes if e.baseline_state == ABSENT]
    unchanged = sum(e.baseline_state == UNCHANGED for e in report.escapes)
    suppressed = sum(e.suppressed for e in new)
    induced = sum(e.induced for e in new)
    head = _short(report.head_commit) or report.head_label or "working tree"
    lines = [
        f"goescape {report.tool_version or '?'} with {report.go_version or 'an unknown Go'}: "
        f"base {_short(report.base_commit) or '?'} -> head {head}"
        + (" (upload file: new results only)" if report.upload_mode else ""),
        f"counted: {counted_phrase(new)}"
        + ("" if report.exit_code is None else f"; exit code {report.exit_code}"),
        f"new escapes: {len(new)} ({suppressed} suppressed, {induced} induced); "
        f"changed: {len(changed)}; unchanged: {unchanged}; removed: {len(removed)}",
    ]
    lines += [_line(e) for e in new]
    if changed:
        lines.append("changed:")
        lines += [_line(e) for e in changed]
    if removed:
        lines.append("removed:")
        lines += [_line(e) for e in removed]
    if report.functions:
        before = sum(f.before for f in report.functions)
        after = sum(f.after for f in report.functions)
        lines.append(f"functions compared: {len(report.functions)}, escapes {before} -> {after}")
    if report.notifications:
        lines.append("notes:")
        lines += [f"  {n}" for n in report.notifications]
    return "\n".join(lines)


def _line(e: ReportedEscape) -> str:
    col = f":{e.col}" if e.col else ""
    words = e.compiler_message or e.message
    tag = "suppressed" if e.suppressed else e.level
    extra = ""
    if e.suppressed:
        extra = f"  ({e.suppression_reason})" if e.suppression_reason else "  (no reason given)"
    elif e.induced:
        extra = "  (induced: function unchanged)"
    elif e.previous_expression:
        extra = f"  (was: {e.previous_expression})"
    return f"  {tag:<10} {e.path}:{e.line}{col}  {e.display or e.function}: {words}{extra}"


def _short(sha: str) -> str:
    return sha[:12]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="goescape sarif-summary",
        description="Print a short summary of a SARIF file goescape wrote.",
    )
    parser.add_argument("file", type=Path, help="the SARIF file (--sarif or --sarif-upload)")
    args = parser.parse_args(argv)
    try:
        report = read(args.file)
    except SarifError as err:
        print(f"goescape sarif-summary: {err}", file=sys.stderr)
        return err.exit_code
    stdout.emit(summarize(report))
    return EXIT_CLEAN
