"""What a run is asked to do: the record the command line and `.goescape.toml` fill in (see
config.py) and every stage of the pipeline reads."""

from __future__ import annotations

from typing import NamedTuple

# Options.flows: which escapes need the compiler's explanation.
FLOWS_ALL = "all"
FLOWS_SHOWN = "shown"


class Options(NamedTuple):
    base: str | None = None  # --base: the base the user named for this run
    head: str | None = None
    tests: bool = False
    tags: str = ""
    leaks: bool = False
    fail_on_induced: bool = False
    allow_broken_base: bool = False
    use_cache: bool = True
    # Does it matter (docs/cold-and-hot.md):
    profile: str | None = None  # a pprof CPU profile; None: a main package's default.pgo; "none"
    pgo: bool = False  # compile both sides with --profile's file too (default.pgo always is)
    min_hotness: float | None = None  # escapes in colder functions only inform
    fail_on_cold: bool = False  # count new escapes on paths that run only when something fails
    bench: str | None = None  # run the changed packages' benchmarks matching this at both sides
    bench_time: float = 60.0  # seconds for the whole benchmark stage
    # Where it runs (docs/configuration.md):
    # `base` in .goescape.toml: tried after --base and pre-commit's refs, before the upstream.
    default_base: str | None = None
    exclude: tuple[str, ...] = ()  # globs of repo-relative paths a run leaves out (skipped)
    paths: tuple[str, ...] = ()  # absolute: only changes under these are analysed
    # What needs the compiler's explanation of each escape (-m=2; docs/performance.md):
    # FLOWS_ALL (JSON and SARIF carry every finding's), or FLOWS_SHOWN (the text report: only
    # the escapes it shows a hint for; a run showing none compiles with -m alone).
    flows: str = FLOWS_ALL
    explain: bool = False  # --explain: the text report shows the flows themselves
