"""`goescape modules`: the modules a change touches, for a job matrix; real git repositories
(no compiler runs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import pytest
from goescape.changed_modules import ChangedModule, category, listed, render_json, render_text
from goescape.cli import main
from goescape.modules import Module

from tests.gitrepo import GitRepo

GO = "package {name}\n\nfunc F() int {{ return {n} }}\n"


@pytest.mark.parametrize(
    ("directory", "expected"),
    [
        (".", "goescape/"),
        ("services/api", "goescape/services/api/"),
        ("odd dir/é", "goescape/odd_dir/é/"),  # \\w is Unicode; a space is not allowed
        ("a;b", "goescape/a_b/"),
    ],
)
def test_category_per_module(directory: str, expected: str) -> None:
    assert category(directory) == expected


def test_listed_once_each_sorted_by_directory() -> None:
    api = Module("services/api", "example.com/api")
    root = Module("", "example.com/root")
    found = listed([api, root, api])
    assert found == [
        ChangedModule(".", "example.com/root", "goescape/"),
        ChangedModule("services/api", "example.com/api", "goescape/services/api/"),
    ]
    assert render_text(found) == ".\nservices/api"
    line = render_json(found)
    assert "\n" not in line  # one line, for $GITHUB_OUTPUT
    assert json.loads(line) == [
        {"directory": ".", "module": "example.com/root", "category": "goescape/"},
        {
            "directory": "services/api",
            "module": "example.com/api",
            "category": "goescape/services/api/",
        },
    ]
    assert render_json([]) == "[]"


class Run(NamedTuple):
    code: int
    out: str
    err: str


def modules(capsys: pytest.CaptureFixture[str], where: Path, *args: str) -> Run:
    code = main(["modules", "-C", str(where), *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return Run(code, out, err)


def directories(run: Run) -> list[str]:
    assert run.code == 0, run
    return [m["directory"] for m in json.loads(run.out)]


@pytest.fixture
def monorepo(repo: GitRepo) -> GitRepo:
    """Three modules on main (the root, services/api, services/worker); the branch
    `feature`, checked out, changes a function in api, a test in worker, and a README."""
    repo.go_module("example.com/root")
    repo.write("cmd/tool/main.go", GO.format(name="main", n=0))
    for name in ("api", "worker"):
        repo.go_module(f"example.com/{name}", f"services/{name}")
        repo.write(f"services/{name}/x/x.go", GO.format(name="x", n=1))
        repo.write(f"services/{name}/x/x_test.go", GO.format(name="x", n=2).replace("F", "T"))
    repo.commit("base")
    repo.git("switch", "-q", "-c", "feature")
    repo.write("services/api/x/x.go", GO.format(name="x", n=10))
    repo.write("services/worker/x/x_test.go", GO.format(name="x", n=20).replace("F", "T"))
    repo.write("README.md", "changed\n")
    repo.commit("feature")
    return repo


def test_modules_a_change_touches(monorepo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    run = modules(capsys, monorepo.path, "--format", "json")
    assert json.loads(run.out) == [
        {
            "directory": "services/api",
            "module": "example.com/api",
            "category": "goescape/services/api/",
        }
    ]
    assert run.out.count("\n") == 1
    # A test file counts with --tests, from the command line or .goescape.toml.
    assert directories(modules(capsys, monorepo.path, "--format", "json", "--tests")) == [
        "services/api",
        "services/worker",
    ]
    monorepo.write(".goescape.toml", "tests = true\n")
    assert directories(modules(capsys, monorepo.path, "--format", "json")) == [
        "services/api",
        "services/worker",
    ]
    text = modules(capsys, monorepo.path / "services")
    assert text == Run(0, "services/api\nservices/worker\n", "")
    # PATH arguments and exclude globs narrow it as they narrow a run.
    assert directories(modules(capsys, monorepo.path, "--format", "json", "services/worker")) == [
        "services/worker"
    ]
    monorepo.write(".goescape.toml", 'tests = true\nexclude = ["*_test.go"]\n')
    assert directories(modules(capsys, monorepo.path, "--format", "json")) == ["services/api"]


def test_base_and_head_are_chosen_as_for_a_run(
    monorepo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # With main checked out, --head reads the branch from git, new module included.
    monorepo.write("services/new/go.mod", "module example.com/new\n\ngo 1.21\n")
    monorepo.write("services/new/n.go", GO.format(name="n", n=3))
    monorepo.commit("a new module")
    monorepo.git("switch", "-q", "main")
    assert not (monorepo.path / "services" / "new").exists()
    run = modules(capsys, monorepo.path, "--head", "feature", "--base", "main")
    assert run == Run(0, "services/api\nservices/new\n", "")
    # On main, against main: nothing changed; the root module once its file changes.
    assert modules(capsys, monorepo.path) == Run(0, "", "")
    monorepo.write("cmd/tool/main.go", GO.format(name="main", n=5))
    monorepo.write("cmd/tool/untracked.go", GO.format(name="main", n=6).replace("F", "G"))
    assert modules(capsys, monorepo.path, "--format", "json").out == (
        '[{"directory": ".", "module": "example.com/root", "category": "goescape/"}]\n'
    )
    monorepo.git("rm", "-q", "-r", "services/api")  # deleting touches no function
    assert directories(modules(capsys, monorepo.path, "--format", "json")) == ["."]


def test_nothing_to_compare_and_bad_input(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("x.go", "package x\n")
    assert modules(capsys, repo.path, "--format", "json") == Run(0, "[]\n", "")  # no commit
    repo.commit("first")
    repo.write("x.go", GO.format(name="x", n=1))
    run = modules(capsys, repo.path)
    assert run.code == 2
    assert run.err == (
        "goescape modules: x.go is outside any Go module (no go.mod in its directory or above)\n"
    )
    run = modules(capsys, repo.path, "--base", "nope")
    assert (run.code, run.err) == (
        2,
        "goescape modules: --base nope: no such commit in this repository\n",
    )
