"""Reading back what goescape wrote (the bot's only input) and `goescape sarif-summary`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from goescape import __version__
from goescape.sarif import RunFacts, fingerprint, write
from goescape.sarif_read import (
    FlowLocation,
    ReportedEscape,
    ReportedFunction,
    SarifError,
    SarifReport,
    parse,
    read,
)
from goescape.sarif_summary import main

from tests.hooks import sarif_outcome as fx

FACTS = RunFacts(
    command_line="goescape --sarif out.sarif",
    exit_code=1,
    execution_successful=True,
    repository_uri="https://github.com/acme/geom",
    category="goescape/unit",
)


def written(tmp_path: Path, *, upload: bool = False) -> Path:
    path = tmp_path / ("upload.sarif" if upload else "goescape.sarif")
    write(path, fx.OUTCOME, FACTS, for_upload=upload)
    return path


def by_function(report: SarifReport, display: str) -> list[ReportedEscape]:
    return [e for e in report.escapes if e.display == display]


def test_round_trip_of_a_new_escape(tmp_path: Path) -> None:
    report = read(written(tmp_path))
    (escape,) = by_function(report, "NewPoint")
    assert escape == ReportedEscape(
        rule_id="GOESC1001",
        level="warning",
        message="New escape in NewPoint: moved to heap: p (heap escapes of NewPoint: 0 -> 1).",
        compiler_message="moved to heap: p",
        path="geom/geom.go",
        line=17,
        col=2,
        function="example.com/esc/geom.NewPoint",
        display="NewPoint",
        baseline_state="new",
        suppressed=False,
        suppression_reason="",
        induced=False,
        fingerprint=fingerprint(fx.NEW_POINT),
        before=0,
        after=1,
        hint="Its address outlives the call; return the value, let the caller provide the "
        "storage, or avoid capturing it in an escaping closure.",
        flow=(
            FlowLocation("geom/geom.go", 17, 2, "flow: ~r0 = &p"),
            FlowLocation("geom/geom.go", 18, 9, "from &p (address-of)"),
            FlowLocation("geom/geom.go", 18, 2, "from return &p (return)"),
        ),
        rule_name="NewHeapVariable",
        kind="moved to heap",
        expression="p",
        new_function=False,
        inlined_from=None,
        counted=True,
    )


def test_round_trip_of_every_shape(tmp_path: Path) -> None:
    report = read(written(tmp_path))
    assert [(e.display, e.baseline_state, e.level) for e in report.escapes] == [
        ("NewPoint", "new", "warning"),
        ("Joined", "new", "note"),  # suppressed
        ("Joined", "new", "note"),
        ("Describe", "unchanged", "note"),
        ("Buffer", "absent", "note"),
        ("(*Point).Add", "new", "note"),
        ("CallLogf", "new", "note"),
    ]
    concat, plain_a = by_function(report, "Joined")
    assert (concat.suppressed, concat.suppression_reason) == (
        True,
        "joined once per request, measured cheap",
    )
    assert (plain_a.suppressed, plain_a.suppression_reason) == (True, "")
    assert plain_a.flow[-1] == FlowLocation("", 0, 0, "from a (inlined)")
    (logf,) = by_function(report, "CallLogf")
    assert logf.induced
    assert logf.rule_id == "GOESC1004"
    assert logf.inlined_from is not None
    assert (logf.inlined_from.path, logf.inlined_from.line) == ("geom/geom.go", 100)
    (add,) = by_function(report, "(*Point).Add")
    assert add.function == "example.com/esc/geom.(*Point).Add"
    assert add.new_function
    assert (add.kind, add.expression) == ("leaking param", "p to result ~r0 level=0")

    assert (report.tool_version, report.go_version) == (__version__, "go1.27.3")
    assert (report.base_commit, report.head_commit) == (fx.BASE, fx.HEAD)
    assert (report.exit_code, report.execution_successful) == (1, True)
    assert (report.category, report.upload_mode, report.count_leaks) == (
        "goescape/unit",
        False,
        False,
    )
    assert report.functions[0] == ReportedFunction(
        "example.com/esc/geom.NewPoint", "NewPoint", "geom/geom.go", 16, 0, 1, 1, True, False
    )
    assert len(report.functions) == 6
    assert report.notifications == (
        "geom/geom_test.go skipped: test file (use --tests).",
        "broken skipped: does not compile at base.",
        "geom/geom.go:50: //goescape:ignore without a reason.",
    )


def test_upload_file_reads_too(tmp_path: Path) -> None:
    report = read(written(tmp_path, upload=True))
    assert report.upload_mode
    assert [e.display for e in report.escapes] == ["NewPoint", "(*Point).Add", "CallLogf"]


def test_level_falls_back_to_the_rule_then_warning() -> None:
    data = json.loads(json.dumps(minimal()))
    result = data["runs"][0]["results"][0]
    assert parse(data).escapes[0].level == "note"  # from the rule's defaultConfiguration
    data["runs"][0]["tool"]["driver"]["rules"] = []
    assert parse(data).escapes[0].level == "warning"
    result["level"] = "error"
    assert parse(data).escapes[0].level == "error"


def minimal() -> dict[str, Any]:
    """The least a reader accepts: another producer's file could look like this."""
    return {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "goescape",
                        "rules": [{"id": "R", "defaultConfiguration": {"level": "note"}}],
                    }
                },
                "results": [
                    {
                        "ruleId": "R",
                        "message": {"text": "m."},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": "dir%20x/a.go"},
                                    "region": {"startLine": 3},
                                }
                            }
                        ],
                    }
                ],
            }
        ],
    }


