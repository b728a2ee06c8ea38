"""The stand-in catches what GitHub would reject, so the bot's tests can trust it."""

from __future__ import annotations

import json

import requests

from tests.bot.conftest import HEAD_GO
from tests.bot.standin import openapi
from tests.bot.standin.server import WRITE_TOKEN


def test_an_off_description_request_is_a_violation(github) -> None:  # type: ignore[no-untyped-def]
    answer = requests.post(
        f"{github.api}/repos/acme/shapes/pulls/7/reviews",
        json={"event": "SHOUT", "comments": [{"path": "geom/geom.go", "line": "6", "body": "x"}]},
        headers={"Authorization": f"token {WRITE_TOKEN}"},
        timeout=10,
    )
    assert answer.status_code == 422
    assert len(github.violations) == 1
    assert "SHOUT" in github.violations[0]
    github.violations.clear()  # seen: the fixture's final check is for the bot's requests


def test_an_off_description_response_is_caught() -> None:
    bad = json.dumps([{"id": 1, "body": "no url, no user"}]).encode()
    problem = openapi.check_response(
        "GET", "/repos/a/b/issues/1/comments", {}, None, 200, bad, "application/json"
    )
    assert problem is not None
    assert "required" in problem


# --- how the stand-in carries comments across pushes -----------------------------------------
# GitHub's documented and reported behaviour (docs/bot.md, "What GitHub does after a push"):
# a comment whose line a push leaves alone follows its text; one whose line the push changes,
# or that leaves the diff, becomes outdated: `line` and `position` null, `original_*` kept.


def _push(pr, github, text: str) -> str:  # type: ignore[no-untyped-def]
    pr.repo.write("geom/geom.go", text)
    head = pr.repo.commit("push")
    github.push(head)
    return head


def test_a_comment_follows_its_text_when_lines_are_added_above(pr, github) -> None:  # type: ignore[no-untyped-def]
    first = github.head_sha
    c = github.comment_as("octocat", "geom/geom.go", 22, "on return &Point")
    assert (c["line"], c["position"], c["commit_id"]) == (22, 21, first)
    assert c["diff_hunk"].endswith("\n+\treturn &Point{1, 2}")

    head = _push(pr, github, HEAD_GO.replace("func Make", "// Make makes.\n// Twice.\nfunc Make"))

    assert (c["line"], c["commit_id"]) == (24, head)
    assert c["position"] == 23  # recomputed in the new patch
    assert (c["original_line"], c["original_position"], c["original_commit_id"]) == (22, 21, first)


def test_a_comment_on_a_changed_line_becomes_outdated(pr, github) -> None:  # type: ignore[no-untyped-def]
    first = github.head_sha
    c = github.comment_as("octocat", "geom/geom.go", 22, "on return &Point")
    r = github.reply(c["id"], "why?")
    assert (r["line"], r["position"]) == (22, 21)

    _push(pr, github, HEAD_GO.replace("&Point{1, 2}", "&Point{X: 1, Y: 2}"))

    for comment in (c, r):  # the thread moves as one
        assert (comment["line"], comment["position"]) == (None, None)
        assert (comment["original_line"], comment["commit_id"]) == (22, first)
    # Outdated stays outdated, even when the text comes back.
    _push(pr, github, HEAD_GO)
    assert c["line"] is None


def test_a_comment_whose_line_leaves_the_diff_becomes_outdated(pr, github) -> None:  # type: ignore[no-untyped-def]
    from tests.bot.conftest import BASE_GO

    c = github.comment_as("octocat", "geom/geom.go", 12, "on a context line of Sum's hunk")
    _push(pr, github, BASE_GO + HEAD_GO[HEAD_GO.index("\nfunc Make") :])  # Sum as at base
    assert 12 not in github.valid["geom/geom.go"]
    assert c["line"] is None


def test_outdated_comments_are_answered_as_github_does(pr, github) -> None:  # type: ignore[no-untyped-def]
    github.comment_as("octocat", "geom/geom.go", 22, "x")
    _push(pr, github, HEAD_GO.replace("&Point{1, 2}", "&Point{2, 1}"))
    listed = requests.get(
        f"{github.api}/repos/acme/shapes/pulls/7/comments",
        headers={"Authorization": f"token {WRITE_TOKEN}"},
        timeout=10,
    ).json()
    assert [(c["line"], c["position"], c["original_line"]) for c in listed] == [(None, None, 22)]
    # GitHub's description calls these fields non-null: only the documented corrections
    # (openapi.NULLABLE) let the check accept them, and without them it would not.
    assert github.violations == []
    assert openapi.NULLABLE == {
        "pull-request-review-comment": ("line", "position", "start_side"),
    }


def test_a_body_over_githubs_limit_is_refused(github) -> None:  # type: ignore[no-untyped-def]
    answer = requests.post(
        f"{github.api}/repos/acme/shapes/issues/7/comments",
        json={"body": "x" * 65537},
        headers={"Authorization": f"token {WRITE_TOKEN}"},
        timeout=10,
    )
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["message"] == "Body is too long (maximum is 65536 characters)"
    assert github.issue_comments == []


def test_the_write_budget_answers_as_a_secondary_rate_limit(github) -> None:  # type: ignore[no-untyped-def]
    github.write_budget = 1
    statuses = []
    for _ in range(2):
        answer = requests.post(
            f"{github.api}/repos/acme/shapes/issues/7/comments",
            json={"body": "x"},
            headers={"Authorization": f"token {WRITE_TOKEN}"},
            timeout=10,
        )
        statuses.append(answer.status_code)
    assert statuses == [201, 403]
    assert answer.json()["message"].startswith("You have exceeded a secondary rate limit")
    assert 1 <= int(answer.headers["retry-after"]) <= 60
