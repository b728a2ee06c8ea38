"""The composite Action (action.yml) and the example workflows.

Static: the schemas, actionlint and zizmor (each a real tool, installed in CI), and the rules
the issue sets (inputs only through env, pinned actions, least permissions).

Behaviour: the Action's steps are run the way a runner runs a composite action, from the
text of action.yml: `if:` and `${{ }}` evaluated, each `run:` under `bash -e -o pipefail`
with GITHUB_OUTPUT, RUNNER_TEMP, an event file, in a real git repository with the real `go`
and goescape. Only what GitHub provides is stood in for: the `uses:` steps (recorded with
their `with:`), the REST API (a local HTTP server), and goescape-bot, which is recorded so
the tests see the options the Action gives it (the bot has its own tests).
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from goescape.bot.action.analyse import goescape_command
from goescape.bot.action.runner import escape_data

from tests.gitrepo import GitRepo

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
DOC = ROOT / "README.md"
ACTION_DOC = ROOT / "docs" / "action.md"  # every input, output and example workflow
# The README and the reference in docs/: the examples may be shown in either.
DOCS = "\n".join(p.read_text(encoding="utf-8") for p in [DOC, *sorted(ROOT.glob("docs/*.md"))])
SHA = re.compile(r"[0-9a-f]{40}")


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def on(doc: Mapping[str, Any]) -> Any:
    # PyYAML reads the key `on` as the boolean True (YAML 1.1).
    return doc.get("on", doc.get(True))


def tool(name: str) -> str:
    """A checking tool from this Python's environment (where CI installs it) or PATH."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed (requirements-ci.txt installs it)")
        pytest.skip(f"{name} is not installed")
    return found


# --- static checks ------------------------------------------------------------------------


def test_action_matches_the_github_actions_schema() -> None:
    cmd = [tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ACTION)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_workflows_match_the_github_workflows_schema() -> None:
    assert len(WORKFLOWS) == 6
    cmd = [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *WORKFLOWS]
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_finds_nothing_in_the_workflows() -> None:
    cmd = [tool("actionlint"), "-no-color", *map(str, WORKFLOWS)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_finds_nothing_above_informational() -> None:
    cmd = [
        tool("zizmor"),
        "--offline",
        "--persona",
        "pedantic",
        "--format",
        "json",
        "--config",
        str(ROOT / "examples" / "zizmor.yml"),
        str(ACTION),
        *map(str, WORKFLOWS),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    findings = json.loads(proc.stdout)
    serious = [f for f in findings if f["determinations"]["severity"] != "Informational"]
    assert serious == [], json.dumps(serious, indent=1)


def test_the_one_zizmor_exception_is_the_workflow_run_trigger() -> None:
    # workflow_run is what the fork-safe pair is built on; nothing else may be waived.
    ignores = [
        (path.name, line.strip())
        for path in [ACTION, *WORKFLOWS]
        for line in path.read_text(encoding="utf-8").splitlines()
        if "zizmor:" in line
    ]
    assert len(ignores) == 1
    name, line = ignores[0]
    assert name == "goescape-report.yml"
    assert line.startswith("workflow_run: # zizmor: ignore[dangerous-triggers]")


def _run_texts(doc: Mapping[str, Any]) -> Iterator[str]:
    steps = list(doc.get("runs", {}).get("steps", []))
    for job in doc.get("jobs", {}).values():
        steps.extend(job.get("steps", []))
    for step in steps:
        if "run" in step:
            yield step["run"]


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.name)
def test_no_expression_is_interpolated_into_a_script(path: Path) -> None:
    texts = list(_run_texts(load(path)))
    assert texts or path.name != "action.yml"
    for text in texts:
        assert "${{" not in text, text


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit(path: Path) -> None:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if "uses:" in line]
    assert lines
    for line in lines:
        ref = line.split("uses:", 1)[1].split("#")[0].strip()
        name, _, version = ref.partition("@")
        if name == "goescape/goescape":
            # No release is tagged: the examples name the branch that exists, and say to pin.
            assert version == "main", line
            assert line.endswith("# no release yet: pin a commit SHA you reviewed"), line
            continue
        assert SHA.fullmatch(version), line
        assert re.search(r"# v\d+\.\d+\.\d+$", line), f"say which release: {line}"


def test_action_inputs_outputs_and_defaults() -> None:
    action = load(ACTION)
    inputs = action["inputs"]
    assert {
        name: inputs[name]["default"]
        for name in (
            "base",
            "working-directory",
            "fail-on-new-escapes",
            "post-comments",
            "upload-sarif",
            "category",
            "max-comments",
            "token",
            "args",
        )
    } == {
        "base": "",
        "working-directory": ".",
        "fail-on-new-escapes": "true",
        "post-comments": "true",
        "upload-sarif": "true",
        "category": "goescape/",
        "max-comments": "30",
        "token": "${{ github.token }}",
        "args": "",
    }
    assert {"new-escapes", "sarif-file"} <= set(action["outputs"])
    assert all(spec.get("description") for spec in inputs.values())
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        assert "uses" in step or step.get("shell") == "bash", step
    upload = [s for s in action["runs"]["steps"] if "uses" in s]
    assert [s["uses"].split("@")[0] for s in upload] == ["github/codeql-action/upload-sarif"]


