"""The head compile started before goescape knows what it compiles: the one the last run in
the same directory ran (docs/performance.md).

A run spends its first tenth of a second starting Python, importing, and asking git for the
merge base and the diff before the diff names the packages to compile. Consecutive runs in a
directory nearly always compile the same packages with the same flags, so the last run's
head compile is kept in goescape's cache and started at once. When the run comes to start
its head compile, the compile session hands it the one already running if it is exactly the
same command in the same directory (the working tree it reads is the same one), and stops it
otherwise. Only a working-tree head is started early: a commit is laid over the tree with an
overlay the run writes later.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goescape import cache

if TYPE_CHECKING:
    from goescape.compiler import Build


def _entry(cwd: Path) -> str:
    import zlib  # names an entry; the entry itself says which directory it is for

    return f"prestart-{zlib.crc32(str(cwd).encode()):08x}"


def remembered(cwd: Path) -> list[Build]:
    """The head compiles the last run in `cwd` started, as far as they check out: each in an
    existing directory, naming packages by relative pattern, with flags goescape uses."""
    import json

    from goescape import compiler

    text = cache.load_named(_entry(cwd))
    try:
        record = json.loads(text) if text else None
    except ValueError:
        return []
    if not isinstance(record, dict) or record.get("cwd") != str(cwd):
        return []
    found = []
    for item in record.get("builds", []):
        build = _build(item, compiler.ESCAPES, compiler.EXPLAINED)
        if build is None:
            return []
        found.append(build)
    return found


def _build(item: Any, *flags: str) -> Build | None:
    from goescape.compiler import Build

    try:
        module_dir = Path(item["module_dir"])
        packages = tuple(str(p) for p in item["packages"])
        flagged = tuple(str(p) for p in item["flagged"])
        build = Build(
            module_dir,
            packages,
            {},
            bool(item["tests"]),
            str(item["tags"]),
            str(item["pgo"]),
            flagged,
            str(item["flags"]),
        )
    except (KeyError, TypeError):
        return None
    patterns = (*packages, *flagged)
    if not packages or not all(_pattern(p) for p in patterns) or build.flags not in flags:
        return None
    if not module_dir.is_absolute() or not module_dir.is_dir() or build.tags.startswith("-"):
        return None
    if build.pgo not in ("", "off") and not os.path.isfile(build.pgo):
        return None
    return build


def _pattern(pattern: str) -> bool:
    """A package as goescape names it to go: `.` or `./dir`."""
    return pattern == "." or (pattern.startswith("./") and "\n" not in pattern)


def remember(cwd: Path, builds: Sequence[Build]) -> None:
    """Keep the head compiles of this run for the next run in `cwd` (working-tree heads)."""
    import json

    record = {
        "cwd": str(cwd),
        "builds": [
            {
                "module_dir": str(b.module_dir),
                "packages": list(b.packages),
                "tests": b.tests,
                "tags": b.tags,
                "pgo": b.pgo,
                "flagged": list(b.flagged),
                "flags": b.flags,
            }
            for b in builds
        ],
    }
    cache.store_named(_entry(cwd), json.dumps(record))
