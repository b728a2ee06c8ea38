from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from goescape import process

from tests.gitrepo import GitRepo, project_snapshot

_SESSION_CACHE = tempfile.TemporaryDirectory(prefix="goescape-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    _SESSION_CACHE.cleanup()


def pytest_configure(config: pytest.Config) -> None:
    # Tests build real repositories: give git an identity and no user or system config.
    home = Path(config.rootpath) / ".pytest_cache" / "gitconfig"
    home.parent.mkdir(parents=True, exist_ok=True)
    home.write_text(
        "[user]\n\tname = Test\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n",
        encoding="utf-8",
    )
    os.environ["GIT_CONFIG_GLOBAL"] = str(home)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    # goescape's own cache: per test session, never the user's.
    os.environ["GOESCAPE_CACHE_DIR"] = _SESSION_CACHE.name
    # The compiler without the go command (hooks/direct.py) records its plans in a process
    # of its own after a run: tests that want it say so (tests/hooks/test_direct.py).
    os.environ["GOESCAPE_DIRECT"] = "off"
    os.environ.setdefault("GOTOOLCHAIN", "local")
    os.environ.setdefault("GOPROXY", "off")
    os.environ.pop("GOFLAGS", None)
    for name in ("PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF", "GIT_DIR", "GIT_INDEX_FILE"):
        os.environ.pop(name, None)


def _goroot_of(go: str) -> Path:
    out = subprocess.run([go, "env", "GOROOT"], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip())


def goroots() -> list[Path]:
    """The default `go` first, then every GOROOT listed in GOESCAPE_TEST_GOROOTS."""
    roots: list[Path] = []
    go = shutil.which("go")
    if go:
        roots.append(_goroot_of(go))
    for entry in os.environ.get("GOESCAPE_TEST_GOROOTS", "").split(os.pathsep):
        if entry and Path(entry).is_dir() and Path(entry) not in roots:
            roots.append(Path(entry))
    return roots


def go_version(goroot: Path) -> str:
    return (goroot / "VERSION").read_text(encoding="utf-8").split()[0]


@pytest.fixture(params=goroots(), ids=go_version)
def any_go(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Runs the test once per available Go toolchain, with that `go` first on PATH."""
    goroot: Path = request.param
    monkeypatch.setenv("PATH", f"{goroot / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("GOROOT", raising=False)
    return goroot


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


@pytest.fixture(scope="session")
def project_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh clone of this project as its working tree stands (committed to a scratch
    repository first, so files not committed yet are in it)."""
    snapshot = project_snapshot(tmp_path_factory.mktemp("snapshot"))
    target = tmp_path_factory.mktemp("clone") / "goescape"
    subprocess.run(["git", "clone", "-q", str(snapshot.path), str(target)], check=True)
    return target


@pytest.fixture
def go_builds(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The compiles goescape starts (run for real), in order: those a run starts, and those
    the command line starts before it (prestart.py)."""
    started: list[list[str]] = []
    real = process.start

    def recording(cmd: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        if len(cmd) > 1 and cmd[1] == "build" and any(a.startswith("-gcflags=") for a in cmd):
            started.append(list(cmd))
        return real(cmd, **kwargs)

    def spawning(cmd: Sequence[str], cwd: str, env: Any) -> process.Spawned:
        if len(cmd) > 1 and cmd[1] == "build":
            started.append(list(cmd))
        return real_spawn(cmd, cwd, env)

    real_spawn = process.spawn
    monkeypatch.setattr(process, "start", recording)
    monkeypatch.setattr(process, "spawn", spawning)  # prestart's way
    return started
