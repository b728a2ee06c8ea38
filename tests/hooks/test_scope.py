"""In pre-commit's commit stage only the functions the commit touches can fail the run."""

from __future__ import annotations

import json
from typing import Any

import pytest
from goescape import git, scope
from goescape.cli import main
from goescape.escapes import MOVED, Escape
from goescape.functions import FunctionId
from goescape.outcome import NEW, Finding, FunctionSummary

from tests.gitrepo import GitRepo
from tests.gofixtures import ADD_ESCAPES
from tests.gofixtures import ADD_SUB as POINT
from tests.gofixtures import BOTH_ESCAPE as BOTH

ADD = FunctionId("example.com/m/geom", "", "Add")
SUB = FunctionId("example.com/m/geom", "", "Sub")


def finding(function: FunctionId, induced: bool = False) -> Finding:
    escape = Escape(function.package, "geom/point.go", 6, 2, MOVED, "p", "moved to heap: p")
    return Finding(function, function.name, escape, NEW, induced, None, 0, 1, 0, False, None)


def summary(function: FunctionId) -> FunctionSummary:
    return FunctionSummary(function, function.name, "geom/point.go", 5, True, False, 0, 1, 1)


@pytest.mark.parametrize(
    ("commit_touched", "earlier", "new_counts"),
    [
        pytest.param({ADD, SUB}, [False, False, False], [1, 1], id="the-commit-touches-both"),
        pytest.param({SUB}, [True, False, False], [0, 1], id="add-was-an-earlier-commit"),
        pytest.param(set(), [True, True, True], [0, 0], id="nothing-of-the-commit"),
    ],
)
def test_judge_commit(
    commit_touched: set[FunctionId], earlier: list[bool], new_counts: list[int]
) -> None:
    findings = [finding(ADD), finding(SUB), finding(SUB, induced=True)]
    marked, summaries = scope.judge_commit(findings, [summary(ADD), summary(SUB)], commit_touched)
    assert [f.earlier_commit for f in marked] == earlier
    assert [s.new for s in summaries] == new_counts
    assert [f._replace(earlier_commit=False) for f in marked] == findings


def counted(doc: dict[str, Any]) -> list[str]:
    return [f"{f['function']['display']}: {f['message']}" for f in doc["counted"]]


@pytest.mark.slow
def test_the_commit_stage_counts_the_commit_only(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.go_module()
    repo.write("geom/point.go", POINT)
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("geom/point.go", ADD_ESCAPES)
    repo.commit("Add escapes, committed without the hook")
    repo.write("geom/point.go", BOTH)
    repo.git("add", "geom/point.go")
    # Not staged, not part of the commit: pre-commit leaves untracked files where they are.
    repo.write("geom/scratch.go", "package geom\n\nfunc Scratch() *int { v := 1; return &v }\n")

    def run(*args: str) -> tuple[int, dict[str, Any]]:
        code = main(["-C", str(repo.path), "--format", "json", *args])
        return code, json.loads(capsys.readouterr().out)

    code, doc = run()
    assert code == 1
    assert counted(doc) == [
        "Add: moved to heap: p",
        "Sub: moved to heap: d",
        "Scratch: moved to heap: v",
    ]

    monkeypatch.setenv("PRE_COMMIT", "1")
    code, doc = run()
    assert code == 1
    assert counted(doc) == ["Sub: moved to heap: d"]
    assert doc["summary"]["new_earlier_commit"] == 2
    assert doc["base"]["how"] == "merge base of HEAD and main"

    # pre-push (and `pre-commit run --from-ref --to-ref`) judge the whole branch.
    repo.commit("Sub escapes", add=False)
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", "main")
    monkeypatch.setenv("PRE_COMMIT_TO_REF", "HEAD")
    code, doc = run()
    assert counted(doc) == ["Add: moved to heap: p", "Sub: moved to heap: d"]
    assert doc["summary"]["new_earlier_commit"] == 0


def test_only_pre_commits_commit_stage_is_one() -> None:
    assert git.stage_of_commit({"PRE_COMMIT": "1"})
    assert not git.stage_of_commit({})
    assert not git.stage_of_commit({"PRE_COMMIT": "1", "PRE_COMMIT_FROM_REF": "a"})
    assert not git.stage_of_commit({"PRE_COMMIT": "1", "PRE_COMMIT_TO_REF": "b"})
    assert not git.stage_of_commit({"PRE_COMMIT": "1"}, git.Head("a" * 40, "HEAD"))
    assert git.stage_of_commit({"PRE_COMMIT": "1"}, git.Head("", "working tree"))
