"""The SARIF goescape writes passes Microsoft's SARIF Multitool (the SARIF spec's rules and
GitHub's ingestion rules) and the SARIF 2.1.0 JSON schema.

Both tools come pinned from package-lock.json (`npm ci`); the schema is the copy the
Multitool ships.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
from goescape.sarif import RunFacts, write

from tests.hooks import sarif_outcome as fx

ROOT = Path(__file__).parents[2]
TOOL_DIR = ROOT / "node_modules" / "@microsoft" / "sarif-multitool-linux"
MULTITOOL = TOOL_DIR / "Sarif.Multitool"
SCHEMA = TOOL_DIR / "sarif-2.1.0.json"

FACTS = RunFacts(
    command_line="goescape --sarif goescape.sarif --sarif-upload upload.sarif",
    exit_code=1,
    execution_successful=True,
    repository_uri="https://github.com/acme/geom",
    branch="feature/points",
    source_root="/home/runner/work/geom/geom",
)


def multitool_problems(sarif: Path, out: Path) -> list[str]:
    """Errors and warnings the Multitool finds in `sarif` (a file, or a folder of them; it
    exits 0 either way: read its output)."""
    assert MULTITOOL.exists(), f"{MULTITOOL} missing: run `npm ci`"
    env = {**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"}
    # Called directly: the npm wrapper passes arguments through a shell, which splits on `;`.
    proc = subprocess.run(
        [str(MULTITOOL), "validate", str(sarif), "--rule-kind", "Sarif;Gh", "-o", str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert out.exists(), f"the Multitool wrote no output: {proc.stdout}{proc.stderr}"
    report = json.loads(out.read_text(encoding="utf-8"))
    problems = []
    for run in report["runs"]:
        for res in run.get("results", []):
            if res.get("level", "warning") in ("error", "warning"):
                problems.append(f"{res['ruleId']} {res['message']}")
        for inv in run.get("invocations", []):
            for note in inv.get("toolExecutionNotifications", []):
                if note.get("level", "warning") == "error":
                    problems.append(f"tool error: {note['message'].get('text')}")
            assert inv.get("executionSuccessful", False), proc.stdout
    return problems


@functools.cache
def schema_validator() -> Any:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_errors(data: Any) -> list[str]:
    validator = schema_validator()
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]


def test_fixture_logs_are_valid_sarif_for_github(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    for level in ("warning", "error"):
        for for_upload in (False, True):
            sarif = logs / f"{level}-{'upload' if for_upload else 'full'}.sarif"
            write(sarif, fx.OUTCOME, FACTS._replace(level=level), for_upload=for_upload)
            data = json.loads(sarif.read_text(encoding="utf-8"))
            # The fixture really has every shape, so the validation covers them all.
            results = data["runs"][0]["results"]
            if not for_upload:
                assert {r["baselineState"] for r in results} == {"new", "unchanged", "absent"}
                assert any("suppressions" in r for r in results)
            assert any("relatedLocations" in r for r in results)  # inlined
            assert any(r["properties"]["induced"] for r in results)
            assert any("codeFlows" in r for r in results)
            assert schema_errors(data) == [], sarif.name
    # A run without results is valid too.
    empty = fx.OUTCOME._replace(findings=(), functions=(), skipped=(), warnings=())
    write(
        logs / "empty.sarif",
        empty,
        FACTS._replace(exit_code=0, repository_uri=None),
        for_upload=True,
    )
    data = json.loads((logs / "empty.sarif").read_text(encoding="utf-8"))
    assert data["runs"][0]["results"] == []
    assert schema_errors(data) == []
    assert len(list(logs.iterdir())) == 5
    assert multitool_problems(logs, tmp_path / "validation.sarif") == []


def test_the_validators_catch_a_broken_log(tmp_path: Path) -> None:
    """The checks above can fail: a rule without fullDescription, a related location
    without a message and a line 0 are each reported."""
    sarif = tmp_path / "broken.sarif"
    write(sarif, fx.OUTCOME, FACTS, for_upload=True)
    data = json.loads(sarif.read_text(encoding="utf-8"))
    run = data["runs"][0]
    del run["tool"]["driver"]["rules"][0]["fullDescription"]
    induced = next(r for r in run["results"] if "relatedLocations" in r)
    del induced["relatedLocations"][0]["message"]
    run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    sarif.write_text(json.dumps(data), encoding="utf-8")
    problems = " ".join(multitool_problems(sarif, tmp_path / "validation.sarif"))
    assert "GH2012" in problems  # fullDescription required by GitHub
    assert "JSON1008" in problems  # startLine below 1
    assert any("startLine" in e for e in schema_errors(data))
