"""The only module that talks to GitHub, through PyGithub.

PyGithub's own retries are off: a POST retried blindly after a 502 can post twice (GitHub
sometimes creates the review and still answers 5xx). Here a request is retried on rate
limits (GitHub did not act on it) and on 5xx/connection errors only after checking that a
write did not land; waits honour `Retry-After` and rate-limit resets, up to a cap. A rate
limit longer than the cap raises RateLimited, which the caller turns into what it can still
do (annotations, the job summary), never into a failed job that said nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple, TypeVar

import requests
from github import Auth, Github, GithubException
from github.Commit import Commit
from github.PullRequest import ReviewComment as ReviewCommentInput
from goescape.errors import FatalError

from .event import PullRequest

T = TypeVar("T")

# GitHub's advice for a secondary rate limit that names no time: wait at least a minute.
SECONDARY_WAIT = 60.0


class RetryPolicy(NamedTuple):
    attempts: int = 5  # tries per request, the first included
    backoff: float = 2.0  # seconds before the first retry; doubled each time
    max_wait: float = 120.0  # longest single wait; a longer Retry-After or reset gives up
    sleep: Callable[[float], None] = time.sleep


class WriteForbidden(Exception):
    """The token may read but not write: a fork's pull request, or missing permissions."""


class ReviewRejected(Exception):
    """GitHub answered 422 to a review: it refuses the whole review, usually because some
    comment's line is not part of the diff, without saying which."""


class RateLimited(Exception):
    """GitHub's rate limit would outlast --max-wait (or the retries): nothing more can be
    written in this run. `str()` is one line."""


class Unavailable(FatalError):
    """GitHub kept failing (5xx, no connection) after every retry."""


class Author(NamedTuple):
    login: str
    is_bot: bool  # a GitHub App or GitHub Actions, not a person


class ReviewComment(NamedTuple):
    id: int
    body: str
    in_reply_to: int | None
    author: Author = Author("", False)
    path: str = ""
    line: int | None = None  # None: GitHub shows the comment as outdated


class IssueComment(NamedTuple):
    id: int
    body: str
    author: Author = Author("", False)


class Review(NamedTuple):
    body: str
    author: Author


def _author(raw: Mapping[str, Any]) -> Author:
    # Read from the listed data: PyGithub would fetch the user again for `.type`.
    user = raw.get("user") or {}
    return Author(str(user.get("login", "")), user.get("type") == "Bot")


def _line(raw: Mapping[str, Any]) -> int | None:
    """The line GitHub shows a review comment on now; None once it is outdated (GitHub then
    sends `line: null`, keeping `original_line`)."""
    line = raw.get("line")
    return line if isinstance(line, int) and not isinstance(line, bool) else None


def _header(err: GithubException, name: str) -> str | None:
    headers: Mapping[str, Any] = err.headers or {}
    for key, value in headers.items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _message(err: GithubException) -> str:
    data = err.data
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return str(data or "")


def _errors_text(err: GithubException) -> str:
    data = err.data
    parts = [_message(err)]
    if isinstance(data, dict) and isinstance(data.get("errors"), list):
        parts += [
            str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in data["errors"]
        ]
    return " ".join(parts)


def rate_limit_wait(err: GithubException, now: float, attempt: int, backoff: float) -> float | None:
    """Seconds to wait when `err` is a rate limit (GitHub did nothing), else None."""
    retry_after = _header(err, "Retry-After")
    limited = err.status == 429 or (
        err.status == 403
        and (
            retry_after is not None
            or "rate limit" in _message(err).lower()
            or _header(err, "X-RateLimit-Remaining") == "0"
        )
    )
    if not limited:
        return None
    if retry_after is not None and retry_after.strip().isdigit():
        return float(retry_after)
    reset = _header(err, "X-RateLimit-Reset")
    if _header(err, "X-RateLimit-Remaining") == "0" and reset and reset.isdigit():
        return max(0.0, float(reset) - now) + 1.0
    return max(SECONDARY_WAIT, float(backoff * 2**attempt))


def one_line(err: GithubException) -> str:
    return f"{err.status} {_message(err) or 'no message'}"


