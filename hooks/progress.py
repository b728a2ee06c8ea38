"""A one-line progress message for people watching a terminal; silent everywhere else.

pre-commit and CI logs keep every byte written, so a `\\r`-rewritten line would only be
noise there: it is shown only when stderr is a terminal and neither is running us.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from types import TracebackType
from typing import TextIO

_FALSE = ("", "0", "false", "no")


def wanted(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether a progress line belongs on `stream` under `environ`."""
    if environ.get("PRE_COMMIT", "").lower() not in _FALSE:
        return False
    if environ.get("CI", "").lower() not in _FALSE:
        return False
    if environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """`update()` rewrites one line in place; `clear()` (or leaving a `with`) erases it.

    A disabled Progress writes nothing at all.
    """

    def __init__(self, enabled: bool, stream: TextIO | None = None, width: int | None = None):
        self.enabled = enabled
        self._stream = stream if stream is not None else sys.stderr
        self._width = width
        self._shown = 0  # characters on the line now

    @classmethod
    def for_stderr(cls, environ: Mapping[str, str] | None = None) -> Progress:
        env = os.environ if environ is None else environ
        return cls(wanted(sys.stderr, env), sys.stderr)

    def _columns(self) -> int:
        if self._width is not None:
            return self._width
        return shutil.get_terminal_size(fallback=(80, 24)).columns

    def update(self, message: str) -> None:
        if not self.enabled:
            return
        # A line longer than the terminal wraps, and `\r` then returns only to the last row.
        limit = max(self._columns() - 1, 1)
        text = message if len(message) <= limit else message[: limit - 1] + "…"
        pad = " " * max(self._shown - len(text), 0)
        self._stream.write(f"\r{text}{pad}")
        if pad:
            self._stream.write("\r" + text)
        self._stream.flush()
        self._shown = len(text)

    def clear(self) -> None:
        if not self.enabled or not self._shown:
            return
        self._stream.write("\r" + " " * self._shown + "\r")
        self._stream.flush()
        self._shown = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.clear()
