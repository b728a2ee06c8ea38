"""A stateful GitHub REST stand-in on 127.0.0.1 for the bot's tests.

It serves one repository with one pull request built from a real git repository, keeps the
reviews and comments the bot creates, and answers the way GitHub does: 422 for a comment line
outside the diff (refusing the whole review), 422 for a body over 65,536 characters, 403 for
writes with a read-only token, 401 for unknown tokens, paginated listings with Link headers
and at most 3,000 files listed. A push (`push`) carries review comments forward as GitHub
does: a comment whose line the push left alone follows its text (`line`, `position` and
`commit_id` move); one whose line the push changed, or that left the diff, becomes outdated
(`line` and `position` null, `original_line` kept). A write budget models GitHub's secondary
rate limit (403 with `retry-after`). Faults (5xx, rate limits) can be injected per request.
Every request and response is checked against GitHub's OpenAPI description; mismatches are
kept in `violations`, which the test fixture requires to be empty.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.bot.standin import openapi
from tests.bot.standin.gitdiff import diff_hunk, line_map, position_of, pull_files, right_lines

PREFIX = "/api/v3"  # served like GitHub Enterprise Server, which PyGithub must handle
WRITE_TOKEN = "ghs_writeTOKENforTESTS0000000000000000"
READ_TOKEN = "ghs_readonlyTOKENforTESTS000000000000"
DOCS = "https://docs.github.com/rest"
BOT = "github-actions[bot]"
TIME = "2024-05-01T12:00:00Z"
MAX_BODY = 65536  # characters GitHub takes in a review, comment or issue comment body
MAX_FILES = 3000  # files `GET /pulls/{n}/files` lists at most
SECONDARY_LIMIT = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


@dataclass
class Fault:
    """Answer the `times` next requests matching `method` and `path` (a regex) with `status`;
    with `after`, the request is carried out first (GitHub did it but answered an error)."""

    method: str
    path: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "Server Error"
    times: int = 1
    after: bool = False


@dataclass
class Recorded:
    method: str
    path: str  # without the API prefix
    query: dict[str, str]
    body: Any
    status: int
    headers: dict[str, str]


def user(login: str, uid: int, kind: str = "User") -> dict[str, Any]:
    base = f"https://api.github.com/users/{login}"
    return {
        "login": login,
        "id": uid,
        "node_id": f"U_{uid}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}",
        "gravatar_id": "",
        "url": base,
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs",
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events",
        "type": kind,
        "site_admin": False,
    }


class GitHubState:
    """One repository `owner/name` with pull request `number`."""

    def __init__(self, repo: Path, owner: str, name: str, number: int, base: str, head: str):
        self.repo_path = repo
        self.owner, self.name, self.number = owner, name, number
        self.base_sha = base
        self.api = ""  # set when the server starts
        self.lock = threading.Lock()
        self.next_id = 1000
        self.review_comments: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []
        self.issue_comments: list[dict[str, Any]] = []
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        self.max_per_page = 100
        self.huge: set[str] = set()  # files listed without a patch
        self.stale_patches: dict[str, str] = {}  # served once instead of the real patch
        self.reject_lines: set[tuple[str, int]] = set()  # 422 although in the diff
        self.max_files = MAX_FILES
        # Secondary rate limit: at most `write_budget` writes per `write_window` seconds,
        # then 403 with retry-after (GitHub: about 80 content-creating requests a minute).
        self.write_budget: int | None = None
        self.write_window = 60.0
        self._window: tuple[float, int] = (0.0, 0)
        self.bot = user(BOT, 41898282, "Bot")
        self.commits: list[str] = []
        self.head_sha = ""
        self.push(head)

    # State changes a test makes directly (what users or git pushes do).

    def push(self, head: str) -> None:
        """The pull request's head moves to `head`: its files are listed again, and each
        review comment that is not outdated yet follows its line's text to the new head, or
        becomes outdated when the push changed that line or the line left the diff."""
        old, self.head_sha = self.head_sha, head
        self.commits.append(head)
        self.files = pull_files(self.repo_path, self.base_sha, head)
        listed = self.files[: self.max_files]
        self.patches = {f["filename"]: f["patch"] or "" for f in listed}
        self.valid = {path: right_lines(patch) for path, patch in self.patches.items()}
        maps: dict[str, Any] = {}
        for c in self.review_comments:
            if c["line"] is None or not old:
                continue
            path = c["path"]
            if path not in maps:
                maps[path] = line_map(self.repo_path, old, head, path)
            line = maps[path](c["line"])
            if line is None or line not in self.valid.get(path, set()):
                c["line"] = c["position"] = None  # outdated: where it was stays in original_*
            else:
                c["line"], c["commit_id"] = line, head
                c["position"] = position_of(self.patches[path], line)

    def reply(self, comment_id: int, body: str, login: str = "octocat") -> dict[str, Any]:
        """A person's answer in the thread of `comment_id`: it shares the thread's place."""
        parent = next(c for c in self.review_comments if c["id"] == comment_id)
        reply = self._review_comment(
            parent["path"], 1, body, parent["pull_request_review_id"], user(login, 583231)
        )
        for key in (
            "line",
            "position",
            "original_line",
            "original_position",
            "commit_id",
            "original_commit_id",
            "diff_hunk",
        ):
            reply[key] = parent[key]
        reply["in_reply_to_id"] = comment_id
        self.review_comments.append(reply)
        return reply

    def comment_as(self, login: str, path: str, line: int, body: str) -> dict[str, Any]:
        """A person's own review comment (not a reply), e.g. one copying the bot's marker."""
        comment = self._review_comment(path, line, body, self._id(), user(login, 583232))
        self.review_comments.append(comment)
        return comment

    def issue_comment_as(self, login: str, body: str) -> dict[str, Any]:
        comment = {**self._issue_comment(body), "user": user(login, 583232)}
        self.issue_comments.append(comment)
        return comment

    def bot_comments(self) -> list[dict[str, Any]]:
        return [c for c in self.review_comments if c["user"]["login"] == BOT]

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]

    # Objects in GitHub's shapes.

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    @property
    def repo_api(self) -> str:
        return f"{self.api}/repos/{self.owner}/{self.name}"

    @property
    def html(self) -> str:
        return f"https://github.com/{self.owner}/{self.name}"

    def _review_comment(
        self, path: str, line: int, body: str, review_id: int, author: dict[str, Any]
    ) -> dict[str, Any]:
        cid = self._id()
        patch = self.patches.get(path, "")
        position = position_of(patch, line)
        return {
            "url": f"{self.repo_api}/pulls/comments/{cid}",
            "id": cid,
            "node_id": f"PRRC_{cid}",
            "pull_request_review_id": review_id,
            "diff_hunk": diff_hunk(patch, line),
            "path": path,
            "position": position,
            "original_position": position,
            "commit_id": self.head_sha,
            "original_commit_id": self.head_sha,
            "user": author,
            "body": body,
            "created_at": TIME,
            "updated_at": TIME,
            "html_url": f"{self.html}/pull/{self.number}#discussion_r{cid}",
            "pull_request_url": f"{self.repo_api}/pulls/{self.number}",
            "author_association": "NONE",
            "_links": {
                "self": {"href": f"{self.repo_api}/pulls/comments/{cid}"},
                "html": {"href": f"{self.html}/pull/{self.number}#discussion_r{cid}"},
                "pull_request": {"href": f"{self.repo_api}/pulls/{self.number}"},
            },
            "start_line": None,
            "start_side": None,
            "original_start_line": None,
            "line": line,
            "original_line": line,
            "side": "RIGHT",
            "subject_type": "line",
        }

    def _review(self, body: str, event: str, commit: str) -> dict[str, Any]:
        rid = self._id()
        state = {"COMMENT": "COMMENTED", "REQUEST_CHANGES": "CHANGES_REQUESTED"}.get(
            event, "APPROVED" if event == "APPROVE" else "PENDING"
        )
        return {
            "id": rid,
            "node_id": f"PRR_{rid}",
            "user": self.bot,
            "body": body,
            "state": state,
            "html_url": f"{self.html}/pull/{self.number}#pullrequestreview-{rid}",
            "pull_request_url": f"{self.repo_api}/pulls/{self.number}",
            "_links": {
                "html": {"href": f"{self.html}/pull/{self.number}#pullrequestreview-{rid}"},
                "pull_request": {"href": f"{self.repo_api}/pulls/{self.number}"},
            },
            "submitted_at": TIME,
            "commit_id": commit,
            "author_association": "NONE",
        }

    def _issue_comment(self, body: str) -> dict[str, Any]:
        cid = self._id()
        return {
            "id": cid,
            "node_id": f"IC_{cid}",
            "url": f"{self.repo_api}/issues/comments/{cid}",
            "html_url": f"{self.html}/pull/{self.number}#issuecomment-{cid}",
            "body": body,
            "user": self.bot,
            "created_at": TIME,
            "updated_at": TIME,
            "issue_url": f"{self.repo_api}/issues/{self.number}",
            "author_association": "NONE",
        }

    def _diff_entries(self) -> list[dict[str, Any]]:
        entries = []
        for f in self.files[: self.max_files]:
            path = f["filename"]
            entry = {
                "sha": f["blob_sha"],
                "filename": path,
                "status": f["status"],
                "additions": f["additions"],
                "deletions": f["deletions"],
                "changes": f["additions"] + f["deletions"],
                "blob_url": f"{self.html}/blob/{self.head_sha}/{path}",
                "raw_url": f"{self.html}/raw/{self.head_sha}/{path}",
                "contents_url": f"{self.repo_api}/contents/{path}?ref={self.head_sha}",
            }
            if path in self.stale_patches:
                entry["patch"] = self.stale_patches.pop(path)
            elif path not in self.huge and f["patch"] is not None:
                entry["patch"] = f["patch"]
            if "previous_filename" in f:
                entry["previous_filename"] = f["previous_filename"]
            entries.append(entry)
        return entries


class Answer(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


def _error(code: int, message: str, **extra: Any) -> Answer:
    return Answer(code, {"message": message, "documentation_url": DOCS, **extra})


def _check_length(text: str, resource: str = "") -> None:
    """GitHub's limit on a body's length. Reviews answer with plain error strings, issue
    comments with error objects (each as GitHub's description gives it)."""
    if len(text) > MAX_BODY:
        message = f"Body is too long (maximum is {MAX_BODY} characters)"
        error: Any = (
            {"resource": resource, "code": "unprocessable", "field": "data", "message": message}
            if resource
            else message
        )
        raise _error(422, "Validation Failed", errors=[error])


class Routes:
    """The endpoints the bot uses, on a GitHubState."""

    def __init__(self, state: GitHubState):
        self.s = state
        repo = rf"/repos/{re.escape(state.owner)}/{re.escape(state.name)}"
        n = state.number
        self.table = [
            ("GET", r"/user", self.get_user),
            ("GET", rf"{repo}/pulls/{n}/files", self.list_files),
            ("GET", rf"{repo}/pulls/{n}/comments", self.list_review_comments),
            ("GET", rf"{repo}/pulls/{n}/reviews", self.list_reviews),
            ("POST", rf"{repo}/pulls/{n}/reviews", self.create_review),
            ("PATCH", rf"{repo}/pulls/comments/(\d+)", self.edit_review_comment),
            ("DELETE", rf"{repo}/pulls/comments/(\d+)", self.delete_review_comment),
            ("GET", rf"{repo}/issues/{n}/comments", self.list_issue_comments),
            ("POST", rf"{repo}/issues/{n}/comments", self.create_issue_comment),
            ("PATCH", rf"{repo}/issues/comments/(\d+)", self.edit_issue_comment),
        ]

    def page(self, items: list[dict[str, Any]], path: str, query: dict[str, str]) -> Answer:
        per_page = min(int(query.get("per_page", "30")), 100, self.s.max_per_page)
        page = int(query.get("page", "1"))
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []
        url = f"{self.s.api}{path}?per_page={per_page}&page="
        if page < last:
            links.append(f'<{url}{page + 1}>; rel="next"')
            links.append(f'<{url}{last}>; rel="last"')
        if page > 1:
            links.append(f'<{url}1>; rel="first"')
            links.append(f'<{url}{page - 1}>; rel="prev"')
        return Answer(200, chunk, {"Link": ", ".join(links)} if links else {})

    def get_user(self, path: str, query: dict[str, str], body: Any) -> Answer:
        raise _error(403, "Resource not accessible by integration", status="403")

    def list_files(self, path: str, query: dict[str, str], body: Any) -> Answer:
        return self.page(self.s._diff_entries(), path, query)

    def list_review_comments(self, path: str, query: dict[str, str], body: Any) -> Answer:
        return self.page(self.s.review_comments, path, query)

    def list_reviews(self, path: str, query: dict[str, str], body: Any) -> Answer:
        return self.page(self.s.reviews, path, query)

    def list_issue_comments(self, path: str, query: dict[str, str], body: Any) -> Answer:
        return self.page(self.s.issue_comments, path, query)

    def create_review(self, path: str, query: dict[str, str], body: Any) -> Answer:
        s = self.s
        event = body.get("event")
        text = body.get("body")
        if event in ("REQUEST_CHANGES", "COMMENT") and not text:
            raise _error(422, "Unprocessable Entity", errors=["Body is required"])
        for t in [text or "", *(c.get("body", "") for c in body.get("comments", []))]:
            _check_length(t)
        commit = body.get("commit_id", s.head_sha)
        if commit not in s.commits:
            raise _error(
                422, "Unprocessable Entity", errors=["Commit is not part of the pull request"]
            )
        comments = body.get("comments", [])
        for c in comments:
            if "position" in c or c.get("side", "RIGHT") != "RIGHT" or "line" not in c:
                raise _error(
                    422, "Unprocessable Entity", errors=["the stand-in takes RIGHT lines only"]
                )
            path_ok = c["line"] in s.valid.get(c["path"], set())
            if not path_ok or (c["path"], c["line"]) in s.reject_lines or commit != s.head_sha:
                raise _error(
                    422,
                    "Unprocessable Entity",
                    errors=["Line could not be resolved"]
                    if c["path"] not in s.valid
                    else ["pull_request_review_thread.line must be part of the diff"],
                )
        review = s._review(text or "", event or "PENDING", commit)
        s.reviews.append(review)
        for c in comments:
            s.review_comments.append(
                s._review_comment(c["path"], c["line"], c["body"], review["id"], s.bot)
            )
        return Answer(200, review)

    def _find(self, items: list[dict[str, Any]], cid: int) -> dict[str, Any]:
        for item in items:
            if item["id"] == cid:
                return item
        raise _error(404, "Not Found")

    def edit_review_comment(self, path: str, query: dict[str, str], body: Any, cid: str) -> Answer:
        comment = self._find(self.s.review_comments, int(cid))
        _check_length(body["body"])
        comment["body"] = body["body"]
        return Answer(200, comment)

    def delete_review_comment(
        self, path: str, query: dict[str, str], body: Any, cid: str
    ) -> Answer:
        comment = self._find(self.s.review_comments, int(cid))
        self.s.review_comments.remove(comment)
        return Answer(204, None)

    def create_issue_comment(self, path: str, query: dict[str, str], body: Any) -> Answer:
        _check_length(body["body"], "IssueComment")
        comment = self.s._issue_comment(body["body"])
        self.s.issue_comments.append(comment)
        return Answer(201, comment)

    def edit_issue_comment(self, path: str, query: dict[str, str], body: Any, cid: str) -> Answer:
        comment = self._find(self.s.issue_comments, int(cid))
        _check_length(body["body"], "IssueComment")
        comment["body"] = body["body"]
        return Answer(200, comment)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _serve(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        query = dict(parse_qsl(url.query))
        path = url.path.removeprefix(PREFIX)
        with state.lock:
            try:
                answer = self._answer(state, path, query, raw)
            except Answer as a:
                answer = a
            except Exception as err:  # a stand-in bug must fail the test, not hide
                state.violations.append(f"stand-in crashed on {self.command} {path}: {err!r}")
                answer = _error(500, "Server Error")
            payload = b"" if answer.body is None else json.dumps(answer.body).encode()
            if url.path.startswith(PREFIX):
                ctype = "application/json; charset=utf-8"
                problem = openapi.check_response(
                    self.command, path, query, raw, answer.status, payload, "application/json"
                )
                if problem:
                    state.violations.append(f"stand-in answered wrongly: {problem}")
            state.requests.append(
                Recorded(
                    self.command,
                    path,
                    query,
                    json.loads(raw) if raw else None,
                    answer.status,
                    dict(self.headers),
                )
            )
        self.send_response(answer.status)
        if payload:
            self.send_header("Content-Type", ctype if url.path.startswith(PREFIX) else "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        for k, v in answer.headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def _answer(self, state: GitHubState, path: str, query: dict[str, str], raw: bytes) -> Answer:
        if not urlsplit(self.path).path.startswith(PREFIX + "/"):
            state.violations.append(f"request outside the API root: {self.command} {self.path}")
            raise _error(404, "Not Found")
        problem = openapi.check_request(self.command, path, query, raw or None)
        if problem:
            state.violations.append(f"GitHub would reject: {problem}")
            raise _error(422, "Invalid request.", errors=[problem])
        auth = self.headers.get("Authorization", "")
        token = auth.split(" ", 1)[1] if " " in auth else ""
        if token not in (WRITE_TOKEN, READ_TOKEN):
            raise _error(401, "Bad credentials")
        for fault in state.faults:
            if fault.times > 0 and fault.method == self.command and re.fullmatch(fault.path, path):
                fault.times -= 1
                if fault.after:
                    with contextlib.suppress(Answer):
                        self._route(state, path, query, raw, token)
                raise Answer(
                    fault.status,
                    {"message": fault.message, "documentation_url": DOCS},
                    fault.headers,
                )
        return self._route(state, path, query, raw, token)

    def _route(
        self, state: GitHubState, path: str, query: dict[str, str], raw: bytes, token: str
    ) -> Answer:
        body = json.loads(raw) if raw else {}
        for method, pattern, handler in self.server.routes.table:
            m = re.fullmatch(pattern, path)
            if m and method == self.command:
                if method != "GET" and token == READ_TOKEN:
                    raise _error(403, "Resource not accessible by integration", status="403")
                if method != "GET":
                    self._spend_write(state)
                result: Answer = handler(path, query, body, *m.groups())
                return result
        state.violations.append(f"the stand-in does not serve {self.command} {path}")
        raise _error(404, "Not Found")

    def _spend_write(self, state: GitHubState) -> None:
        """GitHub's secondary rate limit on content-creating requests, as a budget per window."""
        if state.write_budget is None:
            return
        now = time.monotonic()
        start, used = state._window
        if now - start >= state.write_window:
            start, used = now, 0
        if used >= state.write_budget:
            state._window = (start, used)
            wait = max(1, math.ceil(state.write_window - (now - start)))
            raise Answer(
                403,
                {"message": SECONDARY_LIMIT, "documentation_url": DOCS},
                {"retry-after": str(wait)},
            )
        state._window = (start, used + 1)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: GitHubState
    routes: Routes


class StandIn:
    """Start with `with StandIn(state) as api_url:`."""

    def __init__(self, state: GitHubState):
        self.state = state
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = state
        self._server.routes = Routes(state)
        host, port = self._server.server_address[:2]
        state.api = f"http://{host}:{port}{PREFIX}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> str:
        self._thread.start()
        return self.state.api

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
