"""Which changed files a run looks at: those under its PATH arguments, less the `exclude`
globs of `.goescape.toml`, test files without --tests, and what the go command ignores."""

from __future__ import annotations

import os
from collections.abc import Iterable
from fnmatch import fnmatchcase
from pathlib import Path

from goescape.errors import FatalError
from goescape.modules import ignored_by_go
from goescape.options import Options


def repo_prefixes(paths: Iterable[str], root: Path) -> tuple[str, ...]:
    """Absolute PATH arguments as repo-relative posix prefixes ("" for the root itself)."""
    prefixes = []
    for path in paths:
        rel = os.path.relpath(path, root)
        if rel == ".." or rel.startswith(".." + os.sep):
            raise FatalError(f"{path} is outside the repository {root}")
        prefixes.append("" if rel == "." else Path(rel).as_posix())
    return tuple(prefixes)


def under(path: str, prefixes: tuple[str, ...]) -> bool:
    """Whether repo-relative `path` is one of `prefixes` or below one; no prefixes: yes."""
    if not prefixes:
        return True
    return any(not p or path == p or path.startswith(p + "/") for p in prefixes)


def excluded_by(path: str, globs: Iterable[str]) -> str | None:
    """The first glob that leaves `path` out, None if none does.

    A glob is matched against the whole repo-relative path with fnmatch, where `*` also
    matches `/`: `*.pb.go` is every such file, `examples` or `examples/` everything under
    examples/ at the top, `**/testutil` every testutil directory at any depth.
    """
    for glob in globs:
        pattern = glob.removeprefix("./").strip("/")
        forms = [pattern, f"{pattern}/*"]
        if pattern.startswith("**/"):
            forms += [pattern[3:], f"{pattern[3:]}/*"]
        if any(fnmatchcase(path, form) for form in forms):
            return glob
    return None


def skip_reason(path: str, options: Options) -> str:
    """Why a run leaves the changed .go file `path` out ("" if it does not)."""
    glob = excluded_by(path, options.exclude)
    if glob is not None:
        return f"excluded by .goescape.toml: {glob}"
    if ignored_by_go(path):
        return "ignored by the go command (testdata, or a name starting with . or _)"
    if path.endswith("_test.go") and not options.tests:
        return "test file (use --tests)"
    return ""
