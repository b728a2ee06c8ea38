"""End to end: the real `goescape` CLI, the real `go` and git; the SARIF it writes keeps an
escape's fingerprint across inserted lines and moves, and passes the validators."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from goescape.cli import main
from goescape.sarif_read import read

from tests.gitrepo import GitRepo
from tests.hooks.test_sarif_validate import multitool_problems, schema_errors

pytestmark = pytest.mark.slow

BASE_GO = """
package geom

type Point struct{ X, Y int }

func NewPoint(x, y int) Point {
\tp := Point{X: x, Y: y}
\treturn p
}
"""

ESCAPING = """
func NewPoint(x, y int) *Point {
\tp := Point{X: x, Y: y}
\treturn &p
}
"""

HEADER = "package geom\n\ntype Point struct{ X, Y int }\n"


def escape_of(repo: GitRepo, base: str, head: str, tmp_path: Path) -> tuple[str, str, int]:
    """(fingerprint, path, line) of the one new escape goescape reports at `head`."""
    sarif = tmp_path / f"{head[:8]}.sarif"
    code = main(["-C", str(repo.path), "--base", base, "--head", head, "--sarif", str(sarif)])
    assert code == 1
    (escape,) = read(sarif).escapes
    assert (escape.compiler_message, escape.baseline_state) in {
        ("moved to heap: p", "new"),
        ("moved to heap: q", "new"),
    }
    assert escape.function == "example.com/m/geom.NewPoint"
    return escape.fingerprint, escape.path, escape.line


@pytest.fixture
def history(repo: GitRepo) -> tuple[GitRepo, str, str]:
    repo.go_module()
    repo.write("geom/geom.go", BASE_GO)
    base = repo.commit("base")
    repo.write("geom/geom.go", HEADER + ESCAPING)
    head = repo.commit("escape")
    return repo, base, head


def test_fingerprint_survives_inserted_lines(
    history: tuple[GitRepo, str, str], tmp_path: Path
) -> None:
    repo, base, head = history
    first = escape_of(repo, base, head, tmp_path)
    assert first[1:] == ("geom/geom.go", 6)
    repo.write(
        "geom/geom.go", HEADER + "\n// Lines\n// inserted\n// above.\nvar _ = 1\n" + ESCAPING
    )
    shifted = escape_of(repo, base, repo.commit("insert"), tmp_path)
    assert shifted[1:] == ("geom/geom.go", 11)
    assert shifted[0] == first[0]


def test_fingerprint_survives_a_move_to_another_file(
    history: tuple[GitRepo, str, str], tmp_path: Path
) -> None:
    repo, base, head = history
    first = escape_of(repo, base, head, tmp_path)
    repo.write("geom/geom.go", HEADER)
    repo.write(
        "geom/points.go", "package geom\n\n// Moved here,\n// after a\n// comment.\n" + ESCAPING
    )
    moved = escape_of(repo, base, repo.commit("move"), tmp_path)
    assert moved[1:] == ("geom/points.go", 8)
    assert moved[0] == first[0]


def test_fingerprint_changes_with_the_expression(
    history: tuple[GitRepo, str, str], tmp_path: Path
) -> None:
    repo, base, head = history
    first = escape_of(repo, base, head, tmp_path)
    repo.write("geom/geom.go", HEADER + ESCAPING.replace("p :=", "q :=").replace("&p", "&q"))
    renamed = escape_of(repo, base, repo.commit("rename"), tmp_path)
    assert renamed[1:] == first[1:]
    assert renamed[0] != first[0]


def test_cli_writes_both_files_and_they_validate(
    history: tuple[GitRepo, str, str], tmp_path: Path
) -> None:
    repo, base, head = history
    logs = tmp_path / "logs"
    full, upload = logs / "full.sarif", logs / "upload.sarif"
    argv = ["-C", str(repo.path), "--base", base, "--head", head, "--level", "error"]
    argv += ["--sarif", str(full), "--sarif-upload", str(upload), "--category", "goescape/ci"]
    assert main(argv) == 1
    for path in (full, upload):
        data = json.loads(path.read_text(encoding="utf-8"))
        run = data["runs"][0]
        assert run["automationDetails"] == {"id": "goescape/ci"}
        assert run["invocations"][0]["exitCode"] == 1
        assert [r["level"] for r in run["results"]] == ["error"]
        assert run["results"][0]["codeFlows"]  # -m=2 is on when SARIF is asked for
        assert schema_errors(data) == []
    assert read(upload).upload_mode
    assert not read(full).upload_mode
    assert multitool_problems(logs, tmp_path / "validation.sarif") == []
