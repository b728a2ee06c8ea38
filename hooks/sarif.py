"""Build goescape's SARIF 2.1.0 log from an `Outcome` (pure), and write it (the shell).

The log serves three readers: GitHub code scanning (the upload mode), SARIF viewers, and
goescape's own bot, which reads nothing else (see hooks/sarif_read.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

import attr
import sarif_om as om
from goescape import __version__
from goescape.escapes import LEAK, MOVED, FlowStep, stable_expr
from goescape.outcome import (
    ABSENT,
    CHANGED,
    NEW,
    BenchmarkComparison,
    BenchmarkMeasure,
    Finding,
    Location,
    Outcome,
)
from goescape.process import run as run_process
from goescape.sarif_read import FINGERPRINT_KEY, SRCROOT, TOOL_NAME
from goescape.sarif_rules import (
    INDUCED_ESCAPE,
    LEAKING_PARAMETER,
    NEW_HEAP_ALLOCATION,
    NEW_HEAP_VARIABLE,
    RULES,
    Rule,
)

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/goescape/goescape"
# The rules' help, one heading per rule (docs/sarif.md, "Rules").
RULES_URI = f"{INFORMATION_URI}/blob/main/docs/sarif.md"
DEFAULT_CATEGORY = "goescape/"
LEVELS = ("warning", "error")
# GitHub keeps 5,000 results of a run (rejects over 25,000) and shows 1,000 steps of a path.
GITHUB_MAX_RESULTS = 5000
GITHUB_MAX_FLOW_LOCATIONS = 1000
TAGS = ["performance", "go", "escape-analysis"]

# hint_for(escape) or, for an escape on a cold path, hint_for(escape, cold reason).
HintFor = Callable[..., str]
# (side, repo-relative path, 1-based line) -> the line's bytes, None if unknown; side is
# "head" or "base". Only needed to convert the compiler's byte columns.
LineSource = Callable[[str, str, int], bytes | None]


class RunFacts(NamedTuple):
    """What the SARIF log says about the run besides its findings."""

    command_line: str
    exit_code: int
    execution_successful: bool  # False when goescape could not do its job (exit 2)
    repository_uri: str | None = None  # e.g. "https://github.com/o/r"; no provenance if None
    branch: str | None = None
    revision: str | None = None  # head commit; defaults to outcome.head_commit
    source_root: str | None = None  # absolute repository root, for originalUriBaseIds
    category: str = DEFAULT_CATEGORY  # runs[0].automationDetails.id
    level: str = "warning"  # level of the results that fail the run: "warning" or "error"
    tool_version: str = __version__
    max_results: int = GITHUB_MAX_RESULTS  # upload mode only
    max_flow_locations: int = GITHUB_MAX_FLOW_LOCATIONS  # upload mode only


# --- serialisation -------------------------------------------------------------------------

# Levels are written even where they equal SARIF's default: GitHub and our bot should not
# need SARIF's level cascade (result -> rule configuration -> "warning") to read them.
_ALWAYS_WRITTEN = {(om.ReportingConfiguration, "level"), (om.Result, "level")}


def to_json(obj: object) -> Any:
    """Plain JSON data for a sarif-om object tree, leaving out None and default values."""
    if attr.has(type(obj)):
        out: dict[str, Any] = {}
        names = set()
        cls: Any = type(obj)
        for field in attr.fields(cls):
            names.add(field.name)
            value = getattr(obj, field.name)
            if value is None or (
                (type(obj), field.name) not in _ALWAYS_WRITTEN and value == _default(field)
            ):
                continue
            out[field.metadata["schema_property_name"]] = to_json(value)
        if isinstance(obj, om.PropertyBag):  # a property bag's own keys, see _bag
            out.update({k: to_json(v) for k, v in vars(obj).items() if k not in names})
        return out
    if isinstance(obj, dict):
        return {k: to_json(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list | tuple):
        return [to_json(v) for v in obj]
    return obj


def _default(field: attr.Attribute[Any]) -> object:
    default: Any = field.default
    if default is attr.NOTHING:
        return _NO_DEFAULT
    factory = getattr(default, "factory", None)  # attr.Factory(list) and the like
    return factory() if callable(factory) else default


_NO_DEFAULT = object()


def _bag(props: dict[str, Any], tags: list[str] | None = None) -> Any:
    """A PropertyBag: sarif-om models only `tags`; the other keys ride on the instance."""
    bag = om.PropertyBag(tags=tags)
    vars(bag).update({k: v for k, v in props.items() if v is not None})
    return bag


# --- the pure core -------------------------------------------------------------------------


def fingerprint(finding: Finding) -> str:
    """goescape's partial fingerprint: the same escape keeps it when lines shift or its
    function moves to another file; it changes with the package, function, kind, expression
    or the escape's ordinal among same-looking escapes of its function."""
    fid = finding.function
    key = "\x1f".join(
        [
            "v1",
            fid.package,
            fid.receiver,
            fid.name,
            finding.escape.kind,
            # Temporaries without their numbers (`.autotmp_7`): an edit above renumbers them.
            stable_expr(finding.escape.expr),
            str(finding.ordinal),
        ]
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def rule_for(finding: Finding) -> Rule:
    if finding.induced:
        return INDUCED_ESCAPE
    if finding.escape.kind == MOVED:
        return NEW_HEAP_VARIABLE
    if finding.escape.kind == LEAK:
        return LEAKING_PARAMETER
    return NEW_HEAP_ALLOCATION


def rule_level(rule: Rule, outcome: Outcome, level: str) -> str:
    """A rule's default level: `level` when its new results make the run fail, else note."""
    if rule is LEAKING_PARAMETER and not outcome.count_leaks:
        return "note"
    if rule is INDUCED_ESCAPE and not outcome.fail_on_induced:
        return "note"
    return level


def result_level(finding: Finding, outcome: Outcome, level: str) -> str:
    """The escapes that fail the run (`Outcome.counts`, the one meaning of "new heap escape")
    get `level`; everything else is a note, suppressed escapes included."""
    return level if outcome.counts(finding) else "note"


# SARIF's word for an escape the change re-expressed at the same place.
_BASELINE_STATE = {CHANGED: "updated"}


def rank(finding: Finding) -> float | None:
    """SARIF `rank` (0 to 100): the function's share of the CPU profile, None without one."""
    return None if finding.hotness is None else round(finding.hotness * 100, 2)


def message(finding: Finding, outcome: Outcome) -> str:
    """One sentence that reads well alone and quotes the compiler."""
    name = finding.display
    words = _plain(finding.escape.message)
    noun = "escapes" if outcome.count_leaks else "heap escapes"
    counts = f"{noun} of {name}: {finding.before} -> {finding.after}"
    if finding.state == ABSENT:
        return f"Escape removed from {name} by this change: {words} ({counts})."
    if finding.state == CHANGED and finding.previous is not None:
        was = _plain(finding.previous.message)
        return f"Escape in {name} changed by this change: {words}, was: {was} ({counts})."
    if finding.state != NEW:
        return f"Escape in {name}, unchanged by this change: {words} ({counts})."
    if finding.induced:
        via = f" (inlined {finding.escape.inlined})" if finding.escape.inlined else ""
        return (
            f"New escape in {name}, which this change did not touch; it comes from changed "
            f"code{via}: {words} ({counts})."
        )
    where = f"new function {name}" if finding.new_function else name
    return f"New escape in {where}: {words} ({counts})."


_LINK = re.compile(r"\[[^\]]*\]\(")


def _plain(text: str) -> str:
    """SARIF reads `[text](target)` in a message as a link: escape brackets if one appears
    (`fs[i](x)` in a compiler expression would do it)."""
    if _LINK.search(text):
        return text.replace("[", "\\[").replace("]", "\\]")
    return text


def utf16_column(line: bytes, byte_col: int) -> int:
    """The compiler's 1-based byte column as a 1-based UTF-16 column (SARIF's default unit)."""
    prefix = line[: byte_col - 1]
    if byte_col < 1 or len(prefix) < byte_col - 1:
        return byte_col  # the line does not match: keep what the compiler said
    return len(prefix.decode("utf-8", errors="replace").encode("utf-16-le")) // 2 + 1


class _Builder:
    def __init__(
        self,
        outcome: Outcome,
        facts: RunFacts,
        for_upload: bool,
        hint_for: HintFor | None,
        source: LineSource | None,
    ) -> None:
        self.outcome = outcome
        self.facts = facts
        self.for_upload = for_upload
        self.hint_for = hint_for
        self.source = source

    def column(self, side: str, path: str, line: int, col: int) -> int:
        if col <= 1 or self.source is None:  # nothing precedes column 1: no need to read
            return col
        text = self.source(side, path, line)
        return col if text is None else utf16_column(text, col)

    def physical(self, side: str, path: str, line: int, col: int) -> Any:
        region = None
        if line > 0:  # line 0: the whole file or directory
            region = om.Region(start_line=line)
            if col > 0:  # the compiler gives no column for `<autogenerated>:1:`
                region.start_column = self.column(side, path, line, col)
        return om.PhysicalLocation(
            artifact_location=om.ArtifactLocation(uri=quote(path), uri_base_id=SRCROOT),
            region=region,
        )

    def location(self, side: str, path: str, line: int, col: int, text: str | None) -> Any:
        msg = om.Message(text=text) if text else None
        if not _in_repo(path):  # e.g. a step inside GOROOT: keep the words, drop the place
            return om.Location(message=msg)
        return om.Location(physical_location=self.physical(side, path, line, col), message=msg)

    def rules(self) -> list[Any]:
        out = []
        for rule in RULES:
            level = rule_level(rule, self.outcome, self.facts.level)
            severity = {"error": "error", "warning": "warning"}.get(level, "recommendation")
            out.append(
                om.ReportingDescriptor(
                    id=rule.id,
                    name=rule.name,
                    short_description=om.MultiformatMessageString(text=rule.short),
                    full_description=om.MultiformatMessageString(text=rule.full),
                    help=om.MultiformatMessageString(
                        text=rule.help_text, markdown=rule.help_markdown
                    ),
                    help_uri=f"{RULES_URI}#{rule.id.lower()}-{rule.name.lower()}",
                    default_configuration=om.ReportingConfiguration(level=level),
                    properties=_bag(
                        {"precision": "very-high", "problem.severity": severity}, tags=TAGS
                    ),
                )
            )
        return out

    def result(self, finding: Finding) -> Any:
        esc = finding.escape
        side = "base" if finding.state == ABSENT else "head"
        rule = rule_for(finding)
        fp = fingerprint(finding)
        fid = finding.function
        qualified = f"{fid.package}.{finding.display}" if fid.package else finding.display
        hint = rule.hint
        if self.hint_for is not None:
            hint = self.hint_for(esc, finding.cold) if finding.cold else self.hint_for(esc)
        res = om.Result(
            message=om.Message(text=message(finding, self.outcome)),
            rule_id=rule.id,
            rule_index=RULES.index(rule),
            level=result_level(finding, self.outcome, self.facts.level),
            baseline_state=_BASELINE_STATE.get(finding.state, finding.state),
            rank=rank(finding),
            locations=[
                om.Location(
                    physical_location=self.physical(side, esc.path, esc.line, esc.col),
                    logical_locations=[
                        om.LogicalLocation(
                            name=finding.display,
                            fully_qualified_name=qualified,
                            kind="method" if fid.receiver else "function",
                        )
                    ],
                )
            ],
            # The same value for GitHub: its own line hash would merge the escapes that share
            # a line and lose an alert when the function moves (see docs/sarif.md, "Fingerprints").
            partial_fingerprints={FINGERPRINT_KEY: fp, "primaryLocationLineHash": fp},
            properties=_bag(
                {
                    "compilerMessage": esc.message,
                    "escapeKind": esc.kind,
                    "expression": esc.expr,
                    "ordinal": finding.ordinal,
                    "induced": finding.induced,
                    "newFunction": finding.new_function,
                    "before": finding.before,
                    "after": finding.after,
                    "hint": hint,
                    "inlinedCallee": esc.inlined or None,
                    "counted": self.outcome.counts(finding),
                    "previousExpression": finding.previous.expr if finding.previous else None,
                    "cold": bool(finding.cold) or None,
                    "coldReason": finding.cold or None,
                    "hotness": finding.hotness,
                }
            ),
        )
        if esc.flow:
            res.code_flows = [self.code_flow(side, esc.flow)]
        if finding.inlined_from is not None:
            res.related_locations = [self.inlined(side, finding.inlined_from, esc.inlined)]
        if finding.suppressed is not None:
            res.suppressions = [
                om.Suppression(kind="inSource", justification=finding.suppressed or None)
            ]
        return res

    def code_flow(self, side: str, steps: tuple[FlowStep, ...]) -> Any:
        if self.for_upload:
            steps = steps[: self.facts.max_flow_locations]
        return om.CodeFlow(
            message=om.Message(text="Why the compiler moves it to the heap (-m=2)."),
            thread_flows=[
                om.ThreadFlow(
                    locations=[
                        om.ThreadFlowLocation(
                            location=self.location(side, s.path, s.line, s.col, s.text)
                        )
                        for s in steps
                    ]
                )
            ],
        )

    def inlined(self, side: str, where: Location, callee: str) -> Any:
        name = callee or "the inlined function"
        text = f"Declaration of {name}: the escape happens in its body, inlined at this call."
        loc = self.location(side, where.path, where.line, where.col, text)
        loc.id = 1
        return loc

    def notifications(self, notes: list[str]) -> list[Any]:
        out = []
        for skipped in self.outcome.skipped:
            out.append(
                om.Notification(
                    message=om.Message(text=_sentence(f"{skipped.path} skipped: {skipped.reason}")),
                    level="warning",
                    locations=[self.location("head", skipped.path, 0, 0, None)]
                    if _in_repo(skipped.path)
                    else None,
                )
            )
        for text in [*self.outcome.warnings, *notes]:
            out.append(om.Notification(message=om.Message(text=_sentence(text)), level="warning"))
        return out

    def run_properties(self) -> Any:
        o = self.outcome
        per_function = o.counted_by_function()
        functions = [
            {
                "function": f"{s.function.package}.{s.display}"
                if s.function.package
                else s.display,
                "display": s.display,
                "path": s.path,
                "line": s.line,
                "changed": s.changed,
                "newFunction": s.new_function,
                "before": s.before,
                "after": s.after,
                "new": per_function.get(s.function, 0),
            }
            for s in o.functions
        ]
        return _bag(
            {
                "goVersion": o.go_version,
                "baseCommit": o.base.commit,
                "baseHow": o.base.how,
                "headCommit": o.head_commit,
                "headLabel": o.head_label,
                "countLeaks": o.count_leaks,
                "failOnInduced": o.fail_on_induced,
                "uploadMode": self.for_upload,
                "functions": functions,
                "failOnCold": o.fail_on_cold,
                "minHotness": o.min_hotness,
                "profile": {
                    "path": o.profile.path,
                    "source": o.profile.source,
                    "pgo": o.profile.pgo,
                    "totalSamples": o.profile.total_samples,
                }
                if o.profile
                else None,
                "benchmarks": [_benchmark(b) for b in o.benchmarks] if o.benchmarks else None,
            }
        )

    def log(self) -> Any:
        findings = list(self.outcome.findings)
        notes: list[str] = []
        if self.for_upload:
            # GitHub ignores suppressions and baselineState: it would open alerts for these.
            findings = [f for f in findings if f.state == NEW and f.suppressed is None]
            if len(findings) > self.facts.max_results:
                order = {"error": 0, "warning": 1, "note": 2}
                findings.sort(key=lambda f: order[result_level(f, self.outcome, self.facts.level)])
                left_out = len(findings) - self.facts.max_results
                findings = findings[: self.facts.max_results]
                notes.append(
                    f"{left_out} of {left_out + len(findings)} results left out of this upload: "
                    f"code scanning keeps at most {self.facts.max_results} results a run"
                )
        facts = self.facts
        revision = facts.revision or self.outcome.head_commit or None
        root = om.ArtifactLocation(
            uri=Path(facts.source_root).as_uri().rstrip("/") + "/" if facts.source_root else None,
            description=om.Message(text="The root of the repository goescape analysed."),
        )
        run = om.Run(
            tool=om.Tool(
                driver=om.ToolComponent(
                    name=TOOL_NAME,
                    version=facts.tool_version,
                    semantic_version=facts.tool_version,
                    information_uri=INFORMATION_URI,
                    rules=self.rules(),
                )
            ),
            invocations=[
                om.Invocation(
                    execution_successful=facts.execution_successful,
                    command_line=facts.command_line,
                    exit_code=facts.exit_code,
                    tool_execution_notifications=self.notifications(notes) or None,
                )
            ],
            results=[self.result(f) for f in findings],
            column_kind="utf16CodeUnits",
            original_uri_base_ids={SRCROOT: root},
            automation_details=om.RunAutomationDetails(id=facts.category),
            version_control_provenance=[
                om.VersionControlDetails(
                    repository_uri=facts.repository_uri,
                    revision_id=revision,
                    branch=facts.branch,
                    mapped_to=om.ArtifactLocation(uri_base_id=SRCROOT),
                )
            ]
            if facts.repository_uri
            else None,
            properties=self.run_properties(),
        )
        return om.SarifLog(runs=[run], version="2.1.0", schema_uri=SCHEMA_URI)


def _benchmark(b: BenchmarkComparison) -> dict[str, Any]:
    def measure(m: BenchmarkMeasure | None) -> dict[str, float] | None:
        if m is None:
            return None
        return {
            "allocsPerOp": m.allocs_per_op,
            "bytesPerOp": m.bytes_per_op,
            "nsPerOp": m.ns_per_op,
        }

    return {
        "package": b.package,
        "name": b.name,
        "base": measure(b.base),
        "head": measure(b.head),
        "regressed": b.regressed,
    }


_SCP_LIKE = re.compile(r"^(?:[^@/:]+@)?([^/:]+):(?!//)(.*)$")  # [user@]host:path, git's short ssh


def repository_uri(remote: str, root: str | os.PathLike[str]) -> str:
    """versionControlProvenance's repositoryUri (an absolute URI) for the `origin` remote:
    a browsable https URI for a network remote (credentials dropped), a file URI for a
    remote that is a local path (relative ones are relative to the repository root), and
    the repository's own file URI when there is no remote."""
    if not remote:
        return Path(root).absolute().as_uri()
    if "://" in remote:
        scheme, _, rest = remote.partition("://")
        if scheme == "file":
            return remote
        host, slash, path = rest.partition("/")
        host = host.rsplit("@", 1)[-1]  # credentials or an ssh user
        if scheme in ("ssh", "git", "git+ssh", "ssh+git"):
            scheme, host = "https", host.split(":", 1)[0]  # an ssh port is no web port
        return f"{scheme}://{host}{slash}{_uri_path(path)}".removesuffix(".git")
    scp = _SCP_LIKE.match(remote)
    if scp and not os.path.isabs(remote):
        host, path = scp.groups()
        return f"https://{host}/{_uri_path(path.lstrip('/'))}".removesuffix(".git")
    local = remote if os.path.isabs(remote) else os.path.join(root, remote)
    return Path(os.path.normpath(local)).as_uri()


def _uri_path(path: str) -> str:
    return quote(path, safe="/:@!$&'()*+,;=~%")


def _in_repo(path: str) -> bool:
    return bool(path) and not (
        path.startswith(("/", "../", "<")) or path == ".." or re.match(r"^[A-Za-z]:", path)
    )


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def build(
    outcome: Outcome,
    facts: RunFacts,
    *,
    for_upload: bool,
    hint_for: HintFor | None = None,
    source: LineSource | None = None,
) -> dict[str, Any]:
    """The SARIF log as JSON data. `for_upload` makes the file for GitHub code scanning:
    new, unsuppressed results only, capped at GitHub's limits. `hint_for` gives each result's
    fix hint (default: the rule's); `source` lets columns be converted from bytes to UTF-16."""
    if facts.level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {facts.level!r}")
    data: dict[str, Any] = to_json(_Builder(outcome, facts, for_upload, hint_for, source).log())
    # `$schema` and `version` first, for people who open the file.
    return {"$schema": data.pop("$schema"), "version": data.pop("version"), **data}


# --- the shell -----------------------------------------------------------------------------


def write(
    path: Path,
    outcome: Outcome,
    facts: RunFacts,
    *,
    for_upload: bool,
    hint_for: HintFor | None = None,
    source: LineSource | None = None,
) -> None:
    data = build(outcome, facts, for_upload=for_upload, hint_for=hint_for, source=source)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def git_source(root: Path, outcome: Outcome) -> LineSource:
    """Lines as the compiler saw them: the base commit, and the head commit or (when the head
    is the working tree) the files on disk. Each file is read at most once."""
    cache: dict[tuple[str, str], list[bytes] | None] = {}

    def lines(side: str, path: str) -> list[bytes] | None:
        rev = outcome.base.commit if side == "base" else outcome.head_commit
        if rev:
            code, out, _ = run_process(
                ["git", "cat-file", "blob", f"{rev}:{path}"], cwd=root, check=False
            )
            data = out if code == 0 else None
        else:
            try:
                data = (root / path).read_bytes()
            except OSError:
                data = None
        return None if data is None else data.split(b"\n")

    def line(side: str, path: str, number: int) -> bytes | None:
        if (side, path) not in cache:
            cache[side, path] = lines(side, path)
        found = cache[side, path]
        return found[number - 1] if found is not None and 0 < number <= len(found) else None

    return line
