"""Measured allocations (`--bench`): the changed packages' benchmarks at base and at head.

Each side's test binary is built with `go test -c`, the base side through the same kind of
overlay as its escape analysis (the working tree is never touched), then run with
`-test.bench REGEX -test.benchmem -test.count N` in the package's directory, as `go test`
would, base and head one after the other, within the `--bench-time` budget (for the runs;
building the binaries is not counted in it).

allocs/op is a count averaged over b.N runs and cut to an integer; an allocation made once
(a lazy initialisation, a pool refilled after a GC) can show up in one repetition and not the
next. The smallest value over the repetitions is the steady state, so a side's allocs/op and
B/op are their minimum and ns/op (for information only) the median.

The standard benchmark line format (`BenchmarkX-8  1000  52.1 ns/op  16 B/op  1 allocs/op`) is
read by a small parser here: golang.org/x/perf's benchfmt reader is Go, and no maintained
Python package reads the format.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from goescape.outcome import BenchmarkComparison, BenchmarkMeasure

if TYPE_CHECKING:
    from goescape import compiler

# Repetitions of each benchmark per side: enough for the minimum to settle.
COUNT = 3
# Each benchmark's -test.benchtime is cut from the budget, within these bounds (the testing
# package runs a benchmark for about twice its benchtime while it sizes b.N).
_MIN_BENCHTIME = 0.02
_MAX_BENCHTIME = 1.0

_RESULT = re.compile(r"(Benchmark\S*)\s+(\d+)\s+(.+)")
_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?")


class Target(NamedTuple):
    """One changed package whose benchmarks are run."""

    module_dir: Path  # the go command runs here
    pattern: str  # `./geom`
    import_path: str
    directory: Path  # the package's directory: the test binary runs here, as under go test


class SideBuild(NamedTuple):
    overlay: Mapping[str, bytes | None]  # laid over the working tree (empty: the tree itself)
    tags: str
    pgo: str  # `-pgo=` value or ""


class Samples(NamedTuple):
    allocs: list[float]
    bytes: list[float]
    ns: list[float]


# --- the pure core ---------------------------------------------------------------------------


def parse_output(text: str, procs: int) -> dict[str, Samples]:
    """Every result line of `go test -bench -benchmem` output, by benchmark name (without the
    `-<GOMAXPROCS>` suffix the testing package adds when it is not 1)."""
    suffix = f"-{procs}" if procs != 1 else ""
    found: dict[str, Samples] = {}
    for line in text.splitlines():
        match = _RESULT.fullmatch(line.strip())
        if match is None:
            continue
        name = match.group(1)
        if suffix and name.endswith(suffix):
            name = name[: -len(suffix)]
        fields = match.group(3).split()
        pairs = zip(fields[::2], fields[1::2], strict=False)  # an odd field is not a figure
        values = {unit: _number(value) for value, unit in pairs}
        if "ns/op" not in values:
            continue
        samples = found.setdefault(name, Samples([], [], []))
        samples.ns.append(values["ns/op"])
        if "allocs/op" in values:
            samples.allocs.append(values["allocs/op"])
        if "B/op" in values:
            samples.bytes.append(values["B/op"])
    return found


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def measure(samples: Samples) -> BenchmarkMeasure | None:
    if not samples.ns or not samples.allocs or not samples.bytes:
        return None  # a benchmark that failed, or printed no memory figures
    return BenchmarkMeasure(
        allocs_per_op=min(samples.allocs),
        bytes_per_op=min(samples.bytes),
        ns_per_op=statistics.median(samples.ns),
    )


def compare(
    package: str, base: Mapping[str, Samples], head: Mapping[str, Samples]
) -> list[BenchmarkComparison]:
    out = []
    for name in sorted(set(base) | set(head)):
        before = measure(base[name]) if name in base else None
        after = measure(head[name]) if name in head else None
        if before is None and after is None:
            continue
        out.append(BenchmarkComparison(package, name, before, after))
    return out


def benchtime(budget: float, runs: int) -> float:
    """Seconds of -test.benchtime for each of `runs` benchmark runs to fit in `budget`."""
    if runs <= 0:
        return _MAX_BENCHTIME
    return max(_MIN_BENCHTIME, min(_MAX_BENCHTIME, budget / (2 * runs)))


def listing_pattern(regex: str) -> str:
    """-test.list matches top-level names only: the part of a -bench pattern before `/`."""
    return regex.split("/", 1)[0] or "."


def parse_budget(text: str) -> float:
    """`--bench-time`: seconds, or a Go duration (`90s`, `2m`, `1m30s`); ValueError if not."""
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        parts = _DURATION.fullmatch(text)
        if not text or parts is None:
            raise ValueError(text) from None
        hours, minutes, secs = (float(p) if p else 0.0 for p in parts.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    if not seconds > 0:
        raise ValueError(text)
    return seconds


# --- the shell -------------------------------------------------------------------------------


def run(
    session: compiler.Session,
    targets: Sequence[Target],
    sides: Mapping[str, SideBuild],
    regex: str,
    budget: float,
) -> tuple[list[BenchmarkComparison], list[str]]:
    """Benchmarks of `targets` at the sides "base" and "head"; (comparisons, warnings)."""
    from goescape.background import Pending

    warnings: list[str] = []
    building = {
        (side, n): Pending(_build, session, target, sides[side], f"{side}{n}")
        for n, target in enumerate(targets)
        for side in ("base", "head")
    }
    binaries: dict[tuple[str, int], tuple[str, list[str]]] = {}
    for (side, n), pending in building.items():
        binary, error = pending.result()
        if error:
            warnings.append(
                f"benchmarks of {targets[n].import_path} not run at {side}: "
                f"the test binary does not build ({error})"
            )
        elif binary:
            names = _list(binary, targets[n].directory, regex, session.env)
            if names:
                binaries[side, n] = (binary, names)
    # The budget is for measuring: building the test binaries costs what a build costs.
    deadline = time.monotonic() + budget
    runs = COUNT * sum(len(names) for _, names in binaries.values())
    each = benchtime(budget, runs)
    procs = max(1, os.cpu_count() or 1)
    results: list[BenchmarkComparison] = []
    left_out: list[str] = []
    for n, target in enumerate(targets):
        outputs: dict[str, dict[str, Samples]] = {}
        for side in ("base", "head"):
            if (side, n) not in binaries:
                outputs[side] = {}
                continue
            binary, names = binaries[side, n]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                left_out += names
                outputs[side] = {}
                continue
            # A run may pass the budget a little rather than be cut off before its first
            # figures: its own share, with room for the testing package's ramp-up.
            limit = max(remaining, 5.0 + 3 * each * COUNT * len(names))
            text, problem = _bench(binary, target.directory, regex, each, procs, limit, session)
            outputs[side] = parse_output(text, procs)
            if problem:
                warnings.append(f"benchmarks of {target.import_path} at {side}: {problem}")
        results += compare(target.import_path, outputs["base"], outputs["head"])
    if left_out:
        warnings.append(
            f"--bench-time ran out: {len(left_out)} benchmark runs left out "
            f"({', '.join(sorted(set(left_out))[:3])}{', ...' if len(set(left_out)) > 3 else ''})"
        )
    return results, warnings


def _build(
    session: compiler.Session, target: Target, side: SideBuild, name: str
) -> tuple[str, str]:
    """(path of the test binary or "" when the package has no tests here, first error)."""
    from goescape import process

    output = session.folder / f"bench-{name}.test"
    cmd = [session.go, "test", "-c", "-o", str(output)]
    if side.tags:
        cmd.append(f"-tags={side.tags}")
    if side.pgo:
        cmd.append(f"-pgo={side.pgo}")
    overlay = session.write_overlay(side.overlay)
    if overlay:
        cmd.append(f"-overlay={overlay}")
    cmd.append(target.pattern)
    code, _, err = process.run_text(cmd, cwd=target.module_dir, env=session.env, check=False)
    if code != 0:
        lines = [line for line in err.splitlines() if line.strip() and not line.startswith("#")]
        return "", lines[0] if lines else f"exit code {code}"
    return (str(output) if output.exists() else ""), ""


def _list(binary: str, directory: Path, regex: str, env: Mapping[str, str]) -> list[str]:
    from goescape import process

    code, out, _ = process.run_text(
        [binary, f"-test.list={listing_pattern(regex)}"], cwd=directory, env=env, check=False
    )
    if code != 0:
        return []
    return [line.strip() for line in out.splitlines() if line.startswith("Benchmark")]


def _bench(
    binary: str,
    directory: Path,
    regex: str,
    each: float,
    procs: int,
    remaining: float,
    session: compiler.Session,
) -> tuple[str, str]:
    """(the run's output, "" or what went wrong)."""
    import subprocess

    from goescape import process

    cmd = [
        binary,
        "-test.run=^$",
        f"-test.bench={regex}",
        "-test.benchmem",
        f"-test.count={COUNT}",
        f"-test.benchtime={each:.3f}s",
        f"-test.cpu={procs}",
    ]
    try:
        code, out, err = process.run_text(
            cmd, cwd=directory, env=session.env, check=False, timeout=remaining
        )
    except subprocess.TimeoutExpired as expired:
        partial = expired.stdout or b""
        text = partial.decode(errors="replace") if isinstance(partial, bytes) else partial
        return text, "stopped when --bench-time ran out"
    if code != 0:
        failing = [line.strip() for line in out.splitlines() if line.startswith("--- FAIL")]
        return out, failing[0] if failing else (err.strip().splitlines() or ["failed"])[-1]
    return out, ""
