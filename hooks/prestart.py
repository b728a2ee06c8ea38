"""The head compile started before goescape knows what it compiles: the one the last run in
the same directory ran (docs/performance.md).

A run spends its first ~90 ms starting Python, importing, and asking git for the merge base
and the diff before the diff names the packages to compile. Consecutive runs in a directory
nearly always compile the same packages with the same flags, so the last run's head compile
is kept in goescape's cache, and `begin` starts it again first thing, before the imports the
rest of the run needs. When the run comes to start its head compile, the compile session
hands it the one already running if it is exactly the same command in the same directory
(the working tree it reads is the same), and stops it otherwise. Only a working-tree head is
started early: a commit is laid over the tree with an overlay the run writes later.

`begin` imports as little as it can (no pathlib, no json, no argparse): everything it does
comes before the compile starts. The record is plain lines, and what it names is checked
before it runs: the `go` first on PATH, `go build` or `go test -c` with goescape's own flags
and package patterns, in an existing directory.
"""

from __future__ import annotations

import os
import sys

# Nothing is imported before the compile starts that the start does not need: typing and
# subprocess alone take ~25 ms (docs/performance.md).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Mapping, Sequence

    from goescape.compiler import Build
    from goescape.direct import Planned
    from goescape.process import Spawned

_MAGIC = "goescape prestart 1"
# Subcommands and options after which a run compiles nothing, or not the working tree.
_NOT_WORKTREE = ("--head", "--no-cache", "--help", "-h", "--version")
_SUBCOMMANDS = ("demo", "modules", "sarif-summary")


class Early:
    """A head compile started by `begin` (a plain class: typing's records cost an import)."""

    __slots__ = ("cmd", "direct", "folder", "module_dir", "proc")

    def __init__(
        self,
        proc: Spawned | subprocess.Popen[bytes],
        cmd: tuple[str, ...],
        module_dir: str,
        folder: str,  # go's GOTMPDIR: the compile session's folder, when the run takes it
        direct: Planned | None = None,
    ) -> None:
        self.proc = proc
        self.cmd = cmd  # the go build command, also when the compiler runs directly
        self.module_dir = module_dir
        self.folder = folder
        self.direct = direct


_started: list[Early] = []


def begin(argv: Sequence[str], environ: Mapping[str, str]) -> None:
    """Start the head compiles the last run in this directory ran, when the command line
    asks for an ordinary run of the working tree. Never raises: a prestart is a guess."""
    try:
        _begin(argv, environ)
    except (OSError, ValueError, AttributeError, NotImplementedError):
        discard()  # AttributeError, NotImplementedError: no posix_spawn or setpgroup here


def _begin(argv: Sequence[str], environ: Mapping[str, str]) -> None:
    if environ.get("PRE_COMMIT_TO_REF") or (argv and argv[0] in _SUBCOMMANDS):
        return
    directory = "."
    for i, arg in enumerate(argv):
        if arg.startswith(_NOT_WORKTREE):
            return
        if arg == "-C" and i + 1 < len(argv):
            directory = argv[i + 1]
        elif arg.startswith("-C") and arg != "-C":
            directory = arg[2:].removeprefix("=")
    where = os.path.realpath(directory)
    record = _read(_entry_path(where, environ))
    if len(record) < 2 or record[0] != _MAGIC or record[1] != where:
        return
    go = _go(environ)
    if go is None:
        return
    commands = [(d, cmd) for d, cmd in _commands(record[2:]) if _checked(cmd, go, d)]
    if not commands:
        return
    from goescape import process

    folder = _folder(environ)
    extra = {} if environ.get("GOTMPDIR") else {"GOTMPDIR": folder}
    env = process.clean_env(extra)
    # posix_spawn changes the directory around the start, which is safe only while this is
    # the process's one thread: so from the command line, not where goescape is embedded.
    threading = sys.modules.get("threading")
    alone = threading is None or threading.active_count() == 1
    for n, (module_dir, cmd) in enumerate(commands):
        planned = _planned(cmd, module_dir, env, os.path.join(folder, f"early{n}"))
        if isinstance(planned, str):
            continue  # "kept": the run reads the last compile's text of the same inputs
        argv, cwd, tool_env = (cmd, module_dir, env) if planned is None else planned[1:]
        proc: Spawned | subprocess.Popen[bytes] = (
            process.spawn(argv, cwd, tool_env)
            if alone
            else process.start(argv, cwd=cwd, env=tool_env, new_group=True)
        )
        direct = None if planned is None else planned[0]
        _started.append(Early(proc, tuple(cmd), module_dir, folder, direct))


