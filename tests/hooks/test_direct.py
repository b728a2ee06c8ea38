"""The head compile without the go command (hooks/direct.py).

What goescape reads must not change when the compiler runs directly: the differential test
compiles standard-library packages of each available Go both ways and compares the text
byte for byte; the end-to-end tests compare whole reports, check that a plan that no
longer holds is never used, and that a direct compile that fails gives go build's answer.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from goescape import cache, compiler, direct, prestart, process
from goescape.cli import main

from tests.conftest import go_version
from tests.gitrepo import GitRepo
from tests.runs import json_run

# Standard-library packages without assembly or cgo, of different character.
STD = (
    "text/template/parse",
    "bufio",
    "go/scanner",
    "encoding/hex",
    "compress/flate",
    "encoding/csv",
    "go/constant",
    "regexp/syntax",
)


def _go_build(package: str, module: Path, flags: str = compiler.ESCAPES) -> list[str]:
    return compiler.command(
        compiler.find_go(),
        compiler.Build(module, (package,), {}, False, "", flags=flags),
        None,
    )


def _compile(module: Path, package: str, flags: str = compiler.ESCAPES) -> compiler.Running:
    build = compiler.Build(module, (package,), {}, False, "", flags=flags)
    with compiler.Session(compiler.find_go()) as session:
        running = session.start(build)
        running.result()
    return running


def _settle(root: Path) -> None:
    """Date every file a minute back: a plan is not recorded over files changed since just
    before its recording began (they may be newer than go's export data)."""
    past = time.time() - 60
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (past, past))


@pytest.fixture
def directly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOESCAPE_DIRECT", "on")


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every command goescape starts with process.start or process.spawn."""
    seen: list[list[str]] = []
    real_start, real_spawn = process.start, process.spawn

    def recording(cmd: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        seen.append(list(cmd))
        return real_start(cmd, **kwargs)

    def spawning(cmd: Sequence[str], cwd: str, env: Any) -> process.Spawned:
        seen.append(list(cmd))
        return real_spawn(cmd, cwd, env)

    monkeypatch.setattr(process, "start", recording)
    monkeypatch.setattr(process, "spawn", spawning)
    return seen


def _compiler_runs(seen: list[list[str]]) -> list[list[str]]:
    return [c for c in seen if os.path.basename(c[0]) == "compile"]


def _go_build_runs(seen: list[list[str]]) -> list[list[str]]:
    return [c for c in seen if len(c) > 1 and c[1] == "build" and "-n" not in c]


# --- Against the compiler: standard-library packages, both ways ----------------------


@pytest.fixture
def std_module(tmp_path: Path, any_go: Path) -> Path:
    minor = ".".join(go_version(any_go).removeprefix("go").split(".")[:2])
    module = tmp_path / "std"
    module.mkdir()
    (module / "go.mod").write_text(f"module example.com/std\n\ngo {minor}\n", encoding="utf-8")
    for package in STD:
        for source in sorted((any_go / "src" / package).glob("*.go")):
            if not source.name.endswith("_test.go"):
                target = module / package / source.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
    _settle(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("flags", [compiler.ESCAPES, compiler.EXPLAINED])
def test_the_direct_compile_prints_what_go_build_prints(
    std_module: Path, flags: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = process.clean_env()
    for package in STD:
        pattern = f"./{package}"
        monkeypatch.setenv("GOESCAPE_DIRECT", "off")
        through_go = _compile(std_module, pattern, flags)
        assert not through_go.direct
        cmd = _go_build(pattern, std_module, flags)
        assert direct.record(cmd, str(std_module), env), package
        monkeypatch.setenv("GOESCAPE_DIRECT", "on")
        directly = _compile(std_module, pattern, flags)
        assert directly.direct, package
        expected = through_go.result().output
        assert expected.startswith(f"# example.com/std/{package}\n")
        assert directly.result() == through_go.result(), package


# --- The plan: when it holds -----------------------------------------------------------

GO_MOD = "module example.com/shapes\n\ngo 1.21\n"
LEAF = """package leaf

type Point struct{ X, Y int }

func Make(x, y int) Point { return Point{x, y} }
"""
USER = """package user

