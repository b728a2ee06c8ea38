"""A pull request that lives on: pushes that move lines, change them, fix escapes and add
others; replies; a merge group. goescape-bot over real HTTP against the stand-in, which
carries comments across pushes as GitHub does (see test_standin.py); SARIF from fixtures
(test_e2e.py runs the same story with real goescape runs)."""

from __future__ import annotations

from tests.bot.conftest import HEAD_GO, escape, report
from tests.bot.standin.server import GitHubState

MAKE = escape(22, "&Point{...} escapes to heap", display="Make", fingerprint="fp-make")
SUM = escape(6, "moved to heap: t", display="Sum", fingerprint="fp-sum")
FILE = "geom/geom.go"


def current(github: GitHubState, key: str) -> list[dict[str, object]]:
    """The bot's comments on the escape `key` that GitHub shows on a line of the head."""
    return [
        c
        for c in github.bot_comments()
        if c["body"].startswith(f"<!-- goescape:escape {key} -->") and c["line"] is not None
    ]


def push(pr, github: GitHubState, text: str) -> str:  # type: ignore[no-untyped-def]
    pr.repo.write(FILE, text)
    head = pr.repo.commit("push")
    github.push(head)
    return head


def test_a_comment_that_follows_its_line_is_left_alone(github, run_bot, pr) -> None:  # type: ignore[no-untyped-def]
    run_bot(github, report(SUM, MAKE))
    [comment] = current(github, "fp-make")

    push(pr, github, HEAD_GO.replace("func Make", "// Make makes.\n// Twice.\nfunc Make"))
    writes = len(github.writes())
    result = run_bot(github, report(SUM, MAKE._replace(line=24)))

    assert result.code == 0
    assert comment["line"] == 24  # GitHub carried it along
    assert current(github, "fp-make") == [comment]
    # Only the summary changed (its links carry line numbers); no review, no comment edit.
    assert [(r.method, r.path) for r in github.writes()[writes:]] == [
        ("PATCH", f"/repos/acme/shapes/issues/comments/{github.issue_comments[0]['id']}")
    ]


def test_an_outdated_comment_is_replaced_and_points_to_the_new_one(github, run_bot, pr) -> None:  # type: ignore[no-untyped-def]
    run_bot(github, report(SUM, MAKE))
    [old] = current(github, "fp-make")
    reply = github.reply(old["id"], "Is this allocation needed?")

    head = push(pr, github, HEAD_GO.replace("&Point{1, 2}", "&Point{X: 1, Y: 2}"))
    assert old["line"] is None  # GitHub made it outdated: its line changed
    result = run_bot(github, report(SUM, MAKE))

    assert result.code == 0
    [new] = current(github, "fp-make")
    assert (new["path"], new["line"], new["commit_id"]) == (FILE, 22, head)
    assert len(github.reviews) == 2
    # The old comment stays, with its reply, and says where the escape is now.
    ids = [c["id"] for c in github.review_comments]
    assert old["id"] in ids
    assert reply["id"] in ids
    note = old["body"].splitlines()[1]
    assert note.startswith(f"**Moved in commit [{head[:12]}](")
    assert note.endswith(
        f"[`{FILE}:22`](https://github.com/acme/shapes/blob/{head}/{FILE}#L22), commented there."
    )
    # Idempotent from here on.
    writes = len(github.writes())
    run_bot(github, report(SUM, MAKE))
    assert len(github.writes()) == writes


def test_an_escape_whose_line_left_the_diff_goes_to_the_review_body(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    run_bot(github, report(SUM))
    [old] = current(github, "fp-sum")

    # Same head, but goescape now places the escape on a line outside the diff.
    moved = SUM._replace(line=14)
    run_bot(github, report(moved))

    assert current(github, "fp-sum") == [old]  # GitHub still shows it; it is not current
    assert old["body"].splitlines()[1].endswith("#L14), listed in the review body.")
    last = github.reviews[-1]["body"]
    assert f"`{FILE}:14`" in last
    assert "not in the diff" in last
    writes = len(github.writes())
    run_bot(github, report(moved))
    assert len(github.writes()) == writes


def test_a_push_that_fixes_one_escape_and_adds_another(github, run_bot, pr) -> None:  # type: ignore[no-untyped-def]
    run_bot(github, report(SUM, MAKE))
    [sum_comment] = current(github, "fp-sum")
    [make_comment] = current(github, "fp-make")
    github.reply(make_comment["id"], "@bot why is this a problem?")

    fixed = HEAD_GO.replace("t := new(int)", "t := 0").replace("*t", "t")
    head = push(
        pr,
        github,
        fixed.replace("&Point{1, 2}", "&Point{1, 2}\n}\n\nfunc Far2() *Point {\n\treturn &Point{}"),
    )
    far2 = escape(26, "&Point{} escapes to heap", display="Far2", fingerprint="fp-far2")
    result = run_bot(github, report(MAKE, far2))

    assert result.code == 0
    ids = [c["id"] for c in github.review_comments]
    assert sum_comment["id"] not in ids  # fixed, nobody replied: deleted
    [fresh] = current(github, "fp-far2")
    assert fresh["line"] == 26
    assert current(github, "fp-make") == [make_comment]  # untouched, still current
    assert "**2 new heap escapes**" in github.issue_comments[0]["body"]
    assert result.output.startswith("new-escapes=2\n")

    push(pr, github, fixed)  # then the rest is fixed too
    run_bot(github, report())
    kept = next(c for c in github.review_comments if c["id"] == make_comment["id"])
    assert kept["body"].splitlines()[1].startswith("**Resolved in commit")  # it has a reply
    assert fresh["id"] not in [c["id"] for c in github.review_comments]
    assert "No new heap escapes." in github.issue_comments[0]["body"]
    assert head != github.head_sha


def test_a_merge_group_posts_nothing_on_the_pull_request(github, run_bot, pr) -> None:  # type: ignore[no-untyped-def]
    event = {
        "action": "checks_requested",
        "merge_group": {
            "head_sha": pr.head,
            "head_ref": "refs/heads/gh-readonly-queue/main/pr-7-" + pr.base,
            "base_sha": pr.base,
            "base_ref": "refs/heads/main",
        },
    }

    result = run_bot(github, report(SUM, MAKE), event=event, event_name="merge_group", token="")

    assert result.code == 0
    assert github.requests == []  # not one request: there is no pull request to comment on
    warnings = [line for line in result.out.splitlines() if line.startswith("::warning ")]
    assert [w.split("::")[1] for w in warnings] == [
        f"warning file={FILE},line=6,title=goescape%3A new heap escape",
        f"warning file={FILE},line=22,title=goescape%3A new heap escape",
    ]
    assert f"Compared `{pr.head[:12]}`" in result.summary
    assert f"(https://github.com/acme/shapes/blob/{pr.head}/{FILE}#L22)" in result.summary
    assert result.output.startswith("new-escapes=2\n")
    failed = run_bot(github, report(SUM), "--fail-on-new", event=event, event_name="merge_group")
    assert failed.code == 1
    assert github.requests == []
