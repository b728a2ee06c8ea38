"""The stand-in catches what GitHub would reject, so the bot's tests can trust it."""

from __future__ import annotations

import json

import requests

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
