"""`goescape demo`: the shipped change, built in a temporary repository with the real git and
`go` (each Go of the test matrix), reported, and cleaned up."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from goescape import compiler, demo
from goescape.cli import main

from tests.runs import only_git_on_path

pytestmark = pytest.mark.slow

DATA = Path(demo.__file__).parent / "demo_repo"


@pytest.fixture
def tmpdir_for_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)
    return folder


def test_the_demo_reports_introduced_moved_and_removed_escapes(
    any_go: Path,
    tmpdir_for_runs: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What a user's environment may hold that must not change the demo.
    monkeypatch.setenv("GOFLAGS", "-mod=vendor")
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", "no-such-ref")
    environment = dict(os.environ)

    assert main(["demo"]) == 0

    out, err = capsys.readouterr()
    assert err == ""
    intro, report = out.split("$ goescape\n")
    assert intro.startswith("goescape demo: a Go module in a new git repository")
    lines = report.splitlines()
    assert re.fullmatch(
        r"goescape: 2 new heap escapes in 4 changed functions "
        r"\(base [0-9a-f]{7}, merge base of HEAD and main\)",
        lines[0],
    )
    findings = [line for line in lines if re.match(r"geom/\w+\.go:\d+:\d+: ", line)]
    assert findings == [
        "geom/path.go:28:13: Segment: make(Path, n) escapes to heap   (new function)",
        "geom/point.go:13:12: Scale: moved to heap: p   (0 -> 1 heap escapes)",
    ]
    assert "removed 1 heap escape in Path.Bounds" in lines  # the report's own summary
    assert lines[lines.index("Behind the summary:") :] == [
        "Behind the summary:",
        "  removed: geom/path.go:18: Path.Bounds: moved to heap: r",
        "  as before: Midpoint (geom/mid.go) keeps its 1 heap escape: changed or moved, "
        "nothing new",
        "",
        "goescape's exit code here: 1 (new heap escapes).",
    ]
    assert list(tmpdir_for_runs.iterdir()) == []  # the repository is gone
    assert dict(os.environ) == environment


def test_keep_leaves_a_repository_to_try_goescape_on(
    tmp_path: Path, tmpdir_for_runs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = tmp_path / "shapes"
    assert main(["demo", "--keep", str(kept)]) == 0
    out, _ = capsys.readouterr()
    assert out.splitlines()[-1] == (
        f"The repository is kept in {kept}: try `goescape -C {kept} --explain`."
    )
    assert list(tmpdir_for_runs.iterdir()) == []
    log = subprocess.run(
        ["git", "-C", str(kept), "log", "--format=%s", "main..change"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert log.stdout == "geom: Segment; Scale chains; Midpoint to mid.go\n"
    assert main(["-C", str(kept), "--format", "json"]) == 1
    # The kept tree is the shipped head, file for file.
    shipped = {p.relative_to(DATA / "head") for p in (DATA / "head").rglob("*") if p.is_file()}
    there = {p.relative_to(kept) for p in kept.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert there == shipped
    capsys.readouterr()
    assert main(["demo", "--keep", str(kept)]) == 2
    assert capsys.readouterr().err == f"goescape demo: --keep {kept}: not an empty directory\n"


def test_without_go_it_says_so_before_building_anything(
    tmp_path: Path,
    tmpdir_for_runs: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    only_git_on_path(tmp_path, monkeypatch)
    monkeypatch.setattr(compiler, "bundled_go", lambda: None)
    assert main(["demo", "--keep", str(tmp_path / "kept")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("goescape demo: no `go` on PATH: install Go (https://go.dev/dl/")
    assert not (tmp_path / "kept").exists()


def test_the_demo_module_is_gofmt_clean_and_vets(any_go: Path, tmp_path: Path) -> None:
    gofmt = any_go / "bin" / "gofmt"
    for side in ("base", "head"):
        unformatted = subprocess.run(
            [str(gofmt), "-l", "."], cwd=DATA / side, capture_output=True, text=True, check=True
        )
        assert unformatted.stdout == ""
        copy = tmp_path / side
        shutil.copytree(DATA / side, copy)
        vet = subprocess.run(
            ["go", "vet", "./..."], cwd=copy, capture_output=True, text=True, check=False
        )
        assert vet.returncode == 0, vet.stderr
