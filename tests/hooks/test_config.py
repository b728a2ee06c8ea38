""".goescape.toml: defaults a team sets once, read by every run; the command line wins.

The pure part (keys and values) is a table; the rest runs the real CLI on real git
repositories with the real `go`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from goescape import cli, config
from goescape.cli import main
from goescape.errors import FatalError
from goescape.options import Options

from tests.gitrepo import GitRepo
from tests.gofixtures import CLEAN, ESCAPING

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("tests = true", {"tests": True}),
        ("tests = false\nleaks = true", {"tests": False, "leaks": True}),
        ('base = "origin/develop"', {"default_base": "origin/develop"}),
        ('tags = "integration,linux"', {"tags": "integration,linux"}),
        ('tags = ["integration", "linux"]', {"tags": "integration,linux"}),
        ("fail-on-induced = true", {"fail_on_induced": True}),
        ('exclude = ["*.pb.go", "examples/"]', {"exclude": ("*.pb.go", "examples/")}),
        ("exclude = []", {"exclude": ()}),
        ('profile = "none"', {"profile": "none"}),
        ("pgo = true\nfail-on-cold = true", {"pgo": True, "fail_on_cold": True}),
        ("min-hotness = 0.01", {"min_hotness": 0.01}),
        ("min-hotness = 0", {"min_hotness": 0.0}),
        ("bench = true", {"bench": "."}),
        ("bench = false", {"bench": None}),
        ('bench = "BenchmarkParse"', {"bench": "BenchmarkParse"}),
        ('bench-time = "2m"', {"bench_time": 120.0}),
        ("bench-time = 90", {"bench_time": 90.0}),
    ],
)
def test_keys_fill_options(text: str, expected: dict[str, object]) -> None:
    values = config.parse(tomllib.loads(text), ".goescape.toml")
    assert values == expected
    Options()._replace(**values)  # every field exists


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "test = true",
            ".goescape.toml: unknown key 'test' (the keys are: base, bench, bench-time,",
        ),
        ("[goescape]\ntests = true", ".goescape.toml: unknown key 'goescape'"),
        ('tests = "yes"', '.goescape.toml: tests must be true or false, not "yes"'),
        ("leaks = 1", ".goescape.toml: leaks must be true or false, not 1"),
        ('exclude = "*.pb.go"', ".goescape.toml: exclude must be a list of glob patterns"),
        ('exclude = ["ok", ""]', ".goescape.toml: exclude must be a list of glob patterns"),
        ('exclude = ["/"]', ".goescape.toml: exclude must be a list of glob patterns"),
        ("tags = [1]", ".goescape.toml: tags must be a string (a,b) or a list of tag names"),
        ('base = ""', '.goescape.toml: base must be a git ref (a branch, tag or commit), not ""'),
        ('base = "--all"', ".goescape.toml: base must be a git ref"),
        ("min-hotness = 2", ".goescape.toml: min-hotness must be a fraction from 0 to 1"),
        ('min-hotness = "1%"', ".goescape.toml: min-hotness must be a fraction from 0 to 1"),
        ('bench-time = "soon"', ".goescape.toml: bench-time must be seconds or a duration"),
        ("bench-time = 0", ".goescape.toml: bench-time must be seconds or a duration"),
        ('bench = ""', ".goescape.toml: bench must be true, false or a regular expression"),
        ("profile = true", ".goescape.toml: profile must be a file name, not true"),
    ],
)
def test_bad_keys_and_values_are_named(text: str, message: str) -> None:
    with pytest.raises(FatalError) as caught:
        config.parse(tomllib.loads(text), ".goescape.toml")
    assert str(caught.value).startswith(message), caught.value


def test_every_key_but_exclude_is_a_command_line_option_that_overrides_it() -> None:
    parser = cli._parser()
    for key, spec in config.KEYS.items():
        assert spec.field in Options._fields
        if key == "exclude":  # globs are the repository's; PATH arguments narrow a run
            continue
        (action,) = [a for a in parser._actions if f"--{key}" in a.option_strings]
        # --base fills its own field: pre-commit's refs come between it and the file's base.
        assert action.dest == ("base" if key == "base" else spec.field)
        assert action.default is argparse.SUPPRESS


def test_a_profile_named_in_the_file_is_relative_to_the_repository_root(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    path = repo.write(".goescape.toml", 'profile = "prof/cpu.pprof"\nbench = "Parse"\n')
    assert config.load(path) == {"profile": str(repo.path / "prof" / "cpu.pprof"), "bench": "Parse"}
    path = repo.write(".goescape.toml", 'profile = "none"\n')
    assert config.load(path) == {"profile": "none"}
    path = repo.write(".goescape.toml", 'profile = "/srv/cpu.pprof"\n')
    assert config.load(path) == {"profile": "/srv/cpu.pprof"}


def test_the_command_line_turns_off_what_the_file_turns_on(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write(
        ".goescape.toml",
        'bench = true\nbench-time = "2m"\npgo = true\nprofile = "cpu.pprof"\nleaks = true\n',
    )
    parse = cli._parser().parse_args
    _, options = config.options(parse(["-C", str(repo.path)]), {})
    profile = str(repo.path.resolve() / "cpu.pprof")
    assert options == Options(bench=".", bench_time=120.0, pgo=True, profile=profile, leaks=True)
    given = ["--no-bench", "--no-pgo", "--profile", "none", "--bench-time", "30s", "--no-leaks"]
    _, options = config.options(parse(["-C", str(repo.path), *given]), {})
    assert options == Options(bench=None, bench_time=30.0, pgo=False, profile="none")
    _, options = config.options(parse(["-C", str(repo.path), "--bench", "Parse"]), {})
    assert options.bench == "Parse"


def test_the_file_is_found_at_the_repository_root(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    deep = repo.path / "a" / "b"
    deep.mkdir(parents=True)
    assert config.find(deep) is None
    repo.write(".goescape.toml", "tests = true\n")
    assert config.find(deep) == repo.path.resolve() / ".goescape.toml"
    assert config.find(repo.path) == repo.path.resolve() / ".goescape.toml"
    # Only the repository root's: one in a subdirectory is not read.
    (deep / ".goescape.toml").write_text("leaks = true\n", encoding="utf-8")
    assert config.find(deep) == repo.path.resolve() / ".goescape.toml"
    # A nested repository (a submodule, say) is a root of its own.
    inner = GitRepo(repo.path / "a" / "inner")
    assert config.find(inner.path) is None
    assert config.find(tmp_path) is None


# --- with the CLI ---------------------------------------------------------------------------


TEST_FILE = """
package geom

