"""Post a run's report on the pull request: the review, the sticky summary, the edits of
earlier comments, in that order (what a reader needs first goes first). The shell around
github.py; what to write is decided in plan.py.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from goescape import process
from goescape.errors import CalledProcessError
from goescape.sarif_read import SarifReport

from . import anchors as anchors_mod
from .comments import (
    ESCAPE,
    REVIEW,
    SUMMARY,
    Links,
    Outside,
    escape_keys,
    marker,
    read_marker,
)
from .comments import review_body as make_review_body
from .event import Settings
from .plan import (
    NOT_IN_DIFF,
    NOT_LISTED,
    REJECTED,
    Existing,
    Inline,
    Plan,
    counted,
    make_plan,
    reported,
)
from .summary import sticky_body, summary_markdown

if TYPE_CHECKING:  # PyGithub loads only when the bot talks to GitHub
    from .github import Author, GitHub


def local_patches(
    repo_dir: Path, base: str, head: str, paths: Sequence[str]
) -> dict[str, str | None]:
    """The hunks of `paths` in the local checkout: base...head, or base against the working
    tree when head is "" (what goescape compared when it analysed the working tree)."""
    revs = [f"{base}...{head}"] if head else [base]
    found: dict[str, str | None] = {}
    for path in paths:
        cmd = [
            "git",
            "-c",
            "core.quotePath=false",
            "diff",
            "--no-color",
            "--no-ext-diff",
            "-U3",
            *revs,
            "--",
            path,
        ]
        try:
            _, out, _ = process.run_text(cmd, cwd=repo_dir)
        except (CalledProcessError, OSError):
            found[path] = None
            continue
        found[path] = anchors_mod.hunks_only(out) or None
    return found


def base_of(s: Settings, report: SarifReport) -> str:
    # GitHub shows the change from the merge base: three dots from the base tip when the
    # event names it, else the merge base goescape itself compared with.
    return s.base_sha or report.base_commit


class Result(NamedTuple):
    inline: int
    outside: int
    edited: int
    deleted: int
    summary: str  # "created", "updated", "unchanged", "not written"
    notes: tuple[str, ...] = ()  # what went wrong after the review, for the job summary
    refused: bool = False  # GitHub took no review with the findings


def _review_comments(inline: Sequence[Inline]) -> list[tuple[str, int, str]]:
    return [(i.escape.path, i.escape.line, i.body) for i in inline]


def _fetch_anchors(
    gh: GitHub, args: argparse.Namespace, s: Settings, report: SarifReport
) -> anchors_mod.Anchors:
    files = gh.files()
    missing = [path for path, patch in files if patch is None]
    local = local_patches(args.repo_dir, base_of(s, report), s.head_sha, missing)
    return anchors_mod.build(files, local)


def _outside_reason(anchors: anchors_mod.Anchors) -> Callable[[str], str]:
    return lambda path: NOT_IN_DIFF if anchors.listed(path) else NOT_LISTED


def _trusted(logins: Sequence[str]) -> Callable[[Author], bool]:
    allowed = frozenset(logins)

    def ours(author: Author) -> bool:
        return author.is_bot or author.login in allowed

    return ours


def post(
    args: argparse.Namespace, s: Settings, report: SarifReport, links: Links, profile: str
) -> Result:
    from .github import GitHub, RateLimited, RetryPolicy

    assert s.pr is not None
    gh = GitHub(
        args.api_url,
        s.token,
        s.pr,
        RetryPolicy(attempts=args.retries + 1, backoff=args.backoff, max_wait=args.max_wait),
        pace=args.pace,
    )
    new = reported(report.escapes)
    anchors = _fetch_anchors(gh, args, s, report)
    # Anyone can write a marker into a comment: only the bot's own are edited or deleted.
    ours = _trusted(args.trust_author)
    comments = gh.review_comments()
    replied = {c.in_reply_to for c in comments if c.in_reply_to is not None}
    existing = []
    for c in comments:
        found = read_marker(c.body)
        if found and found[0] == ESCAPE and c.in_reply_to is None and ours(c.author):
            existing.append(Existing(c.id, found[1], c.body, c.id in replied, c.path, c.line))
    in_reviews: set[str] = set()
    for review in gh.reviews():
        found = read_marker(review.body)
        if found and found[0] == REVIEW and ours(review.author):
            in_reviews |= escape_keys(review.body)
    plan = make_plan(
        new,
        anchors.allows,
        existing=existing,
        in_reviews=in_reviews,
        max_comments=args.max_comments,
        links=links,
        profile=profile,
        outside_reason=_outside_reason(anchors),
    )
    inline, outside, refused = submit_review(
        gh, plan=plan, args=args, s=s, report=report, anchors=anchors, links=links, profile=profile
    )
    # The review went first: it is what a reader needs. Then the summary, then tidying up;
    # a rate limit from here on leaves the rest to the next run.
    notes = [refused] if refused else []
    state = "not written"
    edits = deletions = 0
    try:
        body = sticky_body(summary_markdown(report, new, links, profile=profile))
        state = _sticky(gh, body, ours)
        if not refused:
            for comment_id, text in plan.edits:
                gh.edit_review_comment(comment_id, text)
                edits += 1
            for comment_id in plan.deletions:
                gh.delete_review_comment(comment_id)
                deletions += 1
    except RateLimited as err:
        left = len(plan.edits) + len(plan.deletions) - edits - deletions
        notes.append(
            f"{err}: goescape-bot stopped writing; "
            + ("the summary comment and " if state == "not written" else "")
            + f"{left} edit(s) of earlier comments are left to the next run."
        )
        print(f"goescape-bot: {err}; stopped writing", file=sys.stderr)
    return Result(inline, outside, edits, deletions, state, tuple(notes), bool(refused))


def _sticky(gh: GitHub, body: str, ours: Callable[[Author], bool]) -> str:
    for issue_comment in gh.issue_comments():
        if read_marker(issue_comment.body) == (SUMMARY, "") and ours(issue_comment.author):
            if issue_comment.body == body:
                return "unchanged"
            gh.edit_issue_comment(issue_comment.id, body)
            return "updated"
    gh.create_issue_comment(body, marker(SUMMARY))
    return "created"


def review_event(args: argparse.Namespace, report: SarifReport) -> str:
    return "REQUEST_CHANGES" if args.request_changes and counted(report.escapes) else "COMMENT"


def submit_review(
    gh: GitHub,
    *,
    plan: Plan,
    args: argparse.Namespace,
    s: Settings,
    report: SarifReport,
    anchors: anchors_mod.Anchors,
    links: Links,
    profile: str = "",
) -> tuple[int, int, str]:
    """Submit the run's one review, the best GitHub takes. GitHub refuses a whole review
    (422) without saying which comment it objects to, so on a refusal the bot offers less:
    the comments whose lines a fresh file list still allows (the pull request may have moved
    on), then every finding in the body, then the counts alone. Returns (inline, outside,
    a note for the job summary when the findings did not make it into the review, or "")."""
    from .github import ReviewRejected

    if not plan.review_needed:
        return 0, 0, ""
    inline = list(plan.inline)
    outside = list(plan.outside)
    event = review_event(args, report)
    failing = counted(report.escapes)
    stage, why = "full", ""
    while True:
        nonce = uuid.uuid4().hex
        if stage == "minimal":
            note = f"GitHub refused this review with its findings ({why}): see the summary."
            body = make_review_body(nonce, 0, [], links, [note], counted=failing)
        else:
            body = make_review_body(
                nonce, len(inline), outside, links, counted=failing, profile=profile
            )
        try:
            gh.create_review(body, event, _review_comments(inline), nonce)
            if stage == "minimal":
                note = (
                    f"GitHub refused the review with its findings ({why}) and took one with "
                    "the counts alone: the findings are in this summary and in annotations."
                )
                return 0, 0, note
            return len(inline), len(outside), ""
        except ReviewRejected as err:
            why = str(err)
        if stage == "minimal":
            print(f"goescape-bot: GitHub refused every review: {why}", file=sys.stderr)
            note = (
                f"GitHub refused every review goescape-bot offered ({why}): the findings are "
                "in this summary and in annotations."
            )
            return 0, 0, note
        keep: list[Inline] = []
        if stage == "full" and inline:
            fresh = _fetch_anchors(gh, args, s, report)
            keep = [
                i
                for i in inline
                if fresh.allows(i.escape.path, i.escape.line)
                and fresh.source(i.escape.path) == anchors_mod.GITHUB
            ]
        if 0 < len(keep) < len(inline):
            stage = "fresh"
        elif inline:
            stage = "body"  # GitHub disagrees with its own diff: every finding in the body
            keep = []
        else:
            stage = "minimal"
        outside += [Outside(i.escape, REJECTED) for i in inline if i not in keep]
        inline = keep