def test_docs_describe_every_input_and_output() -> None:
    doc = ACTION_DOC.read_text(encoding="utf-8")
    action = load(ACTION)
    for table in ("## Inputs", "## Outputs"):
        section = doc[doc.index(table + "\n") :]
        section = section[: section.index("\n## ", 1)]
        names = re.findall(r"^\| `([a-z-]+)` \|", section, re.M)
        wanted = action["inputs"] if table == "## Inputs" else action["outputs"]
        assert sorted(names) == sorted(wanted), table
    assert "fetch-depth: 0" in doc
    assert "fetch-depth: 0" in DOC.read_text(encoding="utf-8")
    for path in WORKFLOWS:  # the docs show the examples as they are
        assert path.read_text(encoding="utf-8").strip() in DOCS, path.name


def test_simple_workflow_has_least_permissions() -> None:
    wf = load(ROOT / "examples" / "workflows" / "goescape.yml")
    assert list(on(wf)) == ["pull_request"]
    assert wf["permissions"] == {}
    (job,) = wf["jobs"].values()
    assert job["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "security-events": "write",
    }


def test_merge_queue_workflow_runs_one_check_on_pull_requests_and_merge_groups() -> None:
    wf = load(ROOT / "examples" / "workflows" / "goescape-merge-queue.yml")
    assert list(on(wf)) == ["pull_request", "merge_group"]
    assert wf["permissions"] == {}
    (job,) = wf["jobs"].values()
    assert job["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "security-events": "write",
    }
    # Merge groups never share a concurrency group with each other or a pull request.
    assert "github.event.merge_group.head_ref" in wf["concurrency"]["group"]
    simple = load(ROOT / "examples" / "workflows" / "goescape.yml")
    assert job["steps"] == next(iter(simple["jobs"].values()))["steps"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_have_history_and_no_kept_credentials(path: Path) -> None:
    for job in load(path)["jobs"].values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"] == {"fetch-depth": 0, "persist-credentials": False}


def test_monorepo_workflow_runs_a_job_per_changed_module() -> None:
    wf = load(ROOT / "examples" / "workflows" / "goescape-monorepo.yml")
    assert wf["permissions"] == {}
    listing, matrix_job = wf["jobs"]["modules"], wf["jobs"]["goescape"]
    (lister,) = [s for s in listing["steps"] if s.get("uses", "").startswith("goescape/")]
    assert lister["with"] == {"list-modules": True}
    assert listing["outputs"]["modules"] == f"${{{{ steps.{lister['id']}.outputs.modules }}}}"
    assert listing["permissions"] == {"contents": "read"}
    assert matrix_job["needs"] == "modules"
    assert matrix_job["if"] == "needs.modules.outputs.modules != '[]'"  # no empty matrix
    assert matrix_job["strategy"]["matrix"] == {
        "include": "${{ fromJSON(needs.modules.outputs.modules) }}"
    }
    (action,) = [s for s in matrix_job["steps"] if s.get("uses", "").startswith("goescape/")]
    assert action["with"]["category"] == "${{ matrix.category }}"
    assert action["with"]["working-directory"] == "${{ matrix.directory }}"
    assert action["with"]["post-comments"] is False
    assert "pull-requests" not in matrix_job["permissions"]


def test_fork_safe_pair_posts_without_the_pull_requests_code() -> None:
    analyse = load(ROOT / "examples" / "workflows" / "goescape-analyse.yml")
    report = load(ROOT / "examples" / "workflows" / "goescape-report.yml")
    assert list(on(analyse)) == ["pull_request"]
    assert on(report)["workflow_run"]["workflows"] == [analyse["name"]]
    (analyse_job,) = analyse["jobs"].values()
    (report_job,) = report["jobs"].values()
    assert "pull-requests" not in analyse_job["permissions"]
    assert report_job["permissions"]["pull-requests"] == "write"
    uses = [s.get("uses", "") for s in report_job["steps"]]
    assert not any(u.startswith("actions/checkout") for u in uses)
    assert "setup-go" not in json.dumps(report_job)
    upload = next(s for s in analyse_job["steps"] if "upload-artifact" in s.get("uses", ""))
    download = next(s for s in report_job["steps"] if "download-artifact" in s.get("uses", ""))
    assert upload["with"]["name"] == download["with"]["name"]
    assert upload["with"]["path"] == "${{ steps.goescape.outputs.report-dir }}"
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    action = next(s for s in report_job["steps"] if s.get("uses", "").startswith("goescape/"))
    assert action["with"]["report-dir"] == download["with"]["path"]


# --- running the Action's steps -----------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:('(?:[^']|'')*')|(==|!=|&&|\|\||!)|([A-Za-z_][\w.-]*))")


def evaluate(expr: str, context: Mapping[str, Any]) -> Any:
    """The part of GitHub's expression language action.yml uses: context paths, string
    literals, == and != (case-insensitive), !, && and ||."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(expr.rstrip()):
        m = _TOKEN.match(expr, pos)
        assert m, f"cannot evaluate {expr!r} at {pos}"
        kind = "str" if m.group(1) else "op" if m.group(2) else "path"
        tokens.append((kind, m.group(m.lastindex or 0)))
        pos = m.end()

    def atom(i: int) -> tuple[Any, int]:
        kind, text = tokens[i]
        if (kind, text) == ("op", "!"):
            value, i = atom(i + 1)
            return not value, i
        if kind == "str":
            return text[1:-1].replace("''", "'"), i + 1
        value: Any = context
        for part in text.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value, i + 1

    def compare(i: int) -> tuple[Any, int]:
        left, i = atom(i)
        if i < len(tokens) and tokens[i][1] in ("==", "!="):
            op = tokens[i][1]
            right, i = atom(i + 1)
            same = str(left or "").lower() == str(right or "").lower()
            return same if op == "==" else not same, i
        return left, i

    def chain(i: int, op: str, inner: Any) -> tuple[Any, int]:
        value, i = inner(i)
        while i < len(tokens) and tokens[i][1] == op:
            right, i = inner(i + 1)
            value = (value or right) if op == "||" else (value and right)
        return value, i

    value, end = chain(0, "||", lambda i: chain(i, "&&", compare))
    assert end == len(tokens), expr
    return value


def substitute(text: str, context: Mapping[str, Any]) -> str:
    def one(m: re.Match[str]) -> str:
        value = evaluate(m.group(1), context)
        return "" if value is None or value is False else str(value)

    return re.sub(r"\$\{\{(.*?)\}\}", one, text)


def read_outputs(path: Path) -> dict[str, str]:
    outputs: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, delimiter = line.split("<<", 1)
            outputs[name] = "\n".join(iter(lambda: next(lines), delimiter))
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


class ActionRun(NamedTuple):
    failed: bool
    log: str  # what the steps printed, stdout and stderr
    steps: dict[str, dict[str, Any]]  # step id -> outcome, outputs, and `with` for `uses:`
    outputs: dict[str, str]  # the Action's outputs


class Runner:
    """Runs action.yml's steps as a runner runs a composite action."""

    def __init__(self, tmp: Path, workspace: Path, bin_dir: Path) -> None:
        self.tmp = tmp
        self.workspace = workspace
        self.bin_dir = bin_dir
        self.temp = tmp / "runner-temp"
        self.temp.mkdir(exist_ok=True)
        self.env: dict[str, str] = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_ACTION_PATH": str(ROOT),
            "GITHUB_REPOSITORY": "octo/widgets",
            "GITHUB_API_URL": "http://127.0.0.1:9",
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_STEP_SUMMARY": str(tmp / "step-summary.md"),
        }

    def event(self, name: str, payload: Mapping[str, Any], sha: str = "") -> None:
        path = self.tmp / "event.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        self.env.update(GITHUB_EVENT_NAME=name, GITHUB_EVENT_PATH=str(path), GITHUB_SHA=sha)

    def run(self, **inputs: str) -> ActionRun:
        action = load(ACTION)
        unknown = set(inputs) - set(action["inputs"])
        assert not unknown, unknown
        values = {k: spec.get("default", "") for k, spec in action["inputs"].items()}
        values["token"] = "ghs_test_token"
        values.update(inputs)
        steps: dict[str, dict[str, Any]] = {}
        context: dict[str, Any] = {
            "inputs": values,
            "github": {"action_path": str(ROOT), "token": "ghs_test_token"},
            "steps": steps,
        }
        failed, log = False, []
        for n, step in enumerate(action["runs"]["steps"]):
            sid = step.get("id", f"step{n}")
            if failed or ("if" in step and not evaluate(step["if"], context)):
                steps[sid] = {"outcome": "skipped", "outputs": {}}
                continue
            if sid == "install":  # pip would install what this environment already has
                steps[sid] = {"outcome": "success", "outputs": {"bin": str(self.bin_dir)}}
                continue
            if "uses" in step:
                with_ = {k: substitute(str(v), context) for k, v in step["with"].items()}
                steps[sid] = {"outcome": "success", "outputs": {}, "with": with_}
                continue
            code, out, outputs = self.run_step(step, context)
            log.append(out)
            failed = code != 0
            steps[sid] = {"outcome": "failure" if failed else "success", "outputs": outputs}
        result = {k: substitute(v["value"], context) for k, v in action["outputs"].items()}
        return ActionRun(failed, "".join(log), steps, result)

    def run_step(
        self, step: Mapping[str, Any], context: Mapping[str, Any]
    ) -> tuple[int, str, dict[str, str]]:
        output = self.temp / "github-output"
        output.write_text("", encoding="utf-8")
        script = self.temp / "step.sh"
        script.write_text(step["run"], encoding="utf-8")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")},
            **self.env,
            "GITHUB_OUTPUT": str(output),
            **{k: substitute(str(v), context) for k, v in step.get("env", {}).items()},
        }
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        return proc.returncode, proc.stdout + proc.stderr, read_outputs(output)


