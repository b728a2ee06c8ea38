"""The one place goescape starts processes."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence

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
) -> tuple[int, bytes, bytes]:
    """Run `cmd`; return (exit code, stdout, stderr). With `check`, non-zero raises. After
    `timeout` seconds the command is killed and subprocess.TimeoutExpired raised."""
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
    if check and proc.returncode != 0:
        raise CalledProcessError(
            tuple(cmd),
            proc.returncode,
            proc.stdout.decode(errors="replace"),
            proc.stderr.decode(errors="replace"),
        )
    return proc.returncode, proc.stdout, proc.stderr


def run_text(
    cmd: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float | None = None,
) -> tuple[int, str, str]:
    code, out, err = run(cmd, cwd=cwd, env=env, check=check, timeout=timeout)
    return code, out.decode(errors="replace"), err.decode(errors="replace")
