"""The text and JSON reports, built from escapes the Go compiler really printed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from goescape import hints
from goescape.escapes import Escape, parse
from goescape.functions import FunctionId
from goescape.outcome import (
    ABSENT,
    CHANGED,
    NEW,
    UNCHANGED,
    BaseChoice,
    BenchmarkComparison,
    BenchmarkMeasure,
    Finding,
    FunctionSummary,
    Location,
    Outcome,
    Skipped,
)
from goescape.report import JSON_SCHEMA_VERSION, render_json, render_text, shown_path

# go1.27.3 `go build -gcflags=./...=-m=2`, cut to the escapes used below.
GEOM = """\
# example.com/esc/geom
geom/geom.go:17:2: p escapes to heap in NewPoint:
geom/geom.go:17:2:   flow: ~r0 ← &p:
geom/geom.go:17:2:     from &p (address-of) at geom/geom.go:18:9
geom/geom.go:17:2:     from return &p (return) at geom/geom.go:18:2
geom/geom.go:17:2: moved to heap: p
geom/geom.go:22:7: parameter p leaks to ~r0 for (*Point).Add with derefs=0:
geom/geom.go:22:7:   flow: ~r0 ← p:
geom/geom.go:22:7:     from return p (return) at geom/geom.go:25:2
geom/geom.go:22:7: leaking param: p to result ~r0 level=0
geom/geom.go:30:20: v escapes to heap in Describe:
geom/geom.go:30:20:   flow: {storage for ... argument} ← &{storage for v}:
geom/geom.go:30:20:     from v (spill) at geom/geom.go:30:20
geom/geom.go:30:20:     from ... argument (slice-literal-element) at geom/geom.go:30:19
geom/geom.go:30:20:   flow: {heap} ← {storage for ... argument}:
geom/geom.go:30:20:     from ... argument (spill) at geom/geom.go:30:19
geom/geom.go:30:20:     from fmt.Sprint(... argument...) (call parameter) at geom/geom.go:30:19
geom/geom.go:30:20: v escapes to heap
geom/geom.go:56:13: make([]byte, n) escapes to heap in Buffer:
geom/geom.go:56:13:   flow: ~r0 ← &{storage for make([]byte, n)}:
geom/geom.go:56:13:     from make([]byte, n) (spill) at geom/geom.go:56:13
geom/geom.go:56:13:     from return make([]byte, n) (return) at geom/geom.go:56:2
geom/geom.go:56:13: make([]byte, n) escapes to heap
geom/geom.go:83:11: parameter p leaks to {heap} for Keep with derefs=0:
geom/geom.go:83:11:   flow: {heap} ← p:
geom/geom.go:83:11:     from p (interface-converted) at geom/geom.go:84:9
geom/geom.go:83:11:     from sink = p (assign) at geom/geom.go:84:7
geom/geom.go:83:11: leaking param: p
geom/geom.go:121:12: new(Point) escapes to heap in Alloc:
geom/geom.go:121:12:   flow: ~r0 ← &{storage for new(Point)}:
geom/geom.go:121:12:     from new(Point) (spill) at geom/geom.go:121:12
geom/geom.go:121:12:     from return new(Point) (return) at geom/geom.go:121:2
geom/geom.go:121:12: new(Point) escapes to heap
# example.com/esc/app
app/app.go:8:22: inlining call to geom.NewPoint
app/app.go:8:22: geom.p escapes to heap in Use:
app/app.go:8:22:   flow: ~r0 ← &geom.p:
app/app.go:8:22:     from &geom.p (address-of) at app/app.go:8:22
app/app.go:8:22:     from ~r0 = &geom.p (assign-pair) at app/app.go:8:22
app/app.go:8:22:   flow: {heap} ← ~r0:
app/app.go:8:22:     from keep = ~r0 (assign) at app/app.go:8:7
app/app.go:8:22: moved to heap: geom.p
"""
ESCAPES = {(e.path, e.line, e.col): e for e in parse(GEOM)}
GEOM_PKG = "example.com/esc/geom"
BASE = BaseChoice("3f2a1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49", "merge base of HEAD and origin/main")
HEADLINE_BASE = "(base 3f2a1c0, merge base of HEAD and origin/main)"

HINT_POINTER = "    hint: " + hints.HINTS[hints.POINTER_RETURNED]
HINT_RETURNED = "    hint: " + hints.HINTS[hints.RETURNED_ALLOCATION]


def _esc(where: str) -> Escape:
    path, line, col = where.split(":")
    return ESCAPES[(path, int(line), int(col))]


def _finding(
    where: str,
    name: str,
    *,
    receiver: str = "",
    package: str = GEOM_PKG,
    state: str = NEW,
    induced: bool = False,
    suppressed: str | None = None,
    before: int = 0,
    after: int = 1,
    new_function: bool = False,
    plain: bool = False,
) -> Finding:
    escape = _esc(where)
    if plain:  # as plain -m reports it: no flow
        escape = escape._replace(flow=())
    display = f"(*{receiver}).{name}" if receiver else name
    fid = FunctionId(package, receiver, name)
    inlined_from = Location("geom/geom.go", 16, 6) if escape.inlined else None
    return Finding(
        fid,
        display,
        escape,
        state,
        induced,
        suppressed,
        before,
        after,
        0,
        new_function,
        inlined_from,
    )


def _summary(
    name: str,
    line: int,
    *,
    path: str = "geom/geom.go",
    changed: bool = True,
    new_function: bool = False,
    before: int = 0,
    after: int = 0,
    new: int = 0,
    package: str = GEOM_PKG,
) -> FunctionSummary:
    fid = FunctionId(package, "", name)
    return FunctionSummary(fid, name, path, line, changed, new_function, before, after, new)


def _outcome(
    findings: list[Finding],
    functions: list[FunctionSummary],
    *,
    skipped: tuple[Skipped, ...] = (),
    warnings: tuple[str, ...] = (),
    count_leaks: bool = False,
    fail_on_induced: bool = False,
) -> Outcome:
    return Outcome(
        base=BASE,
        head_commit="",
        head_label="working tree",
        findings=tuple(findings),
        functions=tuple(functions),
        skipped=skipped,
        warnings=warnings,
        go_version="go1.27.3",
        count_leaks=count_leaks,
        fail_on_induced=fail_on_induced,
    )


def _lines(*lines: str) -> str:
    return "\n".join(lines)


# A changed function gained a pointer return; a new function returns a fresh slice.
# Findings are given out of order: the report sorts them by position.
SAMPLE = _outcome(
    [
        _finding("geom/geom.go:56:13", "Buffer", new_function=True, after=1),
        _finding("geom/geom.go:17:2", "NewPoint", before=0, after=1),
        _finding("geom/geom.go:121:12", "Alloc", state=UNCHANGED, before=1, after=1),
    ],
    [
        _summary("NewPoint", 16, before=0, after=1, new=1),
        _summary("Buffer", 55, new_function=True, after=1, new=1),
        _summary("Alloc", 120, before=1, after=1),
    ],
)


def test_new_escapes_in_a_changed_and_a_new_function() -> None:
    assert render_text(SAMPLE, explain=False) == _lines(
        f"goescape: 2 new heap escapes in 3 changed functions {HEADLINE_BASE}",
        "geom/geom.go:17:2: NewPoint: moved to heap: p   (0 -> 1 heap escapes)",
        HINT_POINTER,
        "geom/geom.go:56:13: Buffer: make([]byte, n) escapes to heap   (new function)",
        HINT_RETURNED,
        "",
        "heap escapes in the changed functions: 1 -> 3 (1 unchanged, 0 changed,"
        " 2 new of which 2 counted, 0 removed)",
        "",
        "to accept an escape: add `//goescape:ignore <reason>` at the end of the line it names"
        " (geom/geom.go:17, geom/geom.go:56) or alone on the line above",
        "to skip goescape once: SKIP=goescape git commit ...",
    )


def test_explain_adds_the_compiler_flow_under_each_escape() -> None:
    outcome = SAMPLE._replace(findings=SAMPLE.findings[1:2], functions=SAMPLE.functions[:1])
    assert render_text(outcome, explain=True).split("\n\n")[0] == _lines(
        f"goescape: 1 new heap escape in 1 changed function {HEADLINE_BASE}",
        "geom/geom.go:17:2: NewPoint: moved to heap: p   (0 -> 1 heap escapes)",
        HINT_POINTER,
        "    why:",
        "      flow: ~r0 = &p",
        "        from &p (address-of) at geom/geom.go:18:9",
        "        from return &p (return) at geom/geom.go:18:2",
    )


@pytest.mark.parametrize(
    ("path", "where", "shown"),
    [
        ("geom/geom.go", "", "geom/geom.go"),  # at the repository root
        ("geom/geom.go", "geom", "geom.go"),  # as go vet: no ./ in the directory itself
        ("geom/geom.go", "app", "../geom/geom.go"),
        ("geom/geom.go", "geom/sub", "../geom.go"),
        ("geom/geom.go", "a/b", "../../geom/geom.go"),
        ("/usr/lib/go/src/fmt/print.go", "geom", "/usr/lib/go/src/fmt/print.go"),  # GOROOT
        ("<autogenerated>", "geom", "<autogenerated>"),
        ("../outside.go", "geom", "../outside.go"),
    ],
)
def test_paths_are_shown_from_where_goescape_runs(path: str, where: str, shown: str) -> None:
    assert shown_path(path, where) == shown


def test_text_paths_follow_the_directory_and_json_stays_repo_relative() -> None:
    outcome = SAMPLE._replace(findings=SAMPLE.findings[1:2], functions=SAMPLE.functions[:1])
    at_root = render_text(outcome, explain=True)
    assert at_root.count("geom/geom.go:") == 4  # the escape, two flow steps, how to accept
    from_app = render_text(outcome, explain=True, where="app")
    assert from_app == at_root.replace("geom/geom.go:", "../geom/geom.go:")
    from_geom = render_text(outcome, explain=True, where="geom")
    assert from_geom == at_root.replace("geom/geom.go:", "geom.go:")
    suppressed = _outcome(
        [_finding("geom/geom.go:17:2", "NewPoint", suppressed="pooled")],
        [_summary("NewPoint", 16, after=1)],
    )
    assert (
        "geom.go:17:2: NewPoint: moved to heap: p   (reason: pooled)"
        in render_text(suppressed, explain=False, where="geom").splitlines()
    )
    doc = json.loads(render_json(outcome))
    assert doc["counted"][0]["path"] == "geom/geom.go"


def test_explain_without_flow_prints_no_why_block() -> None:
    finding = _finding("geom/geom.go:17:2", "NewPoint", before=1, after=2, plain=True)
    outcome = _outcome([finding], [_summary("NewPoint", 16, new=1)])
    text = render_text(outcome, explain=True)
    assert "why:" not in text
    assert text.splitlines()[2] == "    hint: " + hints.HINTS[hints.MOVED_GENERIC]


def test_one_new_escape_in_one_changed_function_is_singular() -> None:
    outcome = _outcome(
        [_finding("geom/geom.go:30:20", "Describe", before=0, after=1)],
        [_summary("Describe", 29, after=1, new=1)],
    )
    assert render_text(outcome, explain=False).splitlines()[:3] == [
        f"goescape: 1 new heap escape in 1 changed function {HEADLINE_BASE}",
        "geom/geom.go:30:20: Describe: v escapes to heap   (0 -> 1 heap escapes)",
        "    hint: " + hints.HINTS[hints.INTERFACE_ARGUMENT],
    ]


def test_nothing_new() -> None:
    outcome = _outcome(
        [
            _finding("geom/geom.go:17:2", "NewPoint", state=UNCHANGED, before=1, after=1),
            _finding("geom/geom.go:121:12", "Alloc", state=ABSENT, before=1, after=0),
        ],
        [_summary("NewPoint", 16, before=1, after=1), _summary("Alloc", 120, before=1)],
    )
    assert render_text(outcome, explain=True) == _lines(
        f"goescape: no new heap escapes in 2 changed functions {HEADLINE_BASE}",
        "",
        "removed 1 heap escape in Alloc",
        "heap escapes in the changed functions: 2 -> 1 (1 unchanged, 0 changed,"
        " 0 new of which 0 counted, 1 removed)",
    )


def test_no_changed_go_functions_still_counts_what_was_skipped() -> None:
    outcome = _outcome(
        [],
        [],
        skipped=(
            Skipped("geom/geom_test.go", "test file (use --tests)"),
            Skipped("geom/more_test.go", "test file (use --tests)"),
            Skipped("geom/generated.go", "generated file"),
            Skipped("broken", "does not compile at base"),
        ),
    )
    assert render_text(outcome, explain=False) == _lines(
        f"goescape: no changed Go functions {HEADLINE_BASE}",
        "",
        "skipped: 2 test files (use --tests), 1 generated file,"
        " 1 package (does not compile at base)",
    )


def test_induced_escapes_are_shown_apart_and_not_counted() -> None:
    induced = _finding("app/app.go:8:22", "Use", package="example.com/esc/app", induced=True)
    outcome = _outcome(
        [induced._replace(before=0, after=1)],
        [
            _summary("NewPoint", 16, before=1, after=1),
            _summary("Use", 7, path="app/app.go", changed=False, after=1),
        ],
    )
    assert render_text(outcome, explain=False) == _lines(
        f"goescape: no new heap escapes in 1 changed function {HEADLINE_BASE}",
        "",
        "caused by this change in functions it did not touch"
        " (not counted; --fail-on-induced counts them):",
        "app/app.go:8:22: Use: moved to heap: geom.p"
        "   (0 -> 1 heap escapes, via inlined geom.NewPoint)",
        "    hint: " + hints.HINTS[hints.ADDRESS_STORED],
        "",
        "heap escapes in the changed functions: 1 -> 1 (0 unchanged, 0 changed,"
        " 0 new of which 0 counted, 0 removed)",
    )
    assert outcome.counted() == []


def test_fail_on_induced_counts_them_in_the_main_list() -> None:
    induced = _finding("app/app.go:8:22", "Use", package="example.com/esc/app", induced=True)
    outcome = _outcome(
        [induced],
        [
            _summary("NewPoint", 16, before=1, after=1),
            _summary("Use", 7, path="app/app.go", changed=False, after=1),
        ],
        fail_on_induced=True,
    )
    assert render_text(outcome, explain=False) == _lines(
        f"goescape: 1 new heap escape in 1 changed function {HEADLINE_BASE}",
        "app/app.go:8:22: Use: moved to heap: geom.p"
        "   (0 -> 1 heap escapes, caused by this change, via inlined geom.NewPoint)",
        "    hint: " + hints.HINTS[hints.ADDRESS_STORED],
        "",
        "heap escapes in the changed functions: 1 -> 1 (0 unchanged, 0 changed,"
        " 0 new of which 0 counted, 0 removed)",
        "",
        "to accept an escape: add `//goescape:ignore <reason>` at the end of the line it names"
        " (app/app.go:8) or alone on the line above",
        "to skip goescape once: SKIP=goescape git commit ...",
    )


def test_suppressed_escapes_are_listed_with_their_reason_and_warnings_follow() -> None:
    outcome = _outcome(
        [
            _finding("geom/geom.go:17:2", "NewPoint", suppressed="returned on purpose"),
            _finding("geom/geom.go:30:20", "Describe", suppressed=""),
        ],
        [_summary("NewPoint", 16, after=1), _summary("Describe", 29, after=1)],
        warnings=("geom/geom.go:29: //goescape:ignore without a reason",),
    )
    assert render_text(outcome, explain=False) == _lines(
        f"goescape: no new heap escapes in 2 changed functions {HEADLINE_BASE}",
        "",
        "suppressed by //goescape:ignore (not counted):",
        "geom/geom.go:17:2: NewPoint: moved to heap: p   (reason: returned on purpose)",
        "geom/geom.go:30:20: Describe: v escapes to heap   (no reason given)",
        "",
        "heap escapes in the changed functions: 0 -> 2 (0 unchanged, 0 changed,"
        " 2 new of which 0 counted, 0 removed)",
        "",
        "warning: geom/geom.go:29: //goescape:ignore without a reason",
    )


LEAKY = [
    _finding("geom/geom.go:22:7", "Add", receiver="Point", before=0, after=0),
    _finding("geom/geom.go:83:11", "Keep", new_function=True),
    _finding("geom/geom.go:17:2", "NewPoint", before=0, after=1),
]
LEAKY_FUNCTIONS = [
    _summary("Add", 21),
    _summary("Keep", 82, new_function=True),
    _summary("NewPoint", 16, after=1, new=1),
]


def test_leaking_params_are_shown_but_not_counted_by_default() -> None:
    outcome = _outcome(LEAKY, LEAKY_FUNCTIONS)
    assert render_text(outcome, explain=False) == _lines(
        f"goescape: 1 new heap escape in 3 changed functions {HEADLINE_BASE}",
        "geom/geom.go:17:2: NewPoint: moved to heap: p   (0 -> 1 heap escapes)",
        HINT_POINTER,
        "",
        "new leaking params (not counted; --leaks counts them):",
        "geom/geom.go:22:7: (*Point).Add: leaking param: p to result ~r0 level=0",
        "    hint: " + hints.HINTS[hints.LEAK_TO_RESULT],
        "geom/geom.go:83:11: Keep: leaking param: p   (new function)",
        "    hint: " + hints.HINTS[hints.LEAK_TO_HEAP],
        "",
        "heap escapes in the changed functions: 0 -> 1 (0 unchanged, 0 changed,"
        " 1 new of which 1 counted, 0 removed)",
        "",
        "to accept an escape: add `//goescape:ignore <reason>` at the end of the line it names"
        " (geom/geom.go:17) or alone on the line above",
        "to skip goescape once: SKIP=goescape git commit ...",
    )


def test_leaks_flag_counts_leaking_params_in_the_main_list() -> None:
    outcome = _outcome(
        [f._replace(after=1) for f in LEAKY],
        [s._replace(after=1) for s in LEAKY_FUNCTIONS],
        count_leaks=True,
    )
    assert render_text(outcome, explain=False) == _lines(
        "goescape: 1 new heap escape and 2 new leaking params in 3 changed functions"
        f" {HEADLINE_BASE}",
        "geom/geom.go:17:2: NewPoint: moved to heap: p   (0 -> 1 escapes)",
        HINT_POINTER,
        "geom/geom.go:22:7: (*Point).Add: leaking param: p to result ~r0 level=0"
        "   (0 -> 1 escapes)",
        "    hint: " + hints.HINTS[hints.LEAK_TO_RESULT],
        "geom/geom.go:83:11: Keep: leaking param: p   (new function)",
        "    hint: " + hints.HINTS[hints.LEAK_TO_HEAP],
        "",
        "escapes in the changed functions: 0 -> 3 (0 unchanged, 0 changed,"
        " 3 new of which 3 counted, 0 removed)",
        "",
        "to accept an escape: add `//goescape:ignore <reason>` at the end of the line it names"
        " (geom/geom.go:17, geom/geom.go:22, geom/geom.go:83) or alone on the line above",
        "to skip goescape once: SKIP=goescape git commit ...",
    )


def test_colour_only_when_asked() -> None:
    plain = render_text(SAMPLE, explain=False)
    coloured = render_text(SAMPLE, explain=False, color=True)
    assert "\033[" not in plain
    assert coloured.startswith("\033[1mgoescape: 2 new heap escapes")
    assert "\033[31mgeom/geom.go:17:2: NewPoint: moved to heap: p" in coloured
    # Without the escape codes it is the plain report.
    for code in ("\033[1m", "\033[31m", "\033[2m", "\033[0m"):
        coloured = coloured.replace(code, "")
    assert coloured == plain


def test_a_position_without_column_prints_line_only() -> None:
    (escape,) = parse("# m/gen\ngen/shapes.tmpl:10: moved to heap: x\n")
    finding = Finding(
        FunctionId("m/gen", "", "Template"),
        "Template",
        escape,
        NEW,
        False,
        None,
        0,
        1,
        0,
        True,
        None,
    )
    outcome = _outcome([finding], [_summary("Template", 9, new_function=True, after=1, new=1)])
    assert render_text(outcome, explain=False).splitlines()[1] == (
        "gen/shapes.tmpl:10: Template: moved to heap: x   (new function)"
    )


# ---- JSON ----

TOP_KEYS = [
    "schema_version",
    "tool",
    "base",
    "head",
    "options",
    "profile",
    "summary",
    "counted",
    "findings",
    "functions",
    "skipped",
    "warnings",
    "benchmarks",
]
FINDING_KEYS = [
    "function",
    "path",
    "line",
    "col",
    "kind",
    "expression",
    "message",
    "state",
    "counted",
    "induced",
    "suppressed",
    "suppression_reason",
    "before",
    "after",
    "ordinal",
    "new_function",
    "earlier_commit",
    "previous",
    "inlined",
    "inlined_from",
    "cold",
    "cold_reason",
    "hotness",
    "hint",
    "hint_category",
    "flow",
]


def _json(outcome: Outcome) -> dict[str, Any]:
    doc = json.loads(render_json(outcome))
    assert isinstance(doc, dict)
    return doc


def test_json_names_base_head_and_the_counted_escapes() -> None:
    doc = _json(SAMPLE)
    assert list(doc) == TOP_KEYS
    assert doc["schema_version"] == JSON_SCHEMA_VERSION == 1
    assert doc["tool"]["go"] == "go1.27.3"
    assert doc["base"] == {"commit": BASE.commit, "short": "3f2a1c0", "how": BASE.how}
    assert doc["head"] == {"commit": None, "label": "working tree"}
    assert doc["summary"] == {
        "exit_code": 1,
        "counted": 2,
        "counted_heap": 2,
        "counted_leaks": 0,
        "changed_functions": 3,
        "new": 2,
        "new_induced": 0,
        "new_suppressed": 0,
        "new_earlier_commit": 0,
        "changed": 0,
        "unchanged": 1,
        "removed": 0,
        "new_cold": 0,
        "benchmarks_regressed": 0,
        "skipped": 0,
        "warnings": 0,
    }
    first = doc["counted"][0]
    assert list(first) == FINDING_KEYS
    assert first["function"] == {
        "package": GEOM_PKG,
        "receiver": "",
        "name": "NewPoint",
        "display": "NewPoint",
    }
    assert (first["path"], first["line"], first["col"]) == ("geom/geom.go", 17, 2)
    assert first["message"] == "moved to heap: p"
    assert first["hint_category"] == hints.POINTER_RETURNED
    assert first["flow"][1] == {
        "path": "geom/geom.go",
        "line": 18,
        "col": 9,
        "text": "from &p (address-of)",
    }
    assert [f["message"] for f in doc["counted"]] == [
        "moved to heap: p",
        "make([]byte, n) escapes to heap",
    ]
    # All findings, the unchanged one too, sorted by position.
    states = [(f["line"], f["state"], f["counted"]) for f in doc["findings"]]
    assert states == [(17, "new", True), (56, "new", True), (121, "unchanged", False)]


def test_json_marks_induced_suppressed_and_leaks() -> None:
    induced = _finding("app/app.go:8:22", "Use", package="example.com/esc/app", induced=True)
    suppressed = _finding("geom/geom.go:30:20", "Describe", suppressed="")
    outcome = _outcome(
        [induced, suppressed, *LEAKY],
        LEAKY_FUNCTIONS,
        skipped=(Skipped("geom/generated.go", "generated file"),),
        warnings=("geom/geom.go:29: //goescape:ignore without a reason",),
    )
    doc = _json(outcome)
    by_message = {(f["path"], f["message"]): f for f in doc["findings"]}
    use = by_message[("app/app.go", "moved to heap: geom.p")]
    assert (use["induced"], use["counted"], use["inlined"]) == (True, False, "geom.NewPoint")
    assert use["inlined_from"] == {"path": "geom/geom.go", "line": 16, "col": 6}
    describe = by_message[("geom/geom.go", "v escapes to heap")]
    assert (describe["suppressed"], describe["suppression_reason"]) == (True, "")
    keep = by_message[("geom/geom.go", "leaking param: p")]
    assert (keep["kind"], keep["counted"], keep["expression"]) == ("leaking param", False, "p")
    assert doc["summary"]["exit_code"] == 1  # NewPoint's escape
    assert doc["summary"]["new_induced"] == 1
    assert doc["summary"]["new_suppressed"] == 1
    assert doc["skipped"] == [{"path": "geom/generated.go", "reason": "generated file"}]
    assert doc["warnings"] == ["geom/geom.go:29: //goescape:ignore without a reason"]
    assert doc["options"] == {
        "count_leaks": False,
        "fail_on_induced": False,
        "fail_on_cold": False,
        "min_hotness": None,
    }


def test_json_with_nothing_new_exits_clean_and_has_a_head_commit() -> None:
    outcome = _outcome(
        [_finding("geom/geom.go:17:2", "NewPoint", state=UNCHANGED, before=1, after=1)],
        [_summary("NewPoint", 16, before=1, after=1)],
    )._replace(head_commit="a" * 40, head_label="HEAD")
    doc = _json(outcome)
    assert doc["summary"]["exit_code"] == 0
    assert doc["counted"] == []
    assert doc["head"] == {"commit": "a" * 40, "label": "HEAD"}
    assert doc["functions"] == [
        {
            "function": {
                "package": GEOM_PKG,
                "receiver": "",
                "name": "NewPoint",
                "display": "NewPoint",
            },
            "path": "geom/geom.go",
            "line": 16,
            "changed": True,
            "new_function": False,
            "before": 1,
            "after": 1,
            "new": 0,
        }
    ]


@pytest.mark.parametrize("outcome", [SAMPLE, _outcome([], [])])
def test_json_is_deterministic(outcome: Outcome) -> None:
    reordered = outcome._replace(findings=tuple(reversed(outcome.findings)))
    assert render_json(outcome) == render_json(reordered)


def test_a_leak_the_change_caused_elsewhere_says_so() -> None:
    leak = _finding("geom/geom.go:83:11", "Keep", induced=True)
    outcome = _outcome([leak], [_summary("NewPoint", 16), _summary("Keep", 82, changed=False)])
    assert render_text(outcome, explain=False).splitlines()[2:4] == [
        "new leaking params (not counted; --leaks counts them):",
        "geom/geom.go:83:11: Keep: leaking param: p   (caused by this change)",
    ]


# ---- changed and removed escapes ----


def _changed_outcome() -> Outcome:
    """Buffer's `make([]byte, n)` replaced `new(Point)` at the same place; Alloc lost one."""
    previous = _esc("geom/geom.go:121:12")
    changed = _finding("geom/geom.go:56:13", "Buffer", state=CHANGED, before=1, after=1)
    changed = changed._replace(previous=previous)
    removed = _finding("geom/geom.go:121:12", "Alloc", state=ABSENT, before=1, after=0)
    return _outcome(
        [changed, removed],
        [_summary("Buffer", 55, before=1, after=1), _summary("Alloc", 120, before=1)],
    )