import "example.com/shapes/leaf"

func Sum(n int) int {
	p := leaf.Make(n, n)
	return p.X + p.Y
}
"""


@pytest.fixture
def shapes(repo: GitRepo) -> GitRepo:
    repo.write("go.mod", GO_MOD)
    repo.write("leaf/leaf.go", LEAF)
    repo.write("user/user.go", USER)
    repo.commit("shapes")
    _settle(repo.path)
    return repo


@pytest.fixture
def planned(shapes: GitRepo, directly: None) -> tuple[list[str], dict[str, Any]]:
    cmd = _go_build("./user", shapes.path)
    assert direct.record(cmd, str(shapes.path), process.clean_env())
    plan = direct.load(direct.plan_path(cmd, str(shapes.path), process.clean_env()))
    assert plan is not None
    return cmd, plan


def _holds(cmd: list[str], plan: dict[str, Any], root: Path) -> bool:
    return direct.holds(plan, cmd, str(root), process.clean_env())


def test_a_recorded_plan_names_the_compiler_and_the_imports_export_data(
    shapes: GitRepo, planned: tuple[list[str], dict[str, Any]]
) -> None:
    cmd, plan = planned
    assert _holds(cmd, plan, shapes.path)
    assert plan["import_path"] == "example.com/shapes/user"
    assert os.path.basename(plan["argv"][0]) == "compile"
    assert "-m" in plan["argv"]
    assert "./user/user.go" in plan["argv"]
    assert list(plan["deps"]) == [str(shapes.path / "leaf")]  # the module's own, not std
    assert "packagefile example.com/shapes/leaf=" in plan["importcfg"]
    assert all(os.path.isfile(p) for p in plan["exports"])


def _edit_body(root: Path) -> None:
    path = root / "user" / "user.go"
    path.write_text(path.read_text().replace("p.X + p.Y", "p.Y + p.X"), encoding="utf-8")


def _swap_file(root: Path) -> None:
    (root / "user" / ".user.go.swp").write_bytes(b"vim")


@pytest.mark.parametrize("change", [_edit_body, _swap_file])
def test_the_plan_holds_over_what_the_compiler_reads_anew(
    shapes: GitRepo, planned: tuple[list[str], dict[str, Any]], change: Any
) -> None:
    cmd, plan = planned
    change(shapes.path)
    assert _holds(cmd, plan, shapes.path)


def _edit_dependency(root: Path) -> None:
    path = root / "leaf" / "leaf.go"
    path.write_text(path.read_text() + "\nfunc Zero() Point { return Point{} }\n")


def _new_file(root: Path) -> None:
    (root / "user" / "more.go").write_text("package user\n\nfunc More() int { return 1 }\n")


def _build_constraint(root: Path) -> None:
    path = root / "user" / "user.go"
    path.write_text("//go:build ignore\n\n" + path.read_text(), encoding="utf-8")


def _new_file_in_a_dependency(root: Path) -> None:
    (root / "leaf" / "other.go").write_text("package leaf\n")


def _go_mod(root: Path) -> None:
    (root / "go.mod").write_text(GO_MOD.replace("go 1.21", "go 1.22"), encoding="utf-8")


def _go_work(root: Path) -> None:
    (root / "go.work").write_text("go 1.22\n\nuse .\n", encoding="utf-8")


@pytest.mark.parametrize(
    "change",
    [_edit_dependency, _new_file, _build_constraint, _new_file_in_a_dependency, _go_mod, _go_work],
)
def test_the_plan_no_longer_holds_when_go_would_compile_differently(
    shapes: GitRepo, planned: tuple[list[str], dict[str, Any]], change: Any
) -> None:
    cmd, plan = planned
    change(shapes.path)
    assert not _holds(cmd, plan, shapes.path)


def test_the_plan_no_longer_holds_under_other_go_settings(
    shapes: GitRepo, planned: tuple[list[str], dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    cmd, plan = planned
    monkeypatch.setenv("GOFLAGS", "-tags=special")
    assert not _holds(cmd, plan, shapes.path)
    monkeypatch.delenv("GOFLAGS")
    assert _holds(cmd, plan, shapes.path)
    assert not _holds([*cmd[:-1], "-tags=x", cmd[-1]], plan, shapes.path)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("exports", ["/nonexistent/export-data"]),
        ("tools", [["/nonexistent/go", 1, 1]]),
        ("module_dir", "/elsewhere"),
    ],
)
def test_the_plan_no_longer_holds_when_its_files_are_gone_or_changed(
    shapes: GitRepo, planned: tuple[list[str], dict[str, Any]], field: str, value: object
) -> None:
    cmd, plan = planned
    assert not _holds(cmd, {**plan, field: value}, shapes.path)


def test_a_dependency_changed_just_before_recording_is_not_planned(
    shapes: GitRepo, directly: None
) -> None:
    path = shapes.path / "leaf" / "leaf.go"
    path.write_text(path.read_text() + "\n// just now\n", encoding="utf-8")
    cmd = _go_build("./user", shapes.path)
    assert not direct.record(cmd, str(shapes.path), process.clean_env())


# --- Runs ------------------------------------------------------------------------------


def _essence(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted(
        (f["path"], f["line"], f["col"], f["kind"], f["state"], f["expression"])
        for f in doc["findings"]
    )


@pytest.fixture
def branch(shapes: GitRepo) -> GitRepo:
    shapes.git("checkout", "-q", "-b", "feature")
    return shapes


ESCAPING_USER = (
    USER.replace("\tp := leaf.Make(n, n)\n", "\tp := leaf.Make(n, n)\n\tkeep = &p\n")
    + "\nvar keep *leaf.Point\n"
)


def test_a_run_compiles_directly_once_a_plan_is_recorded_and_reports_the_same(
    branch: GitRepo,
    capsys: pytest.CaptureFixture[str],
    started: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOESCAPE_DIRECT", "wait")
    branch.write("user/user.go", ESCAPING_USER)
    first = json_run(branch, capsys)
    assert first[0] == 1
    assert _go_build_runs(started)
    assert not _compiler_runs(started)
    started.clear()
    branch.write("user/user.go", ESCAPING_USER.replace("return p.X + p.Y", "return p.Y + p.X"))
    second = json_run(branch, capsys)
    assert _compiler_runs(started), started
    assert not [c for c in _go_build_runs(started) if "-gcflags=./user=-m=2" in c]
    monkeypatch.setenv("GOESCAPE_DIRECT", "off")
    started.clear()
    reference = json_run(branch, capsys)
    assert not _compiler_runs(started)
    assert second[0] == 1
    assert reference[0] == 1
    assert _essence(second[1]) == _essence(reference[1])
    assert any(f["state"] == "new" for f in reference[1]["findings"])


def test_a_direct_compile_that_fails_gives_go_builds_answer_and_drops_the_plan(
    branch: GitRepo,
    capsys: pytest.CaptureFixture[str],
    started: list[list[str]],
    planned: tuple[list[str], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cmd, _ = planned
    # An import the plan's importcfg does not have: the compiler alone cannot find it.
    branch.write(
        "user/user.go",
        USER.replace(
            'import "example.com/shapes/leaf"',
            'import (\n\t"strings"\n\t"example.com/shapes/leaf"\n)',
        )
        + "\nfunc Upper(s string) string { return strings.ToUpper(s) }\n",
    )
    running = _compile(branch.path, "./user")
    assert running.direct
    result = running.result()
    assert result.ok
    assert _go_build_runs(started)  # the fallback
    path = direct.plan_path(cmd, str(branch.path), process.clean_env())
    assert direct.load(path) is None
    monkeypatch.setenv("GOESCAPE_DIRECT", "off")
    assert _compile(branch.path, "./user").result() == result


def test_the_command_line_starts_the_planned_compile_before_git_answers(
    branch: GitRepo,
    capsys: pytest.CaptureFixture[str],
    started: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOESCAPE_DIRECT", "wait")
    monkeypatch.chdir(branch.path)
    branch.write("user/user.go", ESCAPING_USER)
    assert main(["--format", "json"]) == 1
    capsys.readouterr()
    branch.write("user/user.go", ESCAPING_USER + "\n// again\n")
    started.clear()
    prestart.begin(["--format", "json"], os.environ)
    early = prestart.take()
    try:
        assert len(early) == 1
        assert early[0].direct is not None
        assert os.path.basename(started[0][0]) == "compile"
        assert early[0].cmd[1] == "build"  # matched by the go build it stands for
    finally:
        for item in early:
            process.wait_for(item.proc)
            shutil.rmtree(item.folder, ignore_errors=True)


# --- Pure parts ------------------------------------------------------------------------

DEP_COMPILE = (
    '/t/compile -o $WORK/b002/_pkg_.a -trimpath "$WORK/b002=>" -p m/dep'
    " -importcfg $WORK/b002/importcfg -pack ./dep/d.go"
)
COMPILE = (
    '/t/compile -o $WORK/b001/_pkg_.a -trimpath "$WORK/b001=>" -p m/p -complete'
    " -buildid a/b -m -importcfg $WORK/b001/importcfg -pack ./p/a.go ./p/b.go"
)
# go build -n -a's shape, for a dependency and the package: lines go prints as they are.
DRY_RUN = "\n".join(
    [
        "#",
        "# m/dep",
        "#",
        "",
        "mkdir -p $WORK/b002/",
        "cat >$WORK/b002/importcfg << 'EOF' # internal",
        "# import config",
        "EOF",
        "cd /src/m",
        DEP_COMPILE,
        "#",
        "# m/p",
        "#",
        "",
        "mkdir -p $WORK/b001/",
        "cat >$WORK/b001/importcfg << 'EOF' # internal",
        "# import config",
        "packagefile m/dep=$WORK/b002/_pkg_.a",
        "packagefile fmt=$WORK/b010/_pkg_.a",
        "EOF",
        COMPILE,
        "go tool buildid -w $WORK/b001/_pkg_.a # internal",
        "",
    ]
)
EXPORTS = {"m/dep": "/cache/dep-d", "fmt": "/cache/fmt-d"}


def _plan(text: str, exports: dict[str, str] = EXPORTS) -> dict[str, object] | None:
    step = direct.parse_dry_run(text, "m/p")
    if step is None:
        return None
    return direct.plan_from(
        step,
        exports,
        cmd=["go", "build", "./p"],
        module_dir="/src/m",
        import_path="m/p",
        package_dir="/src/m/p",
    )


def test_a_plan_from_go_builds_dry_run() -> None:
    plan = _plan(DRY_RUN)
    assert plan is not None
    assert plan["compile_dir"] == "/src/m"
    assert plan["argv"] == [
        "/t/compile",
        "-o",
        "$WORK/@PKG@/_pkg_.a",
        "-trimpath",
        "$WORK/@PKG@=>",
        "-p",
        "m/p",
        "-complete",
        "-m",
        "-importcfg",
        "$WORK/@PKG@/importcfg",
        "-pack",
        "./p/a.go",
        "./p/b.go",
    ]
    assert plan["importcfg"] == (
        "# import config\npackagefile m/dep=/cache/dep-d\npackagefile fmt=/cache/fmt-d\n"
    )
    assert plan["exports"] == ["/cache/dep-d", "/cache/fmt-d"]
    argv, cwd, _ = direct.command(plan, "/tmp/w")
    assert cwd == "/src/m"
    assert argv[1:5] == ["-o", "/tmp/w/direct_pkg.a", "-trimpath", "/tmp/w=>"]
    assert argv[9:11] == ["-importcfg", "/tmp/w/direct_importcfg"]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (
            (
                "go tool buildid -w $WORK/b001/_pkg_.a # internal\n",
                "/t/asm -p m/p -o $WORK/b001/x.o ./p/x.s\n",
            ),
            "assembly",
        ),
        (("-pack ./p/a.go", "-embedcfg $WORK/b001/embedcfg -pack ./p/a.go"), "embedded files"),
        (("-complete", "-complete -asmhdr $WORK/b001/go_asm.h"), "assembly header"),
        (("-pack ./p/a.go", "-pgoprofile=/src/m/default.pgo -pack ./p/a.go"), "a profile"),
        (("packagefile fmt=$WORK/b010/_pkg_.a", "packageshlib fmt=/x.so"), "an unknown line"),
        (("-p m/p -complete", "-p m/p -D $WORK/b003 -complete"), "other work"),
    ],
)
def test_no_plan_for_anything_but_one_plain_compile(change: tuple[str, str], why: str) -> None:
    old, new = change
    assert old in DRY_RUN
    assert _plan(DRY_RUN.replace(old, new)) is None, why


def test_go_1_22s_buildid_line_is_part_of_a_plain_compile() -> None:
    old = "go tool buildid -w $WORK/b001/_pkg_.a # internal"
    assert old in DRY_RUN
    older = DRY_RUN.replace(old, "/t/buildid -w $WORK/b001/_pkg_.a # internal")
    assert _plan(older) == _plan(DRY_RUN)


def test_no_plan_when_an_import_has_no_export_data() -> None:
    assert _plan(DRY_RUN, {"m/dep": "/cache/dep-d"}) is None


def test_no_plan_for_a_package_the_dry_run_does_not_compile() -> None:
    assert direct.parse_dry_run(DRY_RUN, "m/other") is None


PLAN = {"import_path": "m/p", "package_dir": "/src/m/p"}


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("", ""),
        (
            "/src/m/p/a.go:3:6: can inline F\n/src/m/p/b.go:9:2: moved to heap: x",
            "# m/p\np/a.go:3:6: can inline F\np/b.go:9:2: moved to heap: x\n",
        ),
        (
            "/src/m/q/c.go:1:1: x escapes to heap:\n/src/m/p/a.go:3:6:   flow: {heap} = &x:\n",
            # A sibling package's file: the module's directory, "." to go, is shorter.
            "# m/p\n./q/c.go:1:1: x escapes to heap:\np/a.go:3:6:   flow: {heap} = &x:\n",
        ),
        (
            "/goroot/src/fmt/print.go:10:2: ... argument does not escape\n",
            "# m/p\n/goroot/src/fmt/print.go:10:2: ... argument does not escape\n",
        ),
        (
            "/w/direct1/x.go:1:1: from the work directory\n",
            "# m/p\n$WORK/x.go:1:1: from the work directory\n",
        ),
    ],
)
def test_the_compilers_text_as_go_build_prints_it(
    output: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    exists = os.path.exists
    monkeypatch.setattr(os.path, "exists", lambda p: p.startswith("/src/m") or exists(p))
    assert direct.as_go_prints(output, PLAN, "/src/m", "/w/direct1") == expected


@pytest.mark.parametrize(
    ("cmd", "qualifies"),
    [
        (["go", "build", "-o", os.devnull, "-gcflags=./p=-m", "./p"], True),
        (
            ["go", "build", "-o", os.devnull, "-gcflags=./p=-m", "-gcflags=./q=-m", "./p", "./q"],
            False,
        ),
        (["go", "test", "-c", "-o", os.devnull, "-gcflags=./p=-m", "./p"], False),
        (["go", "build", "-o", os.devnull, "-overlay=/o.json", "-gcflags=./p=-m", "./p"], False),
    ],
)
def test_which_builds_the_compiler_may_run_alone(cmd: list[str], qualifies: bool) -> None:
    assert direct.qualifies(cmd) is qualifies


@pytest.mark.parametrize(("ci", "left_behind"), [("", True), ("true", False)])
def test_a_run_through_go_build_leaves_a_recorder_unless_in_ci(
    branch: GitRepo,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    directly: None,
    ci: str,
    left_behind: bool,
) -> None:
    asked: list[list[tuple[list[str], str]]] = []
    monkeypatch.setattr(direct, "record_later", lambda builds, env: asked.append(list(builds)))
    monkeypatch.setattr(direct, "_queued", [])
    monkeypatch.setenv("CI", ci)
    branch.write("user/user.go", ESCAPING_USER)
    assert json_run(branch, capsys)[0] == 1
    if left_behind:
        assert [[(cmd[-1], where) for cmd, where in builds] for builds in asked] == [
            [("./user", str(branch.path))]
        ]
    else:
        assert asked in ([], [[]])


def test_the_same_inputs_again_read_the_last_direct_compiles_text(
    shapes: GitRepo, planned: tuple[list[str], dict[str, Any]], started: list[list[str]]
) -> None:
    first = _compile(shapes.path, "./user")
    assert first.direct
    assert len(_compiler_runs(started)) == 1
    again = _compile(shapes.path, "./user")  # nothing changed: go build's cache would answer
    assert again.direct
    assert len(_compiler_runs(started)) == 1
    assert again.result() == first.result()
    _edit_body(shapes.path)
    edited = _compile(shapes.path, "./user")
    assert len(_compiler_runs(started)) == 2
    assert edited.result().output != ""


EMBEDDING = """package user

