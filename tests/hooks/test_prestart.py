"""The last run's head compile, started again first thing (hooks/prestart.py): what is started,
that the run takes it when it wants the same and stops it otherwise, and that nothing of it
outlives the run."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from goescape import cache, prestart, process
from goescape.cli import main

from tests.gitrepo import GitRepo
from tests.gofixtures import CLEAN, ESCAPING

GO = "/usr/local/go/bin/go"
NULL = os.devnull


@pytest.mark.parametrize(
    ("cmd", "ok"),
    [
        ([GO, "build", "-o", NULL, "-gcflags=./geom=-m", "./geom"], True),
        ([GO, "build", "-o", NULL, "-gcflags=.=-m=2", "."], True),
        ([GO, "test", "-c", "-o", NULL, "-tags=a,b", "-pgo=off", "-gcflags=./g=-m", "./g"], True),
        ([GO, "build", "-o", NULL, "-gcflags=./a=-m", "-gcflags=./b=-m", "./a", "./b"], True),
        (["/elsewhere/go", "build", "-o", NULL, "-gcflags=./g=-m", "./g"], False),
        ([GO, "run", "-o", NULL, "./g"], False),
        ([GO, "build", "-o", "out", "-gcflags=./g=-m", "./g"], False),
        ([GO, "build", "-o", NULL, "-toolexec=/bin/sh", "-gcflags=./g=-m", "./g"], False),
        ([GO, "build", "-o", NULL, "-overlay=/tmp/o.json", "-gcflags=./g=-m", "./g"], False),
        ([GO, "build", "-o", NULL, "-gcflags=./g=-N -l", "./g"], False),
        ([GO, "build", "-o", NULL, "-gcflags=all=-m", "./g"], False),
        ([GO, "build", "-o", NULL, "-gcflags=./g=-m", "example.com/g"], False),
        ([GO, "build", "-o", NULL, "-gcflags=./g=-m"], False),
    ],
)
def test_only_goescapes_own_compiles_are_started(cmd: list[str], ok: bool, tmp_path: Path) -> None:
    assert prestart._checked(cmd, GO, str(tmp_path)) == ok
    assert not prestart._checked(cmd, GO, "relative/dir")
    assert not prestart._checked(cmd, GO, str(tmp_path / "missing"))


@pytest.mark.parametrize(
    "env",
    [
        {"GOESCAPE_CACHE_DIR": "/c/g"},
        {"XDG_CACHE_HOME": "/x"},
        {"XDG_CACHE_HOME": "relative"},
        {},
    ],
)
def test_the_record_is_in_goescapes_cache_directory(env: dict[str, str]) -> None:
    path = prestart._entry_path("/w", env)
    assert Path(path).parent == cache.cache_dir(env) / f"v{cache.FORMAT}"
    assert path.endswith(cache.RECORD_SUFFIX)


GROUPS: list[int] = []  # the process groups of the compiles started in a group of their own


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], bool]]:
    """Every build goescape starts through process.start or process.spawn (prestart's way
    while it is the only thread): (command, in a group of its own)."""
    seen: list[tuple[list[str], bool]] = []
    real = process.start

    def recording(cmd: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        proc = real(cmd, **kwargs)
        if len(cmd) > 1 and cmd[1] == "build":
            seen.append((list(cmd), bool(kwargs.get("new_group"))))
            if kwargs.get("new_group"):
                GROUPS.append(proc.pid)
        return proc

    def spawning(cmd: Sequence[str], cwd: str, env: Any) -> process.Spawned:
        spawned = real_spawn(cmd, cwd, env)  # prestart's way: always a group of its own
        seen.append((list(cmd), True))
        GROUPS.append(spawned.pid)
        return spawned

    real_spawn = process.spawn
    monkeypatch.setattr(process, "start", recording)
    monkeypatch.setattr(process, "spawn", spawning)
    return seen


@pytest.fixture
def geom(repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, any_go: Path) -> GitRepo:
    monkeypatch.setenv("GOESCAPE_CACHE_DIR", str(tmp_path / "cache"))
    repo.go_module()
    repo.write("geom/point.go", CLEAN)
    repo.write("other/other.go", CLEAN.replace("package geom", "package other"))
    repo.commit("base")
    return repo


def run(repo: GitRepo, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["-C", str(repo.path), "--base", "HEAD", *args])
    return code, capsys.readouterr().out


@pytest.mark.slow
def test_the_next_run_takes_the_compile_started_for_it(
    geom: GitRepo, capsys: pytest.CaptureFixture[str], starts: list[tuple[list[str], bool]]
) -> None:
    geom.write("geom/point.go", CLEAN.replace("\treturn", "\t// edited\n\treturn"))
    first = run(geom, capsys)
    assert [group for _, group in starts] == [False, False]  # head and base, in the run
    starts.clear()
    geom.write("geom/point.go", CLEAN.replace("\treturn", "\t// edited again\n\treturn"))
    second = run(geom, capsys)
    # The head compile was started before the run (its own process group), and the run
    # started no other: the base side came from goescape's cache.
    [(cmd, group)] = starts
    assert group
    assert cmd[-1] == "./geom"
    assert second[0] == first[0] == 0
    assert second[1].splitlines()[0] == first[1].splitlines()[0]


@pytest.mark.slow
def test_a_compile_the_run_does_not_want_is_stopped(
    geom: GitRepo, capsys: pytest.CaptureFixture[str], starts: list[tuple[list[str], bool]]
) -> None:
    geom.write("geom/point.go", ESCAPING)
    run(geom, capsys)
    geom.git("checkout", "-q", "--", "geom/point.go")
    other = CLEAN.replace("package geom", "package other").replace("\treturn", "\t// x\n\treturn")
    geom.write("other/other.go", other)
    starts.clear()
    code, out = run(geom, capsys)
    assert code == 0
    assert out.startswith("goescape: no new heap escapes in 1 changed function")
    # geom's compile started first (and was stopped); then other's at head and base.
    assert [(cmd[-1], group) for cmd, group in starts] == [
        ("./geom", True),
        ("./other", False),
        ("./other", False),
    ]
    assert gone(GROUPS)  # the go command and the compiler it started


@pytest.mark.slow
@pytest.mark.parametrize("args", [["--help"], ["--no-such-option"], ["--format", "json"]])
def test_a_started_compile_never_outlives_the_command(
    geom: GitRepo,
    capsys: pytest.CaptureFixture[str],
    starts: list[tuple[list[str], bool]],
    args: list[str],
) -> None:
    geom.write("geom/point.go", ESCAPING)
    run(geom, capsys)
    starts.clear()
    with (
        pytest.raises(SystemExit) if args[0].startswith("--n") or args == ["--help"] else _no_exit()
    ):
        main(["-C", str(geom.path), *args])
    capsys.readouterr()
    prestarted = [cmd for cmd, group in starts if group]
    assert prestarted if args != ["--help"] else not prestarted  # --help: not even started
    assert prestart.take() == []
    assert gone(GROUPS)


def gone(groups: list[int]) -> bool:
    """Whether no process of `groups` is left (the kernel may take a moment to reap)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        alive = []
        for group in groups:
            try:
                os.killpg(group, 0)
                alive.append(group)
            except ProcessLookupError:
                pass
        if not alive:
            groups.clear()
            return True
        time.sleep(0.05)
    return False


class _no_exit:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
