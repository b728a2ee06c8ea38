"""goescape-bot with the real PyGithub over real HTTP against the GitHub stand-in."""

from __future__ import annotations

import time

import pytest

from tests.bot.conftest import HEAD_GO, escape, report
from tests.bot.standin.server import READ_TOKEN, WRITE_TOKEN, Fault

IN_DIFF = escape(6, "moved to heap: t", display="Sum")
NEW_FUNC = escape(21, "&Point{...} escapes to heap", display="Make", fingerprint="fp-make")
OUTSIDE = escape(14, "leaking param: x", display="keep", fingerprint="fp-keep")
REVIEWS = "/repos/acme/shapes/pulls/7/reviews"


def posted_reviews(github):  # type: ignore[no-untyped-def]
    return [
        r for r in github.requests if r.method == "POST" and r.path == REVIEWS and r.status == 200
    ]


def test_one_inline_comment_per_new_escape_on_its_line(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    result = run_bot(github, report(IN_DIFF, NEW_FUNC, OUTSIDE))

    assert result.code == 0
    [review] = posted_reviews(github)
    assert review.body["commit_id"] == github.head_sha
    assert review.body["event"] == "COMMENT"
    anchors = sorted((c["path"], c["line"], c["side"]) for c in review.body["comments"])
    assert anchors == [("geom/geom.go", 6, "RIGHT"), ("geom/geom.go", 21, "RIGHT")]
    bodies = {c["line"]: c["body"] for c in review.body["comments"]}
    assert "`moved to heap: t`" in bodies[6]
    assert "`Sum`" in bodies[6]
    assert "0 \u2192 1" in bodies[6]
    assert "//goescape:ignore" in bodies[6]
    # The leak in unchanged code is in the review body, with its reason, never called a heap
    # escape; the body counts what fails the run, as the outputs do.
    assert "`geom/geom.go:14`" in review.body["body"]
    assert "not in the diff" in review.body["body"]
    assert "**New leaking param**: `leaking param: x`" in review.body["body"]
    assert "2 new heap escapes in this pull request" in review.body["body"]
    # The sticky summary and the job summary carry the same table.
    [sticky] = github.issue_comments
    assert "| `Sum` |" in sticky["body"]
    assert "`&Point{...} escapes to heap`" in sticky["body"]
    assert sticky["body"].split("\n", 1)[1] in result.summary
    assert "**2 new heap escapes**" in sticky["body"]
    assert "**1 finding shown, not counted**" in sticky["body"]
    assert result.output.splitlines() == [
        "new-escapes=2",
        f"sarif-file={run_bot_sarif(result)}",
    ]
    assert "/user" not in [r.path for r in github.requests]


def run_bot_sarif(result) -> str:  # type: ignore[no-untyped-def]
    return result.output.splitlines()[1].split("=", 1)[1]


def test_a_rerun_posts_nothing(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    sarif = report(IN_DIFF, NEW_FUNC, OUTSIDE)
    run_bot(github, sarif)
    writes = len(github.writes())

    again = run_bot(github, sarif)

    assert again.code == 0
    assert len(github.writes()) == writes
    assert len(github.bot_comments()) == 2
    assert len(github.reviews) == 1
    assert len(github.issue_comments) == 1


def test_listings_are_followed_across_pages(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    github.max_per_page = 1
    sarif = report(IN_DIFF, NEW_FUNC, OUTSIDE)
    run_bot(github, sarif)
    writes = len(github.writes())

    run_bot(github, sarif)

    assert len(github.writes()) == writes
    pages = {r.query.get("page") for r in github.requests if r.path.endswith("/pulls/7/comments")}
    assert {"2"} <= pages


def test_max_comments_puts_the_rest_in_the_body(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    run_bot(github, report(IN_DIFF, NEW_FUNC), "--max-comments", "1")

    [review] = posted_reviews(github)
    assert [c["line"] for c in review.body["comments"]] == [6]
    assert "`geom/geom.go:21`" in review.body["body"]
    assert "over the inline comment limit" in review.body["body"]


def test_a_fix_commit_deletes_comments_nobody_answered(github, run_bot, pr) -> None:  # type: ignore[no-untyped-def]
    run_bot(github, report(IN_DIFF, NEW_FUNC))
    sum_comment = next(c for c in github.bot_comments() if c["line"] == 6)
    make_comment = next(c for c in github.bot_comments() if c["line"] == 21)
    github.reply(make_comment["id"], "@bot why is this a problem?")
    pr.repo.write("geom/geom.go", HEAD_GO.replace("t := new(int)", "t := 0").replace("*t", "t"))
    fix = pr.repo.commit("fix")
    github.push(fix)

    result = run_bot(github, report())

    assert result.code == 0
    ids = [c["id"] for c in github.review_comments]
    assert sum_comment["id"] not in ids  # nobody replied: deleted
    kept = next(c for c in github.review_comments if c["id"] == make_comment["id"])
    assert kept["body"].splitlines()[1].startswith(f"**Resolved in commit [{fix[:12]}]")
    assert "No new heap escapes." in github.issue_comments[0]["body"]
    assert len(github.issue_comments) == 1
    assert len(github.reviews) == 1  # nothing new: no second review
    # A further run changes nothing.
    writes = len(github.writes())
    run_bot(github, report())
    assert len(github.writes()) == writes


def test_a_changed_escape_gets_its_comment_updated(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    run_bot(github, report(IN_DIFF))
    [comment] = github.bot_comments()
    sticky_before = github.issue_comments[0]["body"]

    run_bot(github, report(IN_DIFF._replace(after=3, before=1)))

    [edited] = github.bot_comments()
    assert edited["id"] == comment["id"]
    assert "1 \u2192 3" in edited["body"]
    assert len(github.reviews) == 1
    [sticky] = github.issue_comments
    assert sticky["body"] != sticky_before  # edited in place
    assert [r.method for r in github.requests if "/issues/" in r.path and r.method != "GET"] == [
        "POST",
        "PATCH",
    ]


def test_a_422_moves_what_github_rejects_to_the_body(github, run_bot, pr) -> None:  # type: ignore[no-untyped-def]
    # The first listing claims line 14 is in the diff (as if the PR had moved on since).
    real = next(f["patch"] for f in github.files if f["filename"] == "geom/geom.go")
    second = real.index("\n@@ ", 1)
    github.stale_patches["geom/geom.go"] = (
        real[:second] + "\n@@ -14,1 +14,1 @@\n \treturn 1" + real[second:]
    )
    stale_outside = OUTSIDE

    result = run_bot(github, report(IN_DIFF, stale_outside))

    assert result.code == 0
    attempts = [r for r in github.requests if r.method == "POST" and r.path == REVIEWS]
    assert [a.status for a in attempts] == [422, 200]
    assert [c["line"] for c in attempts[1].body["comments"]] == [6]
    assert "GitHub rejected the line" in attempts[1].body["body"]
    assert len(github.reviews) == 1


def test_when_github_rejects_every_line_all_goes_to_the_body(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    github.reject_lines.add(("geom/geom.go", 6))

    result = run_bot(github, report(IN_DIFF, NEW_FUNC))

    assert result.code == 0
    [review] = github.reviews
    assert github.bot_comments() == []
    assert review["body"].count("GitHub rejected the line") == 2


@pytest.mark.parametrize("after", [False, True], ids=["502-before", "502-after-posting"])
def test_a_502_is_retried_without_posting_twice(github, run_bot, after) -> None:  # type: ignore[no-untyped-def]
    github.faults.append(Fault("POST", REVIEWS, 502, after=after))
    github.faults.append(Fault("POST", r".*/issues/7/comments", 502, after=after))
    github.faults.append(Fault("GET", r".*/pulls/7/files", 503))

    result = run_bot(github, report(IN_DIFF, NEW_FUNC))

    assert result.code == 0
    assert len(github.reviews) == 1
    assert len(github.bot_comments()) == 2
    assert len(github.issue_comments) == 1


def test_rate_limits_are_waited_out(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    github.faults.append(
        Fault(
            "POST", REVIEWS, 403, {"Retry-After": "1"}, "You have exceeded a secondary rate limit"
        )
    )
    github.faults.append(
        Fault("GET", r".*/issues/7/comments", 429, {"Retry-After": "0"}, "Too many")
    )
    start = time.monotonic()

    result = run_bot(github, report(IN_DIFF))

    assert result.code == 0
    assert time.monotonic() - start >= 1.0  # Retry-After honoured
    assert len(github.reviews) == 1
    assert len(github.issue_comments) == 1


def test_a_rate_limit_longer_than_max_wait_annotates_instead(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    github.faults.append(
        Fault("GET", r".*/pulls/7/files", 429, {"Retry-After": "3600"}, "Too many")
    )

    result = run_bot(github, report(IN_DIFF), "--max-wait", "5", "--fail-on-new")

    assert result.code == 1  # as a run that commented: the escape fails it, GitHub does not
    assert github.writes() == []
    assert result.out.startswith("::warning file=geom/geom.go,line=6,")
    assert "rate limit" in result.err
    assert "`moved to heap: t`" in result.summary
    assert "GitHub's rate limit on listing the pull request's files" in result.summary
    assert "it asks to wait 3600s; --max-wait is 5s" in result.summary


def test_a_read_only_token_annotates_instead(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    result = run_bot(github, report(IN_DIFF, OUTSIDE), token=READ_TOKEN)

    assert result.code == 0
    assert github.reviews == []
    assert github.issue_comments == []
    warnings = [line for line in result.out.splitlines() if line.startswith("::warning ")]
    assert warnings == [
        "::warning file=geom/geom.go,line=6,title=goescape%3A new heap escape::"
        "moved to heap: t in Sum (heap escapes 0 -> 1)",
    ]
    notices = [line for line in result.out.splitlines() if line.startswith("::notice ")]
    assert notices == [
        "::notice file=geom/geom.go,line=14,title=goescape%3A new leaking param::"
        "leaking param: x in keep (not counted: --leaks counts leaking parameters)",
    ]
    assert "read-only" in result.summary
    assert "`moved to heap: t`" in result.summary
    assert "cannot write" in result.err
    assert result.output.startswith("new-escapes=1\n")


def test_the_token_is_never_printed(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    github.faults.append(Fault("GET", r".*/pulls/7/files", 500, times=5))
    outputs = [run_bot(github, report(IN_DIFF))]  # 5xx on every attempt
    assert not github.faults[0].times
    outputs.append(run_bot(github, report(IN_DIFF), token=READ_TOKEN))
    outputs.append(run_bot(github, report(IN_DIFF), token="ghs_unknownTOKEN"))  # 401
    assert [r.code for r in outputs] == [2, 0, 2]
    for r in outputs:
        for text in (r.out, r.err, r.summary, r.output):
            assert WRITE_TOKEN not in text
            assert READ_TOKEN not in text
            assert "ghs_unknownTOKEN" not in text
    assert "401 Bad credentials" in outputs[2].err
    # GitHub down: exit 2, but the job summary and annotations still say what was found.
    assert "GitHub kept failing" in outputs[0].summary
    assert "\n::warning file=geom/geom.go,line=6," in "\n" + outputs[0].out


def test_a_huge_file_without_patch_uses_the_local_diff(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    github.huge.add("geom/geom.go")

    run_bot(github, report(IN_DIFF, OUTSIDE))

    [review] = posted_reviews(github)
    assert [c["line"] for c in review.body["comments"]] == [6]
    assert "`geom/geom.go:14`" in review.body["body"]


def test_fail_on_new_and_request_changes(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    result = run_bot(github, report(IN_DIFF), "--fail-on-new", "--request-changes")

    assert result.code == 1
    assert github.reviews[0]["state"] == "CHANGES_REQUESTED"


def test_induced_notes_do_not_fail_or_request_changes(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    note = OUTSIDE._replace(level="note", induced=True)

    result = run_bot(github, report(note), "--fail-on-new", "--request-changes")

    assert result.code == 0
    assert github.reviews[0]["state"] == "COMMENTED"
    assert result.output.startswith("new-escapes=0\n")


def test_source_text_cannot_inject_markup(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    evil = escape(6, "moved to heap: `@octocat` <img src=x> **b** |x|", hint="see @admin <b>")

    run_bot(github, report(evil))

    [comment] = github.bot_comments()
    assert "``moved to heap: `@octocat` <img src=x> **b** |x|``" in comment["body"]
    assert "@admin" not in comment["body"]
    assert "<b>" not in comment["body"]


@pytest.mark.parametrize("trusted", [False, True])
def test_markers_copied_by_people_are_not_the_bots(github, run_bot, trusted) -> None:  # type: ignore[no-untyped-def]
    run_bot(github, report(IN_DIFF))
    [ours] = github.bot_comments()
    [summary] = github.issue_comments
    first_summary = summary["body"]
    # Mallory pastes the bot's markers into comments of her own.
    forged = github.comment_as("mallory", ours["path"], ours["line"], ours["body"])
    forged_summary = github.issue_comment_as("mallory", first_summary)
    github.issue_comments.reverse()  # hers is listed first

    extra = ("--trust-author", "mallory") if trusted else ()
    run_bot(github, report(), *extra)  # the escape is gone

    ids = [c["id"] for c in github.review_comments]
    assert ours["id"] not in ids  # the bot's own comment: deleted
    bodies = {c["id"]: c["body"] for c in github.issue_comments}
    if trusted:
        assert forged["id"] not in ids
        assert "No new heap escapes." in bodies[forged_summary["id"]]
    else:
        assert forged["id"] in ids
        assert bodies[forged_summary["id"]] == first_summary
        assert "No new heap escapes." in bodies[summary["id"]]


@pytest.mark.parametrize(
    ("properties", "where"),
    [
        (
            {"profile": {"path": "cmd/app/default.pgo", "source": "default.pgo"}},
            "cmd/app/default.pgo",
        ),
        ({}, "the profile"),  # SARIF from before profiles: still said, without a name
    ],
)
def test_hot_and_cold_escapes_are_named_with_the_profile(
    github, run_bot, properties, where
) -> None:  # type: ignore[no-untyped-def]
    hot = IN_DIFF._replace(hotness=0.042)
    cold = NEW_FUNC._replace(cold=True, cold_reason="panic argument", counted=False, hotness=0.0)

    result = run_bot(github, report(hot, cold), "--fail-on-new", run_properties=properties)

    assert result.code == 1
    bodies = {c["line"]: c["body"] for c in github.bot_comments()}
    assert bodies[6].splitlines()[1] == (
        f"**New heap escape** (4.2% of CPU in {where}): `moved to heap: t`"
    )
    assert bodies[21].splitlines()[1] == (
        f"**New heap escape** (cold path: panic argument; 0.0% of CPU in {where}): "
        "`&Point{...} escapes to heap`"
    )
    [sticky] = github.issue_comments
    assert "**1 new heap escape**" in sticky["body"]
    assert "`--fail-on-cold` counts cold-path escapes" in sticky["body"]
    assert ("ranked by the CPU profile `cmd/app/default.pgo`" in sticky["body"]) == bool(properties)
    assert result.output.startswith("new-escapes=1\n")
