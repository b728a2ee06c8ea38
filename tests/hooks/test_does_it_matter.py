"""Cold paths, hot paths and measured allocations end to end: real git, the real `go`,
profiles made by running the fixtures' own code, `main([...])`."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from goescape.cli import main

from tests.gitrepo import GitRepo
from tests.profiles import HOT_GO, HOT_TEST_GO, cpu_profile

pytestmark = pytest.mark.slow


def run(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, dict[str, Any]]:
    code = main(["-C", str(repo.path), "--format", "json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out)


def counted(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["function"]["display"], f["message"]) for f in doc["counted"]]


def new(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (f["function"]["display"], f["message"]): f for f in doc["findings"] if f["state"] == "new"
    }


# --- cold paths ------------------------------------------------------------------------------

PARSE_BASE = """
package parse

import "strconv"

type Point struct{ X, Y int }

func Parse(s string) (*Point, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, err
	}
	return &Point{n, n}, nil
}

func Label(n int) string {
	return strconv.Itoa(n)
}
"""

# Error and panic paths added, and one allocation on the normal path.
PARSE_HEAD = """
package parse

import (
	"fmt"
	"strconv"
)

type Point struct{ X, Y int }

func Parse(s string) (*Point, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", s, err)
	}
	if n < 0 {
		panic(fmt.Sprintf("negative: %d", n))
	}
	return &Point{n, n}, nil
}

func Label(n int) string {
	return fmt.Sprintf("n=%d", n)
}
"""


@pytest.fixture
def parse_repo(repo: GitRepo) -> GitRepo:
    repo.go_module()
    repo.write("parse/parse.go", PARSE_BASE)
    repo.commit("base")
    repo.write("parse/parse.go", PARSE_HEAD)
    return repo


def test_cold_escapes_are_reported_not_counted(
    parse_repo: GitRepo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sarif = tmp_path / "out.sarif"
    code, doc = run(parse_repo, capsys, "--sarif", str(sarif))
    # Only the Sprintf result handed back on the normal path fails the run.
    assert code == 1
    assert counted(doc) == [("Label", "n escapes to heap")]
    found = new(doc)
    assert found["Label", "n escapes to heap"]["cold"] is False
    cold = {key: f["cold_reason"] for key, f in found.items() if f["cold"]}
    assert cold == {
        ("Parse", "s escapes to heap"): "error return",
        ("Parse", "&errors.errorString{...} escapes to heap"): "error return",
        ("Parse", 'fmt.Sprintf("negative: %d", ... argument...) escapes to heap'): (
            "panic argument"
        ),
        ("Parse", "n escapes to heap"): "panic argument",
    }
    assert {f["hint_category"] for f in found.values() if f["cold"]} == {"cold-path"}
    assert doc["summary"]["new_cold"] == 4
    # SARIF: cold results are notes, with the reason as a property.
    results = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"]
    levels = {
        (
            r["locations"][0]["logicalLocations"][0]["name"],
            r["properties"]["compilerMessage"],
        ): (r["level"], r["properties"].get("coldReason"))
        for r in results
        if r.get("baselineState") == "new" and r["properties"]["escapeKind"] != "leaking param"
    }
    assert levels == {
        ("Parse", "s escapes to heap"): ("note", "error return"),
        ("Parse", "&errors.errorString{...} escapes to heap"): ("note", "error return"),
        ("Parse", 'fmt.Sprintf("negative: %d", ... argument...) escapes to heap'): (
            "note",
            "panic argument",
        ),
        ("Parse", "n escapes to heap"): ("note", "panic argument"),
        ("Label", "n escapes to heap"): ("warning", None),
    }


def test_fail_on_cold_counts_them(parse_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run(parse_repo, capsys, "--fail-on-cold")
    assert code == 1
    assert len(doc["counted"]) == doc["summary"]["new_cold"] + 1
    assert doc["options"]["fail_on_cold"] is True


def test_a_change_that_only_adds_failure_paths_passes(
    parse_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    parse_repo.write(
        "parse/parse.go", PARSE_HEAD.replace('fmt.Sprintf("n=%d", n)', "strconv.Itoa(n)")
    )
    code = main(["-C", str(parse_repo.path)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].startswith("goescape: no new heap escapes in 1 changed function")
    assert (
        "on paths that run only when something fails (not counted; --fail-on-cold counts them):"
        in out
    )
    assert "cold: panic argument" in out
    assert "on hot paths" not in out  # no hot-path advice for failure paths


# An inlinable helper gains a panic path: its inlined copies are reported at the callers'
# call sites, where the source shows no panic. Keep gains a hot escape of the same value too.
CHECK_BASE = """
package check

