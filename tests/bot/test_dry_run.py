"""`goescape-bot --dry-run`: what a run would post, with no token and not one request."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.bot.conftest import NUMBER, escape, report

IN_DIFF = escape(6, "moved to heap: t", display="Sum", fingerprint="fp-sum")
NEW_FUNC = escape(22, "&Point{...} escapes to heap", display="Make", fingerprint="fp-make")
OUTSIDE = escape(14, "leaking param: x", display="keep", fingerprint="fp-keep")


def sections(out: str) -> dict[str, str]:
    """The dry run's output by section title."""
    found: dict[str, str] = {}
    title = ""
    for line in out.splitlines():
        if line.startswith("--- ") and line.endswith("-" * 3):
            title = line.strip("- ").strip()
            found[title] = ""
        elif title:
            found[title] += line + "\n"
    return found


def test_a_dry_run_prints_the_review_it_would_post_and_sends_nothing(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    result = run_bot(github, report(IN_DIFF, NEW_FUNC, OUTSIDE), "--dry-run", token="")

    assert result.code == 0
    assert github.requests == []  # GITHUB_API_URL points at the stand-in: nothing reached it
    assert result.summary == result.output == ""  # and no file is written
    assert result.out.startswith(
        f"goescape-bot --dry-run: what a run would post on acme/shapes#{NUMBER} at "
        f"{github.head_sha[:12]}; nothing is sent.\n"
    )
    assert "Review (COMMENT) with 2 inline comments:" in result.out
    found = sections(result.out)
    assert list(found) == [
        "inline comment geom/geom.go:6",
        "inline comment geom/geom.go:22",
        "review body",
        "summary comment (and job summary)",
        "annotations (written instead of comments when the token cannot write)",
    ]
    assert found["inline comment geom/geom.go:6"].startswith(
        "<!-- goescape:escape fp-sum -->\n**New heap escape**: `moved to heap: t`\n"
    )
    assert "`geom/geom.go:14`" in found["review body"]
    assert "not in the diff" in found["review body"]
    assert "**2 new heap escapes**" in found["summary comment (and job summary)"]
    assert found[
        "annotations (written instead of comments when the token cannot write)"
    ].startswith(
        "geom/geom.go:6: warning: goescape: new heap escape: moved to heap: t in Sum "
        "(heap escapes 0 -> 1)\n"
        "geom/geom.go:22: warning: goescape: new heap escape: &Point{...} escapes to heap in "
        "Make (heap escapes 0 -> 1)\n"
        "geom/geom.go:14: notice: goescape: new leaking param: leaking param: x in keep "
        "(not counted: --leaks counts leaking parameters)\n\n"
    )
    assert result.out.endswith("goescape-bot: 2 new heap escapes, 1 more shown; exit 0\n")


def test_a_dry_run_posts_what_a_real_run_posts(github, run_bot) -> None:  # type: ignore[no-untyped-def]
    sarif = report(IN_DIFF, NEW_FUNC, OUTSIDE)
    dry = sections(run_bot(github, sarif, "--dry-run").out)
    run_bot(github, sarif)

    posted = {f"inline comment {c['path']}:{c['line']}": c["body"] for c in github.bot_comments()}
    assert {k: v for k, v in dry.items() if k.startswith("inline")} == {
        k: v + "\n" for k, v in posted.items()
    }
    [sticky] = github.issue_comments
    assert sticky["body"].split("\n", 1)[1] + "\n" == dry["summary comment (and job summary)"]
    # The review's body differs only in its nonce.
    real = github.reviews[0]["body"].split("\n", 1)[1]
    assert dry["review body"].split("\n", 1)[1] == real + "\n"


@pytest.mark.parametrize(
    ("sarif", "extra", "code"),
    [
        (report(IN_DIFF), ("--fail-on-new",), 1),
        (report(OUTSIDE), ("--fail-on-new",), 0),
        (report(IN_DIFF), (), 0),
    ],
    ids=["counted", "shown-only", "without-fail-on-new"],
)
def test_a_dry_run_exits_as_a_real_run(github, run_bot, sarif, extra, code) -> None:  # type: ignore[no-untyped-def]
    dry = run_bot(github, sarif, "--dry-run", *extra, token="")
    assert dry.code == code
    assert github.requests == []
    assert run_bot(github, sarif, *extra).code == code


def test_a_dry_run_needs_no_network_configuration(  # type: ignore[no-untyped-def]
    run_bot, pr, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the dry run opened a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    for name in ("GITHUB_REPOSITORY", "GITHUB_EVENT_NAME", "GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)

    result = run_bot(
        None,
        report(IN_DIFF, base=pr.base),
        "--dry-run",
        "--pr",
        "7",
        "--base-sha",
        pr.base,
        "--head-sha",
        pr.head,
        "--event-path",
        "/nonexistent",
        token="",
    )

    assert result.code == 0, result.err
    assert f"on acme/shapes#7 at {pr.head[:12]}" in result.out
    assert "--- inline comment geom/geom.go:6 ---" in result.out


def test_a_dry_run_of_a_merge_group_shows_the_annotations(github, run_bot, pr) -> None:  # type: ignore[no-untyped-def]
    event = {"merge_group": {"head_sha": pr.head, "base_sha": pr.base}}

    result = run_bot(github, report(IN_DIFF), "--dry-run", event=event, event_name="merge_group")

    assert github.requests == []
    assert "No review: the run would not comment" in result.out
    assert "--- annotations ---" in result.out
    assert "geom/geom.go:6: warning: goescape: new heap escape" in result.out


def test_a_dry_run_does_not_even_load_the_github_client(tmp_path) -> None:  # type: ignore[no-untyped-def]
    sarif = tmp_path / "x.sarif"
    sarif.write_text(
        '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "goescape"}}}]}',
        encoding="utf-8",
    )
    check = (
        "import sys; from goescape.bot import cli; code = cli.main(sys.argv[1:]); "
        "loaded = [m for m in ('github', 'requests', 'urllib3') if m in sys.modules]; "
        "print('loaded:', loaded); sys.exit(code)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", check, "--dry-run", "--sarif", str(sarif)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HTTPS_PROXY": "http://127.0.0.1:9"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith("loaded: []\n")
    # No repository, event or commit known: a placeholder, and the working tree.
    assert "would post on OWNER/REPO at the working tree;" in proc.stdout
    assert "No new heap escapes." in proc.stdout


def test_a_dry_run_of_a_working_tree_report_diffs_the_working_tree(run_bot, pr) -> None:  # type: ignore[no-untyped-def]
    """`goescape --sarif F` on uncommitted changes, then `goescape-bot --dry-run --pr N`: the
    lines come from the working tree's diff with the merge base."""
    text = pr.repo.read("geom/geom.go")
    pr.repo.write("geom/geom.go", text.replace("\treturn 1\n", "\treturn 2\n"))
    in_keep = escape(14, "moved to heap: y", display="keep", fingerprint="fp-keep")

    result = run_bot(
        None, report(in_keep, base=pr.base), "--dry-run", "--pr", "7", event={}, token=""
    )

    assert result.code == 0, result.err
    assert "at the working tree; nothing is sent." in result.out
    # Line 14 is in no hunk of the commit, only of the uncommitted change.
    assert "--- inline comment geom/geom.go:14 ---" in result.out
    assert "Compared the working tree with its merge base" in result.out