class GitHub:
    """One pull request of one repository, reached with one token."""

    def __init__(
        self,
        api_url: str,
        token: str,
        pr: PullRequest,
        policy: RetryPolicy | None = None,
        pace: float = 1.0,
    ) -> None:
        self._policy = policy or RetryPolicy()
        self._gh = Github(
            base_url=api_url.rstrip("/"),
            auth=Auth.Token(token),
            per_page=100,
            retry=None,
            timeout=30,
            lazy=True,
            seconds_between_requests=pace / 4 or None,
            seconds_between_writes=pace or None,
        )
        repo = self._gh.get_repo(pr.repository)
        self._pr = repo.get_pull(pr.number)
        self._issue = repo.get_issue(pr.number)
        self._head = Commit(
            self._gh.requester,
            {},
            {"sha": pr.head_sha, "url": f"{repo.url}/commits/{pr.head_sha}"},
            completed=True,
        )
        self._review_comments: dict[int, Any] = {}
        self._issue_comments: dict[int, Any] = {}

    def _call(
        self,
        what: str,
        fn: Callable[[], T],
        *,
        write: bool = False,
        landed: Callable[[], T | None] | None = None,
        reject: type[Exception] | None = None,
    ) -> T:
        """Run `fn`, retrying as the module docstring says; `landed` answers, after a 5xx
        on a write that is not idempotent, whether it took effect (and its result)."""
        policy = self._policy
        for attempt in range(policy.attempts):
            last = attempt == policy.attempts - 1
            try:
                return fn()
            except GithubException as err:
                wait = rate_limit_wait(err, time.time(), attempt, policy.backoff)
                if wait is not None:
                    if last or wait > policy.max_wait:
                        raise RateLimited(
                            f"GitHub's rate limit on {what}: {one_line(err)} "
                            f"(it asks to wait {wait:.0f}s; --max-wait is {policy.max_wait:.0f}s)"
                        ) from None
                    policy.sleep(wait)
                    continue
                if err.status >= 500 and not last:
                    policy.sleep(policy.backoff * 2**attempt)
                    done = landed() if landed else None
                    if done is not None:
                        return done
                    continue
                if err.status == 403 and write:
                    raise WriteForbidden(one_line(err)) from None
                if err.status == 422 and reject is not None:
                    raise reject(_errors_text(err)) from None
                if err.status >= 500:
                    raise Unavailable(
                        f"goescape-bot: GitHub {what} failed: {one_line(err)}"
                    ) from None
                raise FatalError(f"goescape-bot: GitHub {what} failed: {one_line(err)}") from None
            except requests.RequestException as err:
                if last:
                    raise Unavailable(
                        f"goescape-bot: cannot reach GitHub for {what}: {type(err).__name__}"
                    ) from None
                policy.sleep(policy.backoff * 2**attempt)
                done = landed() if landed else None
                if done is not None:
                    return done
        raise AssertionError("unreachable")  # pragma: no cover

    # Reading.

    def files(self) -> list[tuple[str, str | None]]:
        """(path, patch or None) of every file of the pull request, every page."""

        def fetch() -> list[tuple[str, str | None]]:
            return [(f.filename, f.patch) for f in self._pr.get_files()]

        return self._call("listing the pull request's files", fetch)

    def review_comments(self) -> list[ReviewComment]:
        def fetch() -> list[ReviewComment]:
            found = list(self._pr.get_review_comments())
            self._review_comments = {c.id: c for c in found}
            # GitHub leaves `in_reply_to_id` out of top-level comments, and PyGithub would
            # fetch each comment again to look for it: read the listed data as it came.
            return [
                ReviewComment(
                    c.id,
                    c.body or "",
                    c._rawData.get("in_reply_to_id"),
                    _author(c._rawData),
                    str(c._rawData.get("path") or ""),
                    _line(c._rawData),
                )
                for c in found
            ]

        return self._call("listing review comments", fetch)

    def reviews(self) -> list[Review]:
        def fetch() -> list[Review]:
            return [Review(r.body or "", _author(r._rawData)) for r in self._pr.get_reviews()]

        return self._call("listing reviews", fetch)

    def issue_comments(self) -> list[IssueComment]:
        def fetch() -> list[IssueComment]:
            found = list(self._issue.get_comments())
            self._issue_comments = {c.id: c for c in found}
            return [IssueComment(c.id, c.body or "", _author(c._rawData)) for c in found]

        return self._call("listing issue comments", fetch)

    # Writing.

    def create_review(
        self, body: str, event: str, comments: Iterable[tuple[str, int, str]], nonce: str
    ) -> None:
        """One review anchored to the head commit; comments are (path, line, body) on RIGHT."""
        payload: list[ReviewCommentInput] = [
            {"path": path, "line": line, "side": "RIGHT", "body": text}
            for path, line, text in comments
        ]

        def post() -> bool:
            self._pr.create_review(commit=self._head, body=body, event=event, comments=payload)
            return True

        def landed() -> bool | None:
            return True if any(nonce in r.body for r in self.reviews()) else None

        self._call("creating the review", post, write=True, landed=landed, reject=ReviewRejected)

    def edit_review_comment(self, comment_id: int, body: str) -> None:
        comment = self._review_comments[comment_id]
        self._call("editing a review comment", lambda: comment.edit(body), write=True)

    def delete_review_comment(self, comment_id: int) -> None:
        comment = self._review_comments[comment_id]

        def delete() -> None:
            try:
                comment.delete()
            except GithubException as err:
                if err.status != 404:  # a retried delete that had already worked
                    raise

        self._call("deleting a review comment", delete, write=True)

    def create_issue_comment(self, body: str, marker_line: str) -> None:
        def post() -> bool:
            self._issue.create_comment(body)
            return True

        def landed() -> bool | None:
            return (
                True if any(c.body.startswith(marker_line) for c in self.issue_comments()) else None
            )

        self._call("creating the summary comment", post, write=True, landed=landed)

    def edit_issue_comment(self, comment_id: int, body: str) -> None:
        comment = self._issue_comments[comment_id]
        self._call("editing the summary comment", lambda: comment.edit(body), write=True)
