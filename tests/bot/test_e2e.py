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


def goescape(repo: GitRepo, base: str, head: str, sarif: Path) -> int:
    """As the Action runs it: on the pull request's head sha, against its base. Returns the
    number of new heap escapes its JSON report counts."""
    repo.git("checkout", "-q", head)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "goescape",
            "--sarif",
            str(sarif),
            "--base",
            base,
            "--head",
            head,
            "--format",
            "json",
        ],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert sarif.is_file()
    counted = json.loads(proc.stdout)["summary"]["counted"]
    assert isinstance(counted, int)
    assert proc.returncode == (1 if counted else 0)
    return counted


def bot(
    tmp: Path,
    state: GitHubState,
    base: str,
    sarif: Path,
    token: str,
    *extra: str,
    event: dict[str, object] | None = None,
    event_name: str = "pull_request",
) -> tuple[subprocess.CompletedProcess[str], str, str]:
    event_path = tmp / "event.json"
    event_path.write_text(
        json.dumps(
            event
            or {
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
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event_path),
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
            *extra,
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


ZERO = """
func Zero() int {
	return 0
}
"""
MAKE = """
func Make() *Point {
	return &Point{1, 2}
}
"""
NAMED = KEEP.replace("Point{x, y}", "Point{X: x, Y: y}")
NAMED_FIXED = FIXED.replace("Point{x, y}", "Point{X: x, Y: y}")


def test_a_pull_request_over_several_pushes(repo: GitRepo, tmp_path: Path) -> None:
    """One pull request, five pushes and a merge group, with real goescape runs: a line
    move, a changed line, a reply, a new escape, a fix. After every run each escape that is
    still new has exactly one current comment, on its line; every re-run writes nothing; the
    bot's count is goescape's."""
    if not openapi.available():
        pytest.skip("GitHub's OpenAPI description is missing: run `npm ci`")
    repo.go_module("example.com/geom")
    repo.write("geom/geom.go", BASE)
    base = repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    sarif = tmp_path / "goescape.sarif"

    def current() -> dict[str, int]:
        """Escape fingerprint -> the line of its one current comment (several: an error)."""
        found: dict[str, int] = {}
        for c in state.bot_comments():
            if c["line"] is not None and "**Moved in commit" not in c["body"]:
                key = c["body"].splitlines()[0]  # the marker: <!-- goescape:escape KEY -->
                assert key not in found, "two current comments on one escape"
                found[key] = c["line"]
        return found

    def step(text: str, message: str) -> tuple[str, subprocess.CompletedProcess[str], str]:
        repo.git("checkout", "-q", "feature")
        repo.write("geom/geom.go", text)
        head = repo.commit(message)
        state.push(head)
        cli_count = goescape(repo, base, head, sarif)
        proc, summary, output = bot(tmp_path, state, base, sarif, WRITE_TOKEN)
        assert proc.returncode == 0, proc.stderr
        assert output.startswith(f"new-escapes={cli_count}\n")  # the CLI's count, the bot's
        # The re-run writes nothing.
        writes = len(state.writes())
        again, _, _ = bot(tmp_path, state, base, sarif, WRITE_TOKEN)
        assert again.returncode == 0, again.stderr
        assert len(state.writes()) == writes
        return head, proc, summary

    state = GitHubState(repo.path, "acme", "shapes", 7, base, repo.head())
    with StandIn(state):
        # 1. Keep moves p to the heap: one comment, on line 16.
        step(BASE + KEEP, "add Keep")
        assert list(current().values()) == [16]
        [keep] = state.bot_comments()

        # 2. A function added above: GitHub carries the comment to line 20, the bot agrees.
        reviews = len(state.reviews)
        step(BASE + ZERO + KEEP, "add Zero")
        assert (keep["line"], len(state.reviews)) == (20, reviews)
        state.reply(keep["id"], "Could p stay on the stack?")

        # 3. The escaping line itself changes: GitHub outdates the comment; the bot comments
        # again on line 20 and the old comment (kept for its reply) says where it went.
        head, _, _ = step(BASE + ZERO + NAMED, "name the fields")
        assert keep["line"] is None
        assert list(current().values()) == [20]
        assert keep["body"].splitlines()[1].startswith(f"**Moved in commit [{head[:12]}]")
        assert "#L20), commented there." in keep["body"].splitlines()[1]
        [renewed] = [c for c in state.bot_comments() if c["line"] == 20]

        # 4. A new escape in a new function: one more comment, the other left alone.
        _, proc, summary = step(BASE + ZERO + NAMED + MAKE, "add Make")
        assert sorted(current().values()) == [20, 25]
        assert "**2 new heap escapes**" in summary
        assert "2 new heap escapes" in proc.stdout

        # 5. Keep is fixed: its comments go, but the one with a reply is kept, resolved.
        fix, _, summary = step(BASE + ZERO + NAMED_FIXED + MAKE, "fix Keep")
        assert sorted(current().values()) == [25]
        assert keep["body"].splitlines()[1].startswith(f"**Resolved in commit [{fix[:12]}]")
        ids = [c["id"] for c in state.review_comments]
        assert keep["id"] in ids
        assert renewed["id"] not in ids
        assert "**1 new heap escape**" in summary

        # 6. The merge queue builds a group of the pull request on main: goescape compares
        # the group with its base; the bot annotates and posts nothing.
        repo.git("checkout", "-q", "main")
        repo.git("checkout", "-q", "-b", "gh-readonly-queue/main/pr-7")
        repo.git("merge", "-q", "--no-ff", "-m", "Merge group", "feature")
        group = repo.head()
        counted = goescape(repo, base, group, sarif)
        before = len(state.requests)
        event = {
            "merge_group": {
                "head_sha": group,
                "head_ref": "refs/heads/gh-readonly-queue/main/pr-7-" + fix,
                "base_sha": base,
                "base_ref": "refs/heads/main",
            }
        }
        proc, summary, output = bot(
            tmp_path, state, base, sarif, "", "--fail-on-new", event=event, event_name="merge_group"
        )
        assert proc.returncode == 1, proc.stderr  # as the CLI: the escape in Make fails it
        assert len(state.requests) == before
        assert proc.stdout.startswith("::warning file=geom/geom.go,line=25,")
        assert f"Compared `{group[:12]}`" in summary
        assert output.startswith(f"new-escapes={counted}\n")
        assert counted == 1
    assert state.violations == []