def _planned(
    cmd: list[str], module_dir: str, env: Mapping[str, str], work: str
) -> tuple[Planned, list[str], str, dict[str, str]] | str | None:
    """The direct compile standing in for `cmd` when its plan holds (direct.py): the plan,
    the compiler's command, its directory and environment, its importcfg written into
    `work`; "kept" when the last direct compile of the same inputs left its text."""
    from goescape import direct

    if not direct.enabled(env) or not direct.qualifies(cmd):
        return None
    path = direct.plan_path(cmd, module_dir, env)
    plan = direct.load(path)
    if plan is None or not direct.holds(plan, cmd, module_dir, env):
        return None
    key = direct.inputs_key(plan)
    if direct.kept_output(path, key) is not None:
        return "kept"
    if direct.refused(plan):
        return None  # go build compiles it
    planned = direct.Planned(plan, path, key)
    return planned, *direct.prepare(planned, work, env)


def take() -> list[Early]:
    """The compiles `begin` started, for the run's compile session to hand out or stop."""
    taken = list(_started)
    _started.clear()
    return taken


def discard() -> None:
    """Stop the compiles `begin` started that no run took (an error, `--help`)."""
    import shutil

    from goescape import process

    for early in take():
        _stop(early.proc)
        process.wait_for(early.proc)
        shutil.rmtree(early.folder, ignore_errors=True)  # one folder for all: gone once


def _stop(proc: Spawned | subprocess.Popen[bytes]) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, AttributeError):
        proc.kill()


def _commands(lines: list[str]) -> list[tuple[str, list[str]]]:
    """(module directory, command) of each compile in a record: blank-line separated."""
    found: list[tuple[str, list[str]]] = []
    group: list[str] = []
    for line in [*lines, ""]:
        if line:
            group.append(line)
        elif group:
            found.append((group[0], group[1:]))
            group = []
    return found


def _checked(cmd: list[str], go: str, module_dir: str) -> bool:
    """Whether `cmd` is a head compile goescape itself would run: nothing else is started."""
    if not os.path.isabs(module_dir) or not os.path.isdir(module_dir):
        return False
    if len(cmd) < 4 or cmd[0] != go:
        return False
    rest = cmd[1:]
    if rest[:2] == ["test", "-c"]:
        rest = rest[2:]
    elif rest[:1] == ["build"]:
        rest = rest[1:]
    else:
        return False
    if rest[:2] != ["-o", os.devnull]:
        return False
    patterns = 0
    for arg in rest[2:]:
        if arg.startswith("-gcflags="):
            value = arg.removeprefix("-gcflags=")
            for flags in ("=-m", "=-m=2"):
                if value.endswith(flags) and _pattern(value.removesuffix(flags)):
                    break
            else:
                return False
        elif arg.startswith(("-tags=", "-pgo=")) or _pattern(arg):
            patterns += _pattern(arg)
        else:
            return False
    return patterns > 0


def _pattern(arg: str) -> bool:
    return arg == "." or arg.startswith("./")


def _go(environ: Mapping[str, str]) -> str | None:
    """The go command the run will use (compiler.find_go, without its imports)."""
    from goescape import gobinary

    return gobinary.choose(environ, gobinary.bundled())


def _folder(environ: Mapping[str, str]) -> str:
    """A new private folder in the temporary directory, as tempfile would make it."""
    import time

    top = next((environ[n] for n in ("TMPDIR", "TEMP", "TMP") if environ.get(n)), "/tmp")
    while True:
        path = os.path.join(top, f"goescape-{os.getpid()}-{time.monotonic_ns():x}")
        try:
            os.mkdir(path, 0o700)
            return path
        except FileExistsError:
            continue


def _read(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as record:
            return record.read().split("\n")
    except (OSError, UnicodeDecodeError):
        return []


def _entry_path(where: str, environ: Mapping[str, str]) -> str:
    """The record's file, beside goescape's cache entries."""
    import zlib

    from goescape import cachedir

    name = f"prestart-{zlib.crc32(where.encode()):08x}.rec"  # cache.RECORD_SUFFIX
    return os.path.join(cachedir.entries(environ), name)


def remember(where: str, go: str, builds: Sequence[Build], environ: Mapping[str, str]) -> None:
    """Keep the head compiles of this run for the next run in `where` (a working-tree head).
    Never raises for file-system reasons."""
    from goescape import compiler

    lines = [_MAGIC, where]
    for build in builds:
        lines += ["", str(build.module_dir), *compiler.command(go, build, None)]
    text = "\n".join(lines) + "\n"
    path = _entry_path(where, environ)
    if _read(path) == text.split("\n"):
        return
    from goescape import cachedir

    cachedir.write_record(path, text)
