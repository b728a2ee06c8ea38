"""What one goescape run found: the records the report, the SARIF writer and the bot share."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # a run imports this before its changed files are parsed: keep it light
    from goescape.escapes import Escape
    from goescape.functions import FunctionId

NEW = "new"  # head has it, base does not
UNCHANGED = "unchanged"  # both sides have it
# Replaced by another escape of the same kind at the corresponding place (SARIF "updated"):
# `x := []string{}` -> `x := make([]string, 0, n)`. Reported, never counted.
CHANGED = "changed"
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
    state: str  # NEW, CHANGED, UNCHANGED or ABSENT
    induced: bool  # in a function the change did not touch (an inlined callee changed, ...)
    suppressed: str | None  # the `//goescape:ignore` reason ("" if none given); None if not
    before: int  # the function's heap escapes at base (leaks too with --leaks)
    after: int  # ... at head
    ordinal: int  # index among the function's escapes with the same (kind, expr), by position
    new_function: bool  # the function does not exist at base
    inlined_from: Location | None  # declaration of the inlined callee the escape comes from
    # Added for "does it matter" and the matching of changed escapes:
    previous: Escape | None = None  # CHANGED: the base escape this one replaced
    cold: str = ""  # why the escape only runs when something fails ("panic argument", ...)
    hotness: float | None = None  # its function's cumulative share of the CPU profile
    # Pre-commit stage: in a function the commit being made does not touch (an earlier
    # commit of the branch changed it). Reported in one line, never counted.
    earlier_commit: bool = False
    # An escape of an inlined callee: where the callee's own copies of it are, each way down
    # through nested inlining (outermost first). The code there is what runs at the call.
    callee_copies: tuple[tuple[Location, ...], ...] = ()

    @property
    def location(self) -> Location:
        return Location(self.escape.path, self.escape.line, self.escape.col)

    @property
    def is_heap(self) -> bool:
        from goescape.escapes import HEAP_KINDS

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


class ProfileInfo(NamedTuple):
    """The CPU profile findings were ranked by."""

    path: str  # as the user named it, or the repo-relative default.pgo
    source: str  # "--profile" or "default.pgo"
    pgo: bool  # both sides were compiled with -pgo pointing at it
    total_samples: int


class BenchmarkMeasure(NamedTuple):
    allocs_per_op: float
    bytes_per_op: float
    ns_per_op: float


class BenchmarkComparison(NamedTuple):
    """One benchmark of a changed package, measured at base and at head (`--bench`)."""

    package: str  # import path
    name: str  # "BenchmarkParse" (without the -GOMAXPROCS suffix)
    base: BenchmarkMeasure | None  # None: the benchmark does not exist at base
    head: BenchmarkMeasure | None  # None: the change removed it

    @property
    def regressed(self) -> bool:
        return (
            self.base is not None
            and self.head is not None
            and self.head.allocs_per_op > self.base.allocs_per_op
        )


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
    # Added for "does it matter":
    fail_on_cold: bool = False
    min_hotness: float | None = None  # with a profile: colder functions only inform
    profile: ProfileInfo | None = None
    benchmarks: tuple[BenchmarkComparison, ...] = ()
    # The repository's root (absolute), which the records' repo-relative paths start from.
    root: str = ""

    def counts(self, f: Finding) -> bool:
        """Whether `f` makes the run fail: the one meaning of "new heap escape" that the text,
        JSON, SARIF, the bot and the Action's outputs all count.

        New, not suppressed, a heap escape (or a leak with --leaks), in a function the change
        touched (unless --fail-on-induced) and the commit touches (pre-commit stage), not on
        a cold path (unless --fail-on-cold), and not in a function colder than --min-hotness.
        """
        return (
            f.state == NEW
            and f.suppressed is None
            and (f.is_heap or self.count_leaks)
            and (not f.induced or self.fail_on_induced)
            and not f.earlier_commit
            and (not f.cold or self.fail_on_cold)
            and (self.min_hotness is None or f.hotness is None or f.hotness >= self.min_hotness)
        )

    def counted(self) -> list[Finding]:
        """New escapes that make the run fail (see `counts`)."""
        return [f for f in self.findings if self.counts(f)]

    def counted_by_function(self) -> dict[FunctionId, int]:
        """How many findings of each function make the run fail (a function's "new")."""
        out: dict[FunctionId, int] = {}
        for f in self.counted():
            out[f.function] = out.get(f.function, 0) + 1
        return out

    def counted_kind(self, f: Finding) -> bool:
        """Whether `f` is of a kind the run counts: heap escapes, and leaks with --leaks (what
        the before/after numbers count)."""
        return f.is_heap or self.count_leaks

    def regressed(self) -> list[BenchmarkComparison]:
        """Benchmarks whose allocs/op rose: they fail the run like a new escape."""
        return [b for b in self.benchmarks if b.regressed]

    def failed(self) -> bool:
        return bool(self.counted() or self.regressed())
