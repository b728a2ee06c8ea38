"""Hot paths: pprof function names to goescape's functions, and profiles read through
`go tool pprof` (checked against its own cumulative counts), once per content."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from goescape import profile
from goescape.errors import FatalError
from goescape.functions import FunctionId

from tests.profiles import HOT_GO, HOT_TEST_GO, cpu_profile


@pytest.mark.parametrize(
    ("name", "function"),
    [
        ("example.com/m/geom.Add", ("example.com/m/geom", "", "Add")),
        ("example.com/m/geom.(*Point).Add", ("example.com/m/geom", "Point", "Add")),
        ("example.com/m/geom.Point.String", ("example.com/m/geom", "Point", "String")),
        ("example.com/m/geom.Add.func1", ("example.com/m/geom", "", "Add")),
        ("example.com/m/geom.Add.func1.2", ("example.com/m/geom", "", "Add")),
        ("example.com/m/geom.Add.gowrap1", ("example.com/m/geom", "", "Add")),
        ("example.com/m/geom.Point.Walk.func1 (inline)", ("example.com/m/geom", "Point", "Walk")),
        ("example.com/m/geom.(*Point).Add.deferwrap1", ("example.com/m/geom", "Point", "Add")),
        ("example.com/m/geom.(*Point).Add-fm", ("example.com/m/geom", "Point", "Add")),
        ("example.com/m/geom.Map[go.shape.int]", ("example.com/m/geom", "", "Map")),
        ("example.com/m/geom.Map[...]", ("example.com/m/geom", "", "Map")),
        (
            "example.com/m/geom.(*List[go.shape.struct { X int }]).Push",
            ("example.com/m/geom", "List", "Push"),
        ),
        (
            "example.com/m/geom.Pair[example.com/m/other.T,go.shape.int].Get",
            ("example.com/m/geom", "Pair", "Get"),
        ),
        ("example.com/m/geom.init", ("example.com/m/geom", "", "init")),
        ("example.com/m/geom.init.0", ("example.com/m/geom", "", "init")),
        ("example.com/m/geom.init.func1", ("example.com/m/geom", "", "init")),
        ("example.com/m/geom.glob..func1", ("example.com/m/geom", "", "init")),
        ("main.main", ("main", "", "main")),
        ("main.(*server).handle.func2", ("main", "server", "handle")),
        ("gopkg.in/yaml%2ev3.Unmarshal", ("gopkg.in/yaml.v3", "", "Unmarshal")),
        ("strconv.Itoa", ("strconv", "", "Itoa")),
        ("example.com/m/geom_test.BenchmarkAdd", ("example.com/m/geom_test", "", "BenchmarkAdd")),
        ("0000000000481f20", None),
    ],
)
def test_function_of(name: str, function: tuple[str, str, str] | None) -> None:
    expected = FunctionId(*function) if function else None
    assert profile.function_of(name) == expected


TRACES = """\
File: geom.test
Type: samples
Duration: 1.04s, Total samples = 9
-----------+-------------------------------------------------------
         5   example.com/m/geom.Add.func1 (inline)
             example.com/m/geom.Add
             example.com/m/geom.BenchmarkAdd
-----------+-------------------------------------------------------
   request:  /x
         3   example.com/m/geom.(*Point).Scale
             example.com/m/geom.BenchmarkAdd
-----------+-------------------------------------------------------
         1   runtime.mallocgc
