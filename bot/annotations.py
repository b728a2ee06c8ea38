"""Workflow commands: annotations on the run page, for runs that do not comment (no pull
request, `--no-comments`, a read-only token, GitHub refusing). Pure.

Escapes that fail the run are warnings; the others the report shows (changed, caused in
another function, cold, leaking parameters) are notices.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from goescape.sarif_read import ReportedEscape

from . import words

# GitHub shows at most 10 annotations of each level a step; the rest would vanish unsaid.
MAX_PER_LEVEL = 10
MAX_WARNINGS = MAX_PER_LEVEL  # the name earlier callers used


class Annotation(NamedTuple):
    level: str  # "warning" or "notice"
    path: str  # "" for one without a place
    line: int
    title: str
    message: str

    def command(self) -> str:
        """`::warning file=...,line=...,title=...::message`, every part escaped."""
        where = f"file={_property(self.path)},line={self.line}," if self.path else ""
        return f"::{self.level} {where}title={_property(self.title)}::{_data(self.message)}"

    def text(self) -> str:
        """The same, as a person reads it (the dry run prints this)."""
        where = f"{self.path}:{self.line}: " if self.path else ""
        return f"{where}{self.level}: {self.title}: {self.message}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def warning(path: str, line: int, title: str, message: str) -> str:
    return Annotation("warning", path, line, title, message).command()


def _one(e: ReportedEscape, profile: str) -> Annotation:
    facts = words.facts(e, profile)
    why_not = words.not_counted(e).replace("`", "")
    counts = (
        ""
        if words.is_leak(e) and not e.counted
        else f"{'escapes' if words.is_leak(e) else 'heap escapes'} {e.before} -> {e.after}"
    )
    detail = "; ".join(x for x in [counts, *facts, why_not] if x)
    return Annotation(
        "warning" if e.counted else "notice",
        e.path,
        e.line,
        f"goescape: {words.title(e).lower()}",
        f"{e.compiler_message} in {e.display}" + (f" ({detail})" if detail else ""),
    )


def escape_annotations(
    escapes: Iterable[ReportedEscape], profile: str = "", limit: int = MAX_PER_LEVEL
) -> list[Annotation]:
    """One per escape, counted ones first and hotter first; at most `limit` of each level,
    and a notice counting what was left out (it takes a notice's place)."""
    ordered = words.ordered(escapes)
    warnings = [_one(e, profile) for e in ordered if e.counted]
    notices = [_one(e, profile) for e in ordered if not e.counted]
    shown_w = warnings[:limit]
    room = limit if len(warnings) <= limit and len(notices) <= limit else limit - 1
    shown_n = notices[:room]
    more_w, more_n = len(warnings) - len(shown_w), len(notices) - len(shown_n)
    out = [*shown_w, *shown_n]
    if more_w or more_n:
        parts = []
        if more_w:
            parts.append(words.counts_phrase([e for e in ordered if e.counted][limit:]))
        if more_n:
            parts.append(
                words.plural(more_n, "finding that does not count", "findings that do not count")
            )
        out.append(
            Annotation(
                "notice",
                "",
                0,
                "goescape",
                f"not shown here: {' and '.join(parts)} (GitHub shows {limit} annotations "
                "of a kind a step); the job summary lists them all",
            )
        )
    return out


def escape_warnings(
    escapes: Iterable[ReportedEscape], limit: int = MAX_PER_LEVEL, profile: str = ""
) -> list[str]:
    """The annotations as workflow commands, one a line."""
    return [a.command() for a in escape_annotations(escapes, profile, limit)]
