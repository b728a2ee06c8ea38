"""`goescape-bot --dry-run`: what a run would post, as text. Pure.

The dry run plans like a first run on the pull request (no earlier comments, since it asks
GitHub nothing) and anchors with the local git diff instead of GitHub's file list.
"""

from __future__ import annotations

from collections.abc import Sequence

from .annotations import Annotation
from .plan import Plan


def _section(title: str, body: str) -> list[str]:
    return [f"--- {title} " + "-" * max(3, 67 - len(title)), body.rstrip("\n"), ""]


def render(
    *,
    target: str,
    plan: Plan | None,
    event: str,
    review_body: str,
    summary: str,
    annotations: Sequence[Annotation],
    annotate_only: bool,
    notes: Sequence[str] = (),
) -> str:
    """`plan` is None when the run would not comment (no pull request, --no-comments)."""
    lines = [f"goescape-bot --dry-run: what a run would post on {target}; nothing is sent.", ""]
    lines += [f"note: {n}" for n in notes]
    if notes:
        lines.append("")
    if plan is None:
        lines += ["No review: the run would not comment (no pull request, or --no-comments).", ""]
    elif not plan.review_needed:
        lines += ["No review: nothing to comment on.", ""]
    else:
        n = len(plan.inline)
        lines += [f"Review ({event}) with {n} inline comment{'s' * (n != 1)}:", ""]
        for i in plan.inline:
            lines += _section(f"inline comment {i.escape.path}:{i.escape.line}", i.body)
        lines += _section("review body", review_body)
    lines += _section("summary comment (and job summary)", summary)
    title = (
        "annotations"
        if annotate_only
        else "annotations (written instead of comments when the token cannot write)"
    )
    lines += _section(title, "\n".join(a.text() for a in annotations) or "(none)")
    return "\n".join(lines)
