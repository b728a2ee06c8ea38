"""The one place goescape starts processes."""

from __future__ import annotations

import os

from goescape.errors import CalledProcessError

# prestart.begin starts a compile with this module before the run imports anything else
# (docs/performance.md): subprocess (~15 ms to import) and typing are imported when used.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Callable, Mapping, Sequence

# Git exports these into hooks; if they leaked into a git or go command run in another
# directory, that command would act on the user's repository instead.
_GIT_HOOK_VARIABLES = ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_PREFIX")


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _GIT_HOOK_VARIABLES}
    # Keep git from asking questions or paging in a hook.
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("LC_ALL", "C")
    if extra:
        env.update(extra)
    return env


def run(
    cmd: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
    check: bool = True,
    timeout: float | None = None,
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
    new_group: bool = False,
) -> tuple[int, bytes, bytes]:
    """Run `cmd`; return (exit code, stdout, stderr). With `check`, non-zero raises. After
    `timeout` seconds the command is killed and subprocess.TimeoutExpired raised. `started`
    is handed the process as soon as it runs, for a caller that may have to stop it; with
    `new_group` it leads a process group of its own, which the caller can stop whole (and
    which a terminal's Ctrl-C does not reach)."""
    import subprocess

    if started is None:
        proc = subprocess.run(
            list(cmd),
            cwd=cwd,
            env=dict(env) if env is not None else clean_env(),
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            check=False,
            timeout=timeout,
        )
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    else:
        code, out, err = _watched(cmd, cwd, env, input, timeout, started, new_group)
    if check and code != 0:
        raise CalledProcessError(
            tuple(cmd), code, out.decode(errors="replace"), err.decode(errors="replace")
        )
    return code, out, err


def _watched(
    cmd: Sequence[str],
    cwd: str | os.PathLike[str] | None,
    env: Mapping[str, str] | None,
    input: bytes | None,
    timeout: float | None,
    started: Callable[[subprocess.Popen[bytes]], None],
    new_group: bool,
) -> tuple[int, bytes, bytes]:
    """subprocess.run's way of running `cmd`, telling `started` of the process."""
    proc = start(cmd, cwd=cwd, env=env, piped_input=input is not None, new_group=new_group)
    started(proc)
    return finish(proc, input, timeout)


def start(
    cmd: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    piped_input: bool = False,
    new_group: bool = False,
) -> subprocess.Popen[bytes]:
    """Start `cmd` with its output captured; `finish` collects it. With `new_group` it leads
    a process group of its own."""
    import subprocess

    return subprocess.Popen(
        list(cmd),
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(),
        stdin=subprocess.PIPE if piped_input else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=new_group,
    )


def finish(
    proc: subprocess.Popen[bytes], input: bytes | None = None, timeout: float | None = None
) -> tuple[int, bytes, bytes]:
    """Wait for a process `start` started: (exit code, stdout, stderr), as subprocess.run
    does it (a timeout or Ctrl-C kills it)."""
    import subprocess

    with proc:
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        except BaseException:  # Ctrl-C included: the child goes too
            proc.kill()
            raise
        return proc.returncode, out, err


def run_text(
    cmd: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float | None = None,
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
    new_group: bool = False,
) -> tuple[int, str, str]:
    code, out, err = run(
        cmd, cwd=cwd, env=env, check=check, timeout=timeout, started=started, new_group=new_group
    )
    return code, out.decode(errors="replace"), err.decode(errors="replace")


class Spawned:
    """A process `spawn` started: what `subprocess.Popen` offers to stop it (pid, poll,
    kill); `collect` waits for it and reads its output."""

    __slots__ = ("_err", "_out", "pid", "returncode")

    def __init__(self, pid: int, out: int, err: int) -> None:
        self.pid = pid
        self._out = out  # the read ends of its stdout and stderr pipes
        self._err = err
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """The exit code once `collect` has it; None while it runs (or is not collected)."""
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            import contextlib

            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, 9)  # SIGKILL


def spawn(cmd: Sequence[str], cwd: str, env: Mapping[str, str]) -> Spawned:
    """Start `cmd` (an absolute path first) in `cwd`, leading a process group of its own,
    output to pipes, stdin from the null device: `start`'s way, without subprocess, for
    prestart.begin. Call it only while the process has a single thread: the working
    directory is changed around the start (posix_spawn has no directory of its own)."""
    null = os.open(os.devnull, os.O_RDONLY)
    out_r, out_w = os.pipe()  # non-inheritable: only the dup2 copies reach the child
    err_r, err_w = os.pipe()
    back = os.open(".", os.O_RDONLY)
    try:
        os.chdir(cwd)
        try:
            pid = os.posix_spawn(
                cmd[0],
                list(cmd),
                dict(env),
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, null, 0),
                    (os.POSIX_SPAWN_DUP2, out_w, 1),
                    (os.POSIX_SPAWN_DUP2, err_w, 2),
                ],
                setpgroup=0,
            )
        finally:
            os.fchdir(back)
    except BaseException:
        os.close(out_r)
        os.close(err_r)
        raise
    finally:
        for fd in (back, null, out_w, err_w):
            os.close(fd)
    return Spawned(pid, out_r, err_r)


def collect(spawned: Spawned) -> tuple[int, bytes, bytes]:
    """Wait for a process `spawn` started: (exit code, stdout, stderr), as `finish` gives
    them (a signal's exit code is negative). Ctrl-C kills its process group."""
    import selectors

    chunks: dict[int, list[bytes]] = {spawned._out: [], spawned._err: []}
    try:
        with selectors.DefaultSelector() as selector:
            for fd in chunks:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                for key, _ in selector.select():
                    data = os.read(key.fd, 1 << 16)
                    if data:
                        chunks[key.fd].append(data)
                    else:
                        selector.unregister(key.fd)
        _, status = os.waitpid(spawned.pid, 0)
    except BaseException:
        import contextlib

        with contextlib.suppress(OSError):
            os.killpg(spawned.pid, 9)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(spawned.pid, 0)
        spawned.returncode = -9
        raise
    finally:
        for fd in chunks:
            os.close(fd)
    spawned.returncode = os.waitstatus_to_exitcode(status)
    out, err = (b"".join(chunks[fd]) for fd in (spawned._out, spawned._err))
    return spawned.returncode, out, err


def wait_for(proc: Spawned | subprocess.Popen[bytes]) -> tuple[int, bytes, bytes]:
    """`collect` or `finish`, whichever started it (prestart.begin uses either)."""
    return collect(proc) if isinstance(proc, Spawned) else finish(proc)
