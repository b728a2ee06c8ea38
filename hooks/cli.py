"""`goescape`: report the heap escapes a change introduces in the Go functions it touches."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from goescape import __version__, pipeline
from goescape.errors import EXIT_CLEAN, EXIT_FAILURE, EXIT_NEW_ESCAPES, FatalError
from goescape.options import Options
from goescape.progress import Progress

EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="goescape",
        description=(
            "Report the Go heap escapes that a change introduces in the functions it touches. "
            "Compares the working tree (or --head) against its merge base with the upstream "
            "branch (or --base). Also: `goescape sarif-summary FILE`."
        ),
        epilog="exit codes: 0 nothing new, 1 new heap escapes, 2 goescape could not do its job",
    )
    parser.add_argument("--base", metavar="REF", help="compare against the merge base with REF")
    parser.add_argument("--head", metavar="REF", help="analyse commit REF, not the working tree")
    parser.add_argument("-C", dest="directory", metavar="DIR", default=".", help="run in DIR")
    parser.add_argument("--tests", action="store_true", help="analyse _test.go files too")
    parser.add_argument("--tags", default="", help="build tags, as for `go build -tags`")
    parser.add_argument(
        "--leaks", action="store_true", help="count new leaking parameters as failures"
    )
    parser.add_argument(
        "--fail-on-induced",
        action="store_true",
        help="fail on new escapes in functions the change did not touch",
    )
    parser.add_argument(
        "--allow-broken-base",
        action="store_true",
        help="when the base does not compile, treat it as having no escapes",
    )
    parser.add_argument(
        "--explain", action="store_true", help="show the compiler's reasons (-m=2 flow)"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--sarif", metavar="PATH", type=Path, help="write SARIF 2.1.0 to PATH")
    parser.add_argument(
        "--sarif-upload",
        metavar="PATH",
        type=Path,
        help="write SARIF for GitHub code scanning to PATH (new escapes only)",
    )
    parser.add_argument(
        "--category", default="goescape/", help="SARIF automationDetails.id (code scanning)"
    )
    parser.add_argument(
        "--level",
        choices=("warning", "error"),
        default="warning",
        help="SARIF level of new escapes (error makes code scanning fail the check)",
    )
    # Does it matter (docs/cold-and-hot.md):
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="rank findings by this pprof CPU profile (default: a main package's default.pgo; "
        "`none`: no profile)",
    )
    parser.add_argument(
        "--pgo", action="store_true", help="also compile both sides with --profile's file (-pgo)"
    )
    parser.add_argument(
        "--min-hotness",
        metavar="FRACTION",
        type=_fraction,
        help="with a profile, escapes in functions with a smaller share of CPU only inform",
    )
    parser.add_argument(
        "--fail-on-cold",
        action="store_true",
        help="count new escapes on paths that run only when something fails (panic, error return)",
    )
    parser.add_argument(
        "--bench",
        metavar="REGEX",
        nargs="?",
        const=".",
        help="run the changed packages' benchmarks (matching REGEX) at base and head; "
        "fail when allocs/op rise",
    )
    parser.add_argument(
        "--bench-time",
        metavar="DURATION",
        type=_duration,
        help="time budget of --bench, e.g. 90s or 2m (default 60s)",
    )
    parser.add_argument("--no-cache", action="store_true", help="do not use goescape's cache")
    parser.add_argument("--version", action="version", version=f"goescape {__version__}")
    return parser


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction from 0 to 1 (e.g. 0.01)")
    return value


def _duration(text: str) -> float:
    from goescape import benchmarks

    try:
        return benchmarks.parse_budget(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration (seconds, or e.g. 90s, 2m)"
        ) from None


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["sarif-summary"]:
        from goescape import sarif_summary

        return sarif_summary.main(args_list[1:])
    args = _parser().parse_args(args_list)
    try:
        return _run(args, args_list)
    except FatalError as err:
        print(f"goescape: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("goescape: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        # The run's objects die with the process: spare the collector its pass over them at
        # interpreter exit (about 10 ms of a hook's run).
        gc.freeze()


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    directory = Path(args.directory)
    if not directory.is_dir():
        raise FatalError(f"-C {args.directory}: no such directory")
    options = Options(
        base=args.base,
        head=args.head,
        tests=args.tests,
        tags=args.tags,
        leaks=args.leaks,
        fail_on_induced=args.fail_on_induced,
        allow_broken_base=args.allow_broken_base,
        use_cache=not args.no_cache,
        profile=args.profile,
        pgo=args.pgo,
        min_hotness=args.min_hotness,
        fail_on_cold=args.fail_on_cold,
        bench=args.bench,
        **({"bench_time": args.bench_time} if args.bench_time is not None else {}),
    )
    with Progress.for_stderr(os.environ) as progress:
        outcome = pipeline.analyse(directory, options, os.environ, progress.update)
    # Imported after the analysis: git and the compiler start sooner (the pipeline loads it
    # while they work).
    from goescape import report

    code = EXIT_NEW_ESCAPES if outcome.failed() else EXIT_CLEAN
    if args.format == "json":
        print(report.render_json(outcome))
    else:
        print(report.render_text(outcome, explain=args.explain))
    for path, for_upload in ((args.sarif, False), (args.sarif_upload, True)):
        if path is not None:
            _write_sarif(
                path, outcome, args, argv, code, for_upload=for_upload, directory=directory
            )
    return code


def _write_sarif(
    path: Path,
    outcome: object,
    args: argparse.Namespace,
    argv: list[str],
    code: int,
    *,
    for_upload: bool,
    directory: Path,
) -> None:
    import shlex

    from goescape import git, hints, sarif
    from goescape.outcome import Outcome

    assert isinstance(outcome, Outcome)
    root = git.find_root(directory)
    repo = git.Git(root)
    facts = sarif.RunFacts(
        command_line=shlex.join(["goescape", *argv]),
        exit_code=code,
        execution_successful=code != EXIT_FAILURE,
        repository_uri=_https_uri(repo.remote_url()),
        branch=repo.current_branch() or None,
        revision=outcome.head_commit or repo.commit_of("HEAD"),
        source_root=str(root),
        category=args.category,
        level=args.level,
    )
    try:
        sarif.write(
            path,
            outcome,
            facts,
            for_upload=for_upload,
            hint_for=hints.hint_for,
            source=sarif.git_source(root, outcome),
        )
    except OSError as err:
        # Name the culprit when it is not the file itself (a parent that is a file, say).
        culprit = f" ({err.filename})" if err.filename and str(err.filename) != str(path) else ""
        raise FatalError(f"cannot write SARIF to {path}: {err.strerror}{culprit}") from None


def _https_uri(remote: str) -> str | None:
    """A browsable URI for the origin remote (credentials dropped), None without one."""
    if not remote:
        return None
    if remote.startswith("git@") and ":" in remote:
        host, _, path = remote[4:].partition(":")
        remote = f"https://{host}/{path}"
    if "://" in remote:
        scheme, _, rest = remote.partition("://")
        rest = rest.rsplit("@", 1)[-1]
        remote = f"{'https' if scheme in ('ssh', 'git') else scheme}://{rest}"
    return remote.removesuffix(".git")


if __name__ == "__main__":
    raise SystemExit(main())
