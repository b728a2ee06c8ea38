"""Run a blocking call (a git or go command) on a thread, and collect its result later.

A commit hook spends most of its life waiting for git and the compiler. Starting the next
command before the previous answer is read, and doing Python's own work while a command
runs, is where the time goes away. The commands themselves still go through
`hooks.process`; this only decides when they are waited for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Pending(Generic[T]):
    """`fn(*args, **kwargs)` on a thread of its own; `result()` waits, returns or re-raises."""

    def __init__(self, fn: Callable[..., T], *args: object, **kwargs: object) -> None:
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._value: T | None = None
        self._error: BaseException | None = None
        # A daemon: a run that fails early must not wait for a git query nobody reads.
        # Callers that own resources the command uses (a temporary directory) wait for it.
        self._thread: threading.Thread | None = threading.Thread(target=self._work, daemon=True)
        self._thread.start()

    def _work(self) -> None:
        try:
            self._value = self._fn(*self._args, **self._kwargs)
        except BaseException as err:  # handed to whoever asks for the result
            self._error = err

    @classmethod
    def done(cls, value: T) -> Pending[T]:
        """A Pending whose result is already known (no thread)."""
        pending: Pending[T] = cls.__new__(cls)
        pending._value, pending._error, pending._thread = value, None, None
        return pending

    def wait(self) -> None:
        """Block until the call is over (Ctrl-C interrupts the waiting, not the call)."""
        if self._thread is not None:
            self._thread.join()

    def result(self) -> T:
        self.wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # set when no error was raised
