"""`goescape demo`: goescape on a change that ships with it, in a temporary git repository.

The repository holds a small Go module (demo_repo/base, committed on main) and a branch
`change` (demo_repo/head) that makes a function return a pointer, adds one that builds a
slice, moves one to a file of its own and makes one return a value instead of a pointer:
escapes introduced, moved and removed. goescape compares the branch with main as it would
in any repository, prints its report, and the repository is removed (unless --keep).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from goescape import compiler, pipeline, process, stdout
from goescape.errors import EXIT_CLEAN, EXIT_NEW_ESCAPES, FatalError
from goescape.options import Options
from goescape.outcome import ABSENT, Outcome
from goescape.progress import Progress

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

EXIT_INTERRUPTED = 130
# Fixed names and dates: the demo's commits, and so its report, are the same on every run.
_IDENTITY = {
    "GIT_AUTHOR_NAME": "goescape demo",
    "GIT_AUTHOR_EMAIL": "demo@goescape.invalid",
    "GIT_AUTHOR_DATE": "2025-01-01T12:00:00Z",
    "GIT_COMMITTER_NAME": "goescape demo",
    "GIT_COMMITTER_EMAIL": "demo@goescape.invalid",
    "GIT_COMMITTER_DATE": "2025-01-01T12:00:00Z",
}
# What the user's environment may say that would make the demo's module build differently
# (or not at all), or make goescape take pre-commit's refs for the demo's.
_UNSET = ("GOFLAGS", "GOOS", "GOARCH", "GOEXPERIMENT", "PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF")

INTRO = """\
goescape demo: a Go module in a new git repository ({where})
  main    geom/point.go, geom/path.go: points, paths and rectangles
  change  a branch off main, checked out:
          Scale returns a pointer to its parameter instead of a value
          Segment is new: it builds a slice of n points
          Midpoint moves from geom/point.go to geom/mid.go, unchanged
          Path.Bounds returns a value instead of a pointer

$ goescape"""


def files(folder: Traversable, prefix: str = "") -> Iterator[tuple[str, bytes]]:
    """(relative path, contents) of every file under `folder` (package data), sorted."""
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        path = f"{prefix}{entry.name}"
        if entry.is_dir():
            yield from files(entry, f"{path}/")
        elif entry.is_file():
            yield path, entry.read_bytes()


def _write_tree(root: Path, tree: Traversable) -> None:
    for rel, data in files(tree):
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def build_repository(root: Path) -> None:
    """The demo repository in the empty directory `root`: main, then `change` checked out."""
    data = resources.files("goescape") / "demo_repo"
    env = process.clean_env(_IDENTITY)

    def git(*args: str) -> None:
        process.run(["git", "-c", "commit.gpgSign=false", *args], cwd=root, env=env)

    git("init", "-q")
    git("symbolic-ref", "HEAD", "refs/heads/main")
    _write_tree(root, data / "base")
    git("add", "-A")
    git("commit", "-q", "--no-verify", "-m", "geom: points, paths and rectangles")
    git("checkout", "-q", "-b", "change")
    for path in [p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts]:
        path.unlink()
    _write_tree(root, data / "head")
    git("add", "-A")
    git("commit", "-q", "--no-verify", "-m", "geom: Segment; Scale chains; Midpoint to mid.go")


def epilogue(outcome: Outcome, code: int) -> str:
    """The escapes behind the report's summary that it does not list one by one (removed, and
    kept by a changed or moved function), and the exit code (pure)."""
    lines = ["", "Behind the summary:"]
    for f in sorted(outcome.findings, key=lambda f: (f.escape.path, f.escape.line)):
        if f.state == ABSENT:
            esc = f.escape
            lines.append(f"  removed: {esc.path}:{esc.line}: {f.display}: {esc.message}")
    for s in sorted(outcome.functions, key=lambda s: (s.path, s.line)):
        if s.changed and s.before and s.before == s.after and not s.new:
            escapes = "heap escape" if s.before == 1 else "heap escapes"
            lines.append(
                f"  as before: {s.display} ({s.path}) keeps its {s.before} {escapes}: "
                "changed or moved, nothing new"
            )
    if len(lines) == 2:
        lines = []
    meaning = "new heap escapes" if code == EXIT_NEW_ESCAPES else "nothing new"
    lines += ["", f"goescape's exit code here: {code} ({meaning})."]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="goescape demo",
        description=(
            "Run goescape on a change that ships with it: a small Go module and a branch that "
            "introduces, moves and removes heap escapes, in a temporary git repository that "
            "is removed afterwards. Needs git and Go (the `go` on PATH, or the one "
            "`pip install 'goescape[go]'` brings)."
        ),
    )
    parser.add_argument(
        "--explain", action="store_true", help="show the compiler's reasons (-m=2 flow)"
    )
    parser.add_argument(
        "--keep",
        metavar="DIR",
        type=Path,
        help="build the repository in DIR (new or empty) and keep it, to try goescape on",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _demo(args)
    except FatalError as err:
        print(f"goescape demo: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("goescape demo: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


@contextlib.contextmanager
def _demo_environment() -> Iterator[None]:
    """os.environ without what would change the demo's build, for the processes it starts
    (restored afterwards: tests call main() in their own process)."""
    saved = dict(os.environ)
    for name in _UNSET:
        os.environ.pop(name, None)
    os.environ["GOWORK"] = "off"
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _demo(args: argparse.Namespace) -> int:
    compiler.find_go()  # before anything is built: say first that Go is missing
    with _demo_environment():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    keep: Path | None = args.keep
    if keep is not None and keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
        raise FatalError(f"--keep {keep}: not an empty directory")
    with tempfile.TemporaryDirectory(prefix="goescape-demo-") as temporary:
        root = keep if keep is not None else Path(temporary) / "shapes"
        root.mkdir(parents=True, exist_ok=True)
        build_repository(root)
        stdout.emit(INTRO.format(where=root if keep is not None else "removed at the end"))
        with Progress.for_stderr(os.environ) as progress:
            outcome = pipeline.analyse(root, Options(use_cache=False), os.environ, progress.update)
        from goescape import report

        code = EXIT_NEW_ESCAPES if outcome.failed() else EXIT_CLEAN
        stdout.emit(report.render_text(outcome, explain=args.explain))
        stdout.emit(epilogue(outcome, code))
        if keep is not None:
            stdout.emit(f"The repository is kept in {keep}: try `goescape -C {keep} --explain`.")
    return EXIT_CLEAN
