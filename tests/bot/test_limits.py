"""GitHub's limits, produced by the stand-in: a pull request of more files than one page (and
than the 3,000 GitHub lists), its secondary rate limit, a review refused as a whole, bodies
over 65,536 characters. Each ends in the best review GitHub takes, the rest in the review
body, the summary or annotations; never in a failed job that posted nothing."""

from __future__ import annotations

import time

from tests.bot.conftest import escape, report
from tests.bot.standin.server import MAX_BODY, Fault

REVIEWS = "/repos/acme/shapes/pulls/7/reviews"
IN_DIFF = escape(6, "moved to heap: t", display="Sum", fingerprint="fp-sum")
NEW_FUNC = escape(22, "&Point{...} escapes to heap", display="Make", fingerprint="fp-make")


def many_files(pr, github, n: int, folder: str) -> str:  # type: ignore[no-untyped-def]
    """A push adding `n` one-line files `folder/fNNNN.txt`."""
    for i in range(n):
        (pr.repo.path / folder).mkdir(exist_ok=True)
        (pr.repo.path / folder / f"f{i:04}.txt").write_text(f"file {i}\n", encoding="utf-8")
    head = pr.repo.commit(f"{n} files")
    github.push(head)
    return head


def in_file(path: str, fingerprint: str):  # type: ignore[no-untyped-def]
    return escape(1, "x escapes to heap", path=path, display="F", fingerprint=fingerprint)


def test_a_pull_request_of_more_than_300_files(github, run_bot, pr) -> None:  # type: ignore[no-untyped-def]
    many_files(pr, github, 350, "gen")
    last = in_file("gen/f0349.txt", "fp-last")

    result = run_bot(github, report(IN_DIFF, last))

    assert result.code == 0
    pages = [r.query.get("page", "1") for r in github.requests if r.path.endswith("/files")]
    assert pages == ["1", "2", "3", "4"]  # 353 files, 100 a page
    assert sorted((c["path"], c["line"]) for c in github.bot_comments()) == [
        ("gen/f0349.txt", 1),
        ("geom/geom.go", 6),
    ]


def test_files_past_the_3000_github_lists_go_to_the_review_body(github, run_bot, pr) -> None:  # type: ignore[no-untyped-def]
    many_files(pr, github, 3005, "aaa")
    listed, unlisted = in_file("aaa/f0005.txt", "fp-listed"), in_file("aaa/f3004.txt", "fp-past")
    assert len(github.files) == 3007  # and the stand-in lists 3,000 of them, as GitHub does

    result = run_bot(github, report(listed, unlisted, IN_DIFF))

    assert result.code == 0
    [review] = github.reviews
    assert [(c["path"], c["line"]) for c in github.bot_comments()] == [("aaa/f0005.txt", 1)]
    assert "in a file past the 3,000 GitHub lists" in review["body"]
    assert "`aaa/f3004.txt:1`" in review["body"]
    assert "`geom/geom.go:6`" in review["body"]
    assert "**2 new heap escapes**" not in review["body"]  # the body counts all three
    assert "3 new heap escapes in this pull request" in review["body"]