import _ "embed"

//go:embed data.txt
var data string

func Data() string { return data }
"""


def test_a_package_that_is_not_one_plain_compile_is_noted_and_left_to_go_build(
    shapes: GitRepo, directly: None, started: list[list[str]]
) -> None:
    shapes.write("user/embedding.go", EMBEDDING)
    shapes.write("user/data.txt", "some data\n")
    _settle(shapes.path)
    cmd = _go_build("./user", shapes.path)
    assert direct.record(cmd, str(shapes.path), process.clean_env())
    plan = direct.load(direct.plan_path(cmd, str(shapes.path), process.clean_env()))
    assert plan is not None
    assert direct.refused(plan)
    build = compiler.Build(shapes.path, ("./user",), {}, False, "")
    with compiler.Session(compiler.find_go()) as session:
        running = session.start(build)
        result = running.result()
        assert result.ok
        assert not running.direct
        assert session.unplanned == []  # not recorded again, run after run
    assert not _compiler_runs(started)
    assert len(_go_build_runs(started)) == 1
    # Nothing in the package's directory changed: go build's text of last time.
    with compiler.Session(compiler.find_go()) as session:
        assert session.start(build).result() == result
    assert len(_go_build_runs(started)) == 1
    shapes.write("user/data.txt", "other data\n")
    with compiler.Session(compiler.find_go()) as session:
        assert session.start(build).result().ok
    assert len(_go_build_runs(started)) == 2


def test_nobody_waits_for_the_recorder(
    branch: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pre-commit reads the hook's output until every holder of its pipes has gone: the
    recorder must hold none. A `go` that takes 20 s to list packages stands in for a slow
    recorder; the run that leaves it behind still ends at once."""
    real_go = shutil.which("go")
    assert real_go is not None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker = tmp_path / "recorder-ran"
    wrapper = bin_dir / "go"
    wrapper.write_text(
        f'#!/bin/sh\nif [ "$1" = list ]; then touch {marker}; sleep 20; fi\nexec {real_go} "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("GOESCAPE_DIRECT", "on")
    monkeypatch.delenv("CI", raising=False)
    branch.write("user/user.go", ESCAPING_USER)
    started_at = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "goescape", "--format", "json"],
        cwd=branch.path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    took = time.monotonic() - started_at
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["summary"]["new"] >= 1
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert marker.exists()  # the recorder was started, and is still listing
        assert took < 15
    finally:
        _stop_recorders(str(branch.path))


def _stop_recorders(mentioning: str) -> None:
    """Stop the recorders (each leads a session of its own) started for `mentioning`."""
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"direct.main(" in cmdline and mentioning.encode() in cmdline:
            with contextlib.suppress(OSError):
                os.killpg(int(entry.name), signal.SIGKILL)


def test_plans_and_kept_text_are_records_of_goescapes_cache(
    shapes: GitRepo, directly: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    top = tmp_path / "cache"
    monkeypatch.setenv("GOESCAPE_CACHE_DIR", str(top))
    cmd = _go_build("./user", shapes.path)
    assert direct.record(cmd, str(shapes.path), process.clean_env())
    assert _compile(shapes.path, "./user").direct  # keeps its text before the session ends
    names = sorted(os.listdir(top / "v1"))
    assert len(names) == 2
    assert names[0].startswith("direct-")
    assert names[0].removesuffix("-text.rec") == names[1].removesuffix(".rec")
    assert cache.clear(directory=top) == 2
    assert os.listdir(top / "v1") == []
