"""Decide what a run writes, from what goescape found and what the bot wrote before. Pure.

Resolved escapes: a comment nobody replied to is deleted (it would only be noise); a comment
with replies is kept, for the conversation, and edited to say the escape was resolved in the
head commit. An escape whose text changed (counts, flow, hint) gets its comment edited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from goescape.sarif_read import ReportedEscape

from .comments import Links, Outside, inline_body, is_resolved, key_of, resolved_body

NOT_IN_DIFF = "not in the diff"
OVER_LIMIT = "over the inline comment limit"
REJECTED = "GitHub rejected the line"


class Existing(NamedTuple):
    """An inline comment the bot wrote on an earlier run."""

    id: int
    key: str
    body: str
    replied: bool  # someone answered in its thread


class Inline(NamedTuple):
    escape: ReportedEscape
    body: str


class Plan(NamedTuple):
    inline: tuple[Inline, ...]  # new review comments
    outside: tuple[Outside, ...]  # new escapes for the review body
    edits: tuple[tuple[int, str], ...]  # (comment id, new body)
    deletions: tuple[int, ...]  # comment ids

    @property
    def review_needed(self) -> bool:
        return bool(self.inline or self.outside)


def reported(escapes: Iterable[ReportedEscape]) -> list[ReportedEscape]:
    """The escapes the bot reports: new at head and not suppressed, in file order."""
    chosen = [e for e in escapes if e.baseline_state == "new" and not e.suppressed]
    return sorted(chosen, key=lambda e: (e.path, e.line, e.col, e.fingerprint))


def counted(escapes: Iterable[ReportedEscape]) -> list[ReportedEscape]:
    """The reported escapes that fail the run, as goescape counted them (the result property
    `counted`, written from `Outcome.counts`): the one meaning of "new heap escape" that the
    report, the summary, the annotations and the Action's outputs share."""
    return [e for e in reported(escapes) if e.counted]


def make_plan(
    escapes: Sequence[ReportedEscape],
    anchored: Callable[[str, int], bool],
    *,
    existing: Sequence[Existing],
    in_reviews: set[str],
    max_comments: int,
    links: Links,
) -> Plan:
    """`escapes` are the reported ones; `in_reviews` the keys earlier review bodies listed."""
    by_key: dict[str, Existing] = {}
    for comment in existing:
        by_key.setdefault(comment.key, comment)
    inline: list[Inline] = []
    outside: list[Outside] = []
    edits: list[tuple[int, str]] = []
    current: set[str] = set()
    for e in escapes:
        key = key_of(e.fingerprint)
        if key in current:
            continue  # one comment per fingerprint, even if goescape repeated one
        current.add(key)
        body = inline_body(e)
        old = by_key.get(key)
        if old is not None:
            if old.body != body:
                edits.append((old.id, body))
        elif key in in_reviews:
            continue
        elif not anchored(e.path, e.line):
            outside.append(Outside(e, NOT_IN_DIFF))
        elif len(inline) >= max_comments:
            outside.append(Outside(e, OVER_LIMIT))
        else:
            inline.append(Inline(e, body))
    deletions: list[int] = []
    for comment in existing:
        if comment.key in current:
            if by_key[comment.key].id != comment.id and not comment.replied:
                deletions.append(comment.id)  # a duplicate left by an interrupted run
            continue
        if not comment.replied:
            deletions.append(comment.id)
        elif not is_resolved(comment.body):
            edits.append((comment.id, resolved_body(comment.body, links.head_sha, links)))
    return Plan(tuple(inline), tuple(outside), tuple(edits), tuple(deletions))