def test_a_secondary_rate_limit_is_waited_out(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    github.write_budget, github.write_window = 1, 2.0
    start = time.monotonic()

    result = run_bot(github, report(IN_DIFF, NEW_FUNC), "--max-wait", "5")

    assert result.code == 0
    assert time.monotonic() - start >= 1.0  # retry-after honoured
    assert [r.status for r in github.writes()] == [200, 403, 201]
    assert len(github.bot_comments()) == 2
    assert len(github.issue_comments) == 1


def test_a_secondary_rate_limit_after_the_review_leaves_the_rest_to_the_next_run(
    github, run_bot, pr
) -> None:  # type: ignore[no-untyped-def]
    run_bot(github, report(IN_DIFF, NEW_FUNC))
    pr.repo.write("geom/geom.go", pr.repo.read("geom/geom.go").replace("{1, 2}", "{2, 1}"))
    github.push(pr.repo.commit("outdates the comment on Make"))
    github.write_budget = 1  # a minute's budget: the review, nothing more

    result = run_bot(github, report(IN_DIFF, NEW_FUNC), "--max-wait", "5", "--fail-on-new")

    assert result.code == 1  # as any run with new escapes and --fail-on-new
    assert len(github.reviews) == 2  # the new comment on Make went out first
    assert "secondary rate limit" in result.err
    assert "stopped writing" in result.summary
    assert "1 edit(s) of earlier comments are left to the next run" in result.summary
    # The next run, with the budget back, finishes: the old comment says where it went.
    github.write_budget = None
    run_bot(github, report(IN_DIFF, NEW_FUNC))
    moved = [c for c in github.bot_comments() if c["line"] is None]
    assert len(moved) == 1
    assert "**Moved in commit" in moved[0]["body"]


def test_a_secondary_rate_limit_before_anything_is_posted_annotates(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    github.write_budget = 0

    result = run_bot(github, report(IN_DIFF), "--max-wait", "5")

    assert result.code == 0
    assert github.reviews == []
    assert github.issue_comments == []
    assert result.out.startswith("::warning file=geom/geom.go,line=6,")
    assert "could not comment on the pull request" in result.summary
    assert "`moved to heap: t`" in result.summary


def test_a_review_refused_whatever_its_lines_keeps_the_counts(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    # GitHub refuses the review with comments and the one with the list in its body (422,
    # no reason GitHub explains), then takes the one with the counts alone.
    github.faults.append(Fault("POST", REVIEWS, 422, message="Unprocessable Entity", times=2))

    result = run_bot(github, report(IN_DIFF, NEW_FUNC))

    assert result.code == 0
    attempts = [r for r in github.requests if r.method == "POST" and r.path == REVIEWS]
    assert [a.status for a in attempts] == [422, 422, 200]
    assert [len(a.body.get("comments", [])) for a in attempts] == [2, 0, 0]
    assert "GitHub rejected the line" in attempts[1].body["body"]
    [review] = github.reviews
    assert "2 new heap escapes in this pull request" in review["body"]
    assert "GitHub refused this review with its findings" in review["body"]
    assert result.out.count("::warning ") == 2  # the findings are annotated instead
    assert "`&Point{...} escapes to heap`" in github.issue_comments[0]["body"]


def test_a_review_github_never_takes_still_leaves_the_summary(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    github.faults.append(Fault("POST", REVIEWS, 422, message="Unprocessable Entity", times=9))

    result = run_bot(github, report(IN_DIFF), "--fail-on-new")

    assert result.code == 1
    assert github.reviews == []
    assert len(github.issue_comments) == 1  # the sticky summary is an issue comment
    assert "GitHub refused every review" in result.summary
    assert "\n::warning file=geom/geom.go,line=6," in result.out


def test_bodies_stay_under_githubs_limit(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    # 600 escapes outside the diff, each with a long expression: listed in the review body,
    # which GitHub would refuse past 65,536 characters.
    long = "x" * 150
    escapes = [
        escape(14, f"{long}{i} escapes to heap", display="keep", fingerprint=f"fp{i:03}")
        for i in range(600)
    ]

    result = run_bot(github, report(*escapes), "--max-comments", "0")

    assert result.code == 0
    assert [r.status for r in github.writes()] == [200, 201]  # nothing refused
    [review] = github.reviews
    assert len(review["body"]) <= MAX_BODY
    assert "more: the summary comment counts them." in review["body"]
    # Every escape is marked in the body even when not listed, so a re-run posts nothing.
    assert review["body"].count("<!-- goescape:escape ") == 600
    assert len(github.issue_comments[0]["body"]) <= MAX_BODY
    writes = len(github.writes())
    run_bot(github, report(*escapes), "--max-comments", "0")
    assert len(github.writes()) == writes