def test_a_changed_escape_is_shown_and_not_counted() -> None:
    assert render_text(_changed_outcome(), explain=True) == _lines(
        f"goescape: no new heap escapes in 2 changed functions {HEADLINE_BASE}",
        "",
        "changed at the same place (the same kind of escape, re-expressed; not counted):",
        "geom/geom.go:56:13: Buffer: make([]byte, n) escapes to heap"
        "   (was: new(Point) escapes to heap)",
        "",
        "removed 1 heap escape in Alloc",
        "heap escapes in the changed functions: 2 -> 1 (0 unchanged, 1 changed,"
        " 0 new of which 0 counted, 1 removed)",
    )


def test_json_of_a_changed_escape_names_what_it_replaced() -> None:
    doc = _json(_changed_outcome())
    changed = doc["findings"][0]
    assert (changed["state"], changed["counted"]) == ("changed", False)
    assert changed["previous"] == {
        "path": "geom/geom.go",
        "line": 121,
        "col": 12,
        "expression": "new(Point)",
        "message": "new(Point) escapes to heap",
    }
    assert doc["findings"][1]["previous"] is None
    summary = doc["summary"]
    assert (summary["changed"], summary["removed"], summary["exit_code"]) == (1, 1, 0)


def test_escapes_of_earlier_commits_are_one_line() -> None:
    """The pre-commit stage: NewPoint is the commit's, Describe and Alloc earlier commits'."""
    ours = _finding("geom/geom.go:17:2", "NewPoint")
    earlier = [
        _finding("geom/geom.go:30:20", "Describe")._replace(earlier_commit=True),
        _finding("geom/geom.go:121:12", "Alloc")._replace(earlier_commit=True),
    ]
    outcome = _outcome(
        [ours, *earlier],
        [_summary("NewPoint", 16), _summary("Describe", 29), _summary("Alloc", 120)],
    )
    assert outcome.counted() == [ours]
    lines = render_text(outcome, explain=False).splitlines()
    assert lines[0] == f"goescape: 1 new heap escape in 3 changed functions {HEADLINE_BASE}"
    assert lines[3:5] == [
        "",
        "earlier commits: 2 new heap escapes in Describe, Alloc, which this commit does not "
        "touch (not counted here; pre-push and CI judge the whole branch)",
    ]
    assert "Describe" not in "\n".join(lines[5:])  # how to accept names NewPoint's line only
    doc = _json(outcome)
    assert doc["summary"]["new_earlier_commit"] == 2
    assert [f["earlier_commit"] for f in doc["findings"]] == [False, True, True]
    assert [f["function"]["name"] for f in doc["counted"]] == ["NewPoint"]

    nothing_now = _outcome(earlier, [_summary("Describe", 29), _summary("Alloc", 120)])
    assert render_text(nothing_now, explain=False).splitlines()[:3] == [
        f"goescape: no new heap escapes in 2 changed functions {HEADLINE_BASE}",
        "",
        "earlier commits: 2 new heap escapes in Describe, Alloc, which this commit does not "
        "touch (not counted here; pre-push and CI judge the whole branch)",
    ]


