"""Workflow commands: annotations on the run page when the token cannot write. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from goescape.escapes import LEAK
from goescape.sarif_read import ReportedEscape


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def warning(path: str, line: int, title: str, message: str) -> str:
    """`::warning file=...,line=...,title=...::message`, every part escaped."""
    return (
        f"::warning file={_property(path)},line={line},title={_property(title)}::{_data(message)}"
    )


# GitHub shows at most 10 warning annotations of a step; the rest would vanish unsaid.
MAX_WARNINGS = 10


def escape_warnings(escapes: Iterable[ReportedEscape], limit: int = MAX_WARNINGS) -> list[str]:
    """A warning per escape, those that fail the run first, and a notice for any left out."""
    ordered = sorted(escapes, key=lambda e: (not e.counted, e.path, e.line, e.col))
    lines = [
        warning(
            e.path,
            e.line,
            title(e),
            f"{e.compiler_message} in {e.display} (heap escapes {e.before} -> {e.after})",
        )
        for e in ordered[:limit]
    ]
    if len(ordered) > limit:
        more = len(ordered) - limit
        lines.append(
            f"::notice title=goescape::{more} more new escape{'s' * (more != 1)}"
            " (GitHub shows 10 annotations a step): see the job summary"
        )
    return lines


def title(e: ReportedEscape) -> str:
    """What an escape is called: a leaking parameter is never a heap escape, and what goescape
    did not count says so."""
    what = "new leaking param" if e.kind == LEAK else "new heap escape"
    return f"goescape: {what}" + ("" if e.counted else " (not counted)")
