"""Read a SARIF file goescape wrote: the reader `goescape sarif-summary` and the bot share.

The record fields are the contract with the bot: fields may be added at the end, never
renamed or removed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote

from goescape.errors import FatalError

TOOL_NAME = "goescape"
SRCROOT = "%SRCROOT%"
# goescape's own partial fingerprint; bump the version if what it hashes changes.
FINGERPRINT_KEY = "goescapeEscape/v1"


class FlowLocation(NamedTuple):
    path: str  # repo-relative; "" for a step outside the repository (GOROOT, ...)
    line: int  # 0 when path is ""
    col: int  # UTF-16 column (run.columnKind); 0 when unknown
    text: str


class ReportedEscape(NamedTuple):
    rule_id: str
    level: str  # "warning", "error", "note"
    message: str  # the result's message text (reads well alone)
    compiler_message: str  # the compiler's own words, e.g. "moved to heap: p"
    path: str  # repo-relative
    line: int
    col: int  # UTF-16 column, 0 when the compiler gave none
    function: str  # fully qualified, e.g. "example.com/geom.(*Point).Add"
    display: str  # "(*Point).Add"
    baseline_state: str  # "new", "unchanged", "absent"
    suppressed: bool
    suppression_reason: str
    induced: bool  # in a function the change did not touch
    fingerprint: str  # goescape's own line-independent partial fingerprint
    before: int
    after: int
    hint: str  # how to fix it, one or two sentences
    flow: tuple[FlowLocation, ...]
    # Added after the first contract:
    rule_name: str = ""  # "NewHeapVariable", ...
    kind: str = ""  # "moved to heap", "escapes to heap", "leaking param"
    expression: str = ""  # "p", "&Point{...}", ...
    new_function: bool = False
    inlined_from: FlowLocation | None = None  # declaration of the inlined callee, with message
    # Added with changed escapes, cold paths and profiles (result properties `counted`,
    # `previousExpression`, `cold`, `coldReason`, `hotness`):
    counted: bool = False  # makes the run fail: the one meaning of "new heap escape"
    previous_expression: str = ""  # baseline_state "updated": what the base had there
    cold: bool = False
    cold_reason: str = ""  # "panic argument", "error return", ...
    hotness: float | None = None  # the function's cumulative share of the CPU profile


class ReportedFunction(NamedTuple):
    function: str  # fully qualified
    display: str
    path: str
    line: int
    before: int
    after: int
    new: int
    # Added after the first contract:
    changed: bool = True  # False: listed only for induced escapes
    new_function: bool = False


class ReportedMeasure(NamedTuple):
    allocs_per_op: float
    bytes_per_op: float
    ns_per_op: float


class ReportedBenchmark(NamedTuple):
    """One benchmark measured at base and head (`--bench`; run property `benchmarks`)."""

    package: str
    name: str
    base: ReportedMeasure | None  # None: the benchmark does not exist at base
    head: ReportedMeasure | None
    regressed: bool  # allocs/op rose: it fails the run


class ReportedProfile(NamedTuple):
    """The CPU profile the findings are ranked by (run property `profile`)."""

    path: str
    source: str  # "--profile" or "default.pgo"
    pgo: bool  # both sides compiled with it
    total_samples: int


class SarifReport(NamedTuple):
    tool_version: str
    go_version: str
    base_commit: str
    head_commit: str
    escapes: tuple[ReportedEscape, ...]
    functions: tuple[ReportedFunction, ...]  # every compared function (from run.properties)
    notifications: tuple[str, ...]  # skipped files/packages and other run notes
    # Added after the first contract:
    exit_code: int | None = None
    execution_successful: bool = True
    upload_mode: bool = False  # the file was written for code scanning (new results only)
    base_how: str = ""
    head_label: str = ""
    count_leaks: bool = False
    category: str = ""
    # Added with cold paths, profiles and benchmarks:
    fail_on_cold: bool = False
    min_hotness: float | None = None
    profile: ReportedProfile | None = None
    benchmarks: tuple[ReportedBenchmark, ...] = ()


class SarifError(FatalError):
    """The file is missing, not JSON, or not SARIF goescape wrote; str() is one line."""


def read(path: Path) -> SarifReport:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not UTF-8 text"
        raise SarifError(f"cannot read {path}: {reason}") from err
    try:
        data = json.loads(text)
    except ValueError as err:
        raise SarifError(f"{path} is not JSON: {err}") from err
    try:
        return parse(data)
    except SarifError as err:
        raise SarifError(f"{path}: {err}") from err


def parse(data: object) -> SarifReport:
    """The report in parsed SARIF JSON; SarifError names the first thing that is wrong."""
    log = _obj(data, "the file")
    if log.get("version") != "2.1.0":
        raise SarifError(f"not SARIF 2.1.0 (version is {log.get('version')!r})")
    runs = _list(log.get("runs"), "runs")
    if not runs:
        raise SarifError("has no runs")
    run = _obj(runs[0], "runs[0]")
    driver = _obj(_obj(run.get("tool"), "runs[0].tool").get("driver"), "runs[0].tool.driver")
    if driver.get("name") != TOOL_NAME:
        raise SarifError(f"was written by {driver.get('name')!r}, not by {TOOL_NAME}")
    rules = [_obj(r, "a rule") for r in _list(driver.get("rules", []), "rules")]
    props = _obj(run.get("properties", {}), "runs[0].properties")
    invocation = _obj((_list(run.get("invocations", [{}]), "invocations") or [{}])[0], "invocation")
    notes = _list(invocation.get("toolExecutionNotifications", []), "notifications")
    escapes = tuple(
        _escape(_obj(r, f"results[{i}]"), rules, f"results[{i}]")
        for i, r in enumerate(_list(run.get("results", []), "runs[0].results"))
    )
    return SarifReport(
        tool_version=_str(driver.get("version", ""), "tool version"),
        go_version=_str(props.get("goVersion", ""), "goVersion"),
        base_commit=_str(props.get("baseCommit", ""), "baseCommit"),
        head_commit=_str(props.get("headCommit", ""), "headCommit"),
        escapes=escapes,
        functions=tuple(
            _function(_obj(f, "a function")) for f in _list(props.get("functions", []), "functions")
        ),
        notifications=tuple(_text(_obj(n, "a notification"), "notification") for n in notes),
        exit_code=_int(invocation["exitCode"], "exitCode") if "exitCode" in invocation else None,
        execution_successful=bool(invocation.get("executionSuccessful", True)),
        upload_mode=bool(props.get("uploadMode", False)),
        base_how=_str(props.get("baseHow", ""), "baseHow"),
        head_label=_str(props.get("headLabel", ""), "headLabel"),
        count_leaks=bool(props.get("countLeaks", False)),
        category=_str(
            _obj(run.get("automationDetails", {}), "automationDetails").get("id", ""), "id"
        ),
        fail_on_cold=bool(props.get("failOnCold", False)),
        min_hotness=_fraction(props.get("minHotness"), "minHotness"),
        profile=_profile(props["profile"]) if props.get("profile") is not None else None,
        benchmarks=tuple(
            _benchmark(_obj(b, "a benchmark"))
            for b in _list(props.get("benchmarks", []), "benchmarks")
        ),
    )


def _profile(value: object) -> ReportedProfile:
    p = _obj(value, "profile")
    return ReportedProfile(
        path=_str(p.get("path", ""), "profile.path"),
        source=_str(p.get("source", ""), "profile.source"),
        pgo=bool(p.get("pgo", False)),
        total_samples=_int(p.get("totalSamples", 0), "profile.totalSamples"),
    )


def _benchmark(b: dict[str, Any]) -> ReportedBenchmark:
    def measure(value: object, where: str) -> ReportedMeasure | None:
        if value is None:
            return None
        m = _obj(value, where)
        return ReportedMeasure(
            *(_number(m.get(k), f"{where}.{k}") for k in ("allocsPerOp", "bytesPerOp", "nsPerOp"))
        )

    return ReportedBenchmark(
        package=_str(b.get("package", ""), "benchmark package"),
        name=_str(b.get("name", ""), "benchmark name"),
        base=measure(b.get("base"), "benchmark base"),
        head=measure(b.get("head"), "benchmark head"),
        regressed=bool(b.get("regressed", False)),
    )


def _number(value: object, where: str) -> float:
    number = _fraction(value, where)
    if number is None:
        raise SarifError(f"{where} is missing, expected a number")
    return number


def _escape(res: dict[str, Any], rules: list[dict[str, Any]], where: str) -> ReportedEscape:
    rule_id = _str(res.get("ruleId", ""), f"{where}.ruleId")
    rule = next((r for r in rules if r.get("id") == rule_id), {})
    level = res.get("level") or _obj(rule.get("defaultConfiguration", {}), "rule").get(
        "level", "warning"
    )
    locations = _list(res.get("locations"), f"{where}.locations")
    if not locations:
        raise SarifError(f"{where} has no location")
    primary = _obj(locations[0], f"{where}.locations[0]")
    path, line, col = _place(primary, f"{where}.locations[0]")
    logical = _list(primary.get("logicalLocations", [{}]), "logicalLocations") or [{}]
    func = _obj(logical[0], f"{where}.logicalLocations[0]")
    props = _obj(res.get("properties", {}), f"{where}.properties")
    suppressions = _list(res.get("suppressions", []), f"{where}.suppressions")
    related = _list(res.get("relatedLocations", []), f"{where}.relatedLocations")
    return ReportedEscape(
        rule_id=rule_id,
        level=_str(level, f"{where}.level"),
        message=_text(res, where),
        compiler_message=_str(props.get("compilerMessage", ""), "compilerMessage"),
        path=path,
        line=line,
        col=col,
        function=_str(func.get("fullyQualifiedName", ""), "fullyQualifiedName"),
        display=_str(func.get("name", ""), "name"),
        baseline_state=_str(res.get("baselineState", "new"), f"{where}.baselineState"),
        suppressed=bool(suppressions),
        suppression_reason=_str(
            _obj(suppressions[0], "suppression").get("justification", "") if suppressions else "",
            "justification",
        ),
        induced=bool(props.get("induced", False)),
        fingerprint=_str(
            _obj(res.get("partialFingerprints", {}), "partialFingerprints").get(
                FINGERPRINT_KEY, ""
            ),
            FINGERPRINT_KEY,
        ),
        before=_int(props.get("before", 0), "before"),
        after=_int(props.get("after", 0), "after"),
        hint=_str(props.get("hint", ""), "hint"),
        flow=_flow(res, where),
        rule_name=_str(rule.get("name", ""), "rule name"),
        kind=_str(props.get("escapeKind", ""), "escapeKind"),
        expression=_str(props.get("expression", ""), "expression"),
        new_function=bool(props.get("newFunction", False)),
        inlined_from=_flow_location(_obj(related[0], "relatedLocations[0]")) if related else None,
        counted=bool(props.get("counted", False)),
        previous_expression=_str(props.get("previousExpression", ""), "previousExpression"),
        cold=bool(props.get("cold", False)),
        cold_reason=_str(props.get("coldReason", ""), "coldReason"),
        hotness=_fraction(props.get("hotness"), "hotness"),
    )


def _fraction(value: object, where: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise SarifError(f"{where} is {_what(value)}, expected a number")
    return float(value)


def _flow(res: dict[str, Any], where: str) -> tuple[FlowLocation, ...]:
    flows = _list(res.get("codeFlows", []), f"{where}.codeFlows")
    if not flows:
        return ()
    threads = _list(_obj(flows[0], "codeFlow").get("threadFlows"), f"{where}.threadFlows")
    if not threads:
        return ()
    steps = _list(_obj(threads[0], "threadFlow").get("locations"), f"{where}.threadFlow")
    return tuple(
        _flow_location(_obj(_obj(s, "step").get("location"), f"{where} flow step")) for s in steps
    )


def _flow_location(loc: dict[str, Any]) -> FlowLocation:
    text = _text(loc, "location") if "message" in loc else ""
    if "physicalLocation" not in loc:
        return FlowLocation("", 0, 0, text)
    path, line, col = _place(loc, "location")
    return FlowLocation(path, line, col, text)


def _place(loc: dict[str, Any], where: str) -> tuple[str, int, int]:
    physical = _obj(loc.get("physicalLocation"), f"{where}.physicalLocation")
    artifact = _obj(physical.get("artifactLocation"), f"{where}.artifactLocation")
    region = _obj(physical.get("region", {}), f"{where}.region")
    return (
        unquote(_str(artifact.get("uri"), f"{where}.artifactLocation.uri")),
        _int(region.get("startLine", 0), f"{where}.region.startLine"),
        _int(region.get("startColumn", 0), f"{where}.region.startColumn"),
    )


def _function(f: dict[str, Any]) -> ReportedFunction:
    return ReportedFunction(
        function=_str(f.get("function", ""), "function"),
        display=_str(f.get("display", ""), "display"),
        path=_str(f.get("path", ""), "path"),
        line=_int(f.get("line", 0), "line"),
        before=_int(f.get("before", 0), "before"),
        after=_int(f.get("after", 0), "after"),
        new=_int(f.get("new", 0), "new"),
        changed=bool(f.get("changed", True)),
        new_function=bool(f.get("newFunction", False)),
    )


def _text(holder: dict[str, Any], where: str) -> str:
    return _str(_obj(holder.get("message"), f"{where}.message").get("text"), f"{where} text")


def _obj(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SarifError(f"{where} is {_what(value)}, expected an object")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise SarifError(f"{where} is {_what(value)}, expected an array")
    return value


def _str(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise SarifError(f"{where} is {_what(value)}, expected a string")
    return value


def _int(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise SarifError(f"{where} is {_what(value)}, expected an integer")
    return value


def _what(value: object) -> str:
    return "missing" if value is None else type(value).__name__