@pytest.mark.parametrize(
    ("base", "head", "line"),
    [
        pytest.param(
            BenchmarkMeasure(32, 40559, 18066500),
            BenchmarkMeasure(33, 40575, 21190400),
            "example.com/esc/geom BenchmarkRead: 32 -> 33 allocs/op, 40559 -> 40575 B/op, "
            "18066500 -> 21190400 ns/op   (allocs/op rose)",
            id="figures as go test prints them, never 1.80665e+07",
        ),
        pytest.param(
            BenchmarkMeasure(0, 0, 12.5),
            BenchmarkMeasure(0, 1048576, 160.4),
            "example.com/esc/geom BenchmarkRead: 0 -> 0 allocs/op, 0 -> 1048576 B/op, "
            "12.5 -> 160.4 ns/op",
            id="fractions of a nanosecond, a megabyte per op",
        ),
    ],
)
def test_benchmark_lines(base: BenchmarkMeasure, head: BenchmarkMeasure, line: str) -> None:
    bench = BenchmarkComparison(GEOM_PKG, "BenchmarkRead", base, head)
    text = render_text(_outcome([], [])._replace(benchmarks=(bench,)), explain=False)
    assert line in text.splitlines()
    # A rise fails the run even when no function changed (a constant did): never "no changed".
    assert text.startswith("goescape: no changed Go functions") != bench.regressed
