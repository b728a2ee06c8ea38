"""Choosing the base: the order of candidates, in real repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from goescape import git
from goescape.cli import main
from goescape.errors import FatalError

from tests.gitrepo import GitRepo


def choose(repo: GitRepo, base: str | None = None, env: dict[str, str] | None = None) -> str:
    """The reason goescape gives for its base, after checking the commit is git's own
    merge base for that candidate."""
    env = env or {}
    lookups = git.Git(repo.path)
    git.prefetch_choices(lookups, None, base, env)
    found = git.Git(git.find_root(repo.path), lookups)
    head = git.choose_head(found, None, env)
    chosen = git.base_commit(found, base, head, env)
    assert chosen is not None
    commit, how = chosen
    candidate = how.removeprefix("merge base of HEAD and ")
    if candidate != how:
        assert commit == repo.git("merge-base", "HEAD", candidate).strip()
    return how


@pytest.fixture
def origin(tmp_path: Path) -> GitRepo:
    origin = GitRepo(tmp_path / "origin")
    origin.write("a.txt", "1\n")
    origin.commit("one")
    origin.write("a.txt", "2\n")
    origin.commit("two")
    return origin


@pytest.fixture
def clone(origin: GitRepo, tmp_path: Path) -> GitRepo:
    subprocess.run(["git", "clone", "-q", str(origin.path), str(tmp_path / "clone")], check=True)
    clone = GitRepo(tmp_path / "clone")  # `git init` again changes nothing
    clone.git("checkout", "-q", "-b", "feature")
    clone.write("b.txt", "b\n")
    clone.commit("feature work")
    return clone


def test_origin_head_when_the_branch_has_no_upstream(clone: GitRepo) -> None:
    assert choose(clone) == "merge base of HEAD and origin/main"


def test_the_upstream_comes_first(clone: GitRepo, origin: GitRepo) -> None:
    origin.git("branch", "release", "HEAD~1")
    clone.git("fetch", "-q")
    clone.git("branch", "-q", "--set-upstream-to=origin/release")
    assert choose(clone) == "merge base of HEAD and origin/release"


def test_a_gone_upstream_is_skipped(clone: GitRepo, origin: GitRepo) -> None:
    origin.git("branch", "gone")
    clone.git("fetch", "-q")
    clone.git("branch", "-q", "--set-upstream-to=origin/gone")
    origin.git("branch", "-D", "gone")
    clone.git("fetch", "-q", "--prune")
    assert choose(clone) == "merge base of HEAD and origin/main"


def test_origin_main_before_local_main_without_origin_head(clone: GitRepo) -> None:
    clone.git("remote", "set-head", "origin", "--delete")
    clone.git("branch", "-q", "-f", "main", "HEAD")  # local main moved on
    assert choose(clone) == "merge base of HEAD and origin/main"


def test_local_master_without_remotes(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "-b", "master")
    repo.write("a.txt", "1\n")
    repo.commit("one")
    repo.git("checkout", "-q", "-b", "topic")
    repo.write("a.txt", "2\n")
    repo.commit("two")
    assert choose(repo) == "merge base of HEAD and master"


def test_no_other_branch_is_an_error_outside_a_commit_hook(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "-b", "trunk")
    repo.write("a.txt", "1\n")
    head = repo.commit("one")
    with pytest.raises(FatalError) as raised:
        choose(repo)
    message = str(raised.value)
    assert message.startswith("nothing to compare trunk with: no other branch is here")
    assert "pass --base REF" in message
    assert "\n" not in message
    # In pre-commit's commit stage the commit being made is judged on its own.
    stage = {"PRE_COMMIT": "1"}
    assert choose(repo, env=stage) == "HEAD (no other branch to compare with: the commit alone)"
    lookups = git.Git(repo.path)
    assert git.base_commit(lookups, None, git.Head("", "working tree"), stage) == (
        head,
        "HEAD (no other branch to compare with: the commit alone)",
    )


def test_after_push_u_the_default_branch_is_still_the_base(clone: GitRepo, origin: GitRepo) -> None:
    """`git push -u origin feature` makes origin/feature the upstream: the branch itself."""
    clone.git("push", "-q", "-u", "origin", "feature")
    assert clone.git("rev-parse", "--abbrev-ref", "@{upstream}").strip() == "origin/feature"
    assert choose(clone) == "merge base of HEAD and origin/main"
    clone.write("c.txt", "c\n")
    clone.commit("more work, not pushed")
    assert choose(clone) == "merge base of HEAD and origin/main"
    # Without origin/HEAD the default branches still come before the branch's own copy.
    clone.git("remote", "set-head", "origin", "--delete")
    assert choose(clone) == "merge base of HEAD and origin/main"


def test_a_branch_created_to_track_another_is_compared_with_it(
    clone: GitRepo, origin: GitRepo
) -> None:
    origin.git("branch", "release", "HEAD~1")
    clone.git("fetch", "-q")
    clone.git("checkout", "-q", "-b", "fix", "origin/release")  # tracks origin/release
    clone.write("c.txt", "c\n")
    clone.commit("fix")
    assert choose(clone) == "merge base of HEAD and origin/release"


def test_the_main_line_is_compared_with_its_own_upstream(clone: GitRepo) -> None:
    """On main itself nothing else is the base: what is not pushed yet is judged."""
    clone.git("checkout", "-q", "main")
    clone.write("c.txt", "c\n")
    clone.commit("not pushed")
    assert choose(clone) == "merge base of HEAD and origin/main"
    assert (
        clone.git("merge-base", "HEAD", "origin/main").strip()
        == clone.git("rev-parse", "HEAD~1").strip()
    )


def single_branch_clone(origin: GitRepo, where: Path, branch: str) -> GitRepo:
    subprocess.run(
        [
            "git",
            "clone",
            "-q",
            "--depth",
            "1",
            "--single-branch",
            "--branch",
            branch,
            origin.path.as_uri(),
            str(where),
        ],
        check=True,
    )
    return GitRepo(where)


def test_a_single_branch_clone_says_what_to_fetch(origin: GitRepo, tmp_path: Path) -> None:
    """A `--depth 1 --single-branch` clone (CI) has only the branch: exit 2 saying what
    to fetch, never a silent "no changed Go functions"."""
    origin.git("checkout", "-q", "-b", "feature")
    origin.write("b.txt", "b\n")
    origin.commit("feature work")
    clone = single_branch_clone(origin, tmp_path / "ci", "feature")
    # What such a clone holds: the branch, its remote copy, origin/HEAD pointing at it.
    assert clone.git("for-each-ref", "--format=%(refname) %(symref)").splitlines() == [
        "refs/heads/feature ",
        "refs/remotes/origin/HEAD refs/remotes/origin/feature",
        "refs/remotes/origin/feature ",
    ]
    with pytest.raises(FatalError) as raised:
        choose(clone)
    assert str(raised.value).startswith("nothing to compare feature with")
    assert "git fetch origin main:refs/remotes/origin/main" in str(raised.value)
    # Fetching the default branch as told makes it the base.
    clone.git("fetch", "-q", "--unshallow", "origin", "main:refs/remotes/origin/main")
    assert choose(clone) == "merge base of HEAD and origin/main"


def test_pre_commit_from_ref_and_base_option(clone: GitRepo) -> None:
    first = clone.git("rev-list", "--max-parents=0", "HEAD").strip()
    # pre-commit hands over full commit ids: named as git abbreviates them.
    assert (
        choose(clone, env={"PRE_COMMIT_FROM_REF": first}) == f"merge base of HEAD and {first[:7]}"
    )
    assert (
        choose(clone, base="origin/main", env={"PRE_COMMIT_FROM_REF": first})
        == "merge base of HEAD and origin/main"
    )


@pytest.mark.parametrize(
    ("listing", "upstream", "origin_head", "lookups"),
    [
        pytest.param("", "", "", {"main": None}, id="no-branches"),
        pytest.param(
            "*\0refs/heads/feat\0aaa\0refs/remotes/origin/main\0\n"
            " \0refs/heads/main\0bbb\0\0\n"
            " \0refs/remotes/origin/HEAD\0ccc\0\0refs/remotes/origin/main\n"
            " \0refs/remotes/origin/main\0ccc\0\0\n",
            "origin/main",
            "origin/main",
            {"main": "bbb", "origin/main": "ccc", "master": None},
            id="clone-with-upstream",
        ),
        pytest.param(
            "*\0refs/heads/topic\0aaa\0refs/heads/main\0\n \0refs/heads/main\0bbb\0\0\n",
            "main",
            "",
            {"main": "bbb", "origin/main": None},
            id="local-upstream",
        ),
    ],
)
def test_refs_listing(
    listing: str, upstream: str, origin_head: str, lookups: dict[str, str | None]
) -> None:
    refs = git._Refs.parse(listing)
    assert (refs.upstream, refs.origin_head) == (upstream, origin_head)
    assert {name: refs.commit_of(name) for name in lookups} == lookups


def test_a_default_branch_other_than_main_is_compared_with_its_upstream(
    origin: GitRepo, tmp_path: Path
) -> None:
    origin.git("branch", "-m", "main", "develop")  # origin/HEAD of a clone names develop
    subprocess.run(["git", "clone", "-q", str(origin.path), str(tmp_path / "c")], check=True)
    clone = GitRepo(tmp_path / "c")
    clone.write("c.txt", "c\n")
    clone.commit("not pushed")
    assert choose(clone) == "merge base of HEAD and origin/develop"


def test_the_command_exits_2_in_a_single_branch_clone(
    origin: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    origin.go_module()
    origin.write("geom/point.go", "package geom\n\nfunc Add(a, b int) int { return a + b }\n")
    origin.commit("go")
    origin.git("checkout", "-q", "-b", "feature")
    origin.write(
        "geom/point.go", "package geom\n\nfunc Add(a, b int) *int { c := a + b; return &c }\n"
    )
    origin.commit("escape")
    clone = single_branch_clone(origin, tmp_path / "ci", "feature")
    before = clone.state()
    assert main(["-C", str(clone.path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("goescape: nothing to compare feature with: no other branch is here")
    assert err.count("\n") == 1
    assert clone.state() == before
    # What the message says to do works: the branch's escape is found.
    clone.git("fetch", "-q", "--unshallow", "origin", "main:refs/remotes/origin/main")
    assert main(["-C", str(clone.path)]) == 1
    assert "geom/point.go:3:27: Add: moved to heap: c" in capsys.readouterr().out