def test_minimal_file() -> None:
    report = parse(minimal())
    (escape,) = report.escapes
    assert (escape.path, escape.line, escape.col) == ("dir x/a.go", 3, 0)
    assert (escape.baseline_state, escape.suppressed, escape.flow) == ("new", False, ())
    assert report.functions == ()
    assert report.notifications == ()


def broken(change: str) -> object:
    data: Any = minimal()
    run = data["runs"][0]
    if change == "version":
        data["version"] = "2.0.0"
    elif change == "no runs":
        data["runs"] = []
    elif change == "other tool":
        run["tool"]["driver"]["name"] = "CodeQL"
    elif change == "results":
        run["results"] = {"a": 1}
    elif change == "no location":
        run["results"][0]["locations"] = []
    elif change == "line":
        run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = "3"
    elif change == "not an object":
        data = [data]
    return data


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("version", "not SARIF 2.1.0"),
        ("no runs", "has no runs"),
        ("other tool", "written by 'CodeQL', not by goescape"),
        ("results", "runs[0].results is dict, expected an array"),
        ("no location", "results[0] has no location"),
        ("line", "startLine is str, expected an integer"),
        ("not an object", "the file is list, expected an object"),
    ],
)
def test_bad_content_is_one_clear_error(change: str, words: str) -> None:
    with pytest.raises(SarifError) as err:
        parse(broken(change))
    assert words in str(err.value)
    assert "\n" not in str(err.value)


# --- goescape sarif-summary ------------------------------------------------------------


def test_summary_of_the_full_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(written(tmp_path))]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"goescape {__version__} with go1.27.3: base {fx.BASE[:12]} -> head {fx.HEAD[:12]}"
    )
    assert out[1] == "counted: 1 new heap escape; exit code 1"
    assert out[2] == (
        "new escapes: 5 (2 suppressed, 1 induced); changed: 0; unchanged: 1; removed: 1"
    )
    assert "  warning    geom/geom.go:17:2  NewPoint: moved to heap: p" in out
    assert (
        '  suppressed geom/geom.go:51:43  Joined: strings.Join([]string{...}, ",") + '
        "fmt.Sprintln(... argument...) escapes to heap  (joined once per request, measured cheap)"
    ) in out
    assert "  suppressed geom/geom.go:51:58  Joined: a escapes to heap  (no reason given)" in out
    assert (
        "  note       geom/geom.go:106:6  CallLogf: ... argument escapes to heap  "
        "(induced: function unchanged)"
    ) in out
    assert out[out.index("removed:") + 1] == (
        "  note       geom/geom.go:56:13  Buffer: make([]byte, n) escapes to heap"
    )
    assert "functions compared: 6, escapes 5 -> 8" in out
    assert out[-1] == "  geom/geom.go:50: //goescape:ignore without a reason."


def test_summary_of_the_upload_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(written(tmp_path, upload=True))]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("(upload file: new results only)")
    assert out[1] == "counted: 1 new heap escape; exit code 1"
    assert out[2] == (
        "new escapes: 3 (0 suppressed, 1 induced); changed: 0; unchanged: 0; removed: 0"
    )


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "cannot read"),
        ("{not json", "is not JSON"),
        ('{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}}]}', "not by goescape"),
    ],
)
def test_summary_of_a_bad_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, words: str
) -> None:
    path = tmp_path / "x.sarif"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main([str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("goescape sarif-summary: ")
    assert words in line
    assert str(path) in line
