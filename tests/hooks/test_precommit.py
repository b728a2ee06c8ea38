"""goescape as users get it: installed by the real pre-commit from this repository.

pre-commit builds a virtualenv and pip-installs the hook repository (5 s with a warm pip
cache, 20 s cold), which needs PyPI or a wheelhouse (PIP_FIND_LINKS). `try-repo` does that
on every call, in a throw-away store, so it runs once here; the other tests use a config
naming the same snapshot and share one PRE_COMMIT_HOME, where it is installed once.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml  # type: ignore[import-untyped]

from tests.gitrepo import GitRepo, project_snapshot
from tests.gofixtures import ADD_ESCAPES, BOTH_ESCAPE, SUB_ESCAPES
from tests.gofixtures import ADD_SUB as CLEAN

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2]

ADD_FINDING = "geom/point.go:6:2: Add: moved to heap: p"
SUB_FINDING = "moved to heap: d"


class HookRepo(NamedTuple):
    url: str  # a file:// URL: pre-commit keys its environments by the string as written
    rev: str
    home: Path  # PRE_COMMIT_HOME shared by the module's tests


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> HookRepo:
    """This project's working tree (tracked and untracked files) committed to a scratch repo.

    try-repo on the project itself would take uncommitted changes of tracked files only, so
    a module not committed yet would be missing from the installed hook.
    """
    snapshot = project_snapshot(tmp_path_factory.mktemp("hook-repo"))
    return HookRepo(snapshot.path.as_uri(), snapshot.head(), tmp_path_factory.mktemp("pch"))


class Run(NamedTuple):
    code: int
    output: str


def run(cwd: Path, hook: HookRepo, *cmd: str) -> Run:
    env = dict(os.environ)
    env.update(
        PRE_COMMIT_HOME=str(hook.home),
        GOESCAPE_CACHE_DIR=str(hook.home / "goescape-cache"),
        PRE_COMMIT_COLOR="never",
    )
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
        check=False,
    )
    return Run(proc.returncode, proc.stdout)


def try_repo(cwd: Path, hook: HookRepo, *args: str) -> Run:
    return run(
        cwd,
        hook,
        sys.executable,
        "-m",
        "pre_commit",
        "try-repo",
        hook.url,
        "goescape",
        "--ref",
        hook.rev,
        *args,
    )


def pre_commit(cwd: Path, hook: HookRepo, *args: str) -> Run:
    return run(cwd, hook, sys.executable, "-m", "pre_commit", *args)


@pytest.fixture
def go_repo(repo: GitRepo) -> GitRepo:
    repo.go_module("example.com/m")
    repo.write("geom/point.go", CLEAN)
    repo.commit("base")
    return repo


@pytest.fixture
def configured(go_repo: GitRepo, hook_repo: HookRepo) -> GitRepo:
    """go_repo with a committed .pre-commit-config.yaml using the snapshot of this project."""
    hook = {"repo": hook_repo.url, "rev": hook_repo.rev, "hooks": [{"id": "goescape"}]}
    go_repo.write(".pre-commit-config.yaml", yaml.safe_dump({"repos": [hook]}))
    go_repo.commit("pre-commit config")
    return go_repo


def test_manifest_is_valid() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", ".pre-commit-hooks.yaml"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc
    (hook,) = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "goescape"
    assert hook["language"] == "python"
    assert (hook["pass_filenames"], hook["require_serial"]) == (False, True)
    assert hook["stages"] == ["pre-commit", "pre-merge-commit", "pre-push", "manual"]
    assert hook["minimum_pre_commit_version"] == "3.2.0"
    runs_for = re.compile(hook["files"])
    for name in ("a.go", "pkg/b_test.go", "go.mod", "sub/go.sum", "go.work"):
        assert runs_for.search(name), name
    for name in ("README.md", "notgo.mod", "a.gox", "go.mod.bak"):
        assert not runs_for.search(name), name


def test_staged_escape_fails_and_unstaged_one_is_ignored(
    go_repo: GitRepo, hook_repo: HookRepo
) -> None:
    go_repo.write("geom/point.go", ADD_ESCAPES)
    go_repo.git("add", "geom/point.go")
    go_repo.write("geom/point.go", BOTH_ESCAPE)  # Sub's escape stays unstaged
    result = try_repo(go_repo.path, hook_repo)
    assert result.code == 1, result.output
    assert re.search(r"goescape \(new Go heap escapes\)\.+Failed", result.output), result.output
    assert f"{ADD_FINDING}   (0 -> 1 heap escapes)" in result.output
    assert SUB_FINDING not in result.output
    # pre-commit put the unstaged work back; the index still holds the staged version.
    assert go_repo.read("geom/point.go") == BOTH_ESCAPE.lstrip("\n")
    assert go_repo.git("show", ":geom/point.go") == ADD_ESCAPES.lstrip("\n")


def test_unstaged_escape_alone_passes(configured: GitRepo, hook_repo: HookRepo) -> None:
    staged = CLEAN.replace("a.X - b.X, a.Y - b.Y", "a.X - b.X, a.Y - b.Y /* same */")
    configured.write("geom/point.go", staged)
    configured.git("add", "geom/point.go")
    configured.write("geom/point.go", SUB_ESCAPES)
    result = pre_commit(configured.path, hook_repo, "run")
    assert result.code == 0, result.output
    assert re.search(r"goescape \(new Go heap escapes\)\.+Passed", result.output), result.output
    assert configured.read("geom/point.go") == SUB_ESCAPES.lstrip("\n")

    # The same escape staged fails.
    configured.git("add", "geom/point.go")
    result = pre_commit(configured.path, hook_repo, "run")
    assert result.code == 1, result.output
    assert "geom/point.go:10:2: Sub: moved to heap: d" in result.output


def test_git_commit_with_the_installed_hook(configured: GitRepo, hook_repo: HookRepo) -> None:
    go_repo = configured
    base = go_repo.head()
    installed = pre_commit(go_repo.path, hook_repo, "install")
    assert installed.code == 0, installed.output

    go_repo.write("geom/point.go", ADD_ESCAPES)
    go_repo.git("add", "-A")
    refused = run(go_repo.path, hook_repo, "git", "commit", "-m", "escape")
    assert refused.code != 0, refused.output
    assert f"{ADD_FINDING}   (0 -> 1 heap escapes)" in refused.output
    assert go_repo.head() == base
    assert go_repo.git("diff", "--cached", "--name-only") == "geom/point.go\n"

    # A change with no new escape is committed.
    go_repo.write("geom/point.go", CLEAN.replace("func Sub", "// Sub subtracts.\nfunc Sub"))
    go_repo.git("add", "-A")
    accepted = run(go_repo.path, hook_repo, "git", "commit", "-m", "doc")
    assert accepted.code == 0, accepted.output
    assert re.search(r"goescape \(new Go heap escapes\)\.+Passed", accepted.output)
    assert go_repo.head() != base


def test_non_go_change_skips_the_hook(configured: GitRepo, hook_repo: HookRepo) -> None:
    configured.write("README.md", "docs only\n")
    configured.git("add", "README.md")
    result = pre_commit(configured.path, hook_repo, "run")
    assert result.code == 0, result.output
    assert re.search(
        r"goescape \(new Go heap escapes\)\.+\(no files to check\)Skipped", result.output
    )


SUB_TOUCHED = CLEAN.replace("a.X - b.X, a.Y - b.Y}", "a.X - b.X, a.Y - b.Y} // no escape")
ADD_AND_SUB_TOUCHED = ADD_ESCAPES.replace(
    "a.X - b.X, a.Y - b.Y}", "a.X - b.X, a.Y - b.Y} // no escape"
)
EARLIER_LINE = (
    "earlier commits: 1 new heap escape in Add, which this commit does not touch "
    "(not counted here; pre-push and CI judge the whole branch)"
)


def test_a_commit_is_judged_by_what_it_touches(go_repo: GitRepo, hook_repo: HookRepo) -> None:
    """A commit that skipped the hook does not block the next ones; pre-push still sees it."""
    hook = {
        "repo": hook_repo.url,
        "rev": hook_repo.rev,
        "hooks": [{"id": "goescape", "verbose": True}],
    }
    go_repo.write(".pre-commit-config.yaml", yaml.safe_dump({"repos": [hook]}))
    go_repo.commit("pre-commit config")
    installed = pre_commit(go_repo.path, hook_repo, "install")
    assert installed.code == 0, installed.output
    go_repo.git("checkout", "-q", "-b", "feature")

    # An escape committed without the hook.
    go_repo.write("geom/point.go", ADD_ESCAPES)
    skipped = run(go_repo.path, hook_repo, "git", "commit", "-q", "-a", "--no-verify", "-m", "a")
    assert skipped.code == 0, skipped.output
    earlier = go_repo.head()

    # The next commit touches only Sub, with no new escape: it passes, and says why Add's
    # escape does not fail it (`git commit -a`: git's index for the hook is a temporary one).
    go_repo.write("geom/point.go", ADD_AND_SUB_TOUCHED)
    accepted = run(go_repo.path, hook_repo, "git", "commit", "-a", "-m", "touch Sub")
    assert accepted.code == 0, accepted.output
    assert re.search(r"goescape \(new Go heap escapes\)\.+Passed", accepted.output)
    assert "goescape: no new heap escapes in 2 changed functions" in accepted.output
    assert EARLIER_LINE in accepted.output
    assert go_repo.git("rev-parse", "HEAD~1").strip() == earlier

    # A commit that adds an escape to Sub fails on Sub alone.
    go_repo.write("geom/point.go", BOTH_ESCAPE)
    go_repo.git("add", "-A")
    refused = run(go_repo.path, hook_repo, "git", "commit", "-m", "escape in Sub")
    assert refused.code != 0, refused.output
    assert "goescape: 1 new heap escape in 2 changed functions" in refused.output
    assert "geom/point.go:11:2: Sub: moved to heap: d   (0 -> 1 heap escapes)" in refused.output
    assert ADD_FINDING not in refused.output
    assert EARLIER_LINE in refused.output

    # pre-push judges the whole branch: Add's escape fails it.
    go_repo.git("reset", "-q", "--hard")
    pushed = pre_commit(
        go_repo.path,
        hook_repo,
        "run",
        "--hook-stage",
        "pre-push",
        "--from-ref",
        "main",
        "--to-ref",
        "HEAD",
    )
    assert pushed.code == 1, pushed.output
    assert f"{ADD_FINDING}   (0 -> 1 heap escapes)" in pushed.output
    assert "earlier commits" not in pushed.output


def test_git_push_runs_the_hook_and_says_how_to_skip_it(
    configured: GitRepo, hook_repo: HookRepo, tmp_path: Path
) -> None:
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    configured.git("remote", "add", "origin", str(origin))
    configured.git("push", "-q", "-u", "origin", "main")
    installed = pre_commit(configured.path, hook_repo, "install", "-t", "pre-push")
    assert installed.code == 0, installed.output
    configured.git("checkout", "-q", "-b", "feature")
    configured.write("geom/point.go", ADD_ESCAPES)
    configured.commit("escape")

    pushed = run(configured.path, hook_repo, "git", "push", "-u", "origin", "feature")
    assert pushed.code != 0, pushed.output
    assert f"{ADD_FINDING}   (0 -> 1 heap escapes)" in pushed.output
    # pre-push hands over commit ids: the report names them as git abbreviates them.
    main = configured.git("rev-parse", "main").strip()
    head = configured.head()
    assert f"(base {main[:7]}, merge base of {head[:7]} and {main[:7]})" in pushed.output
    assert "to skip goescape once: SKIP=goescape git push ...\n" in pushed.output
    assert "git commit" not in pushed.output
    assert configured.git("ls-remote", "origin", "feature") == ""

    skipped = run(
        configured.path, hook_repo, "env", "SKIP=goescape", "git", "push", "-q", "origin", "feature"
    )
    assert skipped.code == 0, skipped.output
    assert configured.git("ls-remote", "origin", "feature").split()[0] == head


def test_the_hook_reads_the_repository_configuration(
    configured: GitRepo, hook_repo: HookRepo
) -> None:
    configured.write(".goescape.toml", 'exclude = ["geom/point.go"]\n')
    configured.write("geom/point.go", ADD_ESCAPES)
    configured.git("add", "-A")
    result = pre_commit(configured.path, hook_repo, "run", "--verbose")
    assert result.code == 0, result.output
    assert "skipped: 1 file (excluded by .goescape.toml: geom/point.go)" in result.output
    # A bad key stops the hook with one line naming it.
    configured.write(".goescape.toml", "exclude = true\n")
    configured.git("add", "-A")
    result = pre_commit(configured.path, hook_repo, "run")
    assert result.code == 1, result.output
    assert ".goescape.toml: exclude must be a list of glob patterns (strings), not true" in (
        result.output
    )


def test_the_readme_pins_the_hook_with_autoupdate(go_repo: GitRepo, hook_repo: HookRepo) -> None:
    """No release is tagged yet: the README's `rev: ""` and `pre-commit autoupdate
    --bleeding-edge` give a configuration naming the newest commit, which then installs."""
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The pre-commit hook\n") :]
    (snippet,) = re.findall(r"```yaml\n(.*?)```", section[: section.index("\n## ", 1)], re.S)
    config = yaml.safe_load(snippet)
    assert config["repos"][0]["rev"] == ""
    url = config["repos"][0]["repo"]
    assert f"pre-commit autoupdate --bleeding-edge --repo {url}" in readme
    go_repo.write(".pre-commit-config.yaml", snippet.replace(url, hook_repo.url))
    updated = pre_commit(go_repo.path, hook_repo, "autoupdate", "--bleeding-edge")
    assert updated.code == 0, updated.output
    config = yaml.safe_load(go_repo.read(".pre-commit-config.yaml"))
    assert config["repos"][0]["rev"] == hook_repo.rev
    go_repo.write("geom/point.go", ADD_ESCAPES)
    go_repo.git("add", "-A")
    result = pre_commit(go_repo.path, hook_repo, "run")
    assert result.code == 1, result.output
    assert ADD_FINDING in result.output
