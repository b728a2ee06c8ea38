"""The failures goescape reports as one line and an exit code."""

from __future__ import annotations

EXIT_CLEAN = 0
EXIT_NEW_ESCAPES = 1
EXIT_FAILURE = 2


class FatalError(Exception):
    """The tool cannot do its job; `str(err)` is the one line the user sees (exit 2)."""

    exit_code = EXIT_FAILURE


class CalledProcessError(FatalError):
    """A command failed; the message carries the command, its exit code and its output."""

    def __init__(self, cmd: tuple[str, ...], returncode: int, stdout: str, stderr: str) -> None:
        self.cmd = cmd
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        output = (stderr or stdout).strip()
        first = output.splitlines()[0] if output else "no output"
        super().__init__(f"command {' '.join(cmd)!r} exited {returncode}: {first}")
