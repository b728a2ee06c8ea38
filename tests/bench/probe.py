"""Run goescape's CLI in this process and record where its time went.

    GOESCAPE_BENCH_PROBE_OUT=stats.json python tests/bench/probe.py [goescape options]

Behaves like the `goescape` console script (same interpreter start, same import, same exit
code) but first wraps `subprocess.Popen` and goescape's `process.spawn` (prestart's start),
so every child process (`go`, `git`) is timed from its start to the moment its exit is
collected. The wall time covered by at least one child is
the union of those intervals: base and head compiles may run in parallel, and adding their
times would count the overlap twice. The rest of the wall time is Python's own share. Stats go
to the JSON file named by GOESCAPE_BENCH_PROBE_OUT, since stdout is goescape's.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

_intervals: list[tuple[float, float, str]] = []
_commands: list[tuple[float, float, str]] = []  # with arguments, for --trace
_lock = threading.Lock()


class _TimedPopen(subprocess.Popen):  # type: ignore[type-arg]
    """A Popen that notes when it started and when its exit status was first seen."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._bench_start = time.perf_counter()
        self._bench_done = False
        cmd = args[0] if args else kwargs.get("args", "")
        argv = [str(a) for a in cmd] if isinstance(cmd, list | tuple) else [str(cmd)]
        self._bench_name = os.path.basename(argv[0])
        self._bench_argv = " ".join([self._bench_name, *argv[1:]])
        super().__init__(*args, **kwargs)

    def _bench_record(self) -> None:
        if not self._bench_done and self.returncode is not None:
            self._bench_done = True
            with _lock:
                end = time.perf_counter()
                _intervals.append((self._bench_start, end, self._bench_name))
                _commands.append((self._bench_start, end, self._bench_argv))

    def wait(self, timeout: float | None = None) -> int:
        code = super().wait(timeout)
        self._bench_record()
        return code

    def poll(self) -> int | None:
        code = super().poll()
        self._bench_record()
        return code


def _time_spawns() -> None:
    """Time the compiles prestart starts with process.spawn, collected by process.collect."""
    from goescape import process

    real_spawn, real_collect = process.spawn, process.collect
    started: dict[int, tuple[float, str]] = {}

    def spawn(cmd: Any, cwd: str, env: Any) -> process.Spawned:
        start = time.perf_counter()
        spawned = real_spawn(cmd, cwd, env)
        started[spawned.pid] = (start, " ".join([os.path.basename(cmd[0]), *cmd[1:]]))
        return spawned

    def collect(spawned: process.Spawned) -> tuple[int, bytes, bytes]:
        try:
            return real_collect(spawned)
        finally:
            start, argv = started.pop(spawned.pid, (time.perf_counter(), "?"))
            with _lock:
                end = time.perf_counter()
                _intervals.append((start, end, argv.split(" ", 1)[0]))
                _commands.append((start, end, argv))

    process.spawn = spawn  # type: ignore[assignment]
    process.collect = collect  # type: ignore[assignment]


def union_length(intervals: list[tuple[float, float, str]]) -> float:
    """Seconds covered by at least one interval."""
    total = 0.0
    end = float("-inf")
    for start, stop, _name in sorted(intervals):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def main() -> int:
    t0 = time.perf_counter()
    subprocess.Popen = _TimedPopen  # type: ignore[misc]
    root = Path(__file__).resolve().parents[2]
    # With GOESCAPE_BENCH_INSTALLED, time the goescape installed in this interpreter (as
    # pre-commit installs it), not the source tree.
    if not os.environ.get("GOESCAPE_BENCH_INSTALLED") and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from goescape.cli import main as goescape_main  # timed: importing is part of the cost

    _time_spawns()

    t_import = time.perf_counter()
    try:
        code = goescape_main(sys.argv[1:])
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 2
    t_end = time.perf_counter()
    self_usage = resource.getrusage(resource.RUSAGE_SELF)
    child_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    stats = {
        "exit": code,
        # perf_counter is the system's monotonic clock: the caller can tell start-up and
        # exit apart from these.
        "start_clock": t0,
        "end_clock": time.perf_counter(),
        "import_s": t_import - t0,
        "main_s": t_end - t_import,
        "in_process_s": t_end - t0,
        "children_union_s": union_length(_intervals),
        "children": sorted({name for _s, _e, name in _intervals}),
        "child_count": len(_intervals),
        "self_cpu_s": self_usage.ru_utime + self_usage.ru_stime,
        "children_cpu_s": child_usage.ru_utime + child_usage.ru_stime,
        "maxrss_mb": self_usage.ru_maxrss / 1024,  # Linux reports kilobytes
        # Each child: start and end in seconds since the probe started, and its command line.
        "trace": [(s - t0, e - t0, argv[:200]) for s, e, argv in sorted(_commands)],
    }
    out = os.environ.get("GOESCAPE_BENCH_PROBE_OUT")
    if out:
        Path(out).write_text(json.dumps(stats), encoding="utf-8")
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
