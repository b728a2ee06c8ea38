"""The one place goescape starts processes."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence

from goescape.errors import CalledProcessError

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
