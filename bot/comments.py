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

from .markdown import code, plain, url_path

ESCAPE = "escape"  # an inline comment about one escape; key: the escape's fingerprint
REVIEW = "review"  # a review the bot submitted; key: a nonce unique to that run
SUMMARY = "summary"  # the sticky issue comment

_MARKER = re.compile(r"<!-- goescape:([a-z]+)(?: ([A-Za-z0-9._=:+/-]{1,200}))? -->")
_KEY_SAFE = re.compile(r"[A-Za-z0-9._=:+/-]{1,200}")
RESOLVED_PREFIX = "**Resolved in commit"


class Links(NamedTuple):
    """Where the files of the pull request's head are shown."""

    server_url: str  # https://github.com, or a GitHub Enterprise Server
    repository: str  # owner/name
    head_sha: str

    def blob(self, path: str, line: int) -> str:
        base = self.server_url.rstrip("/")
        return f"{base}/{self.repository}/blob/{self.head_sha}/{url_path(path)}#L{line}"

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


def is_resolved(body: str) -> bool:
    lines = body.split("\n", 2)
    return len(lines) > 1 and lines[1].startswith(RESOLVED_PREFIX)


def _changes(e: ReportedEscape) -> str:
    return f"heap escapes of {code(e.display)}: {e.before} \u2192 {e.after}"


def _why(e: ReportedEscape) -> list[str]:
    if not e.flow:
        return []
    steps = [f"- {code(f'{s.path}:{s.line}:{s.col}')} {code(s.text)}" for s in e.flow]
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


def inline_body(e: ReportedEscape) -> str:
    """The review comment on the line of a new escape."""
    origin = " (caused by a change elsewhere)" if e.induced else ""
    if e.cold:
        # Runs only when something fails: reported, not counted (docs/cold-and-hot.md).
        origin += f" (cold: {plain(e.cold_reason or 'failure path')}, not counted)"
    lines = [
        marker(ESCAPE, key_of(e.fingerprint)),
        f"**New heap escape**{origin}: {code(e.compiler_message)}",
        "",
        f"In {code(e.display)}, {_changes(e)}.",
    ]
    why = _why(e)
    if why:
        lines += ["", *why]
    if e.hint:
        lines += ["", f"**How to fix:** {plain(e.hint)}"]
    lines += ["", _suppress(e)]
    return "\n".join(lines) + "\n"


def resolved_body(body: str, commit: str, links: Links) -> str:
    """A comment whose escape is gone: the marker stays, a line says where it went."""
    head, _, rest = body.partition("\n")
    note = f"{RESOLVED_PREFIX} [{commit[:12]}]({links.commit(commit)}).** This escape is gone."
    quoted = "\n".join(f"> {line}" if line else ">" for line in rest.rstrip("\n").split("\n"))
    return f"{head}\n{note}\n\n{quoted}\n"


class Outside(NamedTuple):
    """A new escape reported in the review body instead of inline, and why."""

    escape: ReportedEscape
    reason: str  # "not in the diff", "over the comment limit", "GitHub rejected the line"


def review_body(
    nonce: str,
    inline: int,
    outside: Sequence[Outside],
    links: Links,
    notes: Iterable[str] = (),
) -> str:
    """The body of the one review a run submits."""
    total = inline + len(outside)
    noun = "escape" if total == 1 else "escapes"
    lines = [
        marker(REVIEW, nonce),
        f"**goescape** found {total} new heap {noun} in this pull request.",
    ]
    if inline:
        lines += ["", f"{inline} of them are commented inline."]
    if outside:
        lines += ["", "Not commented inline:", ""]
        for o in outside:
            e = o.escape
            where = f"[{code(f'{e.path}:{e.line}')}]({links.blob(e.path, e.line)})"
            lines += [
                marker(ESCAPE, key_of(e.fingerprint)),
                f"- {where} in {code(e.display)}: {code(e.compiler_message)} ({o.reason})",
            ]
    notes = list(notes)
    if notes:
        lines += ["", *notes]  # our own sentences, not source text
    return "\n".join(lines) + "\n"
