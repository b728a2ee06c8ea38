"""Bodies of the inline comments and the review, and the hidden markers that identify them.

Every body the bot writes starts with a marker line, `<!-- goescape:KIND KEY -->`. GitHub
re-anchors comments when a pull request moves on, so the bot recognises its own comments by
that marker, never by line. Markers are read only from whole lines the bot wrote; source text
always sits inside code spans further down, so it cannot forge one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from goescape.sarif_read import ReportedEscape

from . import words
from .markdown import code, plain, url_path

ESCAPE = "escape"  # an inline comment about one escape; key: the escape's fingerprint
REVIEW = "review"  # a review the bot submitted; key: a nonce unique to that run
SUMMARY = "summary"  # the sticky issue comment

_MARKER = re.compile(r"<!-- goescape:([a-z]+)(?: ([A-Za-z0-9._=:+/-]{1,200}))? -->")
_KEY_SAFE = re.compile(r"[A-Za-z0-9._=:+/-]{1,200}")
RESOLVED_PREFIX = "**Resolved in commit"
MOVED_PREFIX = "**Moved in commit"
# GitHub refuses a body over 65,536 characters (422, the whole review with it); stay under.
MAX_BODY = 60_000
MAX_FLOW_STEPS = 40  # a comment shows this many steps of the compiler's explanation


class Links(NamedTuple):
    """Where the files of the pull request's head are shown."""

    server_url: str  # https://github.com, or a GitHub Enterprise Server
    repository: str  # owner/name
    head_sha: str

    def blob(self, path: str, line: int) -> str:
        base = self.server_url.rstrip("/")
        ref = self.head_sha or "HEAD"
        return f"{base}/{self.repository}/blob/{ref}/{url_path(path)}#L{line}"

    def commit(self, sha: str) -> str:
        return f"{self.server_url.rstrip('/')}/{self.repository}/commit/{sha}"


def key_of(fingerprint: str) -> str:
    """A marker-safe key for a fingerprint (used verbatim when it already is one)."""
    if _KEY_SAFE.fullmatch(fingerprint):
        return fingerprint
    return "sha256:" + hashlib.sha256(fingerprint.encode()).hexdigest()[:32]


def marker(kind: str, key: str = "") -> str:
    return f"<!-- goescape:{kind} {key} -->" if key else f"<!-- goescape:{kind} -->"


def read_marker(body: str | None) -> tuple[str, str] | None:
    """(kind, key) from the first line of a body the bot wrote, else None."""
    first = (body or "").split("\n", 1)[0].strip()
    m = _MARKER.fullmatch(first)
    return (m.group(1), m.group(2) or "") if m else None


def escape_keys(body: str | None) -> set[str]:
    """Keys of every escape listed in a review body (one marker line per escape)."""
    keys: set[str] = set()
    for line in (body or "").splitlines():
        m = _MARKER.fullmatch(line.strip())
        if m and m.group(1) == ESCAPE and m.group(2):
            keys.add(m.group(2))
    return keys


def _second_line(body: str) -> str:
    lines = body.split("\n", 2)
    return lines[1] if len(lines) > 1 else ""


def is_resolved(body: str) -> bool:
    return _second_line(body).startswith(RESOLVED_PREFIX)


def is_moved(body: str) -> bool:
    return _second_line(body).startswith(MOVED_PREFIX)


def _counts(e: ReportedEscape) -> str:
    if words.is_leak(e) and not e.counted:
        return f"In {code(e.display)}."  # heap escape counts say nothing about a leak
    noun = "escapes" if words.is_leak(e) else "heap escapes"
    return f"In {code(e.display)}, {noun} of {code(e.display)}: {e.before} \u2192 {e.after}."


def _why(e: ReportedEscape) -> list[str]:
    if not e.flow:
        return []
    shown = e.flow[:MAX_FLOW_STEPS]
    steps = [f"- {code(f'{s.path}:{s.line}:{s.col}')} {code(s.text)}" for s in shown]
    if len(e.flow) > len(shown):
        steps.append(f"- \u2026 {len(e.flow) - len(shown)} more in the SARIF file")
    noun = "step" if len(e.flow) == 1 else "steps"
    return [
        f"<details><summary>Why it escapes ({len(e.flow)} {noun})</summary>",
        "",
        *steps,
        "",
        "</details>",
    ]


def _suppress(e: ReportedEscape) -> str:
    return (
        "To accept it, add `//goescape:ignore <reason>` at the end of this line or alone on the "
        f"line above, or in the doc comment of {code(e.display)} to silence the whole function."
    )


def headline(e: ReportedEscape, profile: str) -> str:
    """`**New heap escape**: `msg`` and the report's other words about it, in one line."""
    facts = words.facts(e, profile, plain)
    extra = f" ({'; '.join(facts)})" if facts else ""
    return f"**{words.title(e)}**{extra}: {code(e.compiler_message)}"


