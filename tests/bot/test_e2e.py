"""The whole path: a fixture pull request, goescape run as the Action runs it, then
goescape-bot as a separate process with the environment a runner gives it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bot.standin import openapi
from tests.bot.standin.server import READ_TOKEN, WRITE_TOKEN, GitHubState, StandIn
from tests.gitrepo import GitRepo

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]

BASE = """\
package geom

type Point struct{ X, Y int }

func Sum(ps []Point) int {
	t := 0
	for _, p := range ps {
		t += p.X + p.Y
	}
	return t
}
"""
KEEP = """
var sink *Point

func Keep(x, y int) {
	p := Point{x, y}
	sink = &p
}
"""
FIXED = KEEP.replace("p := Point{x, y}\n\tsink = &p", "sink = nil\n\t_ = Point{x, y}")


def goescape(repo: GitRepo, base: str, head: str, sarif: Path) -> None:
    """As the Action runs it: on the pull request's head sha, against its base."""
    repo.git("checkout", "-q", head)
    proc = subprocess.run(
        [sys.executable, "-m", "goescape", "--sarif", str(sarif), "--base", base, "--head", head],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert sarif.is_file()


def bot(
    tmp: Path, state: GitHubState, base: str, sarif: Path, token: str
) -> tuple[subprocess.CompletedProcess[str], str, str]:
    event = tmp / "event.json"
    event.write_text(
        json.dumps(
            {
                "action": "synchronize",
                "number": 7,
                "pull_request": {
                    "number": 7,
                    "head": {"sha": state.head_sha, "repo": {"full_name": "fork/shapes"}},
                    "base": {"sha": base, "repo": {"full_name": "acme/shapes"}},
                },
            }
        ),
        encoding="utf-8",
    )
    summary, output = tmp / "summary.md", tmp / "output"
    summary.write_text("", encoding="utf-8")
    output.write_text("", encoding="utf-8")
    env = {
        **os.environ,
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "acme/shapes",
        "GITHUB_API_URL": state.api,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_TOKEN": token,
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "goescape.bot",
            "--sarif",
            str(sarif),
            "--pace",
            "0",
            "--backoff",
            "0.01",
        ],
        cwd=state.repo_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return proc, summary.read_text(encoding="utf-8"), output.read_text(encoding="utf-8")


def test_pull_request_end_to_end(repo: GitRepo, tmp_path: Path) -> None:
    if not openapi.available():
        pytest.skip("GitHub's OpenAPI description is missing: run `npm ci`")
    repo.go_module("example.com/geom")
    repo.write("geom/geom.go", BASE)
    base = repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("geom/geom.go", BASE + KEEP)
    head = repo.commit("add Keep")
    sarif = tmp_path / "goescape.sarif"
    goescape(repo, base, head, sarif)

    state = GitHubState(repo.path, "acme", "shapes", 7, base, head)
    with StandIn(state):
        proc, summary, output = bot(tmp_path, state, base, sarif, WRITE_TOKEN)
        assert proc.returncode == 0, proc.stderr
        [comment] = state.bot_comments()
        assert (comment["path"], comment["line"], comment["side"]) == ("geom/geom.go", 16, "RIGHT")
        assert comment["commit_id"] == head
        assert "`moved to heap: p`" in comment["body"]
        assert "`flow: {heap} = &p`" in comment["body"]  # the compiler's -m=2 explanation
        [sticky] = state.issue_comments
        assert "| `Keep` |" in sticky["body"]
        assert "| [`geom/geom.go:16`]" in summary
        assert output.splitlines() == ["new-escapes=1", f"sarif-file={sarif}"]

        # A re-run posts nothing.
        writes = len(state.writes())
        proc, _, _ = bot(tmp_path, state, base, sarif, WRITE_TOKEN)
        assert proc.returncode == 0, proc.stderr
        assert len(state.writes()) == writes

        # The fix commit resolves the comment: nobody replied, so it is deleted.
        repo.git("checkout", "-q", "feature")
        repo.write("geom/geom.go", BASE + FIXED)
        fix = repo.commit("fix Keep")
        state.push(fix)
        goescape(repo, base, fix, sarif)
        proc, summary, output = bot(tmp_path, state, base, sarif, WRITE_TOKEN)
        assert proc.returncode == 0, proc.stderr
        assert state.bot_comments() == []
        assert "No new heap escapes." in state.issue_comments[0]["body"]
        assert len(state.issue_comments) == 1
        assert output.startswith("new-escapes=0\n")

        # A fork's run of the original head: read-only token, annotations instead.
        state.push(head)
        goescape(repo, base, head, sarif)
        writes = len(state.writes())
        proc, summary, _ = bot(tmp_path, state, base, sarif, READ_TOKEN)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines()[0].startswith("::warning file=geom/geom.go,line=16,")
        assert "read-only" in summary
        assert all(r.status == 403 for r in state.writes()[writes:])
        assert WRITE_TOKEN not in proc.stdout + proc.stderr
        assert READ_TOKEN not in proc.stdout + proc.stderr + summary
    assert state.violations == []
