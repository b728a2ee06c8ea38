"""What a run is asked to do: `.goescape.toml` at the repository root, then the command line,
which wins.

The file holds the defaults a team sets once. Each key is one line of KEYS: the Options field
it fills and the check of its value. On the command line, every option whose argparse `dest`
is an Options field overrides that field when it is given: those options default to
argparse.SUPPRESS, so one left out leaves the file's value (or the Options default).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from goescape.errors import FatalError
from goescape.options import Options

FILE_NAME = ".goescape.toml"


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError("must be true or false")


def _ref(value: object) -> str:
    if isinstance(value, str) and value.strip() and not value.startswith("-"):
        return value.strip()
    raise ValueError("must be a git ref (a branch, tag or commit)")


def _tags(value: object) -> str:
    """Build tags, as `go build -tags` takes them: "a,b" or a list of names."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return ",".join(v.strip() for v in value)
    raise ValueError("must be a string (a,b) or a list of tag names")


def _globs(value: object) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(v, str) and v.strip("/. ") for v in value):
        return tuple(v.strip() for v in value)
    raise ValueError("must be a list of glob patterns (strings)")


def _fraction(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    raise ValueError("must be a fraction from 0 to 1 (e.g. 0.01)")


def _file(value: object) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ValueError("must be a file name")


def _bench(value: object) -> str | None:
    """`true` runs every benchmark (as `--bench` alone), a string those it matches."""
    if value is True:
        return "."
    if value is False:
        return None
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ValueError("must be true, false or a regular expression")


def _duration(value: object) -> float:
    from goescape import benchmarks

    if not isinstance(value, bool) and isinstance(value, int | float | str):
        try:
            return benchmarks.parse_budget(str(value))
        except ValueError:
            pass
    raise ValueError("must be seconds or a duration (e.g. 90s, 2m)")


class Key(NamedTuple):
    field: str  # the Options field it sets
    check: Callable[[object], object]  # the TOML value as the field holds it; ValueError: why not
    path: bool = False  # a file, relative to the repository root (except the word "none")


# The keys of .goescape.toml, spelt as the command-line options that override them.
KEYS: dict[str, Key] = {
    "base": Key("default_base", _ref),  # after --base and pre-commit's refs
    "tests": Key("tests", _flag),
    "tags": Key("tags", _tags),
    "leaks": Key("leaks", _flag),
    "fail-on-induced": Key("fail_on_induced", _flag),
    "exclude": Key("exclude", _globs),
    "profile": Key("profile", _file, path=True),
    "pgo": Key("pgo", _flag),
    "min-hotness": Key("min_hotness", _fraction),
    "fail-on-cold": Key("fail_on_cold", _flag),
    "bench": Key("bench", _bench),
    "bench-time": Key("bench_time", _duration),
}


def find(directory: Path) -> Path | None:
    """`.goescape.toml` at the root of the git repository holding `directory` (the nearest
    folder upwards with a `.git`), None without one. Asks the file system, not git: a plain
    run starts no process for it."""
    try:
        here = directory.resolve()
    except OSError:
        return None
    for folder in (here, *here.parents):
        if os.path.lexists(folder / ".git"):
            found = folder / FILE_NAME
            return found if found.is_file() else None
    return None


def _shown(value: object) -> str:
    """A value as it was written in TOML, near enough for an error message."""
    import json

    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def parse(data: Mapping[str, object], where: str) -> dict[str, object]:
    """Options fields from the file's top-level table (pure); FatalError names a bad key."""
    values: dict[str, object] = {}
    for key, value in data.items():
        spec = KEYS.get(key)
        if spec is None:
            known = ", ".join(sorted(KEYS))
            raise FatalError(f"{where}: unknown key {key!r} (the keys are: {known})")
        try:
            values[spec.field] = spec.check(value)
        except ValueError as err:
            raise FatalError(f"{where}: {key} {err}, not {_shown(value)}") from None
    return values


def load(path: Path) -> dict[str, object]:
    """The Options fields a `.goescape.toml` sets."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise FatalError(f"{path}: cannot read it: {err.strerror}") from None
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise FatalError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise FatalError(f"{path}: not valid TOML: {err}") from None
    values = parse(data, str(path))
    for key in KEYS.values():
        named = values.get(key.field)
        if key.path and isinstance(named, str) and named != "none":
            values[key.field] = str(path.parent / named)
    return values


# --- the command line -----------------------------------------------------------------------


def add_change_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that say which change to look at: `goescape` and `goescape modules`."""
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="only the changes under these files or directories (default: the whole repository)",
    )
    parser.add_argument(
        "--base",
        metavar="REF",
        default=argparse.SUPPRESS,
        help="compare against the merge base with REF",
    )
    parser.add_argument(
        "--head",
        metavar="REF",
        default=argparse.SUPPRESS,
        help="analyse commit REF, not the working tree",
    )
    parser.add_argument("-C", dest="directory", metavar="DIR", default=".", help="run in DIR")
    parser.add_argument(
        "--tests",
        action=argparse.BooleanOptionalAction,
        default=argparse.SUPPRESS,
        help="analyse _test.go files too",
    )


def options(args: argparse.Namespace, env: Mapping[str, str]) -> tuple[Path, Options]:
    """The directory to run in and the run's Options: defaults, then the repository's
    `.goescape.toml`, then the command line."""
    directory = Path(args.directory)
    if not directory.is_dir():
        raise FatalError(f"-C {args.directory}: no such directory")
    found = find(directory)
    values: dict[str, Any] = load(found) if found is not None else {}
    given = vars(args)
    values.update({name: given[name] for name in Options._fields if name in given})
    head_is_worktree = "head" not in given and not env.get("PRE_COMMIT_TO_REF")
    values["paths"] = _paths(directory, given.get("paths", ()), check=head_is_worktree)
    return directory, Options()._replace(**values)


def _paths(directory: Path, paths: Sequence[str], *, check: bool) -> tuple[str, ...]:
    """The PATH arguments as absolute paths (relative ones are relative to -C DIR, as for git
    and go). On the working tree they must exist; a commit may hold paths the tree does not."""
    found = []
    for path in paths:
        full = directory / path
        if check and not os.path.lexists(full):
            raise FatalError(f"{path}: no such file or directory")
        found.append(str(full.resolve()))
    return tuple(found)
