"""CI smoke test: the benchmark runs end to end on a tiny module and prints its table.

Timings on a shared CI machine mean nothing, so no threshold is asserted; what must hold is
that every measurement produced a figure, goescape itself ran (no "not available"/"failed"),
and every target got a verdict.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench import generate
from tests.bench.generate import Spec

BENCH = Path(__file__).with_name("bench.py")

ROWS = [
    r"\(a\) floor: go build -gcflags=p003=-m p003",
    r"\(b\) goescape, one function changed",
    r"\(c\) naive: whole module -m at base \+ head, diff",
    r"\(d\) goescape, first run on a branch",
    r"\(e\) goescape, nothing changed since last run",
    r"\(h\) floor: p003 \+ p004, -m",
    r"\(h\) goescape, inlined function changed \(into p004\)",
    r"\(g\) goescape, one function changed: Python share",
    r"\(g\) goescape, 12 files changed in 6 packages: Python share",
    r"\(b\) goescape, one function changed: peak RSS",
    r"\(f\) floor, 3 packages",
    r"\(f\) goescape, 3 packages",
    r"\(f\) floor, 6 packages",
    r"\(f\) goescape, 6 packages",
]
TARGETS = [
    "goescape / floor (one function)",
    "naive / goescape",
    "first run / floor",
    "nothing changed (wall)",
    "Python share, one file",
    "Python share, 12 files changed in 6 packages",
    "peak RSS of the Python process",
    "scaling: goescape 6 pkgs / 3 pkgs",
]
FIGURE = r"\d+(\.\d+)? (s|ms|MB)"


@pytest.mark.slow
def test_smoke_benchmark_prints_every_figure_and_verdict(tmp_path: Path) -> None:
    raw = tmp_path / "raw.json"
    out = _bench("--smoke", "--quiet", "--json", str(raw))
    for row in ROWS:
        # label, then median, min and max as figures, then n = 1 (one smoke round)
        pattern = rf"^{row}\s+{FIGURE}\s+{FIGURE}\s+{FIGURE}\s+1$"
        assert re.search(pattern, out, re.MULTILINE), f"no figures for {row!r} in\n{out}"
    for target in TARGETS:
        line = re.search(rf"^{re.escape(target)}\s+(.+?)\s+(met|not met)$", out, re.MULTILINE)
        assert line, f"no verdict for {target!r} in\n{out}"
    inlined = "goescape / floor (inlined into an importer)"
    assert re.search(rf"^{re.escape(inlined)}\s+\d+\.\d+\s+-\s+reported$", out, re.MULTILINE)
    assert raw.is_file()


@pytest.mark.slow
def test_smoke_benchmark_of_a_function_of_any_repository(tmp_path: Path) -> None:
    """--repo: the issue's table for one function of a repository's package, which the
    benchmark edits in a clone of its own (the repository itself is left as it was)."""
    repo = tmp_path / "repo"
    generate.generate(repo, Spec(packages=3, files=2, funcs=3, seed=3))
    before = generate.git(repo, "status", "--porcelain"), generate.git(repo, "rev-parse", "HEAD")
    out = _bench(
        "--repo",
        str(repo),
        "--package",
        "p001",
        "--function",
        "Store.Len",
        "--rounds",
        "1",
        "--quiet",
    )
    subject = r"example\.com/bench/p001 \(`Store\.Len`\)"
    number = r"\d+\.\d\d"
    assert re.search(rf"^\| {subject} \| {number} s \| {number} s \| {number} \|$", out, re.M), out
    reported = rf"^\| {subject}, a new escape reported \| {number} s \| {number} s \| {number} \|$"
    assert re.search(reported, out, re.M), out
    through_go = rf"^\| {subject}, GOESCAPE_DIRECT=off \| {number} s \| {number} s \| {number} \|$"
    assert re.search(through_go, out, re.M), out
    for row in ("(b) goescape, one function changed", "(d) goescape, first run"):
        assert re.search(rf"^{re.escape(row)}.*\s{FIGURE}\s+{FIGURE}\s+{FIGURE}\s+1$", out, re.M)
    line = re.search(
        r"^goescape / floor \(one function\)\s+\S+\s+<= 1\.25  (met|not met)$", out, re.M
    )
    assert line, out
    after = generate.git(repo, "status", "--porcelain"), generate.git(repo, "rev-parse", "HEAD")
    assert after == before


def _bench(*args: str) -> str:
    """The benchmark's output for `args`, once it has ended well and goescape ran."""
    proc = subprocess.run(
        [sys.executable, str(BENCH), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "goescape: not available" not in proc.stdout
    assert "goescape: failed" not in proc.stdout
    return proc.stdout