BOT_RECORDER = """#!/bin/sh
# Stands in for goescape-bot: records its arguments and environment.
{python} - "$@" <<'EOF'
import json, os, sys
with open(os.environ["BOT_RECORD"], "w") as f:
    json.dump({{"argv": sys.argv[1:], "env": dict(os.environ)}}, f)
with open(os.environ["GITHUB_OUTPUT"], "a") as f:
    f.write("new-escapes=" + os.environ.get("BOT_NEW_ESCAPES", "0") + "\\n")
EOF
"""


@pytest.fixture
def runner(tmp_path: Path, repo: GitRepo) -> Runner:
    """A runner whose installed `bin` holds this environment's python and a recording bot."""
    bin_dir = tmp_path / "venv-bin"
    bin_dir.mkdir()
    python = bin_dir / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    bot = bin_dir / "goescape-bot"
    bot.write_text(BOT_RECORDER.format(python=sys.executable), encoding="utf-8")
    python.chmod(0o755)
    bot.chmod(0o755)
    r = Runner(tmp_path, repo.path, bin_dir)
    r.env["BOT_RECORD"] = str(tmp_path / "goescape.bot.json")
    return r


def bot_call(runner: Runner) -> dict[str, Any]:
    path = Path(runner.env["BOT_RECORD"])
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