-----------+-------------------------------------------------------
"""


def test_parse_traces_counts_each_sample_once_per_function() -> None:
    table = profile.parse_traces(TRACES)
    geom = "example.com/m/geom"
    assert table.total == 9
    assert table.samples[FunctionId(geom, "", "Add")] == 5  # Add and its closure: one stack
    assert table.samples[FunctionId(geom, "Point", "Scale")] == 3  # the label line skipped
    assert table.samples[FunctionId(geom, "", "BenchmarkAdd")] == 8
    assert table.share(FunctionId(geom, "", "Add")) == pytest.approx(5 / 9)
    assert table.share(FunctionId(geom, "", "Missing")) == 0.0
    assert profile.from_json(profile.to_json(table)) == table


def test_default_candidates_under_a_module_root() -> None:
    listed = [
        "cmd/b/default.pgo",
        "tools/default.pgo",
        "default.pgo.bak",
        "cmd/app/notdefault.pgo",
        "cmd/app/default.pgo",
    ]
    assert profile.default_candidates(listed, "") == [
        "cmd/app/default.pgo",
        "cmd/b/default.pgo",
        "tools/default.pgo",
    ]
    assert profile.default_candidates(listed, "tools") == ["tools/default.pgo"]
    assert profile.default_candidates(listed, "cmd/app") == ["cmd/app/default.pgo"]


@pytest.fixture(scope="module")
def hot_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hot")
    (folder / "go.mod").write_text("module example.com/p\n\ngo 1.21\n", encoding="utf-8")
    (folder / "hot").mkdir()
    (folder / "hot" / "hot.go").write_text(HOT_GO, encoding="utf-8")
    (folder / "hot" / "hot_test.go").write_text(HOT_TEST_GO, encoding="utf-8")
    return cpu_profile(folder, "./hot", tmp_path_factory.mktemp("prof") / "cpu.pprof")


def _pprof_cum(path: Path) -> dict[str, int]:
    """Cumulative samples per name, as `go tool pprof -top -cum` itself counts them."""
    out = subprocess.run(
        [
            "go",
            "tool",
            "pprof",
            "-top",
            "-cum",
            "-nodecount=0",
            "-sample_index=samples",
            "-symbolize=none",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cum: dict[str, int] = {}
    for line in out.splitlines():
        fields = line.split(None, 5)
        if len(fields) == 6 and fields[3].isdigit() and fields[1].endswith("%"):
            cum[fields[5]] = int(fields[3])
    return cum


@pytest.mark.slow
def test_real_profile_agrees_with_pprof(hot_profile: Path) -> None:
    table = profile.read(hot_profile, "go", use_cache=False)
    cum = _pprof_cum(hot_profile)
    names: dict[FunctionId, list[str]] = {}
    for name in cum:
        function = profile.function_of(name)
        if function is not None:
            names.setdefault(function, []).append(name)
    hot = "example.com/p/hot"
    spin = FunctionId(hot, "Point", "Spin")
    assert spin in names  # the benchmark's hottest function is there
    checked = 0
    for function, spelled in names.items():
        if len(spelled) == 1:  # no closures or inlined copies folded into it
            assert table.samples[function] == cum[spelled[0]], spelled[0]
            checked += 1
    assert checked >= 5
    # The closure Walk.func1 counts as Walk; the never-run Cold not at all.
    walk = FunctionId(hot, "Point", "Walk")
    assert table.samples[walk] >= cum["example.com/p/hot.Point.Walk"]
    assert table.share(FunctionId(hot, "", "Cold")) == 0.0
    assert 0.3 < table.share(spin) <= 1.0


@pytest.mark.slow
def test_a_profile_is_read_once_per_content(hot_profile: Path, tmp_path: Path) -> None:
    first = profile.read(hot_profile, "go")
    # Cached: no go command is needed any more for the same bytes, wherever they are.
    copy = tmp_path / "copy.pprof"
    copy.write_bytes(hot_profile.read_bytes())
    assert profile.read(copy, str(tmp_path / "no-go")) == first
    # Other bytes are read again.
    other = tmp_path / "other.pprof"
    other.write_bytes(hot_profile.read_bytes() + b"\0")
    with pytest.raises(FatalError):
        profile.read(other, str(tmp_path / "no-go"))


@pytest.mark.slow
def test_a_file_that_is_not_a_profile(tmp_path: Path) -> None:
    bad = tmp_path / "default.pgo"
    bad.write_text("not a profile\n", encoding="utf-8")
    with pytest.raises(FatalError) as caught:
        profile.read(bad, "go", use_cache=False)
    message = str(caught.value)
    assert message.startswith(f"go tool pprof cannot read the profile {bad}: ")
    assert "\n" not in message


def test_a_missing_profile(tmp_path: Path) -> None:
    with pytest.raises(FatalError, match=r"cannot read the profile .*missing\.pprof: No such"):
        profile.read(tmp_path / "missing.pprof", "go")
