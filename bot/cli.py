"""goescape-bot: post goescape's new heap escapes on a pull request.

Exit 0 when it reported (whatever it found, also when a read-only token or GitHub's limits
made it fall back to annotations), 1 with --fail-on-new when escapes fail the run, 2 when it
could not do its job. `--dry-run` prints what it would post and exits the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from goescape import process
from goescape.errors import (
    EXIT_CLEAN,
    EXIT_FAILURE,
    EXIT_NEW_ESCAPES,
    CalledProcessError,
    FatalError,
)
from goescape.sarif_read import SarifError, SarifReport, read

from . import anchors as anchors_mod
from . import words
from .annotations import escape_annotations
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
from .event import (
    NO_PR_EVENTS,
    PullRequest,
    check_repository,
    commits_of,
    from_event,
    from_options,
)
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

READ_ONLY_NOTE = (
    "The token cannot write to this pull request (a pull request from a fork gets a read-only "
    "token), so goescape-bot wrote this summary and annotations instead of review comments."
)
DRY_RUN_REPOSITORY = "OWNER/REPO"


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
        help="event file: pull_request, or merge_group/push with --no-comments "
        "(default: $GITHUB_EVENT_PATH)",
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
    p.add_argument(
        "--head-sha",
        default="",
        help="the commit goescape analysed (default: from the event, else the SARIF's)",
    )
    p.add_argument(
        "--base-sha",
        default="",
        help="the pull request's base commit (default: from the event, else the SARIF's)",
    )
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
        "--dry-run",
        action="store_true",
        help="print the comments, review, summary and annotations a run would post; "
        "no token, no request, no file written",
    )
    p.add_argument(
        "--repo-dir",
        type=Path,
        default=Path(),
        help="git checkout for diffs GitHub omits, and for the dry run's (default: .)",
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
        help="longest wait for a rate limit before giving up on writing",
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
    pr: PullRequest | None  # None: nothing to comment on (merge group, push, --no-comments)
    token: str  # "" when no request is made
    repository: str
    head_sha: str  # what comments anchor to and links show; "" for a working-tree report
    base_sha: str  # "" when unknown: the SARIF's merge base stands in


def _commit(value: str, what: str) -> str:
    from .event import check_sha

    return check_sha(value, what) if value else ""


def settings(args: argparse.Namespace, report: SarifReport) -> Settings:
    """Everything checked before the first request (there is none in a dry run)."""
    # A merge group or a push has no pull request: annotations and the job summary only.
    no_pr = args.event_name in NO_PR_EVENTS and not args.pr
    offline = args.no_comments or args.dry_run or no_pr
    if args.repository:
        repository = check_repository(args.repository)
    elif args.dry_run:
        repository = DRY_RUN_REPOSITORY
    else:
        raise FatalError("goescape-bot: no repository: set GITHUB_REPOSITORY or --repository")
    head, base = _commit(args.head_sha, "--head-sha"), _commit(args.base_sha, "--base-sha")
    pr: PullRequest | None = None
    if args.pr:
        if not head and args.dry_run:
            head = report.head_commit
        pr = from_options(args.pr, head, base, repository)
    elif not offline:
        if args.event_path is None:
            raise FatalError(
                "goescape-bot: no pull request: set GITHUB_EVENT_PATH (run on pull_request) "
                "or pass --pr and --head-sha"
            )
        pr = from_event(args.event_path, args.event_name, repository)
    elif args.event_path is not None:
        found = commits_of(args.event_path, args.event_name)
        head, base = head or found.head_sha, base or found.base_sha
        if args.dry_run and args.event_name in ("", "pull_request", "pull_request_target"):
            try:
                pr = from_event(args.event_path, args.event_name, repository)
            except FatalError:
                pr = None  # a dry run shows what it can without one
    if pr is not None:
        head, base = pr.head_sha, pr.base_sha or base
    if args.no_comments or no_pr:
        pr = None
    token = "" if offline else os.environ.get(args.token_env, "").strip()
    if not offline and not token:
        raise FatalError(f"goescape-bot: no token: ${args.token_env} is not set")
    return Settings(pr, token, repository, head or report.head_commit, base)


def read_report(path: Path) -> tuple[SarifReport, str]:
    """The report and the name of the CPU profile that ranked it ("" without one)."""
    try:
        report = read(path)
    except SarifError as err:
        raise FatalError(f"goescape-bot: {err}") from None
    return report, _profile(path)


def _profile(path: Path) -> str:
    # The run's properties beyond what the shared reader returns; a file the reader accepted
    # is JSON, so only an unexpected shape is left to tolerate.
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return words.profile_name(data["runs"][0].get("properties"))
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        return ""


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


def _base(s: Settings, report: SarifReport) -> str:
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
    local = local_patches(args.repo_dir, _base(s, report), s.head_sha, missing)
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


def _event(args: argparse.Namespace, report: SarifReport) -> str:
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
    event = _event(args, report)
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


def _append(path: Path | None, text: str) -> None:
    if path is None:
        return
    try:
        with path.open("a", encoding="utf-8") as f:
            f.write(text)
    except OSError as err:
        raise FatalError(f"goescape-bot: cannot write {path}: {err.strerror}") from None


def _target(s: Settings) -> str:
    where = f"{s.repository}#{s.pr.number}" if s.pr else s.repository
    return f"{where} at {s.head_sha[:12] or 'the working tree'}"


def dry_run(
    args: argparse.Namespace, s: Settings, report: SarifReport, links: Links, profile: str
) -> str:
    from . import dryrun

    new = reported(report.escapes)
    notes = []
    plan = None
    body = ""
    if s.pr is not None:
        base = _base(s, report)
        paths = sorted({e.path for e in new})
        local = local_patches(args.repo_dir, base, s.head_sha, paths) if base else {}
        if paths and not any(local.values()):
            notes.append(
                f"no diff of these files in {args.repo_dir} (base {base[:12] or 'unknown'}): "
                "every finding would go in the review body"
            )
        anchors = anchors_mod.from_local(local)
        plan = make_plan(
            new,
            anchors.allows,
            existing=(),
            in_reviews=set(),
            max_comments=args.max_comments,
            links=links,
            profile=profile,
        )
        body = make_review_body(
            "dry-run",
            len(plan.inline),
            plan.outside,
            links,
            counted=counted(report.escapes),
            profile=profile,
        )
    return dryrun.render(
        target=_target(s),
        plan=plan,
        event=_event(args, report),
        review_body=body,
        summary=summary_markdown(report, new, links, profile=profile),
        annotations=escape_annotations(new, profile),
        annotate_only=s.pr is None,
        notes=notes,
    )


def run(args: argparse.Namespace) -> int:
    report, profile = read_report(args.sarif)
    s = settings(args, report)
    new = reported(report.escapes)
    failing = counted(report.escapes)
    links = Links(args.server_url, s.repository, s.head_sha)
    code = EXIT_NEW_ESCAPES if args.fail_on_new and failing else EXIT_CLEAN
    if args.dry_run:
        print(dry_run(args, s, report, links, profile))
        print(
            f"goescape-bot: {words.counts_phrase(failing)}, "
            f"{len(new) - len(failing)} more shown; exit {code}"
        )
        return code
    notes: list[str] = []
    annotate = s.pr is None
    failure: FatalError | None = None
    if s.pr is not None:
        from .github import RateLimited, Unavailable, WriteForbidden

        try:
            r = post(args, s, report, links, profile)
        except WriteForbidden as err:
            print(
                f"goescape-bot: cannot write to the pull request ({err}); "
                "writing annotations and the job summary instead",
                file=sys.stderr,
            )
            notes.append(READ_ONLY_NOTE)
            annotate = True
        except RateLimited as err:
            print(f"goescape-bot: {err}; writing annotations instead", file=sys.stderr)
            notes.append(
                f"{err}: goescape-bot could not comment on the pull request, so it wrote this "
                "summary and annotations; the next run comments."
            )
            annotate = True
        except Unavailable as err:
            failure = err
            notes.append(
                "GitHub kept failing, so goescape-bot could not comment on the pull request: "
                "this summary and the annotations are all it wrote."
            )
            annotate = True
        else:
            notes += r.notes
            annotate = r.refused
            print(
                f"goescape-bot: {words.counts_phrase(failing)}, "
                f"{len(new) - len(failing)} more shown: {r.inline} inline comment(s), "
                f"{r.outside} in the review body, {r.edited} edited, {r.deleted} deleted; "
                f"summary {r.summary}"
            )
    if annotate:
        for a in escape_annotations(new, profile):
            print(a.command())
    _append(args.step_summary, summary_markdown(report, new, links, notes, profile=profile) + "\n")
    sarif = str(args.sarif.resolve())
    if "\n" in sarif:
        raise FatalError("goescape-bot: the SARIF path contains a newline")
    _append(args.output, f"new-escapes={len(failing)}\nsarif-file={sarif}\n")
    if failure is not None:
        raise failure
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except FatalError as err:
        print(str(err), file=sys.stderr)
        return EXIT_FAILURE