BASE_GO = """
package geom

type Point struct{ X, Y int }

func Make(x, y int) Point {
	p := Point{x, y}
	return p
}
"""

ESCAPING_GO = """
package geom

type Point struct{ X, Y int }

func Make(x, y int) *Point {
	p := &Point{x, y}
	return p
}
"""


def pull_request(repo: GitRepo, head_go: str) -> tuple[str, str]:
    """main with geom.go, then a branch `feature` changing it; returns (base, head)."""
    repo.go_module()
    repo.write("geom/geom.go", BASE_GO)
    base = repo.commit("base")
    repo.git("switch", "-q", "-c", "feature")
    repo.write("geom/geom.go", head_go)
    head = repo.commit("change")
    return base, head


def pr_event(number: int, base: str, head: str) -> dict[str, Any]:
    return {
        "action": "synchronize",
        "number": number,
        "pull_request": {"number": number, "base": {"sha": base}, "head": {"sha": head}},
    }


def test_pull_request_with_a_new_escape_reports_then_fails(
    runner: Runner, repo: GitRepo, any_go: Path
) -> None:
    base, head = pull_request(repo, ESCAPING_GO)
    runner.event("pull_request", pr_event(7, base, head), sha="f" * 40)

    result = runner.run()

    assert result.failed
    assert result.outputs["new-escapes"] == "1"
    analyse = result.steps["analyse"]["outputs"]
    assert (analyse["base-sha"], analyse["head-sha"]) == (base, head)
    sarif = json.loads(Path(result.outputs["sarif-file"]).read_text(encoding="utf-8"))
    (found,) = [r for r in sarif["runs"][0]["results"] if r.get("baselineState") == "new"]
    location = found["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "geom/geom.go"
    assert location["region"]["startLine"] == 6
    # Code scanning gets the upload-mode file, in the category asked for.
    (upload,) = [s for s in result.steps.values() if "with" in s]
    assert upload["with"]["sarif_file"] == analyse["upload-file"]
    assert upload["with"]["category"] == "goescape/"
    assert Path(analyse["upload-file"]).is_file()
    # A workflow_run can post the report later: the directory says which pull request.
    meta = json.loads((Path(result.outputs["report-dir"]) / "pull-request.json").read_text())
    assert meta == {"number": 7, "head_sha": head, "base_sha": base}
    # The bot ran on that SARIF with the pull request's event and the token.
    call = bot_call(runner)
    assert call["argv"] == ["--sarif", result.outputs["sarif-file"], "--max-comments", "30"]
    assert call["env"]["GITHUB_TOKEN"] == "ghs_test_token"
    assert call["env"]["GITHUB_EVENT_PATH"] == runner.env["GITHUB_EVENT_PATH"]
    # The job fails last, with one clear line.
    assert result.steps["finish"]["outcome"] == "failure"
    assert (
        "::error::goescape: this change introduces 1 new heap escape(s); see the report above"
        in result.log
    )
    assert "geom/geom.go:6: Make: &Point{...} escapes to heap" in result.log


def test_inputs_turn_off_failing_and_commenting(runner: Runner, repo: GitRepo) -> None:
    base, head = pull_request(repo, ESCAPING_GO)
    runner.event("pull_request", pr_event(7, base, head))

    result = runner.run(
        **{
            "fail-on-new-escapes": "false",
            "post-comments": "false",
            "upload-sarif": "false",
            "max-comments": "5",
            "category": "goescape/geom",
        }
    )

    assert not result.failed, result.log
    assert result.outputs["new-escapes"] == "1"
    assert not [s for s in result.steps.values() if "with" in s]  # no upload
    assert bot_call(runner)["argv"][2:] == ["--max-comments", "5", "--no-comments"]
    sarif = json.loads(Path(result.outputs["sarif-file"]).read_text(encoding="utf-8"))
    assert sarif["runs"][0]["automationDetails"]["id"].startswith("goescape/geom")
    assert "fail-on-new-escapes is off" in result.log


def test_pull_request_without_new_escapes_passes(runner: Runner, repo: GitRepo) -> None:
    base, head = pull_request(repo, BASE_GO.replace("p := Point{x, y}", "p := Point{y, x}"))
    runner.event("pull_request", pr_event(8, base, head))

    result = runner.run(**{"request-changes": "true"})

    assert not result.failed, result.log
    assert result.outputs["new-escapes"] == "0"
    assert bot_call(runner)["argv"][-1] == "--request-changes"
    assert "goescape: no new heap escapes" in result.log


def test_push_compares_with_the_previous_tip_and_comments_nowhere(
    runner: Runner, repo: GitRepo
) -> None:
    base, head = pull_request(repo, ESCAPING_GO)
    runner.event("push", {"before": base, "after": head}, sha=head)

    result = runner.run(**{"fail-on-new-escapes": "false"})

    assert not result.failed, result.log
    assert result.outputs["new-escapes"] == "1"
    assert result.steps["analyse"]["outputs"]["base-sha"] == base
    assert "pull-request" not in result.steps["analyse"]["outputs"]
    # The bot writes the job summary and annotations: no pull request, no comments.
    assert bot_call(runner)["argv"] == [
        "--sarif",
        result.outputs["sarif-file"],
        "--max-comments",
        "30",
        "--no-comments",
        "--head-sha",
        head,
    ]
    assert not (Path(result.outputs["report-dir"]) / "pull-request.json").exists()


def merge_group(repo: GitRepo) -> tuple[str, str]:
    """What a merge queue builds: main's tip, and the group's commit (main with `feature`
    merged) on a gh-readonly-queue branch. Returns (base_sha, head_sha)."""
    repo.git("switch", "-q", "main")
    main = repo.head()
    repo.git("switch", "-q", "-c", "gh-readonly-queue/main/pr-7-" + main)
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #7", "feature")
    return main, repo.head()


def merge_group_event(base: str, head: str) -> dict[str, Any]:
    return {
        "action": "checks_requested",
        "merge_group": {
            "head_sha": head,
            "head_ref": f"refs/heads/gh-readonly-queue/main/pr-7-{base}",
            "base_sha": base,
            "base_ref": "refs/heads/main",
            "head_commit": {"id": head, "message": "Merge pull request #7"},
        },
    }


def test_a_merge_group_is_analysed_against_its_base_and_fails_without_comments(
    runner: Runner, repo: GitRepo
) -> None:
    pull_request(repo, ESCAPING_GO)
    base, group = merge_group(repo)
    runner.event("merge_group", merge_group_event(base, group), sha=group)

    result = runner.run()

    assert result.failed  # a required check: the group does not merge
    assert result.outputs["new-escapes"] == "1"
    analyse = result.steps["analyse"]["outputs"]
    assert (analyse["base-sha"], analyse["head-sha"]) == (base, group)
    assert "pull-request" not in analyse
    (upload,) = [s for s in result.steps.values() if "with" in s]
    assert upload["with"]["sarif_file"] == analyse["upload-file"]
    assert bot_call(runner)["argv"][-3:] == ["--no-comments", "--head-sha", group]
    assert "::error::goescape: this change introduces 1 new heap escape(s)" in result.log
    assert result.steps["finish"]["outcome"] == "failure"


def test_a_merge_group_whose_base_is_not_fetched_fails_clearly(
    runner: Runner, repo: GitRepo
) -> None:
    pull_request(repo, ESCAPING_GO)
    _, group = merge_group(repo)
    runner.event("merge_group", merge_group_event("1" * 40, group), sha=group)

    result = runner.run()

    assert result.failed
    assert f"::error::the merge group's base {'1' * 40} is not in this checkout. " in result.log


def test_a_merge_group_with_the_real_bot_posts_nothing_on_github(
    runner: Runner, repo: GitRepo, tmp_path: Path
) -> None:
    """The report step as it runs: the real goescape-bot, GitHub's API a stand-in that
    records every request. The merge group gets a job summary, annotations, outputs and a
    failing exit; GitHub gets not one request."""
    from tests.bot.standin import openapi
    from tests.bot.standin.server import GitHubState, StandIn

    if not openapi.available():
        pytest.skip("GitHub's OpenAPI description is missing: run `npm ci`")
    pr_base, pr_head = pull_request(repo, ESCAPING_GO)
    base, group = merge_group(repo)
    runner.event("merge_group", merge_group_event(base, group), sha=group)
    real_bot = Path(sys.executable).with_name("goescape-bot")
    (runner.bin_dir / "goescape-bot").unlink()
    (runner.bin_dir / "goescape-bot").symlink_to(real_bot)
    state = GitHubState(repo.path, "octo", "widgets", 7, pr_base, pr_head)
    with StandIn(state) as api:
        runner.env["GITHUB_API_URL"] = api
        result = runner.run()

    assert state.requests == []
    assert result.failed
    assert result.outputs["new-escapes"] == "1"
    assert (
        "::warning file=geom/geom.go,line=6,title=goescape%3A new heap escape::"
        "&Point{...} escapes to heap in Make (heap escapes 0 -> 1)"
    ) in result.log
    summary = Path(runner.env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert f"Compared `{group[:12]}` with its merge base `{base[:12]}`." in summary
    assert "**1 new heap escape**" in summary


def test_a_new_branch_push_compares_with_the_parent(runner: Runner, repo: GitRepo) -> None:
    base, head = pull_request(repo, ESCAPING_GO)
    runner.event("push", {"before": "0" * 40, "after": head}, sha=head)

    result = runner.run(**{"fail-on-new-escapes": "false"})

    assert result.steps["analyse"]["outputs"]["base-sha"] == base, result.log


def test_extra_arguments_reach_goescape(runner: Runner, repo: GitRepo) -> None:
    base, head = pull_request(repo, ESCAPING_GO)
    runner.event("pull_request", pr_event(7, base, head))

    result = runner.run(args="--level bogus")

    assert result.failed
    assert result.steps["analyse"]["outcome"] == "failure"
    (line,) = [x for x in result.log.splitlines() if x.startswith("::error::")]
    assert line.startswith("::error::goescape could not analyse the change: ")
    assert "invalid choice: 'bogus'" in line
    assert result.steps["report"]["outcome"] == "skipped"


def test_bench_input_fails_the_job_when_allocations_rise(runner: Runner, repo: GitRepo) -> None:
    # Make allocates at head, suppressed in the source: only the measurement fails the job.
    head_go = ESCAPING_GO.replace("func Make", "//go:noinline\nfunc Make").replace(
        "p := &Point{x, y}", "p := &Point{x, y} //goescape:ignore pooled"
    )
    base, head = pull_request(repo, BASE_GO)
    repo.write(
        "geom/geom_test.go",
        """
        package geom

        import "testing"

        var total int

        func BenchmarkMake(b *testing.B) {
        	for i := 0; i < b.N; i++ {
        		total += Make(i, i).X
        	}
        }
        """,
    )
    base = repo.commit("benchmark")
    repo.write("geom/geom.go", head_go)
    head = repo.commit("allocate")
    runner.event("pull_request", pr_event(9, base, head))

    result = runner.run(bench="Make", args="--bench-time 3s")

    assert result.failed
    assert result.outputs["new-escapes"] == "0"
    assert result.outputs["regressed-benchmarks"] == "1"
    assert "example.com/m/geom BenchmarkMake: allocs/op 0.0 -> 1.0" in result.log
    assert (
        "::error::goescape: 1 benchmark(s) allocate more per op; see the report above" in result.log
    )
    sarif = json.loads(Path(result.outputs["sarif-file"]).read_text(encoding="utf-8"))
    (measured,) = sarif["runs"][0]["properties"]["benchmarks"]
    assert measured["regressed"] is True


def test_a_shallow_checkout_fails_clearly(runner: Runner, repo: GitRepo, tmp_path: Path) -> None:
    base, head = pull_request(repo, ESCAPING_GO)
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--branch", "feature", repo.path.as_uri(), shallow],
        check=True,
    )
    runner.workspace = shallow
    runner.env["GITHUB_WORKSPACE"] = str(shallow)
    runner.event("pull_request", pr_event(7, base, head))

    result = runner.run()

    assert result.failed
    (line,) = [x for x in result.log.splitlines() if x.startswith("::error::")]
    assert line == (
        f"::error::the pull request's base {base} is not in this checkout (this checkout is "
        "shallow). goescape compares against the base's history: check out with "
        "actions/checkout and `fetch-depth: 0`"
    )
    assert result.steps["report"]["outcome"] == "skipped"


def test_a_base_that_is_not_fetched_fails_clearly(runner: Runner, repo: GitRepo) -> None:
    _, head = pull_request(repo, ESCAPING_GO)
    runner.event("pull_request", pr_event(7, "1" * 40, head))

    result = runner.run()

    assert result.failed
    assert f"::error::the pull request's base {'1' * 40} is not in this checkout. " in result.log


def test_a_base_without_common_history_fails_clearly(runner: Runner, repo: GitRepo) -> None:
    _, head = pull_request(repo, ESCAPING_GO)
    repo.git("switch", "-q", "--orphan", "other")
    repo.write("README", "unrelated\n")
    other = repo.commit("unrelated")

    runner.event("pull_request", pr_event(7, other, head))
    result = runner.run()

    assert result.failed
    assert f"::error::{other[:12]} and {head[:12]} have no common history" in result.log


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"category": "a b"}, "::error::input category 'a b': use letters"),
        ({"level": "fatal"}, "::error::input level must be warning or error, not 'fatal'"),
        ({"working-directory": "nope"}, "::error::input working-directory: "),
        ({"args": "--tags 'x"}, "::error::input args: No closing quotation"),
    ],
)
def test_bad_inputs_fail_with_one_line(
    runner: Runner, repo: GitRepo, inputs: dict[str, str], message: str
) -> None:
    base, head = pull_request(repo, ESCAPING_GO)
    runner.event("pull_request", pr_event(7, base, head))

    result = runner.run(**inputs)

    assert result.failed
    assert result.steps["analyse"]["outcome"] == "failure"
    errors = [x for x in result.log.splitlines() if x.startswith("::error::")]
    assert len(errors) == 1
    assert errors[0].startswith(message)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"post-comments": "maybe"}, "::error::input post-comments must be true or false"),
        ({"max-comments": "many"}, "::error::input max-comments must be a whole number"),
        ({"fail-on-new-escapes": "sure"}, "::error::input fail-on-new-escapes must be"),
    ],
)
def test_bad_flags_fail_with_one_line(
    runner: Runner, repo: GitRepo, inputs: dict[str, str], message: str
) -> None:
    base, head = pull_request(repo, BASE_GO.replace("p := Point{x, y}", "p := Point{y, x}"))
    runner.event("pull_request", pr_event(8, base, head))

    result = runner.run(**inputs)

    assert result.failed
    errors = [x for x in result.log.splitlines() if x.startswith("::error::")]
    assert len(errors) == 1
    assert errors[0].startswith(message)


