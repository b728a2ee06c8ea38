"""The pull request a run is about, from the Actions event file or from options. Pure but for
reading the event file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, NamedTuple

from goescape.errors import FatalError

PR_EVENTS = frozenset({"pull_request", "pull_request_target"})
# Events with no pull request to comment on: the bot writes the job summary and annotations.
NO_PR_EVENTS = frozenset({"merge_group", "push"})
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


class PullRequest(NamedTuple):
    number: int
    head_sha: str  # comments anchor to this commit, not the merge commit checked out
    base_sha: str  # "" when unknown (--pr without an event)
    head_repo: str  # owner/name of the head; differs from the base repository for forks
    repository: str  # owner/name the pull request belongs to


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def check_sha(value: str, what: str) -> str:
    if not _SHA.fullmatch(value):
        raise FatalError(f"goescape-bot: {what} {value!r} is not a full commit sha")
    return value


def check_repository(value: str) -> str:
    if not _REPO.fullmatch(value):
        raise FatalError(f"goescape-bot: repository {value!r} is not owner/name")
    return value


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FatalError(f"goescape-bot: event file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FatalError(f"goescape-bot: cannot read event file {path}: {err}") from None


def from_event(path: Path, event_name: str, repository: str) -> PullRequest:
    """The pull request of a `pull_request` (or `pull_request_target`) event file."""
    if event_name and event_name not in PR_EVENTS:
        raise FatalError(
            f"goescape-bot: the {event_name} event is not a pull request; "
            "run on pull_request, or pass --pr and --head-sha (or --no-comments)"
        )
    data = _load(path)
    pr = _get(data, "pull_request")
    number = _get(pr, "number")
    head = _get(pr, "head", "sha")
    if not isinstance(number, int) or not isinstance(head, str):
        raise FatalError(
            f"goescape-bot: {path} is not a pull_request event; "
            "run on pull_request, or pass --pr and --head-sha"
        )
    base = _get(pr, "base", "sha")
    base_repo = _get(pr, "base", "repo", "full_name") or repository
    head_repo = _get(pr, "head", "repo", "full_name") or base_repo
    return PullRequest(
        number=number,
        head_sha=check_sha(head, "pull_request.head.sha"),
        base_sha=base if isinstance(base, str) and _SHA.fullmatch(base) else "",
        head_repo=str(head_repo),
        repository=check_repository(str(base_repo)),
    )


def from_options(number: int, head_sha: str, base_sha: str, repository: str) -> PullRequest:
    """--pr/--head-sha, e.g. from a `workflow_run` that posts what a fork's run analysed."""
    if number <= 0:
        raise FatalError(f"goescape-bot: --pr {number} is not a pull request number")
    return PullRequest(
        number=number,
        head_sha=check_sha(head_sha, "--head-sha"),
        base_sha=check_sha(base_sha, "--base-sha") if base_sha else "",
        head_repo=repository,
        repository=check_repository(repository),
    )


class Settings(NamedTuple):
    """What a run is about, checked before the first request."""

    pr: PullRequest | None  # None: nothing to comment on (merge group, push, --no-comments)
    token: str  # "" when no request is made
    repository: str
    head_sha: str  # what comments anchor to and links show; "" for a working-tree report
    base_sha: str  # "" when unknown: the SARIF's merge base stands in


class Commits(NamedTuple):
    head_sha: str  # "" when the event names none
    base_sha: str


def commits_of(path: Path, event_name: str) -> Commits:
    """The commits any event the Action runs on names: a pull request's head and base, a
    merge group's head and the base branch's tip it was built on, a push's new and old tip.
    Full shas only; anything else reads as "" (the caller falls back on the SARIF's)."""
    data = _load(path)

    def sha(*keys: str) -> str:
        value = _get(data, *keys)
        return value if isinstance(value, str) and _SHA.fullmatch(value) else ""

    if event_name == "merge_group" or isinstance(_get(data, "merge_group"), dict):
        return Commits(sha("merge_group", "head_sha"), sha("merge_group", "base_sha"))
    if isinstance(_get(data, "pull_request"), dict):
        return Commits(sha("pull_request", "head", "sha"), sha("pull_request", "base", "sha"))
    return Commits(sha("after"), sha("before"))
