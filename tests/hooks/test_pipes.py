"""A reader that leaves early (`goescape | head -1`) ends the output quietly, as git's and
go's do: no traceback, no "Exception ignored", and the run's own exit code.

Each command runs as its own process. A pipe whose reading end is closed before the command
starts makes the first write fail every time; the shell pipelines show the same as a user
types it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.gitrepo import GitRepo
from tests.gofixtures import CLEAN, ESCAPING

pytestmark = pytest.mark.slow


class Closed(NamedTuple):
    code: int
    err: str


@pytest.fixture
def closed_pipe() -> Iterator[int]:
    """The writing end of a pipe nobody reads."""
    read, write = os.pipe()
    os.close(read)
    yield write
    os.close(write)


def run_into(fd: int, cwd: Path, *args: str, env: dict[str, str] | None = None) -> Closed:
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        stdout=fd,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    return Closed(proc.returncode, proc.stderr)


@pytest.fixture
def escaping(repo: GitRepo) -> GitRepo:
    repo.go_module()
    repo.write("geom/point.go", CLEAN)
    repo.commit("base")
    repo.write("geom/point.go", ESCAPING)
    return repo


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["-m", "goescape"], 1),
        (["-m", "goescape", "--format", "json"], 1),
        (["-m", "goescape", "--explain", "--sarif", "out.sarif"], 1),
        (["-m", "goescape", "--help"], 0),
        (["-m", "goescape", "modules", "--format", "json"], 0),
        (["-m", "goescape.bot", "--help"], 0),
    ],
)
def test_a_closed_pipe_ends_quietly(
    escaping: GitRepo, closed_pipe: int, args: list[str], code: int
) -> None:
    assert run_into(closed_pipe, escaping.path, *args) == Closed(code, "")
    if "--sarif" in args:  # what comes after the report is still done
        assert (escaping.path / "out.sarif").is_file()


def test_sarif_summary_and_the_bot_into_a_closed_pipe(
    escaping: GitRepo, closed_pipe: int, tmp_path: Path
) -> None:
    sarif = tmp_path / "goescape.sarif"
    done = subprocess.run(
        [sys.executable, "-m", "goescape", "--sarif", str(sarif)],
        cwd=escaping.path,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 1
    assert run_into(closed_pipe, tmp_path, "-m", "goescape", "sarif-summary", str(sarif)) == (
        Closed(0, "")
    )
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    env = {
        **os.environ,
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
    }
    bot = ["-m", "goescape.bot", "--sarif", str(sarif), "--no-comments"]
    bot += ["--repository", "acme/geom", "--pr", "7", "--head-sha", escaping.head()]
    # --no-comments prints a warning annotation per escape on stdout, then writes the files.
    assert run_into(closed_pipe, tmp_path, *bot, env=env) == Closed(0, "")
    assert "moved to heap: p" in summary.read_text(encoding="utf-8")
    assert "new-escapes=1" in outputs.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("pipeline", "expected"),
    [
        ("goescape | head -1", "goescape: 1 new heap escape in 1 changed function"),
        ("goescape --format json | head -c 10", '{\n  "schem'),
    ],
)
def test_as_typed_in_a_shell(escaping: GitRepo, pipeline: str, expected: str) -> None:
    command = pipeline.replace("goescape", f"'{sys.executable}' -m goescape", 1)
    proc = subprocess.run(
        ["bash", "-c", f'set -o pipefail; {command}; echo "codes ${{PIPESTATUS[*]}}" >&2'],
        cwd=escaping.path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.stdout.startswith(expected)
    assert proc.stderr == "codes 1 0\n"
