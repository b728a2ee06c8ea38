"""SARIF from a real run (real git, real go) of a change with every kind of finding,
validated with the SARIF Multitool and the SARIF 2.1.0 schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from goescape.cli import main

from tests.gitrepo import GitRepo
from tests.hooks.test_sarif_validate import multitool_problems, schema_errors

pytestmark = pytest.mark.slow

BASE = """
package geom

import "fmt"

type Point struct{ X, Y int }

var kept *Point

func wrap(p Point) Point { return p }

// Caller is never edited; inlining the changed wrap makes p escape here.
func Caller(p Point) Point {
	return wrap(p)
}

func Old(p Point) *Point {
	q := p
	return &q
}

func Keep(x int) {
	fmt.Println(x)
}

func newPoint() *Point { return &Point{} }

func Use() {
	_ = 1
}

func Pooled() int {
	return 0
}
"""

HEAD = (
    BASE.replace(
        "func wrap(p Point) Point { return p }",
        "func wrap(p Point) Point { q := &p; return *keep(q) }\n\n"
        "func keep(p *Point) *Point { kept = p; return p }",
    )
    .replace(
        "func Old(p Point) *Point {\n\tq := p\n\treturn &q\n}",
        "func Old(p Point) Point {\n\treturn p\n}",
    )
    .replace("\tfmt.Println(x)\n", "\t// Still prints.\n\tfmt.Println(x)\n")
    .replace("\t_ = 1\n", "\tkept = newPoint()\n")
    .replace(
        "func Pooled() int {\n\treturn 0\n}",
        "func Pooled() *Point {\n\t//goescape:ignore one per process\n"
        "\tp := Point{}\n\treturn &p\n}",
    )
    + "\nfunc NewBuf(n int) []byte {\n\treturn make([]byte, n)\n}\n"
)


@pytest.fixture
def sarif_logs(
    repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, Path]:
    repo.go_module()
    repo.write("geom/geom.go", BASE)
    repo.commit("base")
    repo.write("geom/geom.go", HEAD)
    full, upload = tmp_path / "logs" / "full.sarif", tmp_path / "logs" / "upload.sarif"
    code = main(
        [
            "-C",
            str(repo.path),
            "--base",
            "HEAD",
            "--sarif",
            str(full),
            "--sarif-upload",
            str(upload),
        ]
    )
    capsys.readouterr()
    assert code == 1
    return full, upload


def _results(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    results: list[dict[str, Any]] = data["runs"][0]["results"]
    return results


def test_real_run_has_every_kind_of_result(sarif_logs: tuple[Path, Path]) -> None:
    full, upload = sarif_logs
    results = _results(full)
    by_message = {(r["properties"]["compilerMessage"], r["baselineState"]): r for r in results}
    assert ("make([]byte, n) escapes to heap", "new") in by_message
    assert ("x escapes to heap", "unchanged") in by_message
    assert ("moved to heap: q", "absent") in by_message
    suppressed = by_message[("moved to heap: p", "new")]
    assert suppressed["suppressions"] == [{"kind": "inSource", "justification": "one per process"}]
    inlined = by_message[("&Point{} escapes to heap", "new")]
    assert inlined["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 27
    induced = [r for r in results if r["properties"]["induced"]]
    assert [r["ruleId"] for r in induced] == ["GOESC1004"]
    assert "Caller" in induced[0]["message"]["text"]
    # Upload mode keeps only new, unsuppressed results.
    uploaded = _results(upload)
    assert {r["baselineState"] for r in uploaded} == {"new"}
    assert all("suppressions" not in r for r in uploaded)
    assert len(uploaded) == len(
        [r for r in results if r["baselineState"] == "new" and "suppressions" not in r]
    )


def test_real_run_is_valid_sarif(sarif_logs: tuple[Path, Path], tmp_path: Path) -> None:
    full, upload = sarif_logs
    for path in (full, upload):
        assert schema_errors(json.loads(path.read_text(encoding="utf-8"))) == [], path.name
    assert multitool_problems(full.parent, tmp_path / "validation.sarif") == []
