"""What one goescape run found: the records the report, the SARIF writer and the bot share."""

from __future__ import annotations

from typing import NamedTuple

from hooks.escapes import HEAP_KINDS, Escape
from hooks.functions import FunctionId

NEW = "new"  # head has it, base does not
UNCHANGED = "unchanged"  # both sides have it
ABSENT = "absent"  # base had it, the change removed it


class Location(NamedTuple):
    path: str  # repo-relative, posix
    line: int
    col: int


class Finding(NamedTuple):
    """One escape of a compared function, at head (or at base when the change removed it)."""

    function: FunctionId
    display: str  # the function as Go prints it: "Show", "(*Point).Add", "Point.String", "init"
    escape: Escape  # paths (and flow step paths) already repo-relative
    state: str  # NEW, UNCHANGED or ABSENT
    induced: bool  # in a function the change did not touch (an inlined callee changed, ...)
    suppressed: str | None  # the `//goescape:ignore` reason ("" if none given); None if not
    before: int  # the function's heap escapes at base (leaks too with --leaks)
    after: int  # ... at head
    ordinal: int  # index among the function's escapes with the same (kind, expr), by position
    new_function: bool  # the function does not exist at base
    inlined_from: Location | None  # declaration of the inlined callee the escape comes from

    @property
    def location(self) -> Location:
        return Location(self.escape.path, self.escape.line, self.escape.col)

    @property
    def is_heap(self) -> bool:
        return self.escape.kind in HEAP_KINDS


class FunctionSummary(NamedTuple):
    function: FunctionId
    display: str
    path: str  # head file (base file if the function was deleted)
    line: int
    changed: bool  # touched by the change (False: only induced escapes)
    new_function: bool
    before: int
    after: int
    new: int  # counted new escapes (not suppressed)


class Skipped(NamedTuple):
    """A file or package goescape left out, and why; reported, never silently dropped."""

    path: str  # repo-relative file or package directory
    reason: str  # "test file (use --tests)", "generated file", "does not compile at base", ...


class BaseChoice(NamedTuple):
    commit: str  # full sha of the merge base
    how: str  # "merge base of HEAD and origin/main", "--base v1.2", ...


class Outcome(NamedTuple):
    base: BaseChoice
    head_commit: str  # full sha, or "" for the working tree
    head_label: str  # "working tree", "HEAD", the --head ref
    findings: tuple[Finding, ...]
    functions: tuple[FunctionSummary, ...]
    skipped: tuple[Skipped, ...]
    warnings: tuple[str, ...]  # e.g. a `//goescape:ignore` without a reason
    go_version: str  # "go1.27.3"
    count_leaks: bool
    fail_on_induced: bool

    def counted(self) -> list[Finding]:
        """New escapes that make the run fail: not suppressed, heap (or leak with --leaks),
        and in changed functions unless --fail-on-induced."""
        return [
            f
            for f in self.findings
            if f.state == NEW
            and f.suppressed is None
            and (f.is_heap or self.count_leaks)
            and (not f.induced or self.fail_on_induced)
        ]
