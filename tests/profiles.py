"""CPU profiles made the way users make them: a fixture's benchmark run with -cpuprofile."""

from __future__ import annotations

import subprocess
from pathlib import Path

HOT_GO = """
package hot

type Point struct{ X, Y int }

type List[T any] struct{ items []T }

//go:noinline
func (l *List[T]) Push(v T) { l.items = append(l.items[:0], v) }

//go:noinline
func (p *Point) Spin(n int) int {
	t := 0
	for i := 0; i < n; i++ {
		t += (p.X*i + p.Y) % 7
	}
	return t
}

//go:noinline
func (p Point) Walk(n int) int {
	f := func(i int) int { return (p.X + i) % 5 }
	t := 0
	for i := 0; i < n; i++ {
		t += f(i)
	}
	return t
}

//go:noinline
func Map[T any](xs []T, f func(T) T) {
	for i := range xs {
		xs[i] = f(xs[i])
	}
}

func Cold(n int) *int {
	return &n
}
"""

HOT_TEST_GO = """
package hot

import "testing"

var sink int

func BenchmarkHot(b *testing.B) {
	p := &Point{3, 4}
	l := &List[int]{}
	xs := make([]int, 100)
	for i := 0; i < b.N; i++ {
		sink += p.Spin(2000)
		sink += p.Walk(500)
		Map(xs, func(x int) int { return x*3 + 1 })
		l.Push(i)
	}
}
"""


def cpu_profile(module_dir: Path, package: str, out: Path, benchtime: str = "1s") -> Path:
    """Run the package's benchmarks with -cpuprofile into `out` (the test binary that
    -cpuprofile leaves behind goes to a folder beside it)."""
    scratch = out.parent / f"{out.name}.bin"
    scratch.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "go",
            "test",
            "-run",
            "^$",
            "-bench",
            ".",
            "-benchtime",
            benchtime,
            "-cpuprofile",
            str(out),
            "-o",
            str(scratch / "pkg.test"),
            package,
        ],
        cwd=module_dir,
        check=True,
        capture_output=True,
        text=True,
    )
    return out
