"""Output for a reader that may leave early: `goescape | head -1` ends quietly, as git and go
do, instead of with a BrokenPipeError traceback."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable


def emit(text: str) -> bool:
    """Print `text` and a newline on stdout; False when the reader has gone (the rest of the
    output is then dropped without a word)."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        discard()
        return False
    return True


def discard() -> None:
    """Send what is left of stdout to /dev/null: Python flushes stdout once more at exit, and
    into a closed pipe that flush would print `Exception ignored ... BrokenPipeError`."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor behind sys.stdout (captured in tests)
        pass


def guarded(main: Callable[[], int], code_if_closed: int = 0) -> int:
    """`main()`, with a stdout closed under it (argparse's --help into `head -1`, say) ending
    the command quietly with `code_if_closed`."""
    try:
        return main()
    except BrokenPipeError:
        discard()
        return code_if_closed