def test_the_repository_configuration_applies(runner: Runner, repo: GitRepo) -> None:
    base, _ = pull_request(repo, ESCAPING_GO)
    repo.write(".goescape.toml", 'exclude = ["geom/geom.go"]\n')
    repo.commit("configuration")
    runner.event("pull_request", pr_event(7, base, repo.head()))

    result = runner.run()

    assert not result.failed, result.log
    assert result.outputs["new-escapes"] == "0"
    sarif = json.loads(Path(result.outputs["sarif-file"]).read_text(encoding="utf-8"))
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == [
        "geom/geom.go skipped: excluded by .goescape.toml: geom/geom.go."
    ]


def monorepo_pull_request(repo: GitRepo) -> tuple[str, str]:
    """Two modules, services/api and services/worker; a branch escaping in both."""
    for name in ("api", "worker"):
        repo.go_module(f"example.com/{name}", f"services/{name}")
        repo.write(f"services/{name}/geom/geom.go", BASE_GO)
    base = repo.commit("base")
    repo.git("switch", "-q", "-c", "feature")
    for name in ("api", "worker"):
        repo.write(f"services/{name}/geom/geom.go", ESCAPING_GO)
    return base, repo.commit("change")


def test_list_modules_gives_the_matrix_and_nothing_else(runner: Runner, repo: GitRepo) -> None:
    base, head = monorepo_pull_request(repo)
    runner.event("pull_request", pr_event(7, base, head))

    result = runner.run(**{"list-modules": "true"})

    assert not result.failed, result.log
    assert json.loads(result.outputs["modules"]) == [
        {
            "directory": f"services/{name}",
            "module": f"example.com/{name}",
            "category": f"goescape/services/{name}/",
        }
        for name in ("api", "worker")
    ]
    assert "goescape: 2 changed module(s): services/api, services/worker" in result.log
    assert result.outputs["sarif-file"] == ""
    assert [s for s in result.steps.values() if "with" in s] == []  # no upload
    assert result.steps["report"]["outcome"] == "skipped"
    assert result.steps["finish"]["outcome"] == "skipped"
    assert bot_call(runner) == {}


