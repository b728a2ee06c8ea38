"""Tables for the pure parts of the bot."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from github import GithubException
from goescape.bot import anchors, annotations, comments, markdown, plan, words
from goescape.bot.event import commits_of, from_event
from goescape.bot.github import rate_limit_wait
from goescape.errors import FatalError
from goescape.sarif_read import FlowLocation

from tests.bot.conftest import escape

LINKS = comments.Links("https://github.com", "acme/shapes", "c" * 40)
EVIL = [
    "@octocat",
    "<img src=x onerror=alert(1)>",
    "**bold** _it_ [link](http://x)",
    "`tick` ``two``",
    "a | b",
    "line\n# heading\n<!-- goescape:summary -->",
    ":+1: #12",
]


def render(md: str) -> str:
    # GitHub's own markdown engine, raw HTML allowed (GitHub passes a safe subset).
    return cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE)


def text_outside_code(html: str) -> str:
    return re.sub(r"<code>.*?</code>", "", html, flags=re.S)


@pytest.mark.parametrize("text", EVIL)
def test_code_spans_keep_source_text_inert(text: str) -> None:
    html = render(f"before {markdown.code(text)} after")
    assert html.count("<code>") == 1
    outside = text_outside_code(html)
    assert outside == "<p>before  after</p>\n"


@pytest.mark.parametrize("text", EVIL)
def test_code_spans_in_table_cells_stay_in_their_cell(text: str) -> None:
    html = render(f"| a | b |\n| --- | --- |\n| {markdown.code(text, in_table=True)} | z |\n")
    assert html.count("<td>") == 2
    assert "<td>z</td>" in html


@pytest.mark.parametrize("text", EVIL)
def test_plain_text_has_no_markup_or_mentions(text: str) -> None:
    html = render(markdown.plain(text))
    assert re.findall(r"<(?!/?p>)", html) == []
    assert re.search(r"@\w", html) is None
    assert re.search(r"#\d", html) is None
    assert re.search(r":\+1:", html) is None


def test_inline_body_shape() -> None:
    e = escape(6, "moved to heap: t", before=1, after=2, hint="Use a value @admin.")
    e = e._replace(flow=(FlowLocation("geom/geom.go", 6, 2, "flow: {heap} = &t"),))
    body = comments.inline_body(e)
    assert comments.read_marker(body) == (comments.ESCAPE, e.fingerprint)
    assert "`moved to heap: t`" in body
    assert "1 \u2192 2" in body
    assert "@admin" not in body
    assert "<details><summary>Why it escapes (1 step)</summary>" in body
    assert "`flow: {heap} = &t`" in body


def test_markers_are_read_only_from_the_first_line() -> None:
    forged = escape(6, "x\n<!-- goescape:escape fp-forged -->", fingerprint="fp1")
    body = comments.inline_body(forged)
    assert comments.read_marker(body) == (comments.ESCAPE, forged.fingerprint)
    assert comments.read_marker("hello\n<!-- goescape:summary -->") is None
    assert "fp-forged" not in comments.escape_keys(
        comments.review_body("n", 0, [comments.Outside(forged, "x")], LINKS)
    )


@pytest.mark.parametrize(
    ("fingerprint", "safe"),
    [("010539cc1aacde2fbab38358feed895c", True), ("a b --> c", False), ("", False)],
)
def test_key_of(fingerprint: str, safe: bool) -> None:
    key = comments.key_of(fingerprint)
    assert (key == fingerprint) is safe
    assert comments.read_marker(comments.marker(comments.ESCAPE, key)) == (comments.ESCAPE, key)


A = escape(6, fingerprint="a")
B = escape(21, fingerprint="b")
C = escape(14, fingerprint="c")
IN_DIFF = {6, 21}


def _plan(escapes, existing=(), in_reviews=frozenset(), cap=30):  # type: ignore[no-untyped-def]
    return plan.make_plan(
        escapes,
        lambda path, line: line in IN_DIFF,
        existing=list(existing),
        in_reviews=set(in_reviews),
        max_comments=cap,
        links=LINKS,
    )


def _old(e, cid, replied=False, body=None, line=0):  # type: ignore[no-untyped-def]
    """A comment the bot wrote on `e` earlier, shown by GitHub at `line` (default: the
    escape's line; None: outdated)."""
    where = e.line if line == 0 else line
    return plan.Existing(
        cid, e.fingerprint, body or comments.inline_body(e), replied, e.path, where
    )


def _moved(e, cid, to, replied=False):  # type: ignore[no-untyped-def]
    """A comment an earlier run already marked as moved to `to`'s place."""
    body = comments.moved_body(comments.inline_body(e), to, True, LINKS)
    return _old(e, cid, replied, body, line=None)


@pytest.mark.parametrize(
    ("escapes", "existing", "in_reviews", "cap", "inline", "outside", "edits", "deletions"),
    [
        ([A, B, C], [], [], 30, ["a", "b"], [("c", plan.NOT_IN_DIFF)], [], []),
        ([A, B], [], [], 1, ["a"], [("b", plan.OVER_LIMIT)], [], []),
        ([A, B, C], [_old(A, 1), _old(B, 2)], ["c"], 30, [], [], [], []),
        ([A], [_old(A, 1), _old(B, 2)], [], 30, [], [], [], [2]),
        ([A], [_old(A, 1), _old(B, 2, replied=True)], [], 30, [], [], [2], []),
        ([A._replace(after=5)], [_old(A, 1)], [], 30, [], [], [1], []),
        ([A], [_old(A, 1), _old(A, 3)], [], 30, [], [], [], [3]),
        ([A], [_old(A, 1), _old(A, 3, replied=True)], [], 30, [], [], [3], []),
        ([A, A], [], [], 30, ["a"], [], [], []),
        # GitHub made the comment outdated (its line changed): a new one, the old one says so.
        ([A], [_old(A, 1, line=None)], [], 30, ["a"], [], [1], []),
        ([A], [_old(A, 1, replied=True, line=None)], [], 30, ["a"], [], [1], []),
        # The comment follows its text to line 9, the escape is on line 6 now.
        ([A], [_old(A, 1, line=9)], [], 30, ["a"], [], [1], []),
        # The escape moved out of the diff: listed in the body, the old comment says so.
        ([C], [_old(C, 1, line=21)], [], 30, [], [("c", plan.NOT_IN_DIFF)], [1], []),
        # A moved escape competes for the inline limit like a new one.
        ([A, B], [_old(B, 2, line=None)], [], 1, ["a"], [("b", plan.OVER_LIMIT)], [2], []),
        # Re-runs: the moved note is written once; where the escape went is not redone.
        ([A], [_moved(A, 1, A), _old(A, 2)], [], 30, [], [], [], []),
        ([C], [_moved(C, 1, C)], ["c"], 30, [], [], [], []),
        # ... unless its new comment is gone: then it gets one again.
        ([A], [_moved(A, 1, A)], [], 30, ["a"], [], [], []),
        # A run cut short by a rate limit commented anew but left the old one unsaid.
        ([A], [_old(A, 1, line=None), _old(A, 2)], [], 30, [], [], [1], []),
        # A fixed escape: every comment of it goes, or is resolved if answered.
        ([B], [_moved(A, 1, A), _old(A, 2)], [], 30, ["b"], [], [], [1, 2]),
        ([B], [_moved(A, 1, A, replied=True)], [], 30, ["b"], [], [1], []),
    ],
    ids=[
        "new",
        "cap",
        "rerun",
        "gone-unanswered",
        "gone-answered",
        "text-changed",
        "duplicate-comment",
        "duplicate-comment-answered",
        "duplicate-escape",
        "outdated",
        "outdated-answered",
        "line-moved",
        "moved-out-of-the-diff",
        "moved-over-the-cap",
        "moved-rerun",
        "moved-to-the-body-rerun",
        "moved-comment-deleted",
        "moved-note-left-by-a-cut-run",
        "fixed-after-a-move",
        "fixed-after-a-move-answered",
    ],
)
def test_plan(escapes, existing, in_reviews, cap, inline, outside, edits, deletions) -> None:  # type: ignore[no-untyped-def]
    p = _plan(escapes, existing, in_reviews, cap)
    assert [i.escape.fingerprint for i in p.inline] == inline
    assert [(o.escape.fingerprint, o.reason) for o in p.outside] == outside
    assert [cid for cid, _ in p.edits] == edits
    assert list(p.deletions) == deletions


def test_a_moved_comment_says_where_the_escape_went() -> None:
    old = comments.inline_body(A)
    p = _plan([A], [_old(A, 1, line=None)])
    [(cid, body)] = p.edits
    assert cid == 1
    assert comments.read_marker(body) == (comments.ESCAPE, "a")
    assert comments.is_moved(body)
    assert body.splitlines()[1] == (
        f"**Moved in commit [cccccccccccc](https://github.com/acme/shapes/commit/{'c' * 40}):** "
        "this escape is now at [`geom/geom.go:6`](https://github.com/acme/shapes/blob/"
        f"{'c' * 40}/geom/geom.go#L6), commented there."
    )
    assert "\n> **New heap escape**: `moved to heap: t`\n" in body  # the old text, quoted
    assert old not in body
    outside = _plan([C], [_old(C, 1, line=21)]).edits[0][1]
    assert outside.splitlines()[1].endswith(
        "`](https://github.com/acme/shapes/blob/"
        f"{'c' * 40}/geom/geom.go#L14), listed in the review body."
    )


def test_resolved_comment_is_not_edited_twice() -> None:
    body = comments.resolved_body(comments.inline_body(B), "d" * 40, LINKS)
    assert comments.is_resolved(body)
    assert comments.read_marker(body) == (comments.ESCAPE, "b")
    assert _plan([A], [_old(B, 2, replied=True, body=body)]).edits == ()


@pytest.mark.parametrize(
    ("escapes", "reported", "counted"),
    [
        ([A], ["a"], ["a"]),
        ([A._replace(suppressed=True)], [], []),
        ([A._replace(baseline_state="unchanged")], [], []),
        ([escape(14, "leaking param: x", fingerprint="a")], ["a"], []),
        ([escape(14, "leaking param: x", fingerprint="a", counted=True)], ["a"], ["a"]),
        ([escape(6, fingerprint="a", induced=True, level="note")], ["a"], []),
        ([escape(6, fingerprint="a", cold="panic argument")], ["a"], []),
        ([escape(6, fingerprint="a", state="updated", previous="[]string{}")], ["a"], []),
        ([escape(6, fingerprint="a", state="absent")], [], []),
        # `counted` is read, never recomputed: what goescape decided is what the bot counts.
        ([escape(6, fingerprint="a", counted=False)], ["a"], []),
    ],
)
def test_reported_and_counted(escapes, reported, counted) -> None:  # type: ignore[no-untyped-def]
    assert [e.fingerprint for e in plan.reported(escapes)] == reported
    assert [e.fingerprint for e in plan.counted(escapes)] == counted


@pytest.mark.parametrize(
    ("path", "line", "title", "message", "expected"),
    [
        ("a.go", 3, "t", "m", "::warning file=a.go,line=3,title=t::m"),
        (
            "a,b:c.go",
            1,
            "x: y",
            "50%\nnext",
            "::warning file=a%2Cb%3Ac.go,line=1,title=x%3A y::50%25%0Anext",
        ),
    ],
)
def test_workflow_command_escaping(path, line, title, message, expected) -> None:  # type: ignore[no-untyped-def]
    assert annotations.warning(path, line, title, message) == expected


@pytest.mark.parametrize(
    ("failing", "informing", "warnings", "notices", "more"),
    [
        (3, 2, 3, 2, None),
        (10, 10, 10, 10, None),
        (14, 2, 10, 2, "4 new heap escapes"),
        (0, 12, 0, 9, "3 findings that do not count"),
        (11, 11, 10, 9, "1 new heap escape and 2 findings that do not count"),
    ],
)
def test_annotations_stop_at_what_github_shows(
    failing: int, informing: int, warnings: int, notices: int, more: str | None
) -> None:
    notes = [escape(100 + n, level="note", induced=True) for n in range(informing)]
    counted = [escape(n + 1, path=f"f{n:02}.go") for n in range(failing)]
    lines = annotations.escape_warnings(notes + counted)
    # Escapes that fail the run are warnings, the others notices: 10 of each at most.
    shown = [line for line in lines if line.startswith("::warning ")]
    assert len(shown) == warnings
    assert all("file=geom/geom.go" not in line for line in shown)
    told = [line for line in lines if line.startswith("::notice file=")]
    assert len(told) == notices
    assert all(
        "title=goescape%3A new heap escape::moved to heap: t in Sum (heap escapes 0 -> 1; "
        "caused by a change in another function; not counted: --fail-on-induced counts "
        "escapes caused in other functions)" in line
        for line in told
    )
    summary = [line for line in lines if line.startswith("::notice title=goescape::")]
    if more is None:
        assert summary == []
    else:
        assert summary == [
            f"::notice title=goescape::not shown here: {more} (GitHub shows 10 annotations of "
            "a kind a step); the job summary lists them all"
        ]
    assert len(lines) <= 20  # never more than GitHub shows


@pytest.mark.parametrize(
    ("e", "level", "title", "message"),
    [
        (escape(6), "warning", "new heap escape", "moved to heap: t in Sum (heap escapes 0 -> 1)"),
        (
            escape(14, "leaking param: x", display="keep"),
            "notice",
            "new leaking param",
            "leaking param: x in keep (not counted: --leaks counts leaking parameters)",
        ),
        (
            escape(14, "leaking param: x", display="keep", counted=True),
            "warning",
            "new leaking param",
            "leaking param: x in keep (escapes 0 -> 1)",
        ),
        (
            escape(
                6, "make([]string, 0, n) escapes to heap", state="updated", previous="[]string{}"
            ),
            "notice",
            "changed heap escape",
            "make([]string, 0, n) escapes to heap in Sum (heap escapes 0 -> 1; "
            "a changed escape is never counted)",
        ),
        (
            escape(6, cold="panic argument", hotness=0.042),
            "notice",
            "new heap escape",
            "moved to heap: t in Sum (heap escapes 0 -> 1; cold path: panic argument; "
            "4.2% of CPU in default.pgo; not counted: --fail-on-cold counts cold-path escapes)",
        ),
        (
            escape(6, hotness=0.0004, counted=False),
            "notice",
            "new heap escape",
            "moved to heap: t in Sum (heap escapes 0 -> 1; <0.1% of CPU in default.pgo; "
            "not counted: its function is colder than --min-hotness)",
        ),
    ],
    ids=["heap", "leak", "leak-counted", "changed", "cold-and-hot", "below-min-hotness"],
)
def test_annotations_use_the_reports_words(e, level, title, message) -> None:  # type: ignore[no-untyped-def]
    [a] = annotations.escape_annotations([e], "default.pgo")
    assert (a.level, a.path, a.line, a.title, a.message) == (
        level,
        e.path,
        e.line,
        f"goescape: {title}",
        message,
    )


def _err(status: int, message: str, headers: dict[str, str]) -> GithubException:
    return GithubException(status, {"message": message}, headers)


@pytest.mark.parametrize(
    ("err", "attempt", "wait"),
    [
        (_err(403, "secondary rate limit", {"Retry-After": "7"}), 0, 7.0),
        (_err(429, "Too many", {}), 2, 60.0),  # GitHub: no time named, wait a minute
        (_err(429, "Too many", {}), 7, 128.0),
        (
            _err(
                403,
                "API rate limit exceeded",
                {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1010"},
            ),
            0,
            11.0,
        ),
        (_err(403, "Resource not accessible by integration", {}), 0, None),
        (_err(502, "Bad gateway", {}), 0, None),
    ],
    ids=[
        "retry-after",
        "429-a-minute",
        "429-backoff",
        "primary-reset",
        "forbidden",
        "server-error",
    ],
)
def test_rate_limit_wait(err, attempt, wait) -> None:  # type: ignore[no-untyped-def]
    assert rate_limit_wait(err, 1000.0, attempt, 1.0) == wait


def test_anchors_from_github_and_local_git() -> None:
    patch = "@@ -1,3 +1,4 @@\n a\n-b\n+c\n+d\n e"
    local = "diff --git a/x b/x\n--- a/x\n+++ b/x\n" + patch
    found = anchors.build(
        [("p", patch), ("huge", None), ("gone", None)],
        {"huge": anchors.hunks_only(local), "gone": None},
    )
    assert sorted(found.files["p"].lines) == [1, 2, 3, 4]
    assert found.source("huge") == anchors.LOCAL_GIT
    assert found.allows("huge", 3)
    assert not found.allows("p", 5)
    assert not found.allows("gone", 1)


@pytest.mark.parametrize(
    ("event", "name", "words"),
    [
        ({"pull_request": {"number": 3, "head": {"sha": "a" * 40}}}, "pull_request", None),
        (
            {"pull_request": {"number": 3, "head": {"sha": "main"}}},
            "pull_request",
            "not a full commit sha",
        ),
        ({"pull_request": {"number": 3, "head": {"sha": "a" * 40}}}, "push", "not a pull request"),
        ([1, 2], "", "not a pull_request event"),
    ],
)
def test_event(tmp_path: Path, event, name, words) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    if words is None:
        pr = from_event(path, name, "acme/shapes")
        assert (pr.number, pr.head_sha, pr.repository) == (3, "a" * 40, "acme/shapes")
    else:
        with pytest.raises(FatalError, match=words):
            from_event(path, name, "acme/shapes")


LEAK = escape(14, "leaking param: x", display="keep", fingerprint="leak")
CHANGED = escape(
    6,
    "make([]string, 0, n) escapes to heap",
    state="updated",
    previous="[]string{}",
    fingerprint="changed",
)


@pytest.mark.parametrize(
    ("e", "title", "shown", "absent"),
    [
        (
            escape(6),
            "**New heap escape**: `moved to heap: t`",
            ["heap escapes of `Sum`: 0 \u2192 1", "**How to fix:**", "//goescape:ignore"],
            ["not counted", "Not counted"],
        ),
        (
            LEAK,
            "**New leaking param**: `leaking param: x`",
            ["In `keep`.", "_Not counted: `--leaks` counts leaking parameters._"],
            ["heap escape", "0 \u2192 1"],
        ),
        (
            LEAK._replace(counted=True),
            "**New leaking param**: `leaking param: x`",
            ["escapes of `keep`: 0 \u2192 1"],
            ["heap escape", "ot counted"],
        ),
        (
            CHANGED,
            "**Changed heap escape**: `make([]string, 0, n) escapes to heap`",
            [
                "Before this change the escape here was `[]string{}`.",
                "_A changed escape is never counted._",
            ],
            ["New heap escape", "//goescape:ignore", "How to fix"],
        ),
        (
            escape(6, induced=True, level="note"),
            "**New heap escape** (caused by a change in another function): `moved to heap: t`",
            ["`--fail-on-induced` counts escapes caused in other functions"],
            [],
        ),
        (
            escape(6, cold="panic argument", hotness=0.042),
            "**New heap escape** (cold path: panic argument; 4.2% of CPU in default.pgo): "
            "`moved to heap: t`",
            ["_Not counted: `--fail-on-cold` counts cold-path escapes._"],
            [],
        ),
        (
            escape(6, hotness=0.5),
            "**New heap escape** (50.0% of CPU in default.pgo): `moved to heap: t`",
            [],
            ["ot counted"],
        ),
    ],
    ids=["heap", "leak", "leak-counted", "changed", "induced", "cold-and-hot", "hot"],
)
def test_comments_use_the_reports_words(e, title, shown, absent) -> None:  # type: ignore[no-untyped-def]
    body = comments.inline_body(e, "default.pgo")
    assert body.splitlines()[1] == title
    for text in shown:
        assert text in body
    for text in absent:
        assert text not in body


def test_a_leaking_parameter_is_never_a_heap_escape_anywhere() -> None:
    from goescape.bot import summary
    from goescape.sarif_read import SarifReport

    sarif = SarifReport("0.1", "go1.27.3", "b" * 40, "", (LEAK,), (), ())
    texts = [
        comments.inline_body(LEAK),
        comments.review_body("n", 0, [comments.Outside(LEAK, "not in the diff")], LINKS),
        summary.summary_markdown(sarif, [LEAK], LINKS),
        *annotations.escape_warnings([LEAK]),
    ]
    for text in texts:
        said = text.lower().replace("no new heap escapes", "")
        assert "new heap escape" not in said
        assert "new leaking param" in text.lower()


@pytest.mark.parametrize(
    ("share", "text"),
    [
        (0.042, "4.2% of CPU in p.pgo"),
        (1.0, "100.0% of CPU in p.pgo"),
        (0.0001, "<0.1% of CPU in p.pgo"),
        (0.0, "0.0% of CPU in p.pgo"),
    ],
)
def test_hotness(share: float, text: str) -> None:
    assert words.hotness(share, "p.pgo") == text


@pytest.mark.parametrize(
    ("properties", "name"),
    [
        (
            {"profile": {"path": "cmd/app/default.pgo", "source": "default.pgo"}},
            "cmd/app/default.pgo",
        ),
        ({"profile": "cpu.pprof"}, "cpu.pprof"),
        ({"profile": None}, ""),
        ({}, ""),
        ([], ""),
    ],
)
def test_profile_name_is_read_when_present(properties: object, name: str) -> None:
    assert words.profile_name(properties) == name


@pytest.mark.parametrize(
    ("escapes", "phrase"),
    [
        ([], "no new heap escapes"),
        ([escape(6, counted=False)], "no new heap escapes"),
        ([A], "1 new heap escape"),
        ([A, B], "2 new heap escapes"),
        ([A, LEAK._replace(counted=True)], "1 new heap escape and 1 new leaking param"),
        ([LEAK._replace(counted=True)], "1 new leaking param"),
    ],
)
def test_counts_phrase(escapes, phrase: str) -> None:  # type: ignore[no-untyped-def]
    assert words.counts_phrase(escapes) == phrase


@pytest.mark.parametrize(
    ("event", "name", "commits"),
    [
        (
            {"merge_group": {"head_sha": "a" * 40, "base_sha": "b" * 40, "head_ref": "x"}},
            "merge_group",
            ("a" * 40, "b" * 40),
        ),
        ({"after": "c" * 40, "before": "d" * 40}, "push", ("c" * 40, "d" * 40)),
        ({"after": "c" * 40, "before": "0" * 40}, "push", ("c" * 40, "0" * 40)),
        (
            {"pull_request": {"head": {"sha": "a" * 40}, "base": {"sha": "main"}}},
            "pull_request",
            ("a" * 40, ""),
        ),
        ({"workflow_run": {}}, "workflow_run", ("", "")),
    ],
)
def test_commits_of_any_event(tmp_path: Path, event, name, commits) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    assert tuple(commits_of(path, name)) == commits


@pytest.mark.parametrize("text", EVIL)
def test_sarif_words_in_comments_stay_inert(text: str) -> None:
    from goescape.bot import summary
    from goescape.sarif_read import SarifReport

    e = escape(6, cold=text, hotness=0.1)
    sarif = SarifReport("0.1", "go1.27.3", "b" * 40, "", (e,), (), ())
    for md in (
        comments.inline_body(e, text),
        summary.summary_markdown(sarif, [e], LINKS, profile=text),
    ):
        html = text_outside_code(render(md))
        assert "<img" not in html
        assert re.search(r"@\w", html) is None
        assert "<!-- goescape:summary" not in html


def test_benchmark_figures_are_printed_in_full() -> None:
    from goescape.bot.summary import benchmarks_table
    from goescape.sarif_read import ReportedBenchmark, ReportedMeasure

    row = ReportedBenchmark(
        "example.com/m/gz",
        "BenchmarkRead",
        ReportedMeasure(32, 40559, 18066500),
        ReportedMeasure(33, 1048576, 21190400.5),
        regressed=True,
    )
    assert benchmarks_table([row])[-1] == (
        "| `example.com/m/gz BenchmarkRead` **\u2191** | 32 \u2192 33 "
        "| 40559 \u2192 1048576 | 18066500 \u2192 21190400.5 |"
    )
