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
from collections.abc import Sequence
from pathlib import Path

from goescape import stdout
from goescape.errors import EXIT_CLEAN, EXIT_FAILURE, EXIT_NEW_ESCAPES, FatalError
from goescape.sarif_read import SarifError, SarifReport, read

from . import anchors as anchors_mod
from . import words
from .annotations import escape_annotations
from .comments import Links
from .comments import review_body as make_review_body
from .event import (
    NO_PR_EVENTS,
    PullRequest,
    Settings,
    check_repository,
    commits_of,
    from_event,
    from_options,
)
from .plan import counted, make_plan, reported
from .post import base_of, local_patches, post, review_event
from .summary import summary_markdown

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
        head = head or (report.head_commit if args.dry_run else "")
        if args.dry_run and not head:
            # A report of the working tree: the dry run shows it as if it were pushed.
            pr = from_options(args.pr, "0" * 40, base, repository)._replace(head_sha="")
        else:
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
        base = base_of(s, report)
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
        event=review_event(args, report),
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
        stdout.emit(dry_run(args, s, report, links, profile))
        stdout.emit(
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
            stdout.emit(
                f"goescape-bot: {words.counts_phrase(failing)}, "
                f"{len(new) - len(failing)} more shown: {r.inline} inline comment(s), "
                f"{r.outside} in the review body, {r.edited} edited, {r.deleted} deleted; "
                f"summary {r.summary}"
            )
    commands = [a.command() for a in escape_annotations(new, profile)] if annotate else []
    if commands:
        stdout.emit("\n".join(commands))
    _append(args.step_summary, summary_markdown(report, new, links, notes, profile=profile) + "\n")
    sarif = str(args.sarif.resolve())
    if "\n" in sarif:
        raise FatalError("goescape-bot: the SARIF path contains a newline")
    _append(args.output, f"new-escapes={len(failing)}\nsarif-file={sarif}\n")
    if failure is not None:
        raise failure
    return code


def main(argv: Sequence[str] | None = None) -> int:
    return stdout.guarded(lambda: _main(argv))


def _main(argv: Sequence[str] | None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except FatalError as err:
        print(str(err), file=sys.stderr)
        return EXIT_FAILURE
