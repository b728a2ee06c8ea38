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
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--smoke", "--quiet", "--json", str(raw)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "goescape: not available" not in out
    assert "goescape: failed" not in out
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
