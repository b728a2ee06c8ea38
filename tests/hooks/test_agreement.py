"""One meaning of "new heap escape" (issue 8, point 9): on one real run that has new,
changed, suppressed, induced, leaking, cold-path and literal escapes, the text report, the JSON, the
SARIF (levels and the `counted` property), `goescape sarif-summary`, the bot's outputs,
summary and annotations, and the Action's analysing step all count the same escapes.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from goescape import sarif_summary
from goescape.bot import cli as bot
from goescape.bot.action import analyse
from goescape.cli import main
from goescape.sarif_read import read

from tests.gitrepo import GitRepo

pytestmark = pytest.mark.slow

BASE = """
package p

import "fmt"

type Point struct{ X, Y int }

var sink any

// Keep is inlined into Use, which this change does not touch.
func Keep(n int) {
	_ = n
}

func Use() {
	Keep(1)
}

func Names(n int) []string {
	x := []string{}
	return x
}

func Hello() {
	fmt.Println("hello")
}
"""
HEAD = """
package p

import "fmt"

type Point struct{ X, Y int }

var sink any

// Keep is inlined into Use, which this change does not touch.
func Keep(n int) {
	sink = &n
}

func Use() {
	Keep(1)
}

func Names(n int) []string {
	x := make([]string, 0, n)
	return x
}

func Hello() {
	fmt.Println("hello", 42, "world")
}

func NewPoint(x, y int) *Point {
	p := Point{x, y}
	return &p
}

func Pooled() *Point {
	return &Point{} //goescape:ignore one per process
}

func Store(q *Point) {
	sink = q
}

func Check(n int) error {
	if n < 0 {
		return fmt.Errorf("negative: %d", n)
	}
	return nil
}
"""


@pytest.fixture
def run(repo: GitRepo, tmp_path: Path) -> tuple[GitRepo, str, str]:
    repo.go_module()
    repo.write("p/p.go", BASE)
    base = repo.commit("base")
    repo.write("p/p.go", HEAD)
    head = repo.commit("head")
    return repo, base, head


def test_every_output_counts_the_same_escapes(
    run: tuple[GitRepo, str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo, base, head = run
    sarif = tmp_path / "goescape.sarif"
    args = ["-C", str(repo.path), "--base", base, "--head", head]

    # The JSON report: what the run found.
    assert main([*args, "--format", "json", "--sarif", str(sarif)]) == 1
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    by_state = {(f["state"], f["message"], f["suppressed"], f["induced"]) for f in doc["findings"]}
    # Every kind of finding is there.
    assert ("new", "moved to heap: p", False, False) in by_state  # counted
    assert ("new", "moved to heap: n", False, False) in by_state  # counted (Keep itself)
    assert ("changed", "make([]string, 0, n) escapes to heap", False, False) in by_state
    assert ("new", "&Point{} escapes to heap", True, False) in by_state  # suppressed
    assert ("new", "moved to heap: n", False, True) in by_state  # induced, in Use
    assert ("new", "leaking param: q", False, False) in by_state  # a leak
    cold = [f for f in doc["findings"] if f["function"]["display"] == "Check"]
    # Only when something fails: cold, not counted.
    assert {(f["message"], f["cold"], f["counted"]) for f in cold} == {
        ("&errors.errorString{...} escapes to heap", True, False),
        ("n escapes to heap", True, False),
    }
    # The boxed literals of Hello are not findings at all.
    assert not [f for f in doc["findings"] if f["function"]["display"] == "Hello"]
    counted = [(f["path"], f["line"], f["message"]) for f in doc["counted"]]
    assert counted == [("p/p.go", 10, "moved to heap: n"), ("p/p.go", 28, "moved to heap: p")]
    n = len(counted)
    assert doc["summary"]["counted"] == doc["summary"]["counted_heap"] == n
    assert doc["summary"]["exit_code"] == 1
    assert sum(f["new"] for f in doc["functions"]) == n

    # The text report's headline.
    assert main(args) == 1
    text = capsys.readouterr().out
    assert text.splitlines()[0].startswith(f"goescape: {n} new heap escapes in ")
    assert f"new of which {n} counted" in text

    # The SARIF: the `counted` property and the level say the same.
    report = read(sarif)
    assert sum(e.counted for e in report.escapes) == n
    assert [e.level for e in report.escapes if e.counted] == ["warning"] * n
    assert {e.level for e in report.escapes if not e.counted} == {"note"}
    assert sum(f.new for f in report.functions) == n

    # goescape sarif-summary.
    assert sarif_summary.main([str(sarif)]) == 0
    assert f"counted: {n} new heap escapes; exit code 1" in capsys.readouterr().out.splitlines()

    # The bot, writing the job summary, annotations and outputs (no GitHub calls).
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    code = bot.main(
        [
            "--sarif",
            str(sarif),
            "--no-comments",
            "--fail-on-new",
            "--repository",
            "acme/shapes",
            "--pr",
            "7",
            "--head-sha",
            head,
            "--step-summary",
            str(summary),
            "--output",
            str(outputs),
        ]
    )
    assert code == 1
    printed = capsys.readouterr().out.splitlines()
    assert f"new-escapes={n}" in outputs.read_text(encoding="utf-8").splitlines()
    assert f"**{n} new heap escapes**" in summary.read_text(encoding="utf-8")
    # Annotations: a warning for each counted escape, a notice for the others; the leak is
    # never called a heap escape.
    warnings = [line for line in printed if line.startswith("::warning ")]
    notices = [line for line in printed if line.startswith("::notice ")]
    assert len(warnings) == n
    assert all("title=goescape%3A new heap escape::" in line for line in warnings)
    assert any("title=goescape%3A new leaking param::" in line for line in notices)
    assert not any("leaking param" in line for line in warnings)

    # The Action's analysing step, which runs goescape itself and sets `new-escapes`.
    github_output = tmp_path / "github-output.txt"
    github_output.write_text("", encoding="utf-8")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"before": base}), encoding="utf-8")
    env = {
        **os.environ,
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SHA": head,
        "GITHUB_WORKSPACE": str(repo.path),
        "GITHUB_OUTPUT": str(github_output),
        "RUNNER_TEMP": str(tmp_path / "runner"),
    }
    capsys.readouterr()
    assert analyse.run(env, [sys.executable, "-m", "goescape"]) == 0
    assert f"new-escapes={n}" in github_output.read_text(encoding="utf-8").splitlines()
    assert f"goescape: {n} new heap escapes" in capsys.readouterr().out.splitlines()
    # With --leaks the leak counts, and is named a leak.
    github_output.write_text("", encoding="utf-8")
    assert analyse.run({**env, "GOESCAPE_ARGS": "--leaks"}, [sys.executable, "-m", "goescape"]) == 0
    assert f"new-escapes={n + 1}" in github_output.read_text(encoding="utf-8").splitlines()
    lines = capsys.readouterr().out.splitlines()
    assert f"goescape: {n} new heap escapes and 1 new leaking param" in lines