func helper() *Point {
	q := Point{1, 2}
	return &q
}
"""

TAGGED = """
//go:build special

package geom

func Special() *Point {
	s := Point{3, 4}
	return &s
}
"""


class Run(NamedTuple):
    code: int
    out: str
    err: str


@pytest.fixture
def changed(repo: GitRepo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> GitRepo:
    """main with geom/point.go; in the working tree, an escape in Add, one in a new test
    file and one in a new file built only with the tag `special`."""
    monkeypatch.setenv("GOESCAPE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    repo.go_module()
    repo.write("geom/point.go", CLEAN)
    repo.commit("base")
    repo.git("branch", "release")
    repo.write("geom/point.go", ESCAPING)
    repo.write("geom/point_test.go", TEST_FILE)
    repo.write("geom/tagged.go", TAGGED)
    return repo


def goescape(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return Run(code, out, err)


def report(capsys: pytest.CaptureFixture[str], repo: GitRepo, *args: str) -> dict[str, object]:
    run = goescape(capsys, "-C", str(repo.path), "--format", "json", *args)
    assert run.code in (0, 1), run
    doc = json.loads(run.out)
    assert isinstance(doc, dict)
    return doc


def found(doc: dict[str, object]) -> list[str]:
    counted = doc["counted"]
    assert isinstance(counted, list)
    return sorted(f["function"]["display"] for f in counted)


def skipped(doc: dict[str, object]) -> list[tuple[str, str]]:
    items = doc["skipped"]
    assert isinstance(items, list)
    return sorted((s["path"], s["reason"]) for s in items)


@pytest.mark.slow
def test_without_a_file_the_defaults_hold(
    changed: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = report(capsys, changed)
    assert found(doc) == ["Add"]
    assert skipped(doc) == [("geom/point_test.go", "test file (use --tests)")]


@pytest.mark.slow
def test_the_file_sets_defaults_and_the_command_line_wins(
    changed: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    changed.write(
        ".goescape.toml",
        'tests = true\ntags = ["special"]\nleaks = true\nfail-on-cold = true\nmin-hotness = 0.5\n',
    )
    doc = report(capsys, changed)
    assert found(doc) == ["Add", "Special", "helper"]
    assert doc["options"] == {
        "count_leaks": True,
        "fail_on_induced": False,
        "fail_on_cold": True,
        "min_hotness": 0.5,
    }
    doc = report(
        capsys,
        changed,
        *("--no-tests", "--tags", "", "--no-leaks", "--fail-on-induced"),
        *("--no-fail-on-cold", "--min-hotness", "0.25"),
    )
    assert found(doc) == ["Add"]
    assert doc["options"] == {
        "count_leaks": False,
        "fail_on_induced": True,
        "fail_on_cold": False,
        "min_hotness": 0.25,
    }
    # From a subdirectory too: the file is the repository root's.
    run = goescape(capsys, "-C", str(changed.path / "geom"))
    assert run.code == 1
    assert "3 new heap escapes" in run.out.splitlines()[0], run.out


@pytest.mark.slow
def test_excluded_files_show_up_as_skipped(
    changed: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    changed.write(".goescape.toml", 'exclude = ["geom/point.go", "*_test.go"]\n')
    doc = report(capsys, changed)
    assert found(doc) == []
    assert skipped(doc) == [
        ("geom/point.go", "excluded by .goescape.toml: geom/point.go"),
        ("geom/point_test.go", "excluded by .goescape.toml: *_test.go"),
    ]
    run = goescape(capsys, "-C", str(changed.path))
    assert run.code == 0
    assert run.out.splitlines()[-1] == (
        "skipped: 1 file (excluded by .goescape.toml: geom/point.go), "
        "1 file (excluded by .goescape.toml: *_test.go)"
    )


@pytest.mark.slow
def test_base_in_the_file_comes_after_the_command_line_and_pre_commit(
    changed: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    changed.write(".goescape.toml", 'base = "release"\n')
    assert report(capsys, changed)["base"]["how"] == "merge base of HEAD and release"
    assert report(capsys, changed, "--base", "main")["base"]["how"] == "merge base of HEAD and main"
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", "main")
    monkeypatch.setenv("PRE_COMMIT_TO_REF", "HEAD")
    assert report(capsys, changed)["base"]["how"] == "merge base of HEAD and main"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tests = yes\n", "not valid TOML: Invalid value (at line 1, column 9)"),
        ("colour = true\n", "unknown key 'colour'"),
        ("fail-on-induced = 'no'\n", 'fail-on-induced must be true or false, not "no"'),
        ("base = 'nope'\n", None),  # checked against the repository: see below
    ],
)
@pytest.mark.slow
def test_a_bad_file_stops_the_run_naming_the_key(
    changed: GitRepo, capsys: pytest.CaptureFixture[str], text: str, message: str | None
) -> None:
    path = changed.write(".goescape.toml", text)
    run = goescape(capsys, "-C", str(changed.path))
    assert run.code == 2
    (line,) = run.err.splitlines()
    if message is None:
        assert line == "goescape: .goescape.toml base nope: no such commit in this repository"
    else:
        assert line.startswith(f"goescape: {path.resolve()}: {message}"), line
    assert run.out == ""


@pytest.mark.slow
def test_a_file_that_is_not_utf8(changed: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    (changed.path / ".goescape.toml").write_bytes(b"tests = \xff\n")
    run = goescape(capsys, "-C", str(changed.path))
    assert (run.code, run.err.strip()) == (
        2,
        f"goescape: {(changed.path / '.goescape.toml').resolve()}: not UTF-8 text",
    )


# --- PATH arguments -------------------------------------------------------------------------


NEW_BUF = """
package util

