"""process.spawn and collect: prestart's way of starting a compile before subprocess is
imported, held to what process.start and finish give."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest
from goescape import prestart, process

PY = sys.executable


def fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_spawn_runs_in_the_directory_and_collect_gives_what_finish_gives(tmp_path: Path) -> None:
    script = (
        "import os, sys; sys.stdout.write(os.getcwd()); sys.stderr.write(sys.stdin.read() or"
        " 'no input'); sys.exit(3)"
    )
    before_fds, before_cwd = fds(), os.getcwd()
    spawned = process.spawn([PY, "-c", script], str(tmp_path), dict(os.environ))
    assert os.getcwd() == before_cwd  # the directory was changed back
    assert os.getpgid(spawned.pid) == spawned.pid  # leads a process group of its own
    assert spawned.poll() is None
    code, out, err = process.collect(spawned)
    assert (code, out.decode(), err.decode()) == (3, str(tmp_path), "no input")
    assert spawned.poll() == 3
    assert fds() == before_fds  # every pipe end closed

    started = process.start([PY, "-c", script], cwd=tmp_path)
    assert process.wait_for(started) == (code, out, err)


def test_a_killed_spawn_reads_as_its_signal(tmp_path: Path) -> None:
    spawned = process.spawn([PY, "-c", "import time; time.sleep(30)"], str(tmp_path), {})
    spawned.kill()
    code, _, _ = process.wait_for(spawned)
    assert code == -9
    spawned.kill()  # collected: nothing to do, no error


def test_large_output_on_both_pipes_does_not_block(tmp_path: Path) -> None:
    script = (
        "import sys\nfor _ in range(2000): sys.stdout.write('o' * 100); sys.stderr.write('e' * 100)"
    )
    code, out, err = process.collect(process.spawn([PY, "-c", script], str(tmp_path), {}))
    assert (code, len(out), len(err)) == (0, 200_000, 200_000)


def test_a_spawn_that_cannot_start_leaves_directory_and_descriptors(tmp_path: Path) -> None:
    before_fds, before_cwd = fds(), os.getcwd()
    with pytest.raises(FileNotFoundError):
        process.spawn([str(tmp_path / "missing")], str(tmp_path), {})
    with pytest.raises(FileNotFoundError):
        process.spawn([PY, "-c", "pass"], str(tmp_path / "no-such-dir"), {})
    assert os.getcwd() == before_cwd
    assert fds() == before_fds


def test_prestart_uses_subprocess_when_another_thread_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changing the directory around a spawn is safe only in a process of one thread."""
    used: list[str] = []
    monkeypatch.setattr(process, "spawn", lambda *a, **k: used.append("spawn"))
    monkeypatch.setattr(process, "start", lambda *a, **k: used.append("start"))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        monkeypatch.setattr(prestart, "_commands", lambda lines: [(str(tmp_path), ["go"])])
        monkeypatch.setattr(prestart, "_checked", lambda cmd, go, d: True)
        monkeypatch.setattr(prestart, "_go", lambda environ: "go")
        monkeypatch.setattr(
            prestart, "_read", lambda path: [prestart._MAGIC, os.path.realpath(tmp_path)]
        )
        monkeypatch.setattr(prestart, "_folder", lambda environ: str(tmp_path / "folder"))
        prestart._begin(["-C", str(tmp_path)], {})
    finally:
        stop.set()
        other.join()
        prestart._started.clear()
    assert used == ["start"]
