"""Cold paths, hotness and benchmarks through SARIF: the writer, the reader the bot shares,
and the bot's summary table."""

from __future__ import annotations

from goescape import hints, sarif, sarif_read
from goescape.bot.comments import Links, inline_body
from goescape.bot.summary import summary_markdown
from goescape.outcome import BenchmarkComparison, BenchmarkMeasure, ProfileInfo

from tests.hooks import sarif_outcome as fx
from tests.hooks.test_sarif import FACTS

COLD_POINT = fx.NEW_POINT._replace(cold="error return", hotness=0.0)
HOT_LOGF = fx.CALL_LOGF._replace(hotness=0.4213)
OUTCOME = fx.OUTCOME._replace(
    findings=tuple(
        COLD_POINT if f is fx.NEW_POINT else HOT_LOGF if f is fx.CALL_LOGF else f
        for f in fx.OUTCOME.findings
    ),
    profile=ProfileInfo("cmd/app/default.pgo", "default.pgo", True, 576),
    benchmarks=(
        BenchmarkComparison(
            fx.PKG, "BenchmarkAdd", BenchmarkMeasure(0, 0, 5.5), BenchmarkMeasure(1, 16, 9)
        ),
        BenchmarkComparison(fx.PKG, "BenchmarkNew", None, BenchmarkMeasure(0, 0, 3)),
    ),
)


def _report() -> sarif_read.SarifReport:
    return sarif_read.parse(sarif.build(OUTCOME, FACTS, for_upload=False, hint_for=hints.hint_for))


def test_cold_is_a_note_with_its_reason_and_its_own_hint() -> None:
    report = _report()
    (point,) = [e for e in report.escapes if e.compiler_message == "moved to heap: p"]
    assert (point.level, point.cold, point.cold_reason, point.counted) == (
        "note",
        True,
        "error return",
        False,
    )
    assert point.hint == hints.HINTS[hints.COLD]
    assert OUTCOME._replace(fail_on_cold=True).counts(COLD_POINT)


def test_hotness_is_a_property_and_the_rank() -> None:
    log = sarif.build(OUTCOME, FACTS, for_upload=False)
    results = log["runs"][0]["results"]
    buffer = results[OUTCOME.findings.index(HOT_LOGF)]
    assert buffer["rank"] == 42.13
    assert buffer["properties"]["hotness"] == 0.4213
    failing = OUTCOME._replace(fail_on_induced=True)  # the finding is an induced one
    assert sarif.result_level(HOT_LOGF, failing, "warning") == "warning"
    colder = failing._replace(min_hotness=0.5)
    assert sarif.result_level(HOT_LOGF, colder, "warning") == "note"
    # Without a profile there is no rank at all.
    plain = sarif.build(fx.OUTCOME, FACTS, for_upload=False)
    assert all("rank" not in r for r in plain["runs"][0]["results"])


def test_run_properties_carry_the_profile_and_the_benchmarks() -> None:
    report = _report()
    assert report.profile == sarif_read.ReportedProfile(
        "cmd/app/default.pgo", "default.pgo", True, 576
    )
    assert report.benchmarks == (
        sarif_read.ReportedBenchmark(
            fx.PKG,
            "BenchmarkAdd",
            sarif_read.ReportedMeasure(0, 0, 5.5),
            sarif_read.ReportedMeasure(1, 16, 9),
            True,
        ),
        sarif_read.ReportedBenchmark(
            fx.PKG, "BenchmarkNew", None, sarif_read.ReportedMeasure(0, 0, 3), False
        ),
    )
    assert sarif_read.parse(sarif.build(fx.OUTCOME, FACTS, for_upload=False)).benchmarks == ()


def test_the_bot_summary_shows_benchmarks_and_marks_cold_and_hot() -> None:
    report = _report()
    links = Links("https://github.com", "acme/geom", "2" * 40)
    shown = [e for e in report.escapes if e.baseline_state == "new" and not e.suppressed]
    text = summary_markdown(report, shown, links)
    assert "**Benchmarks** (1 with more allocs/op)" in text
    assert "| `example.com/esc/geom BenchmarkAdd` **↑** | 0 → 1 | 0 → 16 | 5.5 → 9 |" in text
    assert "| `example.com/esc/geom BenchmarkNew` | - → 0 | - → 0 | - → 3 |" in text
    assert "cold path: error return" in text
    assert "42.1% of CPU" in text
    (point,) = [e for e in shown if e.compiler_message == "moved to heap: p"]
    assert "cold path: error return" in inline_body(point, "cmd/app/default.pgo")
