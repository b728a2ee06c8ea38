"""goescape leaves nothing behind and changes nothing of the user's, also when interrupted
or run from a git hook with git's GIT_* variables set.

These run `python -m goescape` as a separate process, as pre-commit and git hooks do.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.gitrepo import GitRepo
from tests.gofixtures import CLEAN, ESCAPING

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2]


FINDING = "geom/point.go:6:2: Add: moved to heap: p"


class Run(NamedTuple):
    code: int
    out: str
    err: str


def environment(tmp: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TMPDIR=str(tmp),
        GOESCAPE_CACHE_DIR=str(tmp.parent / "goescape-cache"),
    )
    env.update(extra)
    return env


def goescape(cwd: Path, tmp: Path, *args: str, **env: str) -> Run:
    proc = subprocess.run(
        [sys.executable, "-m", "goescape", *args],
        cwd=cwd,
        env=environment(tmp, **env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def snapshot(repo: GitRepo) -> tuple[object, ...]:
    files = {
        str(p.relative_to(repo.path)): p.read_bytes()
        for p in sorted(repo.path.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo.path).parts
    }
    return (files, repo.state())


class Worktree(GitRepo):
    """A linked worktree made by `git worktree add` (GitRepo would `git init` it)."""

    def __init__(self, path: Path) -> None:
        self.path = path


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    """The TMPDIR of the runs: empty before, and it must be empty after."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


@pytest.fixture
def busy_repo(repo: GitRepo, tmp_path: Path) -> GitRepo:
    """A repository with something in every place goescape must not touch."""
    repo.go_module("example.com/m")
    repo.write("geom/point.go", CLEAN)
    repo.write(".gitignore", "*.log\n")
    repo.commit("base")
    repo.git("branch", "release")
    repo.git("worktree", "add", "-q", str(tmp_path / "linked"), "-b", "linked")
    repo.write("geom/stashed.go", "package geom\n\nfunc Stashed() {}\n")
    repo.git("add", "-A")
    repo.git("stash", "push", "-q", "-m", "kept by the user")
    repo.write("geom/point.go", ESCAPING)  # staged
    repo.git("add", "geom/point.go")
    repo.write("geom/point.go", ESCAPING + "\n// unstaged\n")
    repo.write("geom/untracked.go", "package geom\n\nfunc Untracked() int { return 1 }\n")
    repo.write("build.log", "ignored\n")
    return repo


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ([], 1),  # the working tree against main
        (["--head", "release", "--base", "main"], 0),  # a commit, overlaid over the tree
        (["--base", "HEAD", "--sarif", "../report.sarif"], 1),
        (["--base", "no-such-ref"], 2),
    ],
)
def test_nothing_of_the_users_changes(
    busy_repo: GitRepo, tmp: Path, args: list[str], code: int
) -> None:
    before = snapshot(busy_repo)
    run = goescape(busy_repo.path, tmp, *args)
    assert run.code == code, run
    assert "Traceback" not in run.err
    assert snapshot(busy_repo) == before
    assert list(tmp.iterdir()) == []


def test_nothing_left_when_the_head_does_not_compile(busy_repo: GitRepo, tmp: Path) -> None:
    busy_repo.write("geom/point.go", CLEAN.replace("return Point", "bad := 1\n\treturn Point"))
    before = snapshot(busy_repo)
    run = goescape(busy_repo.path, tmp)
    assert run.code == 2, run
    assert "declared and not used" in run.err
    assert snapshot(busy_repo) == before
    assert list(tmp.iterdir()) == []


def big_package(functions: int) -> str:
    """Enough code to keep the compiler busy for a while; new text each time (no cache hit)."""
    salt = random.randrange(1 << 40)
    parts = [f"package gen\n\nconst salt = {salt}\n"]
    parts += [
        f"func F{i}(a, b int) *int {{\n\tx := a*{i} + b + salt\n"
        f"\tif x > {i} {{\n\t\tx -= b\n\t}}\n\treturn &x\n}}\n"
        for i in range(functions)
    ]
    return "\n".join(parts)