def inline_body(e: ReportedEscape, profile: str = "") -> str:
    """The review comment on the line of a reported escape."""
    lines = [marker(ESCAPE, key_of(e.fingerprint)), headline(e, profile), "", _counts(e)]
    if words.is_changed(e) and e.previous_expression:
        lines += ["", f"Before this change the escape here was {code(e.previous_expression)}."]
    why_not = words.not_counted(e)
    if why_not:
        lines += ["", f"_{why_not[0].upper()}{why_not[1:]}._"]
    why = _why(e)
    if why:
        lines += ["", *why]
    if e.hint and not words.is_changed(e):
        lines += ["", f"**How to fix:** {plain(e.hint)}"]
    if not words.is_changed(e):
        lines += ["", _suppress(e)]
    return "\n".join(lines) + "\n"


def _quoted(body: str) -> tuple[str, str]:
    head, _, rest = body.partition("\n")
    quoted = "\n".join(f"> {line}" if line else ">" for line in rest.rstrip("\n").split("\n"))
    return head, quoted


def resolved_body(body: str, commit: str, links: Links) -> str:
    """A comment whose escape is gone: the marker stays, a line says where it went."""
    head, quoted = _quoted(body)
    note = f"{RESOLVED_PREFIX} [{commit[:12]}]({links.commit(commit)}).** This escape is gone."
    return f"{head}\n{note}\n\n{quoted}\n"


def moved_body(body: str, e: ReportedEscape, inline: bool, links: Links) -> str:
    """A comment whose escape is now elsewhere (its line changed, or left the diff): the
    marker stays, a line says where the escape is now. Written once, never rewritten."""
    head, quoted = _quoted(body)
    where = f"[{code(f'{e.path}:{e.line}')}]({links.blob(e.path, e.line)})"
    there = "commented there" if inline else "listed in the review body"
    commit = links.head_sha
    note = (
        f"{MOVED_PREFIX} [{commit[:12]}]({links.commit(commit)}):** this escape is now at "
        f"{where}, {there}."
    )
    return f"{head}\n{note}\n\n{quoted}\n"


class Outside(NamedTuple):
    """A reported escape put in the review body instead of inline, and why."""

    escape: ReportedEscape
    reason: str  # "not in the diff", "over the comment limit", "GitHub rejected the line"


def fit(head: Sequence[str], items: Sequence[tuple[str, str]], tail: Sequence[str]) -> str:
    """`head`, as many `(marker, item)` pairs as fit under MAX_BODY, then `tail`. Past the
    budget, items keep only their (hidden) marker line while those fit, so a later run still
    knows they were listed; a last line says how many are not shown."""
    size = sum(len(x) + 1 for x in [*head, *tail]) + 200
    lines = list(head)
    hidden = 0
    # Room is kept for the markers of the items after each one.
    reserve = sum(len(mark) + 1 for mark, _ in items)
    for mark, item in items:
        reserve -= len(mark) + 1
        if size + len(mark) + len(item) + 2 + reserve <= MAX_BODY:
            lines += [mark, item]
            size += len(mark) + len(item) + 2
        else:
            hidden += 1
            if size + len(mark) + 1 <= MAX_BODY:
                lines.append(mark)
                size += len(mark) + 1
    if hidden:
        lines.append(f"- \u2026 and {hidden} more: the summary comment counts them.")
    return "\n".join([*lines, *tail]) + "\n"


def review_body(
    nonce: str,
    inline: int,
    outside: Sequence[Outside],
    links: Links,
    notes: Iterable[str] = (),
    *,
    counted: Sequence[ReportedEscape] = (),
    profile: str = "",
) -> str:
    """The body of the one review a run submits. `counted`: every escape at this head that
    fails the run (the same number as the summary and the outputs), not only the new ones."""
    head = [
        marker(REVIEW, nonce),
        f"**goescape** at {code(links.head_sha[:12] or 'HEAD')}: "
        f"{words.counts_phrase(counted)} in this pull request; the summary comment lists "
        "every finding.",
    ]
    if inline:
        noun = "finding" if inline == 1 else "findings"
        head += ["", f"This review comments inline on {inline} {noun}."]
    items: list[tuple[str, str]] = []
    if outside:
        head += ["", "Not commented inline:", ""]
        for o in outside:
            e = o.escape
            where = f"[{code(f'{e.path}:{e.line}')}]({links.blob(e.path, e.line)})"
            items.append(
                (
                    marker(ESCAPE, key_of(e.fingerprint)),
                    f"- {where} in {code(e.display)}: {headline(e, profile)} ({o.reason})",
                )
            )
    tail = list(notes)
    return fit(head, items, ["", *tail] if tail else [])  # notes: our own sentences
