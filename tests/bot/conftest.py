from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from goescape.sarif_read import FlowLocation, ReportedEscape, ReportedFunction, SarifReport

from tests.bot.standin import openapi
from tests.bot.standin.server import WRITE_TOKEN, GitHubState, StandIn
from tests.gitrepo import GitRepo

OWNER, NAME, NUMBER = "acme", "shapes", 7

BASE_GO = """\
package geom

type Point struct{ X, Y int }

func Sum(ps []Point) int {
	t := 0
	for _, p := range ps {
		t += p.X + p.Y
	}
	return t
}

func keep() int {
	return 1
}

func Far() *Point {
	return nil
}
"""

# Lines 6, 8 and 10 change, 20-23 are new; lines 14-16 (`keep`) are outside every hunk.
HEAD_GO = """\
package geom

type Point struct{ X, Y int }

func Sum(ps []Point) int {
	t := new(int)
	for _, p := range ps {
		*t += p.X + p.Y
	}
	return *t
}

func keep() int {
	return 1
}

func Far() *Point {
	return nil
}

func Make() *Point {
	return &Point{1, 2}
}
"""


class PR(NamedTuple):
    repo: GitRepo
    base: str
    head: str


@pytest.fixture
def pr(repo: GitRepo) -> PR:
    repo.write("go.mod", "module example.com/geom\n\ngo 1.21\n")
    repo.write("geom/geom.go", BASE_GO)
    repo.write("README.md", "shapes\n")
    base = repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("geom/geom.go", HEAD_GO)
    repo.write("big/data.txt", "".join(f"row {i}\n" for i in range(50)))
    head = repo.commit("head")
    return PR(repo, base, head)


@pytest.fixture
def github(pr: PR) -> Iterator[GitHubState]:
    if not openapi.available():
        pytest.skip("GitHub's OpenAPI description is missing: run `npm ci`")
    state = GitHubState(pr.repo.path, OWNER, NAME, NUMBER, pr.base, pr.head)
    with StandIn(state):
        yield state
    assert state.violations == []


def escape(
    line: int,
    message: str = "moved to heap: t",
    *,
    path: str = "geom/geom.go",
    fingerprint: str = "",
    display: str = "Sum",
    before: int = 0,
    after: int = 1,
    level: str = "warning",
    state: str = "new",
    suppressed: bool = False,
    hint: str = "Keep t a value.",
    induced: bool = False,
    flow: tuple[FlowLocation, ...] = (),
    counted: bool | None = None,
    cold: str = "",
    hotness: float | None = None,
    previous: str = "",
) -> ReportedEscape:
    """A reported escape as goescape's SARIF gives it; `counted` defaults to what
    Outcome.counts decides for it (new, not suppressed, a heap escape, not a note)."""
    kind = next(
        (k for k in ("leaking param", "moved to heap") if message.startswith(k)),
        "escapes to heap",
    )
    if counted is None:
        counted = (
            state == "new"
            and not suppressed
            and level != "note"
            and kind != "leaking param"
            and not induced
            and not cold
        )
    return ReportedEscape(
        rule_id="GE001",
        level=level,
        message=f"{message} in {display}",
        compiler_message=message,
        path=path,
        line=line,
        col=2,
        function=f"example.com/geom.{display}",
        display=display,
        baseline_state=state,
        suppressed=suppressed,
        suppression_reason="",
        induced=induced,
        fingerprint=fingerprint
        or f"fp-{display}-{message.split(':', maxsplit=1)[0].replace(' ', '-')}",
        before=before,
        after=after,
        hint=hint,
        flow=flow,
        kind=kind,
        expression=message.rsplit(": ", 1)[-1].removesuffix(" escapes to heap"),
        counted=counted,
        previous_expression=previous,
        cold=bool(cold),
        cold_reason=cold,
        hotness=hotness,
    )


def report(*escapes: ReportedEscape, base: str = "b" * 40) -> SarifReport:
    functions = tuple(
        {
            e.display: ReportedFunction(
                e.function, e.display, e.path, e.line, e.before, e.after, e.after - e.before
            )
            for e in escapes
        }.values()
    )
    return SarifReport("0.1", "go1.27.3", base, "", escapes, functions, ())


class BotRun(NamedTuple):
    code: int
    out: str
    err: str
    summary: str
    output: str


@pytest.fixture
def run_bot(
    pr: PR, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):  # type: ignore[no-untyped-def]
    """Run goescape-bot in-process as a runner would, with `report` as the SARIF's content."""
    from goescape.bot import cli

    def run(
        state: GitHubState | None,
        sarif: SarifReport | None,
        *extra: str,
        token: str = WRITE_TOKEN,
        event: dict[str, object] | None = None,
        event_name: str = "pull_request",
        run_properties: dict[str, object] | None = None,
    ) -> BotRun:
        """`run_properties`: what the file holds besides the report (the bot reads the run's
        properties itself, e.g. the profile's name)."""
        sarif_path = tmp_path / "goescape.sarif"
        if sarif is not None:
            sarif_path.write_text(
                json.dumps({"runs": [{"properties": run_properties or {}}]}), encoding="utf-8"
            )
            monkeypatch.setattr(cli, "read", lambda path: sarif)
        head = state.head_sha if state else pr.head
        event_path = tmp_path / "event.json"
        event_path.write_text(
            json.dumps(
                event
                if event is not None
                else {
                    "action": "synchronize",
                    "number": NUMBER,
                    "pull_request": {
                        "number": NUMBER,
                        "head": {"sha": head, "repo": {"full_name": f"{OWNER}/{NAME}"}},
                        "base": {"sha": pr.base, "repo": {"full_name": f"{OWNER}/{NAME}"}},
                    },
                }
            ),
            encoding="utf-8",
        )
        summary = tmp_path / "summary.md"
        output = tmp_path / "output.txt"
        for f in (summary, output):
            f.write_text("", encoding="utf-8")
        env = {
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_REPOSITORY": f"{OWNER}/{NAME}",
            "GITHUB_API_URL": state.api if state else "http://127.0.0.1:9/api/v3",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(output),
        }
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        if token:
            monkeypatch.setenv("GITHUB_TOKEN", token)
        else:
            monkeypatch.delenv("GITHUB_TOKEN", raising=False)
        capsys.readouterr()
        code = cli.main(
            [
                "--sarif",
                str(sarif_path),
                "--backoff",
                "0.01",
                "--pace",
                "0",
                "--repo-dir",
                str(pr.repo.path),
                *extra,
            ]
        )
        captured = capsys.readouterr()
        return BotRun(
            code,
            captured.out,
            captured.err,
            summary.read_text(encoding="utf-8"),
            output.read_text(encoding="utf-8"),
        )

    return run
