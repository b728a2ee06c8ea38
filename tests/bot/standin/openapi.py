"""Check requests and responses against GitHub's published OpenAPI description.

The description is npm `@octokit/openapi` (pinned in package.json, installed by `npm ci`);
it is parsed once per test session (about a second) and validated with openapi-core.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator

SPEC = (
    Path(__file__).resolve().parents[3]
    / "node_modules/@octokit/openapi/generated/api.github.com.json"
)
SERVER = "https://api.github.com"

# Where GitHub's answers are known to differ from its description, the description is
# corrected before use, so the stand-in can answer as GitHub does and still be checked.
# An outdated review comment comes back with `line` and `position` null
# (github/rest-api-description#1901 for `position`; `line` goes null with it), and every
# single-line comment with `start_side: null`, which the nullable enum does not list.
NULLABLE = {
    "pull-request-review-comment": ("line", "position", "start_side"),
}


@functools.cache
def _spec() -> tuple[OpenAPI, dict[str, Any]]:
    document = json.loads(SPEC.read_text(encoding="utf-8"))
    for name, fields in NULLABLE.items():
        properties = document["components"]["schemas"][name]["properties"]
        for field_name in fields:
            properties[field_name]["nullable"] = True
            if "enum" in properties[field_name]:
                properties[field_name]["enum"] = [*properties[field_name]["enum"], None]
    # The description itself is trusted; validating 13 MB of it would only cost time.
    from openapi_core import Config

    return OpenAPI.from_dict(document, config=Config(spec_validator_cls=None)), document


def available() -> bool:
    return SPEC.is_file()


def _request(method: str, path: str, query: dict[str, str], body: bytes | None) -> MockRequest:
    return MockRequest(
        SERVER,
        method.lower(),
        path,
        args=query,
        data=body or None,
        content_type="application/json" if body else None,
    )


def _why(err: Exception) -> str:
    cause = err.__cause__
    inner = getattr(cause, "schema_errors", None) or getattr(err, "schema_errors", None)
    detail = "; ".join(e.message for e in inner) if inner else str(cause or "")
    return f"{type(err).__name__}: {err} {detail}".strip()


def check_request(method: str, path: str, query: dict[str, str], body: bytes | None) -> str | None:
    """None when GitHub's description accepts the request, else why not."""
    api, _ = _spec()
    try:
        api.validate_request(_request(method, path, query, body))
    except Exception as err:  # openapi-core raises one class per kind of mismatch
        return f"{method} {path}: {_why(err)}"
    return None


def check_response(
    method: str,
    path: str,
    query: dict[str, str],
    request_body: bytes | None,
    status: int,
    body: bytes,
    content_type: str,
) -> str | None:
    """None when the response has the shape the description gives for that status; errors the
    operation does not list (502, 429, ...) must have GitHub's basic error shape."""
    api, document = _spec()
    request = _request(method, path, query, request_body)
    response = MockResponse(body, status_code=status, content_type=content_type)
    try:
        api.validate_response(request, response)
    except Exception as err:
        if type(err).__name__ == "ResponseNotFound" and status >= 400:
            schema = document["components"]["schemas"]["basic-error"]
            errors = list(OAS30Validator(schema).iter_errors(json.loads(body or b"{}")))
            if errors:
                return f"{method} {path} {status}: not a basic error: {errors[0].message}"
            return None
        return f"{method} {path} {status}: {_why(err)}"
    return None