var Sink any

func Index(i, n int) int {
	return i
}

func Keep(i int) int {
	return i
}
"""

CHECK_HEAD = """
package check

var Sink any

func Index(i, n int) int {
	if i >= n {
		panic(i)
	}
	return i
}

func Keep(i int) int {
	if i < 0 {
		panic(i)
	}
	Sink = i
	return i
}
"""

APP_GO = """
package app

import "example.com/m/check"

func Get(xs []int, i int) int {
	return xs[check.Index(i, len(xs))]
}

func Store(i int) int {
	return check.Keep(i)
}
"""


def test_an_inlined_callees_panic_path_is_cold_at_its_call_sites(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.go_module()
    repo.write("check/check.go", CHECK_BASE)
    repo.write("app/app.go", APP_GO)
    repo.commit("base")
    repo.write("check/check.go", CHECK_HEAD)
    code, doc = run(repo, capsys, "--fail-on-induced")
    induced = {
        f["function"]["display"]: f for f in doc["findings"] if f["state"] == "new" and f["induced"]
    }
    assert set(induced) == {"Get", "Store"}
    # Index's copy sits in its panic only: cold at the call in Get too, with no hot advice.
    assert induced["Get"]["message"] == "check.i escapes to heap"
    assert induced["Get"]["inlined"] == "check.Index"
    assert (induced["Get"]["cold"], induced["Get"]["cold_reason"]) == (True, "panic argument")
    assert induced["Get"]["hint_category"] == "cold-path"
    # Keep boxes i on its normal path as well: what Store's call inlines is hot.
    assert induced["Store"]["cold"] is False
    assert code == 1
    assert sorted(counted(doc)) == [
        ("Keep", "i escapes to heap"),
        ("Store", "check.i escapes to heap"),
    ]


# --- hot paths from a CPU profile ------------------------------------------------------------

# At head: a new escape in the hot (*Point).Spin, and one in Cold, which never runs.
HOT_HEAD = (
    HOT_GO.replace(
        "\treturn t\n}\n\n//go:noinline\nfunc (p Point) Walk",
        "\tLast = fmt.Sprint(t)\n\treturn t\n}\n\n//go:noinline\nfunc (p Point) Walk",
    )
    .replace(
        "func Cold(n int) *int {\n\treturn &n\n}",
        'func Cold(n int) *int {\n\tLast = fmt.Sprint("cold", n)\n\treturn &n\n}',
    )
    .replace("package hot\n", 'package hot\n\nimport "fmt"\n\nvar Last string\n')
)


@pytest.fixture(scope="module")
def hot_pprof(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A CPU profile of the base's benchmark, made once for these tests."""
    folder = tmp_path_factory.mktemp("hotmod")
    (folder / "go.mod").write_text("module example.com/m\n\ngo 1.21\n", encoding="utf-8")
    (folder / "hot").mkdir()
    (folder / "hot" / "hot.go").write_text(HOT_GO, encoding="utf-8")
    (folder / "hot" / "hot_test.go").write_text(HOT_TEST_GO, encoding="utf-8")
    return cpu_profile(folder, "./hot", tmp_path_factory.mktemp("p") / "cpu.pprof").read_bytes()


@pytest.fixture
def hot_repo(repo: GitRepo, hot_pprof: bytes) -> GitRepo:
    repo.go_module()
    repo.write("hot/hot.go", HOT_GO)
    repo.write("hot/hot_test.go", HOT_TEST_GO)
    repo.commit("base")
    (repo.path / "prof").mkdir()
    (repo.path / "prof" / "cpu.pprof").write_bytes(hot_pprof)
    repo.write("hot/hot.go", HOT_HEAD)
    return repo