func NewBuf(n int) []byte {
	return make([]byte, n)
}
"""


@pytest.fixture
def two_packages(changed: GitRepo) -> GitRepo:
    changed.write("util/buf.go", NEW_BUF)
    return changed


@pytest.mark.slow
def test_paths_limit_the_run(two_packages: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    assert found(report(capsys, two_packages)) == ["Add", "NewBuf"]
    assert found(report(capsys, two_packages, "util")) == ["NewBuf"]
    assert found(report(capsys, two_packages, "geom/point.go")) == ["Add"]
    assert found(report(capsys, two_packages, "util", "geom")) == ["Add", "NewBuf"]
    # Relative to -C DIR, as git's and go's are.
    geom = two_packages.path / "geom"
    run = goescape(capsys, "-C", str(geom), "--format", "json", ".")
    assert found(json.loads(run.out)) == ["Add"]
    run = goescape(capsys, "-C", str(geom), "--format", "json", "../util")
    assert found(json.loads(run.out)) == ["NewBuf"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("nowhere", "goescape: nowhere: no such file or directory"),
        ("..", "goescape: {parent} is outside the repository {root}"),
    ],
)
@pytest.mark.slow
def test_bad_paths(
    two_packages: GitRepo, capsys: pytest.CaptureFixture[str], path: str, message: str
) -> None:
    run = goescape(capsys, "-C", str(two_packages.path), path)
    root = two_packages.path.resolve()
    assert (run.code, run.err.strip()) == (2, message.format(parent=root.parent, root=root))
