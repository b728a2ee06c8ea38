"""goescape-bot: post goescape's new heap escapes on a pull request.

Exit 0 when it reported (whatever it found, also when a read-only token made it fall back to
annotations), 1 with --fail-on-new when there are new escapes, 2 when it could not do its job.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from goescape import process, stdout
from goescape.errors import (
    EXIT_CLEAN,
    EXIT_FAILURE,
    EXIT_NEW_ESCAPES,
    CalledProcessError,
    FatalError,
)
from goescape.sarif_read import SarifError, SarifReport, read

from . import anchors as anchors_mod
from .annotations import escape_warnings
from .comments import ESCAPE, REVIEW, SUMMARY, Links, Outside, escape_keys, marker, read_marker
from .comments import review_body as make_review_body
from .event import PullRequest, check_repository, from_event, from_options
from .github import Author, GitHub, RetryPolicy, ReviewRejected, WriteForbidden
from .plan import REJECTED, Existing, Inline, Plan, counted, make_plan, reported
from .summary import sticky_body, summary_markdown

READ_ONLY_NOTE = (
    "The token cannot write to this pull request (a pull request from a fork gets a read-only "
    "token), so goescape-bot wrote this summary and annotations instead of review comments."
)


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name) or default


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="goescape-bot",
        description="Review comments on the heap escapes a pull request introduces, "
        "from the SARIF goescape wrote.",
    )
    p.add_argument("--sarif", required=True, type=Path, help="SARIF file goescape wrote")
    p.add_argument(
        "--repository",
        default=_env("GITHUB_REPOSITORY"),
        help="owner/name (default: $GITHUB_REPOSITORY)",
    )
    p.add_argument(
        "--api-url",
        default=_env("GITHUB_API_URL", "https://api.github.com"),
        help="REST API root (default: $GITHUB_API_URL or https://api.github.com)",
    )
    p.add_argument(
        "--server-url",
        default=_env("GITHUB_SERVER_URL", "https://github.com"),
        help="web root for links (default: $GITHUB_SERVER_URL or https://github.com)",
    )
    p.add_argument(
        "--token-env",
        default="GITHUB_TOKEN",
        metavar="NAME",
        help="environment variable holding the token (default: GITHUB_TOKEN); "
        "the token itself is never an argument, so it never shows in a process list",
    )
    p.add_argument(
        "--event-path",
        type=Path,
        default=_env("GITHUB_EVENT_PATH"),
        help="pull_request event file (default: $GITHUB_EVENT_PATH)",
    )
    p.add_argument(
        "--event-name",
        default=_env("GITHUB_EVENT_NAME", ""),
        help="event name (default: $GITHUB_EVENT_NAME)",
    )
    p.add_argument(
        "--pr",
        type=int,
        default=0,
        metavar="NUMBER",
        help="pull request number, instead of the event (workflow_run)",
    )
    p.add_argument("--head-sha", default="", help="with --pr: the commit goescape analysed")
    p.add_argument("--base-sha", default="", help="with --pr: the pull request's base commit")
    p.add_argument(
        "--step-summary",
        type=Path,
        default=_env("GITHUB_STEP_SUMMARY"),
        help="job summary file to append to (default: $GITHUB_STEP_SUMMARY)",
    )
    p.add_argument(
        "--output",
        type=Path,
        default=_env("GITHUB_OUTPUT"),
        help="step output file (default: $GITHUB_OUTPUT)",
    )
    p.add_argument(
        "--max-comments",
        type=int,
        default=30,
        help="most inline comments a run posts; the rest go in the review body",
    )
    p.add_argument(
        "--request-changes",
        action="store_true",
        help="submit the review as REQUEST_CHANGES when there are new escapes",
    )
    p.add_argument("--fail-on-new", action="store_true", help="exit 1 when there are new escapes")
    p.add_argument(
        "--no-comments",
        action="store_true",
        help="write only the job summary, annotations and outputs; no GitHub calls",
    )
    p.add_argument(
        "--repo-dir",
        type=Path,
        default=Path(),
        help="git checkout for diffs GitHub omits (default: .)",
    )
    p.add_argument("--retries", type=int, default=4, help="retries per GitHub request")
    p.add_argument(
        "--backoff",
        type=float,
        default=2.0,
        help="seconds before the first retry, doubled after each",
    )
    p.add_argument(
        "--max-wait",
        type=float,
        default=120.0,
        help="longest wait for a rate limit before giving up",
    )
    p.add_argument(
        "--pace",
        type=float,
        default=1.0,
        help="seconds between writes (GitHub's content-creation limit)",
    )
    p.add_argument(
        "--trust-author",
        action="append",
        default=[],
        metavar="LOGIN",
        help="also treat comments by LOGIN as the bot's own (when the token is a person's); "
        "by default only comments by GitHub Actions or an App are",
    )
    args = p.parse_args(argv)
    if args.max_comments < 0 or args.retries < 0 or args.backoff < 0 or args.pace < 0:
        p.error("--max-comments, --retries, --backoff and --pace cannot be negative")
    return args


class Settings(NamedTuple):
    pr: PullRequest
    token: str  # "" with --no-comments


def settings(args: argparse.Namespace) -> Settings:
    """Everything checked before the first request."""
    if not args.repository:
        raise FatalError("goescape-bot: no repository: set GITHUB_REPOSITORY or --repository")
    repository = check_repository(args.repository)
    if args.pr:
        pr = from_options(args.pr, args.head_sha, args.base_sha, repository)
    elif args.event_path is None:
        raise FatalError(
            "goescape-bot: no pull request: set GITHUB_EVENT_PATH (run on pull_request) "
            "or pass --pr and --head-sha"
        )
    else:
        pr = from_event(args.event_path, args.event_name, repository)
    token = os.environ.get(args.token_env, "").strip()
    if not token and not args.no_comments:
        raise FatalError(f"goescape-bot: no token: ${args.token_env} is not set")
    return Settings(pr, token)


def read_report(path: Path) -> SarifReport:
    try:
        return read(path)
    except SarifError as err:
        raise FatalError(f"goescape-bot: {err}") from None


def local_patches(
    repo_dir: Path, pr: PullRequest, report: SarifReport, paths: Sequence[str]
) -> dict[str, str | None]:
    """The hunks of files GitHub sent without a patch, from the local checkout."""
    # GitHub shows the change from the merge base: three dots when the base tip is known.
    revs = [f"{pr.base_sha}...{pr.head_sha}"] if pr.base_sha else [report.base_commit, pr.head_sha]
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


class Result(NamedTuple):
    inline: int
    outside: int
    edited: int
    deleted: int
    summary: str  # "created", "updated", "unchanged"


def _review_comments(inline: Sequence[Inline]) -> list[tuple[str, int, str]]:
    return [(i.escape.path, i.escape.line, i.body) for i in inline]


def _fetch_anchors(
    gh: GitHub, args: argparse.Namespace, s: Settings, report: SarifReport
) -> anchors_mod.Anchors:
    files = gh.files()
    missing = [path for path, patch in files if patch is None]
    return anchors_mod.build(files, local_patches(args.repo_dir, s.pr, report, missing))


def post(args: argparse.Namespace, s: Settings, report: SarifReport, links: Links) -> Result:
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
            existing.append(Existing(c.id, found[1], c.body, c.id in replied))
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
    )
    inline, outside = submit_review(
        gh, plan=plan, args=args, s=s, report=report, anchors=anchors, links=links
    )
    for comment_id, body in plan.edits:
        gh.edit_review_comment(comment_id, body)
    for comment_id in plan.deletions:
        gh.delete_review_comment(comment_id)
    body = sticky_body(summary_markdown(report, new, links))
    state = "created"
    for issue_comment in gh.issue_comments():
        if read_marker(issue_comment.body) == (SUMMARY, "") and ours(issue_comment.author):
            state = "unchanged" if issue_comment.body == body else "updated"
            if state == "updated":
                gh.edit_issue_comment(issue_comment.id, body)
            break
    else:
        gh.create_issue_comment(body, marker(SUMMARY))
    return Result(inline, outside, len(plan.edits), len(plan.deletions), state)


def _trusted(logins: Sequence[str]) -> Callable[[Author], bool]:
    allowed = frozenset(logins)

    def ours(author: Author) -> bool:
        return author.is_bot or author.login in allowed

    return ours


def submit_review(
    gh: GitHub,
    *,
    plan: Plan,
    args: argparse.Namespace,
    s: Settings,
    report: SarifReport,
    anchors: anchors_mod.Anchors,
    links: Links,
) -> tuple[int, int]:
    """Submit the run's one review; on a 422 retry with the lines a fresh diff still allows
    (the pull request may have moved on), then with every comment in the body."""
    if not plan.review_needed:
        return 0, 0
    inline = list(plan.inline)
    outside = list(plan.outside)
    event = "REQUEST_CHANGES" if args.request_changes and counted(report.escapes) else "COMMENT"
    for attempt in range(3):
        nonce = uuid.uuid4().hex
        body = make_review_body(nonce, len(inline), outside, links)
        try:
            gh.create_review(body, event, _review_comments(inline), nonce)
            return len(inline), len(outside)
        except ReviewRejected:
            if attempt == 0:
                fresh = _fetch_anchors(gh, args, s, report)
                keep = [
                    i
                    for i in inline
                    if fresh.allows(i.escape.path, i.escape.line)
                    and fresh.source(i.escape.path) == anchors_mod.GITHUB
                ]
                if len(keep) == len(inline):
                    keep = []  # GitHub disagrees with its own diff: put everything in the body
            else:
                keep = []
            outside += [Outside(i.escape, REJECTED) for i in inline if i not in keep]
            inline = keep
    raise FatalError("goescape-bot: GitHub rejected the review even without inline comments")


def _append(path: Path | None, text: str) -> None:
    if path is None:
        return
    try:
        with path.open("a", encoding="utf-8") as f:
            f.write(text)
    except OSError as err:
        raise FatalError(f"goescape-bot: cannot write {path}: {err.strerror}") from None


def run(args: argparse.Namespace) -> int:
    report = read_report(args.sarif)
    s = settings(args)
    new = reported(report.escapes)
    failing = counted(report.escapes)
    links = Links(args.server_url, s.pr.repository, s.pr.head_sha)
    notes: list[str] = []
    annotate = args.no_comments
    if not args.no_comments:
        try:
            r = post(args, s, report, links)
        except WriteForbidden as err:
            print(
                f"goescape-bot: cannot write to the pull request ({err}); "
                "writing annotations and the job summary instead",
                file=sys.stderr,
            )
            notes.append(READ_ONLY_NOTE)
            annotate = True
        else:
            stdout.emit(
                f"goescape-bot: {len(new)} new heap escape(s): {r.inline} inline comment(s), "
                f"{r.outside} in the review body, {r.edited} edited, {r.deleted} deleted; "
                f"summary {r.summary}"
            )
    warnings = escape_warnings(new) if annotate else []
    if warnings:
        stdout.emit("\n".join(warnings))
    _append(args.step_summary, summary_markdown(report, new, links, notes) + "\n")
    sarif = str(args.sarif.resolve())
    if "\n" in sarif:
        raise FatalError("goescape-bot: the SARIF path contains a newline")
    _append(args.output, f"new-escapes={len(failing)}\nsarif-file={sarif}\n")
    return EXIT_NEW_ESCAPES if args.fail_on_new and failing else EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    return stdout.guarded(lambda: _main(argv))


def _main(argv: Sequence[str] | None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except FatalError as err:
        print(str(err), file=sys.stderr)
        return EXIT_FAILURE
