"""Choosing the base: the order of candidates, in real repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from goescape import git

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


def test_no_candidate_at_all_judges_what_is_not_committed(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "-b", "trunk")
    repo.write("a.txt", "1\n")
    head = repo.commit("one")
    assert choose(repo) == "HEAD (no upstream, origin/HEAD, main or master)"
    lookups = git.Git(repo.path)
    assert git.base_commit(lookups, None, git.Head("", "working tree"), {}) == (
        head,
        "HEAD (no upstream, origin/HEAD, main or master)",
    )


def test_pre_commit_from_ref_and_base_option(clone: GitRepo) -> None:
    first = clone.git("rev-list", "--max-parents=0", "HEAD").strip()
    assert choose(clone, env={"PRE_COMMIT_FROM_REF": first}) == f"merge base of HEAD and {first}"
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