@pytest.mark.parametrize("whom", ["process group", "python only"])
def test_ctrl_c_while_go_runs(repo: GitRepo, tmp: Path, whom: str, any_go: Path) -> None:
    """Ctrl-C in a terminal reaches the whole process group, go included; `kill -INT`
    reaches goescape alone, which then waits for go to finish."""
    repo.go_module("example.com/big")
    repo.write("gen/gen.go", big_package(2000))
    repo.commit("base")
    with (repo.path / "gen" / "gen.go").open("a", encoding="utf-8") as gen:
        gen.write("\nfunc Extra() *int {\n\ty := 1\n\treturn &y\n}\n")
    before = snapshot(repo)
    # Its own session, so that the signal to its group does not reach pytest.
    proc = subprocess.Popen(
        [sys.executable, "-m", "goescape"],
        cwd=repo.path,
        env=environment(tmp),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # A shell ignores SIGINT in what it starts in the background (`bash .ci/run &`), and
        # Python then keeps ignoring it: give goescape the default a terminal gives.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    try:
        deadline = time.monotonic() + 60
        # go's work directory exists (in goescape's own temporary one): go is compiling.
        while not any(tmp.glob("*/go-build*")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "go never started"
            time.sleep(0.02)
        time.sleep(0.3)
        assert proc.poll() is None, "the build finished before the interrupt"
        if whom == "process group":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode in (130, 2), (proc.returncode, out, err)
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith("goescape: "), err
    assert "moved to heap" not in out
    assert list(tmp.iterdir()) == []
    assert snapshot(repo) == before


def test_git_hook_in_a_linked_worktree(repo: GitRepo, tmp: Path, tmp_path: Path) -> None:
    """git sets GIT_DIR (and GIT_INDEX_FILE) for a hook in a linked worktree; goescape must
    still judge that worktree, and go must build in it."""
    repo.go_module("example.com/m", "svc")  # go runs in svc/, not where GIT_DIR was meant for
    repo.write("svc/geom/point.go", CLEAN)
    repo.commit("base")
    seen = tmp_path / "hook-env.txt"
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text(
        "#!/bin/sh\n"
        f"env | grep '^GIT_\\(DIR\\|INDEX_FILE\\|WORK_TREE\\)=' > '{seen}'\n"
        f"exec '{sys.executable}' -m goescape\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    repo.git("worktree", "add", "-q", str(tmp_path / "linked"), "-b", "feature")
    linked = Worktree(tmp_path / "linked")
    linked.write("svc/geom/point.go", ESCAPING)
    linked.git("add", "-A")
    before = (linked.head(), linked.git("diff", "--cached", "--binary"))

    commit = subprocess.run(
        ["git", "commit", "-m", "escape"],
        cwd=linked.path,
        env=environment(tmp),
        capture_output=True,
        text=True,
        check=False,
    )
    assert commit.returncode != 0, commit
    assert f"svc/{FINDING}" in commit.stderr, commit  # git shows a hook's output on stderr
    assert "Traceback" not in commit.stderr
    variables = seen.read_text(encoding="utf-8")
    assert "GIT_DIR=" in variables, variables
    assert "GIT_INDEX_FILE=" in variables, variables
    assert (linked.head(), linked.git("diff", "--cached", "--binary")) == before
    assert list(tmp.iterdir()) == []

    # `git commit -a` runs the hook with a temporary index; a clean change passes.
    linked.write("svc/geom/point.go", CLEAN.replace("a.Y + b.Y", "b.Y + a.Y"))
    commit = subprocess.run(
        ["git", "commit", "-a", "-m", "clean"],
        cwd=linked.path,
        env=environment(tmp),
        capture_output=True,
        text=True,
        check=False,
    )
    assert commit.returncode == 0, commit
    assert "index.lock" in seen.read_text(encoding="utf-8")
    assert linked.head() != before[0]
    assert list(tmp.iterdir()) == []


def test_git_variables_of_another_repository_are_ignored(
    repo: GitRepo, tmp: Path, tmp_path: Path
) -> None:
    repo.go_module("example.com/m")
    repo.write("geom/point.go", CLEAN)
    repo.commit("base")
    repo.write("geom/point.go", ESCAPING)
    decoy = GitRepo(tmp_path / "decoy")
    decoy.go_module("example.com/decoy")
    decoy.write("geom/point.go", ESCAPING)
    decoy.commit("decoy")
    decoy_before = snapshot(decoy)
    before = snapshot(repo)
    run = goescape(
        repo.path,
        tmp,
        GIT_DIR=str(decoy.path / ".git"),
        GIT_WORK_TREE=str(decoy.path),
        GIT_INDEX_FILE=str(decoy.path / ".git" / "index"),
    )
    assert run.code == 1, run
    assert [line for line in run.out.splitlines() if "moved to heap" in line] == [
        f"{FINDING}   (0 -> 1 heap escapes)"
    ]
    assert snapshot(repo) == before
    assert snapshot(decoy) == decoy_before
    assert list(tmp.iterdir()) == []
