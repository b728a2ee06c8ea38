"""Benchmark output read and compared (pure); the real runs are in test_coldhot_runs.py."""

from __future__ import annotations

import math

import pytest
from goescape import benchmarks
from goescape.outcome import BenchmarkComparison, BenchmarkMeasure

# Printed by go1.27.3's testing package (`go test -bench . -benchmem -count 2`, GOMAXPROCS 2).
OUTPUT = """\
goos: linux
goarch: amd64
pkg: example.com/m/geom
cpu: AMD EPYC
BenchmarkSum-2     	  276553	      1500 ns/op	       0 B/op	       0 allocs/op
BenchmarkSum-2     	  280011	      1490 ns/op	       0 B/op	       0 allocs/op
BenchmarkLabel-2   	 3000649	       160.4 ns/op	      21 B/op	       1 allocs/op
BenchmarkLabel-2   	 2900000	       170.0 ns/op	      24 B/op	       2 allocs/op
BenchmarkCopy/size=64-2  9000000  12.50 ns/op  5120.00 MB/s  64 B/op  1 allocs/op
BenchmarkFlaky-2
--- FAIL: BenchmarkFlaky-2
    geom_test.go:40: boom
PASS
ok  	example.com/m/geom	3.046s
"""


def test_parse_output() -> None:
    found = benchmarks.parse_output(OUTPUT, procs=2)
    assert sorted(found) == ["BenchmarkCopy/size=64", "BenchmarkLabel", "BenchmarkSum"]
    assert found["BenchmarkLabel"] == benchmarks.Samples([1.0, 2.0], [21.0, 24.0], [160.4, 170.0])
    assert found["BenchmarkCopy/size=64"].bytes == [64.0]
    assert benchmarks.measure(found["BenchmarkLabel"]) == BenchmarkMeasure(1.0, 21.0, 165.2)


def test_the_procs_suffix_is_only_cut_when_there_is_one() -> None:
    text = "BenchmarkRun/n-5   100   10 ns/op   0 B/op   0 allocs/op\n"
    assert list(benchmarks.parse_output(text, procs=1)) == ["BenchmarkRun/n-5"]
    assert list(benchmarks.parse_output(text, procs=5)) == ["BenchmarkRun/n"]


def test_compare_pairs_benchmarks_by_name() -> None:
    base = benchmarks.parse_output(
        "BenchmarkA-2 10 5 ns/op 0 B/op 0 allocs/op\n"
        "BenchmarkGone-2 10 5 ns/op 0 B/op 0 allocs/op\n",
        procs=2,
    )
    head = benchmarks.parse_output(
        "BenchmarkA-2 10 9 ns/op 8 B/op 1 allocs/op\n"
        "BenchmarkNew-2 10 5 ns/op 0 B/op 0 allocs/op\n",
        procs=2,
    )
    result = benchmarks.compare("example.com/m/geom", base, head)
    assert result == [
        BenchmarkComparison(
            "example.com/m/geom",
            "BenchmarkA",
            BenchmarkMeasure(0, 0, 5),
            BenchmarkMeasure(1, 8, 9),
        ),
        BenchmarkComparison("example.com/m/geom", "BenchmarkGone", BenchmarkMeasure(0, 0, 5), None),
        BenchmarkComparison("example.com/m/geom", "BenchmarkNew", None, BenchmarkMeasure(0, 0, 5)),
    ]
    assert [b.regressed for b in result] == [True, False, False]


def test_a_benchmark_without_memory_figures_is_not_measured() -> None:
    found = benchmarks.parse_output("BenchmarkX-2  10  5 ns/op\n", procs=2)
    assert benchmarks.measure(found["BenchmarkX"]) is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30", 30.0), ("1.5", 1.5), ("90s", 90.0), ("2m", 120.0), ("1m30s", 90.0), ("1h", 3600.0)],
)
def test_parse_budget(text: str, seconds: float) -> None:
    assert math.isclose(benchmarks.parse_budget(text), seconds)


@pytest.mark.parametrize("text", ["", "0", "-3", "soon", "5ms", "1m30"])
def test_parse_budget_refuses(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (the CLI turns it into one line)
        benchmarks.parse_budget(text)


@pytest.mark.parametrize(
    ("budget", "runs", "each"),
    [(60.0, 30, 1.0), (6.0, 30, 0.1), (1.0, 300, 0.02), (10.0, 0, 1.0)],
)
def test_benchtime_fits_the_budget(budget: float, runs: int, each: float) -> None:
    assert math.isclose(benchmarks.benchtime(budget, runs), each)


def test_listing_pattern() -> None:
    assert benchmarks.listing_pattern("BenchmarkCopy/size=64") == "BenchmarkCopy"
    assert benchmarks.listing_pattern("Label") == "Label"
    assert benchmarks.listing_pattern("/x") == "."
