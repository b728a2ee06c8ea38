"""The SARIF builder: what each consumer (code scanning, viewers, the bot) finds in the log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from goescape import __version__
from goescape.escapes import Escape
from goescape.outcome import CHANGED, UNCHANGED, Finding, Outcome
from goescape.sarif import RunFacts, build, fingerprint, git_source, utf16_column
from goescape.sarif_read import FINGERPRINT_KEY, parse
from goescape.sarif_rules import RULES

from tests.gitrepo import GitRepo
from tests.hooks import sarif_outcome as fx

FACTS = RunFacts(
    command_line="goescape --sarif out.sarif",
    exit_code=1,
    execution_successful=True,
    repository_uri="https://github.com/acme/geom",
    branch="feature/points",
    source_root="/src/geom",
)


def run_of(
    outcome: Outcome = fx.OUTCOME, facts: RunFacts = FACTS, *, upload: bool = False, **kw: Any
) -> dict[str, Any]:
    log = build(outcome, facts, for_upload=upload, **kw)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run: dict[str, Any] = log["runs"][0]
    return run


def result_of(finding: Finding, outcome: Outcome = fx.OUTCOME, **kw: Any) -> dict[str, Any]:
    results = run_of(outcome, **kw)["results"]
    res: dict[str, Any] = results[outcome.findings.index(finding)]
    return res


def walk(node: object) -> Iterator[tuple[str, object]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_driver_describes_goescape_and_its_four_rules() -> None:
    driver = run_of()["tool"]["driver"]
    assert driver["name"] == "goescape"
    assert driver["version"] == __version__
    assert driver["informationUri"] == "https://github.com/goescape/goescape"
    assert [r["id"] for r in driver["rules"]] == [
        "GOESC1001",
        "GOESC1002",
        "GOESC1003",
        "GOESC1004",
    ]
    for rule in driver["rules"]:
        assert rule["name"][0].isupper()
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        for part in ("What it means", "What it costs", "How to fix it", "Suppressing it"):
            assert f"{part}:" in rule["help"]["text"]
            assert f"**{part}.**" in rule["help"]["markdown"]
        assert "//goescape:ignore <reason>" in rule["help"]["text"]
        assert rule["help"]["markdown"].count("```go") == 2  # before and after
        assert rule["properties"]["tags"] == ["performance", "go", "escape-analysis"]
        assert rule["properties"]["precision"] == "very-high"
        assert rule["defaultConfiguration"]["level"] in ("warning", "note")
    assert "security-severity" not in {key for key, _ in walk(driver)}


@pytest.mark.parametrize(
    ("flags", "level", "expected"),
    [
        # (count_leaks, fail_on_induced), --level, levels of GOESC1001..1004
        ((False, False), "warning", ["warning", "warning", "note", "note"]),
        ((False, False), "error", ["error", "error", "note", "note"]),
        ((True, True), "error", ["error", "error", "error", "error"]),
        ((True, False), "warning", ["warning", "warning", "warning", "note"]),
    ],
)
def test_rule_levels_follow_what_fails_the_run(
    flags: tuple[bool, bool], level: str, expected: list[str]
) -> None:
    outcome = fx.OUTCOME._replace(count_leaks=flags[0], fail_on_induced=flags[1])
    rules = run_of(outcome, FACTS._replace(level=level))["tool"]["driver"]["rules"]
    assert [r["defaultConfiguration"]["level"] for r in rules] == expected
    severity = {"error": "error", "warning": "warning", "note": "recommendation"}
    assert [r["properties"]["problem.severity"] for r in rules] == [severity[x] for x in expected]


def test_default_values_are_left_out() -> None:
    run = run_of()
    keys = {key for key, _ in walk(run)}
    # sarif-om's defaults that would otherwise appear on every object:
    assert not keys & {"rank", "enabled", "importance", "newlineSequences", "index", "language"}
    assert all(value != -1 for _, value in walk(run))
    assert "kind" not in run["results"][0]  # result kind "fail" is the default
    # ... but levels are always written, even the default "warning".
    assert run["results"][0]["level"] == "warning"
    assert run["tool"]["driver"]["rules"][0]["defaultConfiguration"] == {"level": "warning"}


@pytest.mark.parametrize(
    ("finding", "rule_id", "level", "state", "qualified", "kind", "words"),
    [
        (
            fx.NEW_POINT,
            "GOESC1001",
            "warning",
            "new",
            "example.com/esc/geom.NewPoint",
            "function",
            "New escape in NewPoint: moved to heap: p (heap escapes of NewPoint: 0 -> 1).",
        ),
        (
            fx.JOINED_A,
            "GOESC1002",
            "note",  # suppressed: not counted, so a note like everything else not counted
            "new",
            "example.com/esc/geom.Joined",
            "function",
            "New escape in Joined: a escapes to heap (heap escapes of Joined: 1 -> 3).",
        ),
        (
            fx.DESCRIBE,
            "GOESC1002",
            "note",
            "unchanged",
            "example.com/esc/geom.Describe",
            "function",
            "Escape in Describe, unchanged by this change: v escapes to heap "
            "(heap escapes of Describe: 1 -> 1).",
        ),
        (
            fx.BUFFER,
            "GOESC1002",
            "note",
            "absent",
            "example.com/esc/geom.Buffer",
            "function",
            "Escape removed from Buffer by this change: make([]byte, n) escapes to heap "
            "(heap escapes of Buffer: 1 -> 0).",
        ),
        (
            fx.ADD_LEAK,
            "GOESC1003",
            "note",
            "new",
            "example.com/esc/geom.(*Point).Add",
            "method",
            "New escape in new function (*Point).Add: leaking param: p to result ~r0 level=0 "
            "(heap escapes of (*Point).Add: 0 -> 0).",
        ),
        (
            fx.CALL_LOGF,
            "GOESC1004",
            "note",
            "new",
            "example.com/esc/geom.CallLogf",
            "function",
            "New escape in CallLogf, which this change did not touch; it comes from changed "
            "code (inlined Logf): ... argument escapes to heap (heap escapes of CallLogf: 2 -> 3).",
        ),
    ],
)
def test_each_escape_is_one_result(
    finding: Finding,
    rule_id: str,
    level: str,
    state: str,
    qualified: str,
    kind: str,
    words: str,
) -> None:
    res = result_of(finding)
    assert res["ruleId"] == rule_id
    assert RULES[res["ruleIndex"]].id == rule_id
    assert res["level"] == level
    assert res["baselineState"] == state
    assert res["message"]["text"] == words
    (loc,) = res["locations"]
    assert loc["physicalLocation"] == {
        "artifactLocation": {"uri": "geom/geom.go", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": finding.escape.line, "startColumn": finding.escape.col},
    }
    assert loc["logicalLocations"] == [
        {"name": finding.display, "fullyQualifiedName": qualified, "kind": kind}
    ]
    props = res["properties"]
    assert props["compilerMessage"] == finding.escape.message
    assert (props["before"], props["after"]) == (finding.before, finding.after)
    assert props["induced"] is finding.induced
    assert props["hint"] == RULES[res["ruleIndex"]].hint


def test_levels_with_level_error_leaks_counted_and_induced_failing() -> None:
    outcome = fx.OUTCOME._replace(count_leaks=True, fail_on_induced=True)
    levels = [r["level"] for r in run_of(outcome, FACTS._replace(level="error"))["results"]]
    # NEW_POINT, JOINED_CONCAT, JOINED_A, DESCRIBE, BUFFER, ADD_LEAK, CALL_LOGF: the level
    # is `error` exactly for what Outcome.counts (the suppressed Joined escapes are notes).
    assert levels == ["error", "note", "note", "note", "note", "error", "error"]
    assert [f for f in fx.FINDINGS if outcome.counts(f)] == [
        fx.NEW_POINT,
        fx.ADD_LEAK,
        fx.CALL_LOGF,
    ]


def test_removed_escape_sits_at_its_base_position() -> None:
    asked: list[tuple[str, str, int]] = []

    def source(side: str, path: str, line: int) -> bytes:
        asked.append((side, path, line))
        return b"\treturn make([]byte, n)"

    res = result_of(fx.BUFFER, source=source)
    assert res["locations"][0]["physicalLocation"]["region"] == {"startLine": 56, "startColumn": 13}
    assert ("base", "geom/geom.go", 56) in asked
    assert all(side == "head" for side, _, line in asked if line != 56)


def test_suppressions_are_in_source_with_their_reason() -> None:
    assert result_of(fx.JOINED_CONCAT)["suppressions"] == [
        {"kind": "inSource", "justification": "joined once per request, measured cheap"}
    ]
    assert result_of(fx.JOINED_A)["suppressions"] == [{"kind": "inSource"}]
    assert "suppressions" not in result_of(fx.NEW_POINT)


def test_flow_explanation_is_a_thread_flow_with_one_step_per_line() -> None:
    (flow,) = result_of(fx.NEW_POINT)["codeFlows"]
    (thread,) = flow["threadFlows"]
    steps = [
        (
            s["location"]["physicalLocation"]["artifactLocation"]["uri"],
            s["location"]["physicalLocation"]["region"]["startLine"],
            s["location"]["physicalLocation"]["region"]["startColumn"],
            s["location"]["message"]["text"],
        )
        for s in thread["locations"]
    ]
    assert steps == [
        ("geom/geom.go", 17, 2, "flow: ~r0 = &p"),
        ("geom/geom.go", 18, 9, "from &p (address-of)"),
        ("geom/geom.go", 18, 2, "from return &p (return)"),
    ]
    assert "codeFlows" not in result_of(fx.DESCRIBE)  # compiled with -m: no explanation


def test_flow_step_outside_the_repository_keeps_its_text_but_no_place() -> None:
    last = result_of(fx.JOINED_A)["codeFlows"][0]["threadFlows"][0]["locations"][-1]
    assert last == {"location": {"message": {"text": "from a (inlined)"}}}


def test_inlined_escape_points_at_the_callee_with_a_message() -> None:
    (related,) = result_of(fx.CALL_LOGF)["relatedLocations"]
    assert related["id"] == 1
    assert related["physicalLocation"]["region"] == {"startLine": 100, "startColumn": 6}
    assert "Logf" in related["message"]["text"]
    assert result_of(fx.CALL_LOGF)["properties"]["inlinedCallee"] == "Logf"
    assert "relatedLocations" not in result_of(fx.NEW_POINT)


def test_run_facts() -> None:
    run = run_of()
    (inv,) = run["invocations"]
    assert inv["commandLine"] == "goescape --sarif out.sarif"
    assert inv["executionSuccessful"] is True
    assert inv["exitCode"] == 1
    notes = [n["message"]["text"] for n in inv["toolExecutionNotifications"]]
    assert notes == [
        "geom/geom_test.go skipped: test file (use --tests).",
        "broken skipped: does not compile at base.",
        "geom/geom.go:50: //goescape:ignore without a reason.",
    ]
    assert inv["toolExecutionNotifications"][1]["locations"] == [
        {"physicalLocation": {"artifactLocation": {"uri": "broken", "uriBaseId": "%SRCROOT%"}}}
    ]
    assert run["versionControlProvenance"] == [
        {
            "repositoryUri": "https://github.com/acme/geom",
            "revisionId": fx.HEAD,
            "branch": "feature/points",
            "mappedTo": {"uriBaseId": "%SRCROOT%"},
        }
    ]
    assert run["automationDetails"] == {"id": "goescape/"}
    assert run["columnKind"] == "utf16CodeUnits"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///src/geom/"
    props = run["properties"]
    assert (props["goVersion"], props["baseCommit"], props["headCommit"]) == (
        "go1.27.3",
        fx.BASE,
        fx.HEAD,
    )
    assert props["functions"][-1] == {
        "function": "example.com/esc/geom.CallLogf",
        "display": "CallLogf",
        "path": "geom/geom.go",
        "line": 105,
        "changed": False,
        "newFunction": False,
        "before": 2,
        "after": 3,
        "new": 0,  # induced: not counted without --fail-on-induced
    }


def test_category_and_missing_repository() -> None:
    facts = FACTS._replace(category="goescape/linux", repository_uri=None, source_root=None)
    run = run_of(facts=facts)
    assert run["automationDetails"] == {"id": "goescape/linux"}
    assert "versionControlProvenance" not in run
    assert "uri" not in run["originalUriBaseIds"]["%SRCROOT%"]


def test_upload_mode_keeps_only_new_unsuppressed_results() -> None:
    run = run_of(upload=True)
    assert [r["message"]["text"].split(":")[0] for r in run["results"]] == [
        "New escape in NewPoint",
        "New escape in new function (*Point).Add",
        "New escape in CallLogf, which this change did not touch; it comes from changed code "
        "(inlined Logf)",
    ]
    assert all("suppressions" not in r for r in run["results"])
    assert run["properties"]["uploadMode"] is True


def test_upload_mode_caps_results_keeping_the_failing_ones() -> None:
    run = run_of(facts=FACTS._replace(max_results=1), upload=True)
    assert [r["ruleId"] for r in run["results"]] == ["GOESC1001"]
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert notes[-1] == (
        "2 of 3 results left out of this upload: code scanning keeps at most 1 results a run."
    )
    # The local file is never capped.
    assert len(run_of(facts=FACTS._replace(max_results=1))["results"]) == 7


def test_upload_mode_caps_flow_steps() -> None:
    facts = FACTS._replace(max_flow_locations=2)
    (res, *_) = run_of(facts=facts, upload=True)["results"]
    assert len(res["codeFlows"][0]["threadFlows"][0]["locations"]) == 2
    local = run_of(facts=facts)["results"][0]
    assert len(local["codeFlows"][0]["threadFlows"][0]["locations"]) == 3


def test_hint_comes_from_the_callable() -> None:
    seen: list[Escape] = []

    def hint_for(escape: Escape) -> str:
        seen.append(escape)
        return f"hint for {escape.expr}"

    res = result_of(fx.NEW_POINT, hint_for=hint_for)
    assert res["properties"]["hint"] == "hint for p"
    assert fx.NEW_POINT.escape in seen


def test_bracket_links_in_compiler_words_are_escaped() -> None:
    esc = fx.NEW_POINT.escape._replace(
        kind="escapes to heap", expr="fs[0](x)", message="fs[0](x) escapes to heap"
    )
    finding = fx.NEW_POINT._replace(escape=esc)
    res = result_of(finding, fx.OUTCOME._replace(findings=(finding,)))
    assert res["message"]["text"].startswith("New escape in NewPoint: fs\\[0\\](x) escapes")
    assert res["properties"]["compilerMessage"] == "fs[0](x) escapes to heap"


@pytest.mark.parametrize(
    ("line", "byte_col", "utf16_col"),
    [
        (b"\tp := Point{}", 2, 2),
        ('\ts := "h\u00e9" + x'.encode(), 13, 12),  # é: 2 bytes, 1 code unit
        ('\tm := "\U0001f600" + x'.encode(), 13, 11),  # emoji: 4 bytes, 2 code units
        ("\u20ac\u20ac y".encode(), 8, 4),  # €: 3 bytes, 1 code unit
        (b"short", 40, 40),  # the line does not match: keep the compiler's column
    ],
)
def test_utf16_column(line: bytes, byte_col: int, utf16_col: int) -> None:
    assert utf16_column(line, byte_col) == utf16_col


def test_columns_are_converted_only_when_needed() -> None:
    asked: list[int] = []

    def source(side: str, path: str, line: int) -> bytes:
        asked.append(line)
        return "\tp := \u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9 ".encode()

    res = result_of(fx.NEW_POINT, fx.OUTCOME._replace(findings=(fx.NEW_POINT,)), source=source)
    assert res["locations"][0]["physicalLocation"]["region"]["startColumn"] == 2
    flow = res["codeFlows"][0]["threadFlows"][0]["locations"]
    # Byte 9 is the second byte of the first é: seven code units precede it.
    assert flow[1]["location"]["physicalLocation"]["region"]["startColumn"] == 8
    assert sorted(set(asked)) == [17, 18]
    asked.clear()
    at_one = fx.NEW_POINT._replace(escape=fx.NEW_POINT.escape._replace(col=1, flow=()))
    result_of(at_one, fx.OUTCOME._replace(findings=(at_one,)), source=source)
    assert asked == []  # nothing precedes column 1: no file is read


# --- fingerprints ----------------------------------------------------------------------


def fp(finding: Finding) -> str:
    value: str = result_of(finding, fx.OUTCOME._replace(findings=(finding,)))[
        "partialFingerprints"
    ][FINGERPRINT_KEY]
    assert value == fingerprint(finding)
    return value


def shifted(finding: Finding, lines: int) -> Finding:
    esc = finding.escape
    flow = tuple(s._replace(line=s.line + lines) for s in esc.flow)
    return finding._replace(escape=esc._replace(line=esc.line + lines, flow=flow))


def test_fingerprint_survives_inserted_lines_and_a_move() -> None:
    base = fp(fx.NEW_POINT)
    assert fp(shifted(fx.NEW_POINT, 12)) == base
    moved = fx.NEW_POINT._replace(escape=fx.NEW_POINT.escape._replace(path="geom/points.go"))
    assert fp(moved) == base
    assert fp(fx.NEW_POINT._replace(state=UNCHANGED, before=1)) == base


@pytest.mark.parametrize(
    "changed",
    [
        fx.NEW_POINT._replace(escape=fx.NEW_POINT.escape._replace(expr="q")),
        fx.NEW_POINT._replace(ordinal=1),
        fx.NEW_POINT._replace(function=fx.fid("NewPoint3")),
        fx.NEW_POINT._replace(function=fx.fid("NewPoint", "Point")),
        fx.NEW_POINT._replace(function=fx.NEW_POINT.function._replace(package="example.com/x")),
        fx.NEW_POINT._replace(escape=fx.NEW_POINT.escape._replace(kind="escapes to heap")),
    ],
)
def test_fingerprint_changes_with_what_identifies_the_escape(changed: Finding) -> None:
    assert fp(changed) != fp(fx.NEW_POINT)


def test_github_line_hash_is_our_fingerprint() -> None:
    prints = [r["partialFingerprints"] for r in run_of()["results"]]
    assert all(p["primaryLocationLineHash"] == p[FINGERPRINT_KEY] for p in prints)
    # Escapes sharing a line stay apart (GitHub's own line hash would merge them).
    assert len({p[FINGERPRINT_KEY] for p in prints}) == len(prints)


# --- the shell -------------------------------------------------------------------------


def test_git_source_reads_commits_and_the_working_tree(repo: GitRepo) -> None:
    repo.write("a.go", "package a\n// base \u00e9\n")
    base = repo.commit("base")
    repo.write("a.go", "package a\n// head \u20ac\n")
    head = repo.commit("head")
    repo.write("a.go", "package a\n// tree\n")
    outcome = fx.OUTCOME._replace(base=fx.OUTCOME.base._replace(commit=base), head_commit=head)
    source = git_source(repo.path, outcome)
    assert source("base", "a.go", 2) == "// base \u00e9".encode()
    assert source("head", "a.go", 2) == "// head \u20ac".encode()
    assert source("head", "a.go", 9) is None
    assert source("head", "missing.go", 1) is None
    tree = git_source(repo.path, outcome._replace(head_commit=""))
    assert tree("head", "a.go", 2) == b"// tree"


def test_docs_carry_every_rules_help() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "sarif.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"\n### {rule.id} {rule.name}\n" in docs
        assert rule.short in docs
        assert rule.full in docs
        assert rule.help_markdown in docs


def test_each_rules_help_uri_names_its_heading_in_the_docs() -> None:
    """helpUri is the rule's heading in docs/sarif.md on GitHub: the file, and the anchor
    GitHub derives from the heading (lower case, spaces to hyphens)."""
    root = Path(__file__).parents[2]
    for rule in run_of()["tool"]["driver"]["rules"]:
        page, _, anchor = rule["helpUri"].partition("#")
        prefix = "https://github.com/goescape/goescape/blob/main/"
        assert page.startswith(prefix), page
        text = (root / page.removeprefix(prefix)).read_text(encoding="utf-8")
        assert f"\n### {rule['id']} {rule['name']}\n" in text
        assert anchor == f"{rule['id']} {rule['name']}".lower().replace(" ", "-")


def test_a_changed_escape_is_updated_with_its_previous_expression() -> None:
    previous = fx.BUFFER.escape
    changed = fx.DESCRIBE._replace(state=CHANGED, previous=previous)
    outcome = fx.OUTCOME._replace(findings=(changed,))
    res = result_of(changed, outcome)
    assert res["baselineState"] == "updated"
    assert res["level"] == "note"
    assert res["properties"]["previousExpression"] == "make([]byte, n)"
    assert res["properties"]["counted"] is False
    assert res["message"]["text"] == (
        "Escape in Describe changed by this change: v escapes to heap, was: make([]byte, n)"
        " escapes to heap (heap escapes of Describe: 1 -> 1)."
    )
    (read_back,) = parse(build(outcome, FACTS, for_upload=False)).escapes
    assert (read_back.baseline_state, read_back.previous_expression) == (
        "updated",
        "make([]byte, n)",
    )


def test_a_renumbered_temporary_keeps_its_fingerprint() -> None:
    def with_expr(expr: str) -> Finding:
        escape = fx.DESCRIBE.escape._replace(expr=expr, message=f"{expr} escapes to heap")
        return fx.DESCRIBE._replace(escape=escape)

    assert fingerprint(with_expr(".autotmp_3")) == fingerprint(with_expr(".autotmp_7"))
    assert fingerprint(with_expr("~r0 + s")) == fingerprint(with_expr("~r1 + s"))
    assert fingerprint(with_expr(".autotmp_3")) != fingerprint(with_expr("v"))
