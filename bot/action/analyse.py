"""Step `analyse` of the Action: check the checkout's history, run goescape, set outputs.

Inputs arrive as environment variables (action.yml maps each `inputs.*` through `env:`):
GOESCAPE_BASE, GOESCAPE_WORKING_DIRECTORY, GOESCAPE_CATEGORY, GOESCAPE_LEVEL, GOESCAPE_ARGS,
GOESCAPE_BENCH, GOESCAPE_LIST_MODULES (then the step only lists the changed modules, for a
job matrix).
The rest is what a runner provides: GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_SHA,
GITHUB_WORKSPACE, GITHUB_OUTPUT, RUNNER_TEMP.

goescape's exit 1 (new escapes) does not fail this step: the Action uploads and reports
first and fails at its end. Anything that keeps goescape from doing its job does.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from .runner import StepError, error, flag, make_temp_dir, notice, set_outputs, warning

ZERO_SHA = "0" * 40
HISTORY_HINT = (
    "goescape compares against the base's history: check out with actions/checkout "
    "and `fetch-depth: 0`"
)
SARIF_NAME = "goescape.sarif"  # the full SARIF, which the bot reads
UPLOAD_NAME = "goescape-upload.sarif"  # new escapes only, for code scanning
PULL_REQUEST_NAME = "pull-request.json"  # number and commits, for a workflow_run to post
_CATEGORY = re.compile(r"[\w./:@+-]{1,200}")


class Event(NamedTuple):
    """What goescape needs from the event that started the workflow."""

    name: str
    pr_number: int | None  # None unless a pull request event
    pr_base: str  # the pull request's base sha, or the merge group's
    head: str  # the commit to analyse
    before: str  # a push's previous tip ("" if none)
    base_what: str = "the pull request's base"  # for messages


def read_event(env: Mapping[str, str]) -> Event:
    name = env.get("GITHUB_EVENT_NAME", "")
    payload: dict[str, Any] = {}
    path = env.get("GITHUB_EVENT_PATH")
    if path:
        try:
            payload = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise StepError(f"cannot read the event file {path}: {err}") from None
    group = payload.get("merge_group")
    if isinstance(group, dict):
        # A merge queue's group: its head commit (the base branch with the queued pull
        # requests merged) against the base branch's tip it was built on. There is no pull
        # request to comment on; the report goes to the job summary and annotations.
        return Event(
            name=name,
            pr_number=None,
            pr_base=str(group.get("base_sha", "")),
            head=str(group.get("head_sha", "")) or env.get("GITHUB_SHA", "") or "HEAD",
            before="",
            base_what="the merge group's base",
        )
    pr = payload.get("pull_request")
    if isinstance(pr, dict):
        number = pr.get("number", payload.get("number"))
        return Event(
            name=name,
            pr_number=number if isinstance(number, int) else None,
            pr_base=str(pr.get("base", {}).get("sha", "")),
            # Not the merge commit actions/checkout checks out: review comments anchor to
            # the head, so its line numbers are the ones to report.
            head=str(pr.get("head", {}).get("sha", "")),
            before="",
        )
    before = str(payload.get("before") or "")
    return Event(
        name=name,
        pr_number=None,
        pr_base="",
        head=env.get("GITHUB_SHA", "") or "HEAD",
        before="" if before == ZERO_SHA else before,
    )


def goescape_command(
    goescape: Sequence[str],
    *,
    extra: str,
    directory: str,
    base: str,
    head: str,
    sarif: Path,
    upload: Path,
    category: str,
    level: str,
    bench: str = "",
) -> list[str]:
    """The goescape command line. The user's extra arguments come first so that the ones the
    Action depends on (base, head, where the SARIF goes, JSON on stdout) win."""
    try:
        user = shlex.split(extra)
    except ValueError as err:
        raise StepError(f"input args: {err}") from None
    return [
        *goescape,
        *user,
        "-C",
        directory,
        "--base",
        base,
        "--head",
        head,
        "--sarif",
        str(sarif),
        "--sarif-upload",
        str(upload),
        "--category",
        category,
        "--level",
        level,
        "--format",
        "json",
        *(["--bench", bench] if bench else []),
    ]


def check_inputs(env: Mapping[str, str]) -> tuple[str, str]:
    category = env.get("GOESCAPE_CATEGORY", "").strip() or "goescape/"
    if not _CATEGORY.fullmatch(category):
        raise StepError(f"input category {category!r}: use letters, digits and ./:@+-_ only")
    level = env.get("GOESCAPE_LEVEL", "").strip() or "warning"
    if level not in ("warning", "error"):
        raise StepError(f"input level must be warning or error, not {level!r}")
    return category, level


class Git:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args],
            cwd=self.cwd,
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
        )

    def commit(self, ref: str) -> str | None:
        proc = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
        return proc.stdout.strip() if proc.returncode == 0 else None

    def shallow(self) -> bool:
        return self.run("rev-parse", "--is-shallow-repository").stdout.strip() == "true"


def _missing(what: str, ref: str, shallow: bool) -> StepError:
    why = " (this checkout is shallow)" if shallow else ""
    return StepError(f"{what} {ref} is not in this checkout{why}. {HISTORY_HINT}")


def resolve(git: Git, event: Event, input_base: str) -> tuple[str, str] | None:
    """(base, head) as full shas; None when there is nothing to compare with."""
    shallow = git.shallow()
    head = git.commit(event.head)
    if head is None:
        raise _missing("the commit to analyse", event.head, shallow)
    if input_base:
        base = git.commit(input_base)
        if base is None:
            raise _missing("the base", input_base, shallow)
    elif event.pr_number is not None or event.pr_base:
        base = git.commit(event.pr_base) if event.pr_base else None
        if base is None:
            raise _missing(event.base_what, event.pr_base or "(none)", shallow)
    else:
        # A push: compare with the previous tip, or with the parent after a force push
        # (the old tip is gone) or on a new branch.
        base = (git.commit(event.before) if event.before else None) or git.commit(f"{head}^")
        if base is None:
            return None
    if git.run("merge-base", base, head).returncode != 0:
        raise StepError(
            f"{base[:12]} and {head[:12]} have no common history in this checkout"
            f"{' (it is shallow)' if shallow else ''}. {HISTORY_HINT}"
        )
    if shallow:
        warning(f"this checkout is shallow; if results look wrong, {HISTORY_HINT}")
    return base, head


def _report_regressed(doc: Mapping[str, Any]) -> int:
    """Benchmarks whose allocs/op rose (`bench` input), each printed as one line."""
    regressed = 0
    for b in doc.get("benchmarks", []):
        if isinstance(b, dict) and b.get("regressed"):
            regressed += 1
            base, head = b.get("base") or {}, b.get("head") or {}
            print(
                f"{b.get('package')} {b.get('name')}: allocs/op "
                f"{base.get('allocs_per_op')} -> {head.get('allocs_per_op')}"
            )
    return regressed


def _report_counted(doc: Mapping[str, Any]) -> int:
    summary = doc.get("summary")
    counted = summary.get("counted") if isinstance(summary, dict) else None
    if not isinstance(counted, int):
        raise StepError("goescape's JSON report has no summary.counted")
    for finding in doc.get("counted", []):
        fn = finding.get("function", {}).get("display", "?")
        print(f"{finding.get('path')}:{finding.get('line')}: {fn}: {finding.get('message')}")
    return counted


def _counted_words(doc: Mapping[str, Any], counted: int) -> str:
    """ "2 new heap escapes and 1 new leaking param": a leak (counted with --leaks) is never
    called a heap escape."""
    summary = doc.get("summary", {})
    leaks = summary.get("counted_leaks", 0) if isinstance(summary, dict) else 0
    leaks = leaks if isinstance(leaks, int) else 0
    heap = counted - leaks
    parts = [f"{heap} new heap escape{'s' * (heap != 1)}"] if heap or not leaks else []
    if leaks:
        parts.append(f"{leaks} new leaking param{'s' * (leaks != 1)}")
    return " and ".join(parts)


def list_modules(
    goescape: Sequence[str], env: Mapping[str, str], directory: Path, base: str, head: str
) -> str:
    """`goescape modules --format json` for the change (the user's args go to it)."""
    try:
        user = shlex.split(env.get("GOESCAPE_ARGS", ""))
    except ValueError as err:
        raise StepError(f"input args: {err}") from None
    cmd = [*goescape, "modules", *user, "-C", str(directory), "--base", base, "--head", head]
    proc = _run_goescape([*cmd, "--format", "json"], env, "list the changed modules", ok=(0,))
    try:
        found = json.loads(proc.stdout)
    except ValueError:
        raise StepError("goescape modules did not print JSON") from None
    if not isinstance(found, list):
        raise StepError("goescape modules did not print a list")
    names = ", ".join(str(m.get("directory")) for m in found if isinstance(m, dict))
    print(f"goescape: {len(found)} changed module(s){': ' + names if names else ''}", flush=True)
    return json.dumps(found, separators=(",", ":"), ensure_ascii=False)


def _run_goescape(
    cmd: Sequence[str], env: Mapping[str, str], task: str, *, ok: tuple[int, ...]
) -> subprocess.CompletedProcess[str]:
    """Run a goescape command, its stderr passed on to the job log; an exit code not in `ok`
    is a StepError naming its last message line."""
    proc = subprocess.run(
        list(cmd),
        capture_output=True,
        text=True,
        check=False,
        env=dict(env),
        stdin=subprocess.DEVNULL,
    )
    sys.stderr.write(proc.stderr)
    sys.stderr.flush()
    if proc.returncode not in ok:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit code {proc.returncode}, no message"
        raise StepError(f"goescape could not {task}: {reason}")
    return proc


def run(env: Mapping[str, str], goescape: Sequence[str]) -> int:
    event = read_event(env)
    category, level = check_inputs(env)
    modules_only = flag(env, "GOESCAPE_LIST_MODULES", "list-modules")
    workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd())
    directory = workspace / (env.get("GOESCAPE_WORKING_DIRECTORY", "").strip() or ".")
    if not directory.is_dir():
        raise StepError(f"input working-directory: {directory} is not a directory")
    git = Git(directory)
    if git.run("rev-parse", "--git-dir").returncode != 0:
        raise StepError(f"{directory} is not in a git repository: run actions/checkout first")
    commits = resolve(git, event, env.get("GOESCAPE_BASE", "").strip())
    if commits is None:
        notice("goescape: no earlier commit to compare with; nothing to analyse")
        set_outputs(
            env, {"modules": "[]"} if modules_only else {"new-escapes": "0", "exit-code": "0"}
        )
        return 0
    base, head = commits
    if modules_only:
        found = list_modules(goescape, env, directory, base, head)
        set_outputs(env, {"modules": found, "base-sha": base, "head-sha": head})
        return 0
    out = make_temp_dir(env, "goescape-")
    sarif, upload = out / SARIF_NAME, out / UPLOAD_NAME
    cmd = goescape_command(
        goescape,
        extra=env.get("GOESCAPE_ARGS", ""),
        directory=str(directory),
        base=base,
        head=head,
        sarif=sarif,
        upload=upload,
        category=category,
        level=level,
        bench=env.get("GOESCAPE_BENCH", "").strip(),
    )
    print(f"goescape: {base[:12]}..{head[:12]} in {directory}", flush=True)
    proc = _run_goescape(cmd, env, "analyse the change", ok=(0, 1))
    try:
        doc = json.loads(proc.stdout)
    except ValueError:
        raise StepError("goescape did not print its JSON report") from None
    counted = _report_counted(doc)
    print(f"goescape: {_counted_words(doc, counted)}", flush=True)
    regressed = _report_regressed(doc)
    outputs = {
        "new-escapes": str(counted),
        "regressed-benchmarks": str(regressed),
        "exit-code": str(proc.returncode),
        "sarif-file": str(sarif),
        "report-dir": str(out),
        "base-sha": base,
        "head-sha": head,
    }
    if upload.is_file():
        outputs["upload-file"] = str(upload)
    if event.pr_number is not None:
        outputs["pull-request"] = str(event.pr_number)
        (out / PULL_REQUEST_NAME).write_text(
            json.dumps({"number": event.pr_number, "head_sha": head, "base_sha": base}) + "\n",
            encoding="utf-8",
        )
    set_outputs(env, outputs)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    # The venv's goescape sits beside the venv's python that runs this script.
    goescape = list(argv) if argv else [str(Path(sys.executable).with_name("goescape"))]
    try:
        return run(os.environ, goescape)
    except StepError as err:
        error(str(err))
        return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