def test_a_matrix_job_analyses_its_own_module(runner: Runner, repo: GitRepo) -> None:
    """As goescape-monorepo.yml runs it: the module's directory, `args: .`, its category."""
    base, head = monorepo_pull_request(repo)
    runner.event("pull_request", pr_event(7, base, head))
    workflow = load(ROOT / "examples" / "workflows" / "goescape-monorepo.yml")
    (step,) = [s for s in workflow["jobs"]["goescape"]["steps"] if "goescape/" in s["uses"]]
    matrix = {"directory": "services/worker", "category": "goescape/services/worker/"}
    inputs = {k: substitute(str(v), {"matrix": matrix}) for k, v in step["with"].items()}
    assert inputs == {
        "working-directory": "services/worker",
        "args": ".",
        "category": "goescape/services/worker/",
        "post-comments": "False",  # YAML's false, as a runner passes it: "false"
    }
    inputs["post-comments"] = "false"

    result = runner.run(**inputs)

    assert result.failed  # the module's new escape fails the job
    assert result.outputs["new-escapes"] == "1"
    sarif = json.loads(Path(result.outputs["sarif-file"]).read_text(encoding="utf-8"))
    run = sarif["runs"][0]
    assert run["automationDetails"]["id"] == "goescape/services/worker/"
    (new,) = [r for r in run["results"] if r.get("baselineState") == "new"]
    location = new["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert location == "services/worker/geom/geom.go"


def run_install_without_go(tmp_path: Path, action_path: Path, **env: str) -> tuple[int, str]:
    step = next(s for s in load(ACTION)["runs"]["steps"] if s["id"] == "install")
    path_dir = tmp_path / "path"
    path_dir.mkdir()
    for name in ("python3", "bash", "mktemp"):  # everything but go
        found = shutil.which(name)
        assert found
        (path_dir / name).symlink_to(found)
    proc = subprocess.run(
        ["/bin/bash", "-eo", "pipefail", "-c", step["run"]],
        env={
            "PATH": str(path_dir),
            "GITHUB_ACTION_PATH": str(action_path),
            "RUNNER_TEMP": str(tmp_path),
            "GITHUB_OUTPUT": str(tmp_path / "out"),
            "GOESCAPE_REPORT_DIR": "",
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_install_refuses_to_go_on_without_go(tmp_path: Path) -> None:
    code, output = run_install_without_go(tmp_path, ROOT)
    assert code == 1
    assert output == "::error::goescape needs Go: run actions/setup-go before this action\n"
    assert not (tmp_path / "out").exists()


def test_listing_modules_needs_no_go(tmp_path: Path) -> None:
    # An Action folder with nothing to install makes pip fail at once: past the Go check.
    empty = tmp_path / "action"
    empty.mkdir()
    code, output = run_install_without_go(tmp_path, empty, GOESCAPE_LIST_MODULES="true")
    assert code != 0
    assert "needs Go" not in output
    assert str(empty) in output  # pip's complaint about the folder


# --- report mode: a workflow_run posting an artifact ---------------------------------------


class FakeGitHub(http.server.BaseHTTPRequestHandler):
    pulls: dict[int, dict[str, Any]] = {}  # noqa: RUF012 (set per test)
    requests: list[tuple[str, str]] = []  # noqa: RUF012

    def do_GET(self) -> None:
        type(self).requests.append((self.path, self.headers.get("Authorization", "")))
        m = re.fullmatch(r"/repos/octo/widgets/pulls/(\d+)", self.path)
        pr = self.pulls.get(int(m.group(1))) if m else None
        body = json.dumps(pr if pr else {"message": "Not Found"}).encode()
        self.send_response(200 if pr else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def github(runner: Runner) -> Iterator[type[FakeGitHub]]:
    handler = type("Handler", (FakeGitHub,), {"pulls": {}, "requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    runner.env["GITHUB_API_URL"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield handler
    server.shutdown()
    server.server_close()


HEAD, BASE, NEWER = "a" * 40, "b" * 40, "c" * 40


def artifact(tmp_path: Path, meta: Any, sarif: str = '{"runs": []}') -> Path:
    directory = tmp_path / "artifact"
    directory.mkdir()
    (directory / "pull-request.json").write_text(json.dumps(meta), encoding="utf-8")
    (directory / "goescape.sarif").write_text(sarif, encoding="utf-8")
    return directory


def workflow_run_event(runner: Runner, head: str = HEAD, event: str = "pull_request") -> None:
    runner.event("workflow_run", {"workflow_run": {"event": event, "head_sha": head}}, "d" * 40)


def test_report_mode_posts_a_checked_report(
    runner: Runner, github: type[FakeGitHub], tmp_path: Path
) -> None:
    github.pulls[7] = {"number": 7, "head": {"sha": HEAD}, "base": {"sha": BASE}}
    directory = artifact(tmp_path, {"number": 7, "head_sha": HEAD, "base_sha": "ignored"})
    workflow_run_event(runner)
    runner.env["BOT_NEW_ESCAPES"] = "2"

    result = runner.run(**{"report-dir": str(directory), "fail-on-new-escapes": "false"})

    assert not result.failed, result.log
    assert github.requests == [("/repos/octo/widgets/pulls/7", "Bearer ghs_test_token")]
    assert result.steps["analyse"]["outcome"] == "skipped"
    assert not [s for s in result.steps.values() if "with" in s]  # nothing to upload
    assert bot_call(runner)["argv"] == [
        "--sarif",
        str(directory / "goescape.sarif"),
        "--max-comments",
        "30",
        "--pr",
        "7",
        "--head-sha",
        HEAD,
        "--base-sha",
        BASE,
    ]
    assert result.outputs["new-escapes"] == "2"
    assert result.outputs["sarif-file"] == str(directory / "goescape.sarif")


def test_report_mode_skips_a_pull_request_that_moved_on(
    runner: Runner, github: type[FakeGitHub], tmp_path: Path
) -> None:
    github.pulls[7] = {"number": 7, "head": {"sha": NEWER}, "base": {"sha": BASE}}
    directory = artifact(tmp_path, {"number": 7, "head_sha": HEAD})
    workflow_run_event(runner)

    result = runner.run(**{"report-dir": str(directory)})

    assert not result.failed, result.log
    assert "::notice::goescape: pull request #7 is at cccccccccccc, not aaaaaaaaaaaa" in result.log
    assert result.steps["report"]["outcome"] == "skipped"
    assert result.outputs["new-escapes"] == "0"


@pytest.mark.parametrize(
    ("meta", "run_head", "message"),
    [
        ({"number": 7, "head_sha": NEWER}, HEAD, "the report is for commit cccccccccccc but"),
        ({"number": "7; rm -rf /", "head_sha": HEAD}, HEAD, "number must be a positive integer"),
        ({"number": True, "head_sha": HEAD}, HEAD, "number must be a positive integer"),
        ({"number": 7, "head_sha": "HEAD"}, HEAD, "head_sha must be a full commit sha"),
        ({"number": 9, "head_sha": HEAD}, HEAD, "GET pull request #9: HTTP 404"),
    ],
)
def test_report_mode_refuses_a_report_it_cannot_trust(
    runner: Runner,
    github: type[FakeGitHub],
    tmp_path: Path,
    meta: dict[str, Any],
    run_head: str,
    message: str,
) -> None:
    github.pulls[7] = {"number": 7, "head": {"sha": HEAD}, "base": {"sha": BASE}}
    directory = artifact(tmp_path, meta)
    workflow_run_event(runner, run_head)

    result = runner.run(**{"report-dir": str(directory)})

    assert result.failed
    (line,) = [x for x in result.log.splitlines() if x.startswith("::error::")]
    assert message in line
    assert "ghs_test_token" not in result.log
    assert bot_call(runner) == {}


def test_report_mode_refuses_a_symlinked_sarif(
    runner: Runner, github: type[FakeGitHub], tmp_path: Path
) -> None:
    directory = artifact(tmp_path, {"number": 7, "head_sha": HEAD})
    (directory / "goescape.sarif").unlink()
    (directory / "goescape.sarif").symlink_to("/etc/passwd")
    workflow_run_event(runner)

    result = runner.run(**{"report-dir": str(directory)})

    assert result.failed
    assert "goescape.sarif is missing (or not a regular file)" in result.log
    assert github.requests == []


def test_report_mode_needs_a_pull_request_run(
    runner: Runner, github: type[FakeGitHub], tmp_path: Path
) -> None:
    directory = artifact(tmp_path, {"number": 7, "head_sha": HEAD})
    workflow_run_event(runner, event="push")

    result = runner.run(**{"report-dir": str(directory)})

    assert result.failed
    assert "::error::the analysing run was started by 'push', not pull_request" in result.log


# --- pure parts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "expected_user_args"),
    [
        ("", []),
        ("--tests", ["--tests"]),
        ("--tags 'integration linux' --leaks", ["--tags", "integration linux", "--leaks"]),
        ("$(touch /tmp/pwned) *", ["$(touch", "/tmp/pwned)", "*"]),  # nothing is expanded
    ],
)
def test_goescape_command_puts_the_users_arguments_first(
    extra: str, expected_user_args: list[str]
) -> None:
    cmd = goescape_command(
        ["goescape"],
        extra=extra,
        directory="/w",
        base="b",
        head="h",
        sarif=Path("/t/full.sarif"),
        upload=Path("/t/up.sarif"),
        category="goescape/",
        level="warning",
    )
    n = len(expected_user_args)
    assert cmd[1 : 1 + n] == expected_user_args
    assert cmd[1 + n :] == [
        "-C",
        "/w",
        "--base",
        "b",
        "--head",
        "h",
        "--sarif",
        "/t/full.sarif",
        "--sarif-upload",
        "/t/up.sarif",
        "--category",
        "goescape/",
        "--level",
        "warning",
        "--format",
        "json",
    ]


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain", "plain"),
        ("100%", "100%25"),
        ("a\n::error::forged", "a%0A::error::forged"),
        ("a\r\nb", "a%0D%0Ab"),
    ],
)
def test_workflow_command_messages_cannot_start_another_command(text: str, escaped: str) -> None:
    assert escape_data(text) == escaped
