"""The README's quick start, as a new user runs it: two commands in a fresh clone, on a
machine with Python and git and nothing else of goescape's (no `go` on PATH).

The second command, `bash .ci/run`, is what CI runs in a fresh clone of every submission,
so this test only checks that the README names it; it runs the first one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gitrepo import PROJECT

README = (PROJECT / "README.md").read_text(encoding="utf-8")


def quick_start() -> list[str]:
    section = README[README.index("## Quick start\n") :]
    section = section[: section.index("\n## ", 1)]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def test_the_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    commands = quick_start()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    assert commands[1] == "bash .ci/run"
    assert (PROJECT / ".ci" / "run").is_file()


@pytest.mark.slow
def test_install_and_demo_from_a_fresh_clone(project_clone: Path, tmp_path: Path) -> None:
    # PATH holds python3 and git, nothing else: Go must come from the `go` extra.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    git = shutil.which("git")
    assert git
    (bin_dir / "git").symlink_to(git)
    (bin_dir / "python3").symlink_to(os.path.realpath(sys.executable))
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = str(bin_dir)
    assert shutil.which("go", path=env["PATH"]) is None
    bash = shutil.which("bash")
    assert bash

    command = quick_start()[0]
    proc = subprocess.run(
        [bash, "-c", command],
        cwd=project_clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )

    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "goescape: 2 new heap escapes in 4 changed functions" in proc.stdout
    assert "goescape's exit code here: 1 (new heap escapes)." in proc.stdout
    assert "Traceback" not in proc.stderr