def test_profile_ranks_findings_hotter_first(
    hot_repo: GitRepo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sarif = tmp_path / "out.sarif"
    code, doc = run(hot_repo, capsys, "--profile", "prof/cpu.pprof", "--sarif", str(sarif))
    assert code == 1
    assert doc["profile"]["path"] == "prof/cpu.pprof"
    assert doc["profile"]["source"] == "--profile"
    assert doc["profile"]["pgo"] is False
    assert doc["profile"]["total_samples"] > 20
    shown = [(f["function"]["display"], f["hotness"]) for f in doc["counted"]]
    assert [name for name, _ in shown] == ["(*Point).Spin", "Cold"]
    spin, cold = shown[0][1], shown[1][1]
    assert spin > 0.3
    assert cold == 0.0  # never ran
    # The same shares in SARIF: a property and the rank (0 to 100).
    results = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"]
    spin_result = next(
        r for r in results if r["properties"]["counted"] and "Spin" in r["message"]["text"]
    )
    assert spin_result["properties"]["hotness"] == spin
    assert spin_result["rank"] == round(spin * 100, 2)
    # The text report says how hot.
    main(["-C", str(hot_repo.path), "--profile", "prof/cpu.pprof"])
    out = capsys.readouterr().out
    assert f"{spin * 100:.1f}% of CPU in prof/cpu.pprof" in out
    assert out.index("(*Point).Spin") < out.index("Cold:")


def test_min_hotness_makes_colder_functions_informational(
    hot_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = run(hot_repo, capsys, "--profile", "prof/cpu.pprof", "--min-hotness", "0.01")
    assert code == 1
    assert counted(doc) == [("(*Point).Spin", "t escapes to heap")]
    code, doc = run(hot_repo, capsys, "--profile", "prof/cpu.pprof", "--min-hotness", "1")
    assert code == 0
    assert doc["counted"] == []
    assert len(new(doc)) == 2


def test_without_a_profile_hotness_is_null(
    hot_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = run(hot_repo, capsys, "--min-hotness", "0.5")
    assert code == 1
    assert doc["profile"] is None
    assert {f["hotness"] for f in doc["findings"]} == {None}
    assert "--min-hotness has no effect without a profile" in doc["warnings"]


def test_a_profile_that_cannot_be_read(
    hot_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    hot_repo.write("prof/bad.pprof", "not a profile\n")
    code = main(["-C", str(hot_repo.path), "--profile", "prof/bad.pprof"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("goescape: go tool pprof cannot read the profile ")
    assert err.count("\n") == 1
    code = main(["-C", str(hot_repo.path), "--profile", "prof/missing.pprof"])
    assert code == 2
    assert capsys.readouterr().err == (
        "goescape: cannot read the profile prof/missing.pprof: No such file or directory\n"
    )


def test_pgo_needs_a_profile(hot_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["-C", str(hot_repo.path), "--pgo"])
    assert code == 2
    assert "--pgo needs a profile" in capsys.readouterr().err


# --- the same inlining as the shipped binary --------------------------------------------------

WORK_BASE = """
package work

type Big struct{ a [16]int }

var Global *Big

// NewBig is too big for the compiler to inline, unless a profile says its call is hot.
func NewBig(n int) *Big {
	b := &Big{}
	for i := range b.a {
		b.a[i] = n*i + 1
		if b.a[i]%7 == 3 {
			b.a[i] -= 2
		}
		if b.a[i]%11 == 5 {
			b.a[i] += 4
		}
		if b.a[i]%13 == 6 {
			b.a[i] *= 3
		}
	}
	for i := 1; i < len(b.a); i++ {
		b.a[i] ^= b.a[i-1]
		if b.a[i] > 1000 {
			b.a[i] %= 1000
		}
	}
	return b
}

func Use(n int) int {
	return NewBig(n).a[3]
}
"""

APP_MAIN = """
package main

import (
	"os"
	"runtime/pprof"

	"example.com/m/work"
)

// With CPUPROFILE set, the program profiles itself, as a service would in production.
func main() {
	if out := os.Getenv("CPUPROFILE"); out != "" {
		f, err := os.Create(out)
		if err != nil {
			panic(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			panic(err)
		}
		defer pprof.StopCPUProfile()
	}
	total := 0
	for i := 0; i < 3_000_000; i++ {
		total += work.Use(i)
	}
	println(total)
}
"""

# At head Use keeps the result: with NewBig inlined (PGO), its &Big{} escapes in Use.
WORK_HEAD = WORK_BASE.replace(
    "\treturn NewBig(n).a[3]", "\tb := NewBig(n)\n\tGlobal = b\n\treturn b.a[3]"
)


@pytest.fixture(scope="module")
def app_pgo(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The program's own CPU profile, as `default.pgo` is made for a real service."""
    folder = tmp_path_factory.mktemp("app")
    (folder / "go.mod").write_text("module example.com/m\n\ngo 1.21\n", encoding="utf-8")
    for rel, text in (("work/work.go", WORK_BASE), ("cmd/app/main.go", APP_MAIN)):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    binary = folder / "app.bin"
    subprocess.run(["go", "build", "-o", str(binary), "./cmd/app"], cwd=folder, check=True)
    out = folder / "cpu.pprof"
    subprocess.run(
        [str(binary)],
        env={**os.environ, "CPUPROFILE": str(out)},
        check=True,
        capture_output=True,
    )
    return out.read_bytes()


@pytest.fixture
def app_repo(repo: GitRepo, app_pgo: bytes) -> GitRepo:
    repo.go_module()
    repo.write("work/work.go", WORK_BASE)
    repo.write("cmd/app/main.go", APP_MAIN)
    (repo.path / "cmd" / "app" / "default.pgo").write_bytes(app_pgo)
    repo.commit("base, with the service's profile")
    repo.write("work/work.go", WORK_HEAD)
    return repo


def test_default_pgo_compiles_both_sides_like_the_binary(
    app_repo: GitRepo,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("GOESCAPE_CACHE_DIR", str(cache))
    code, doc = run(app_repo, capsys)
    assert code == 1
    assert counted(doc) == [("Use", "&Big{} escapes to heap")]
    (finding,) = doc["counted"]
    assert finding["inlined"] == "NewBig"
    assert finding["hotness"] > 0.5
    assert doc["profile"]["path"] == "cmd/app/default.pgo"
    assert doc["profile"]["source"] == "default.pgo"
    assert doc["profile"]["pgo"] is True
    # The base side's cached text is keyed by the profile's content.
    digest = hashlib.sha256((app_repo.path / "cmd/app/default.pgo").read_bytes()).hexdigest()
    keys = [p.read_text(encoding="utf-8").partition("\n")[0] for p in cache.glob("v*/*.txt")]
    assert any(f"-pgo={digest}" in key for key in keys)


def test_an_untracked_default_pgo_counts_too(
    app_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in the untracked files' listing, as the go command would use it."""
    app_repo.git("rm", "-q", "--cached", "cmd/app/default.pgo")
    app_repo.commit("the profile no longer tracked", add=False)
    assert app_repo.git("status", "--porcelain", "cmd/app") == "?? cmd/app/default.pgo\n"
    code, doc = run(app_repo, capsys)
    assert code == 1
    assert doc["profile"]["path"] == "cmd/app/default.pgo"
    assert doc["profile"]["pgo"] is True


def test_profile_none_turns_the_default_off(
    app_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = run(app_repo, capsys, "--profile", "none")
    assert code == 0
    assert doc["counted"] == []
    assert doc["profile"] is None


def test_a_given_profile_only_ranks_unless_pgo(
    app_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.move(app_repo.path / "cmd/app/default.pgo", app_repo.path / "service.pprof")
    code, doc = run(app_repo, capsys, "--profile", "service.pprof")
    assert code == 0
    assert doc["profile"]["pgo"] is False
    code, doc = run(app_repo, capsys, "--profile", "service.pprof", "--pgo")
    assert code == 1
    assert counted(doc) == [("Use", "&Big{} escapes to heap")]
    assert doc["profile"]["pgo"] is True


# --- measured allocations --------------------------------------------------------------------

BENCH_BASE = """
package geom

var sink *int

func Label(n int) int {
	return n * 2
}

func Stay(n int) int {
	return n + 1
}
"""

BENCH_TEST = """
package geom

import "testing"

var total int

func BenchmarkLabel(b *testing.B) {
	for i := 0; i < b.N; i++ {
		total += Label(i)
	}
}

func BenchmarkStay(b *testing.B) {
	for i := 0; i < b.N; i++ {
		total += Stay(i)
	}
}
"""

# Label now keeps a pointer to its result: one allocation per call, allowed by a marker.
BENCH_HEAD = BENCH_BASE.replace(
    "func Label(n int) int {\n\treturn n * 2\n}",
    "func Label(n int) int {\n\tx := n * 2 //goescape:ignore measured below\n\tsink = &x\n"
    "\treturn x\n}",
).replace("return n + 1", "return n + 2")


@pytest.fixture
def bench_repo(repo: GitRepo) -> GitRepo:
    repo.go_module()
    repo.write("geom/geom.go", BENCH_BASE)
    repo.write("geom/geom_test.go", BENCH_TEST)
    repo.commit("base")
    repo.write("geom/geom.go", BENCH_HEAD)
    return repo


def test_bench_fails_when_allocs_per_op_rise(
    bench_repo: GitRepo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sarif = tmp_path / "out.sarif"
    code, doc = run(bench_repo, capsys, "--bench", "--bench-time", "3s", "--sarif", str(sarif))
    # The escape is suppressed, so only the measurement fails the run.
    assert doc["counted"] == []
    assert code == 1
    assert doc["summary"]["exit_code"] == 1
    assert doc["summary"]["benchmarks_regressed"] == 1
    by_name = {b["name"]: b for b in doc["benchmarks"]}
    assert sorted(by_name) == ["BenchmarkLabel", "BenchmarkStay"]
    label, stay = by_name["BenchmarkLabel"], by_name["BenchmarkStay"]
    assert label["package"] == "example.com/m/geom"
    assert (label["base"]["allocs_per_op"], label["head"]["allocs_per_op"]) == (0, 1)
    assert (label["base"]["bytes_per_op"], label["head"]["bytes_per_op"]) == (0, 8)
    assert label["regressed"] is True
    assert (stay["base"]["allocs_per_op"], stay["head"]["allocs_per_op"]) == (0, 0)
    assert stay["regressed"] is False
    assert all(b[side]["ns_per_op"] > 0 for b in by_name.values() for side in ("base", "head"))
    # SARIF carries them in the run's properties, for the bot's table.
    props = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["properties"]
    assert [(b["name"], b["regressed"]) for b in props["benchmarks"]] == [
        ("BenchmarkLabel", True),
        ("BenchmarkStay", False),
    ]
    # The working tree is as it was: the base's test binary was built through an overlay.
    assert bench_repo.read("geom/geom.go") == BENCH_HEAD.lstrip("\n")


def test_bench_regex_and_the_text_report(
    bench_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["-C", str(bench_repo.path), "--bench", "Stay", "--bench-time", "2s"])
    out = capsys.readouterr().out
    assert code == 0
    assert (
        "benchmarks (base -> head; a rise in allocs/op fails the run, ns/op only informs):" in out
    )
    assert "example.com/m/geom BenchmarkStay: 0 -> 0 allocs/op, 0 -> 0 B/op, " in out
    assert "BenchmarkLabel" not in out


def test_a_bad_bench_time_is_refused(
    bench_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["-C", str(bench_repo.path), "--bench", "--bench-time", "soon"])
    assert exited.value.code == 2
    assert "--bench-time: 'soon' is not a duration" in capsys.readouterr().err
