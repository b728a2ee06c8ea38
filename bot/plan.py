"""Decide what a run writes, from what goescape found and what the bot wrote before. Pure.

Every reported escape ends with exactly one current comment, on its current line: one the
bot wrote earlier when GitHub still shows it there, else a new one. An earlier comment of
the escape that GitHub made outdated (`line` null) or that sits on another line is edited
once to say where the escape is now; it is never deleted, so its replies stay readable.

Resolved escapes: a comment nobody replied to is deleted (it would only be noise); a comment
with replies is kept and edited to say the escape was resolved in the head commit. An
escape whose text changed (counts, flow, hint) gets its comment edited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from goescape.sarif_read import ReportedEscape

from .comments import (
    Links,
    Outside,
    inline_body,
    is_moved,
    is_resolved,
    key_of,
    moved_body,
    resolved_body,
)

NOT_IN_DIFF = "not in the diff"
OVER_LIMIT = "over the inline comment limit"
REJECTED = "GitHub rejected the line"
NOT_LISTED = "in a file past the 3,000 GitHub lists"

REPORTED_STATES = frozenset({"new", "updated"})


class Existing(NamedTuple):
    """An inline comment the bot wrote on an earlier run."""

    id: int
    key: str
    body: str
    replied: bool  # someone answered in its thread
    path: str = ""
    line: int | None = None  # where GitHub shows it at the head; None: outdated


class Inline(NamedTuple):
    escape: ReportedEscape
    body: str


class Plan(NamedTuple):
    inline: tuple[Inline, ...]  # new review comments
    outside: tuple[Outside, ...]  # reported escapes for the review body
    edits: tuple[tuple[int, str], ...]  # (comment id, new body)
    deletions: tuple[int, ...]  # comment ids

    @property
    def review_needed(self) -> bool:
        return bool(self.inline or self.outside)


def reported(escapes: Iterable[ReportedEscape]) -> list[ReportedEscape]:
    """The escapes the bot reports: new or changed at head, not suppressed, in file order.
    Not all of them count (see `counted`): the others are shown as the report shows them."""
    chosen = [e for e in escapes if e.baseline_state in REPORTED_STATES and not e.suppressed]
    return sorted(chosen, key=lambda e: (e.path, e.line, e.col, e.fingerprint))


def counted(escapes: Iterable[ReportedEscape]) -> list[ReportedEscape]:
    """The reported escapes that fail a run: those goescape marked `counted` (Outcome.counts,
    the one definition the CLI, the outputs and the summary share)."""
    return [e for e in reported(escapes) if e.counted]


def _at(comment: Existing, e: ReportedEscape) -> bool:
    return comment.line is not None and (comment.path, comment.line) == (e.path, e.line)


def make_plan(
    escapes: Sequence[ReportedEscape],
    anchored: Callable[[str, int], bool],
    *,
    existing: Sequence[Existing],
    in_reviews: set[str],
    max_comments: int,
    links: Links,
    profile: str = "",
    outside_reason: Callable[[str], str] = lambda path: NOT_IN_DIFF,
) -> Plan:
    """`escapes` are the reported ones; `in_reviews` the keys earlier review bodies listed;
    `outside_reason(path)` says why a line that is not `anchored` cannot be commented."""
    mine: dict[str, list[Existing]] = {}
    for comment in existing:
        mine.setdefault(comment.key, []).append(comment)
    inline: list[Inline] = []
    outside: list[Outside] = []
    edits: list[tuple[int, str]] = []
    deletions: list[int] = []
    current: set[str] = set()

    def place(e: ReportedEscape, body: str) -> bool:
        """Comment `e` inline if GitHub can take it, else list it; True when inline."""
        if not anchored(e.path, e.line):
            outside.append(Outside(e, outside_reason(e.path)))
            return False
        if len(inline) >= max_comments:
            outside.append(Outside(e, OVER_LIMIT))
            return False
        inline.append(Inline(e, body))
        return True

    for e in escapes:
        key = key_of(e.fingerprint)
        if key in current:
            continue  # one comment per fingerprint, even if goescape repeated one
        current.add(key)
        body = inline_body(e, profile)
        comments = mine.get(key, [])
        here = [c for c in comments if _at(c, e) and not is_moved(c.body)]
        earlier = [c for c in comments if c not in here and not is_moved(c.body)]
        if here:
            keep, *extra = here
            if keep.body != body:
                edits.append((keep.id, body))
            for c in extra:  # a duplicate left by an interrupted run
                if c.replied:
                    edits.append((c.id, moved_body(c.body, e, True, links)))
                else:
                    deletions.append(c.id)
            # Replaced by a run that could not finish (a rate limit): say where it went now.
            edits += [(c.id, moved_body(c.body, e, True, links)) for c in earlier]
        elif earlier:
            # GitHub made the comment outdated, or the escape is on another line now.
            inline_now = place(e, body)
            edits += [(c.id, moved_body(c.body, e, inline_now, links)) for c in earlier]
        elif key in in_reviews:
            continue  # listed in an earlier review body (also where a moved one went)
        else:
            place(e, body)
    for comment in existing:
        if comment.key in current:
            continue
        if not comment.replied:
            deletions.append(comment.id)
        elif not is_resolved(comment.body):
            edits.append((comment.id, resolved_body(comment.body, links.head_sha, links)))
    return Plan(tuple(inline), tuple(outside), tuple(edits), tuple(deletions))
