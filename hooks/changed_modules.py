"""`goescape modules`: the Go modules whose functions a change touches, for a CI job matrix
with one job per module (docs/monorepos.md).

The base and head are chosen as for a run, and a file counts when a run would analyse it
(a changed .go file under the PATH arguments, not excluded, not a test file without --tests).
Only git is asked: no compiler runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from goescape import config, modules, pipeline, selection, stdout
from goescape.changes import parse_diff
from goescape.errors import EXIT_CLEAN, FatalError
from goescape.options import Options
from goescape.sides import Side, Worktree

_CATEGORY_UNSAFE = re.compile(r"[^\w./:@+-]")  # what the Action's category input refuses


class ChangedModule(NamedTuple):
    directory: str  # repo-relative directory holding go.mod, "." for the root
    module: str  # the module path its go.mod declares
    category: str  # a code scanning category of its own: "goescape/<directory>/"


def category(directory: str) -> str:
    if directory == ".":
        return "goescape/"
    return f"goescape/{_CATEGORY_UNSAFE.sub('_', directory)}/"


def listed(found: Iterable[modules.Module]) -> list[ChangedModule]:
    """One entry per module, sorted by directory (pure)."""
    unique = {m.root: m for m in found}
    return [
        ChangedModule(root or ".", unique[root].path, category(root or "."))
        for root in sorted(unique)
    ]


def changed_modules(cwd: Path, options: Options) -> list[ChangedModule]:
    # No profile is read: spare ask_git its look for default.pgo files.
    asked = pipeline.ask_git(cwd, options._replace(profile="none"), os.environ)
    if asked.chosen is None:
        return []  # no commit yet: nothing to compare against
    repo, head = asked.repo, asked.head
    changes = parse_diff(asked.diffing.result())
    untracked = asked.listing_untracked.result()
    paths = [c.path for c in changes if c.status != "D"]
    if not head.commit:
        paths += untracked
    head_side = Side(
        repo,
        head.commit or None,
        frozenset(asked.head_differing.result()) | frozenset(untracked)
        if head.commit
        else frozenset(),
        Worktree(repo.root),
    )
    prefixes = selection.repo_prefixes(options.paths, repo.root)
    found = []
    for path in dict.fromkeys(paths):
        if not path.endswith(".go") or not selection.under(path, prefixes):
            continue
        if selection.skip_reason(path, options):
            continue
        module = modules.find_module(path, head_side.read)
        if module is None:
            raise FatalError(
                f"{path} is outside any Go module (no go.mod in its directory or above)"
            )
        found.append(module)
    return listed(found)


def render_json(found: Sequence[ChangedModule]) -> str:
    """One line: a list GitHub's fromJSON() turns into a matrix's `include`."""
    return json.dumps([m._asdict() for m in found], ensure_ascii=False)


def render_text(found: Sequence[ChangedModule]) -> str:
    return "\n".join(m.directory for m in found)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="goescape modules",
        description=(
            "Print the Go modules whose functions the change touches (base and head chosen "
            "as for a run): their directories, or with --format json a list of "
            "{directory, module, category} for a CI job matrix."
        ),
    )
    config.add_change_arguments(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    try:
        directory, options = config.options(args, os.environ)
        found = changed_modules(directory, options)
    except FatalError as err:
        print(f"goescape modules: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("goescape modules: interrupted", file=sys.stderr)
        return 130
    text = render_json(found) if args.format == "json" else render_text(found)
    if text:
        stdout.emit(text)
    return EXIT_CLEAN
