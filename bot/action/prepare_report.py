"""Step `prepare` of the Action in report mode (input report-dir): post a report that an
earlier `pull_request` run made, from a `workflow_run` workflow that never checks out the
pull request's code (the fork-safe pair of workflows).

Everything in the report directory came from a run of code the pull request's author
controls, so nothing in it is trusted: the pull request number must be a number, and the
pull request GitHub returns for it must have as head the commit that `workflow_run` says the
analysis ran on (GitHub sets that, not the run). The bot then reports on that pull request
with the commits GitHub gave, not the artifact's.

Environment: GOESCAPE_REPORT_DIR (input), GITHUB_TOKEN, GITHUB_API_URL, GITHUB_REPOSITORY,
GITHUB_EVENT_PATH (the workflow_run event), GITHUB_OUTPUT.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .analyse import PULL_REQUEST_NAME, SARIF_NAME
from .runner import StepError, error, notice, set_outputs

_SHA = re.compile(r"[0-9a-f]{40}")
_REPOSITORY = re.compile(r"[\w.-]+/[\w.-]+")
_MAX_REPORT_BYTES = 64 * 1024 * 1024


def read_report(directory: Path) -> tuple[int, str, Path]:
    """(pull request number, head sha, SARIF path) from a report directory, validated."""
    meta_path, sarif = directory / PULL_REQUEST_NAME, directory / SARIF_NAME
    for path in (meta_path, sarif):
        # An artifact could carry a symlink to a file of the runner's.
        if path.is_symlink() or not path.is_file():
            raise StepError(f"input report-dir: {path} is missing (or not a regular file)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise StepError(f"{meta_path}: not JSON: {err}") from None
    number = meta.get("number") if isinstance(meta, dict) else None
    head = meta.get("head_sha") if isinstance(meta, dict) else None
    if type(number) is not int or number <= 0:
        raise StepError(f"{meta_path}: number must be a positive integer")
    if not isinstance(head, str) or not _SHA.fullmatch(head):
        raise StepError(f"{meta_path}: head_sha must be a full commit sha")
    if sarif.stat().st_size > _MAX_REPORT_BYTES:
        raise StepError(f"{sarif}: larger than {_MAX_REPORT_BYTES} bytes")
    return number, head, sarif


def trusted_head(env: Mapping[str, str]) -> str:
    """The commit GitHub says the analysing run was for (from the workflow_run event)."""
    path = env.get("GITHUB_EVENT_PATH", "")
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise StepError(f"cannot read the event file {path!r}: {err}") from None
    run = payload.get("workflow_run") if isinstance(payload, dict) else None
    if not isinstance(run, dict):
        raise StepError("report-dir is for a workflow started by `workflow_run`")
    if run.get("event") != "pull_request":
        raise StepError(f"the analysing run was started by {run.get('event')!r}, not pull_request")
    head = run.get("head_sha")
    if not isinstance(head, str) or not _SHA.fullmatch(head):
        raise StepError("the workflow_run event has no head_sha")
    return head


def fetch_pull_request(env: Mapping[str, str], number: int) -> dict[str, Any]:
    api = (env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/")
    repository = env.get("GITHUB_REPOSITORY", "")
    token = env.get("GITHUB_TOKEN", "")
    if not _REPOSITORY.fullmatch(repository):
        raise StepError("GITHUB_REPOSITORY is not set")
    if not token:
        raise StepError("no token: set the token input")
    request = urllib.request.Request(
        f"{api}/repos/{repository}/pulls/{number}",
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "goescape-action",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            pr = json.load(response)
    except urllib.error.HTTPError as err:
        raise StepError(f"GET pull request #{number}: HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, TimeoutError, ValueError) as err:
        raise StepError(f"GET pull request #{number}: {err}") from None
    if not isinstance(pr, dict) or not isinstance(pr.get("head"), dict):
        raise StepError(f"GET pull request #{number}: unexpected answer")
    return pr


def run(env: Mapping[str, str]) -> int:
    directory = Path(env.get("GOESCAPE_REPORT_DIR", "").strip())
    if not str(directory) or not directory.is_dir():
        raise StepError(f"input report-dir: {directory} is not a directory")
    number, head, sarif = read_report(directory)
    expected = trusted_head(env)
    if head != expected:
        raise StepError(
            f"the report is for commit {head[:12]} but the analysing run was for "
            f"{expected[:12]}: not posting it"
        )
    pr = fetch_pull_request(env, number)
    if pr["head"].get("sha") != expected:
        # A newer push (or a report naming another pull request): the run for the
        # pull request's current head reports, this one would anchor to stale lines.
        notice(
            f"goescape: pull request #{number} is at {str(pr['head'].get('sha'))[:12]}, "
            f"not {expected[:12]}: skipping this report"
        )
        set_outputs(env, {"skip": "true"})
        return 0
    base = pr.get("base", {}).get("sha") if isinstance(pr.get("base"), dict) else None
    set_outputs(
        env,
        {
            "skip": "false",
            "sarif-file": str(sarif.resolve()),
            "pull-request": str(number),
            "head-sha": expected,
            "base-sha": base if isinstance(base, str) and _SHA.fullmatch(base) else "",
        },
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    del argv
    try:
        return run(os.environ)
    except StepError as err:
        error(str(err))
        return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
