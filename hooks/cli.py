"""`goescape`: report the heap escapes a change introduces in the Go functions it touches."""

from __future__ import annotations

import os
import sys

from goescape import prestart

# The rest is imported in the functions, after `main` has started the last run's head
# compile again (prestart.py): every import before it would delay the compile (typing's
# too: TYPE_CHECKING is a plain constant here, which mypy reads as typing's).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from pathlib import Path

EXIT_INTERRUPTED = 130


# Subcommands, each a module with `main(argv) -> int`, loaded only when asked for.
COMMANDS = {
    "demo": "goescape.demo",
    "modules": "goescape.changed_modules",
    "sarif-summary": "goescape.sarif_summary",
}


def _parser() -> argparse.ArgumentParser:
    import argparse
    from pathlib import Path

    from goescape import __version__, config

    parser = argparse.ArgumentParser(
        prog="goescape",
        description=(
            "Report the Go heap escapes that a change introduces in the functions it touches. "
            "Compares the working tree (or --head) against its merge base with the upstream "
            "branch (or --base). Defaults come from .goescape.toml at the repository root. "
            "Also: `goescape demo`, `goescape modules`, `goescape sarif-summary FILE`."
        ),
        epilog=(
            "exit codes: 0 nothing new, 1 new heap escapes, 2 goescape could not do its job, "
            "130 interrupted"
        ),
    )
    config.add_change_arguments(parser)
    parser.add_argument(
        "--tags", default=argparse.SUPPRESS, help="build tags, as for `go build -tags`"
    )
    parser.add_argument(
        "--leaks",
        action=argparse.BooleanOptionalAction,
        default=argparse.SUPPRESS,
        help="count new leaking parameters as failures",
    )
    parser.add_argument(
        "--fail-on-induced",
        action=argparse.BooleanOptionalAction,
        default=argparse.SUPPRESS,
        help="fail on new escapes in functions the change did not touch",
    )
    parser.add_argument(
        "--allow-broken-base",
        action="store_true",
        default=argparse.SUPPRESS,
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
        default=argparse.SUPPRESS,
        help="rank findings by this pprof CPU profile (default: a main package's default.pgo; "
        "`none`: no profile)",
    )
    parser.add_argument(
        "--pgo",
        action=argparse.BooleanOptionalAction,
        default=argparse.SUPPRESS,
        help="also compile both sides with --profile's file (-pgo)",
    )
    parser.add_argument(
        "--min-hotness",
        metavar="FRACTION",
        type=_fraction,
        default=argparse.SUPPRESS,
        help="with a profile, escapes in functions with a smaller share of CPU only inform",
    )
    parser.add_argument(
        "--fail-on-cold",
        action=argparse.BooleanOptionalAction,
        default=argparse.SUPPRESS,
        help="count new escapes on paths that run only when something fails (panic, error return)",
    )
    parser.add_argument(
        "--bench",
        metavar="REGEX",
        nargs="?",
        const=".",
        default=argparse.SUPPRESS,
        help="run the changed packages' benchmarks (matching REGEX) at base and head; "
        "fail when allocs/op rise",
    )
    parser.add_argument(
        "--no-bench",
        dest="bench",
        action="store_const",
        const=None,
        default=argparse.SUPPRESS,
        help="do not run benchmarks (when .goescape.toml sets bench)",
    )
    parser.add_argument(
        "--bench-time",
        metavar="DURATION",
        type=_duration,
        default=argparse.SUPPRESS,
        help="time budget of --bench, e.g. 90s or 2m (default 60s)",
    )
    parser.add_argument(
        "--no-cache",
        dest="use_cache",
        action="store_false",
        default=argparse.SUPPRESS,
        help="do not use goescape's cache",
    )
    parser.add_argument("--version", action="version", version=f"goescape {__version__}")
    return parser


def _fraction(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction from 0 to 1 (e.g. 0.01)")
    return value


def _duration(text: str) -> float:
    import argparse

    from goescape import benchmarks

    try:
        return benchmarks.parse_budget(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration (seconds, or e.g. 90s, 2m)"
        ) from None


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    # First thing: the head compile the last run in this directory ran starts again; the run
    # takes it when it wants the same, and what it did not take is stopped at the end.
    prestart.begin(args_list, os.environ)
    try:
        return _dispatch(args_list)
    finally:
        prestart.discard()
        direct = sys.modules.get("goescape.direct")
        if direct is not None:
            # The plans of the compiles that went through go build, recorded in a process of
            # its own now that the report is out (direct.py).
            direct.start_queued()


def _dispatch(args_list: list[str]) -> int:
    from goescape import stdout

    command = COMMANDS.get(args_list[0]) if args_list else None
    if command is not None:
        import importlib

        run_command = importlib.import_module(command).main
        return stdout.guarded(lambda: int(run_command(args_list[1:])))
    return stdout.guarded(lambda: _main(args_list))


def _main(args_list: list[str]) -> int:
    import gc

    from goescape.errors import FatalError

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
    from goescape import config, pipeline, stdout
    from goescape.errors import EXIT_CLEAN, EXIT_NEW_ESCAPES
    from goescape.options import FLOWS_SHOWN
    from goescape.progress import Progress

    directory, options = config.options(args, os.environ)
    if args.format == "text" and args.sarif is None and args.sarif_upload is None:
        # Only the escapes the report shows need the compiler's explanation (-m=2).
        options = options._replace(flows=FLOWS_SHOWN)
    with Progress.for_stderr(os.environ) as progress:
        outcome = pipeline.analyse(directory, options, os.environ, progress.update)
    # Imported after the analysis: git and the compiler start sooner (the pipeline loads it
    # while they work).
    from goescape import report

    code = EXIT_NEW_ESCAPES if outcome.failed() else EXIT_CLEAN
    if args.format == "json":
        stdout.emit(report.render_json(outcome))
    else:
        where = _where(directory, outcome.root)
        skip = report.skip_command(os.environ)
        stdout.emit(report.render_text(outcome, explain=args.explain, where=where, skip=skip))
    for path, for_upload in ((args.sarif, False), (args.sarif_upload, True)):
        if path is not None:
            _write_sarif(
                path, outcome, args, argv, code, for_upload=for_upload, directory=directory
            )
    return code


def _where(directory: Path, root: str) -> str:
    """The run's directory relative to the repository root, posix ("" at the root): the
    text report's paths are relative to it, as go vet's are."""
    if not root:
        return ""
    rel = os.path.relpath(directory.resolve(), root)
    return "" if rel == "." or rel.startswith("..") else rel.replace(os.sep, "/")


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
    from pathlib import Path

    from goescape import git, hints, sarif
    from goescape.errors import EXIT_FAILURE, FatalError
    from goescape.outcome import Outcome

    assert isinstance(outcome, Outcome)
    root = Path(outcome.root) if outcome.root else git.find_root(directory)
    repo = git.Git(root)
    facts = sarif.RunFacts(
        command_line=shlex.join(["goescape", *argv]),
        exit_code=code,
        execution_successful=code != EXIT_FAILURE,
        repository_uri=sarif.repository_uri(repo.remote_url(), root),
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


if __name__ == "__main__":
    raise SystemExit(main())
