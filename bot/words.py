"""The words the bot uses for an escape, the report's own: one place, so the inline comments,
the review body, the summary and the annotations never disagree. Pure.

What fails the run is read, never recomputed: the SARIF result property `counted`
(`ReportedEscape.counted`, written from `Outcome.counts`). The rest only says why something
that is shown does not count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from goescape.sarif_read import ReportedEscape

LEAK_KIND = "leaking param"
UPDATED = "updated"  # SARIF baselineState of a changed escape


def is_leak(e: ReportedEscape) -> bool:
    # `kind` is empty in SARIF written before it existed: the compiler's words still say it.
    return e.kind == LEAK_KIND or (not e.kind and e.compiler_message.startswith(LEAK_KIND))


def is_changed(e: ReportedEscape) -> bool:
    return e.baseline_state == UPDATED


def title(e: ReportedEscape) -> str:
    """ "New heap escape", "New leaking param", "Changed heap escape", ...: a leaking
    parameter is never called a heap escape."""
    noun = "leaking param" if is_leak(e) else "heap escape"
    return f"{'Changed' if is_changed(e) else 'New'} {noun}"


def hotness(share: float, profile: str) -> str:
    """ "4.2% of CPU in default.pgo"; `profile` is the profile's name, "" when unknown."""
    pct = share * 100
    figure = "<0.1" if 0 < pct < 0.05 else f"{pct:.1f}"
    return f"{figure}% of CPU in {profile or 'the profile'}"


def facts(
    e: ReportedEscape, profile: str, quote: Callable[[str], str] = lambda text: text
) -> list[str]:
    """What else the report says about the escape, in its words; `quote` makes the parts
    that come from the SARIF file (a cold reason, the profile's name) safe for where they
    go (markdown.plain for a comment)."""
    out = []
    if e.induced:
        out.append("caused by a change in another function")
    if e.cold:
        out.append(f"cold path: {quote(e.cold_reason)}" if e.cold_reason else "cold path")
    if e.hotness is not None:
        out.append(hotness(e.hotness, quote(profile) if profile else ""))
    return out


def not_counted(e: ReportedEscape) -> str:
    """Why a reported escape does not fail the run ("" when it does)."""
    if e.counted:
        return ""
    if is_changed(e):
        return "a changed escape is never counted"
    reasons = []
    if is_leak(e):
        reasons.append("`--leaks` counts leaking parameters")
    if e.induced:
        reasons.append("`--fail-on-induced` counts escapes caused in other functions")
    if e.cold:
        reasons.append("`--fail-on-cold` counts cold-path escapes")
    if not reasons and e.hotness is not None:
        reasons.append("its function is colder than `--min-hotness`")
    return "not counted" + (f": {'; '.join(reasons)}" if reasons else "")


def counts_phrase(escapes: Sequence[ReportedEscape]) -> str:
    """ "2 new heap escapes and 1 new leaking param": the counted ones, in the words of the
    CLI's headline (a leak counts only with --leaks, and is then named a leak)."""
    counted = [e for e in escapes if e.counted]
    leaks = sum(1 for e in counted if is_leak(e))
    heap = len(counted) - leaks
    parts = []
    if heap:
        parts.append(plural(heap, "new heap escape", "new heap escapes"))
    if leaks:
        parts.append(plural(leaks, "new leaking param", "new leaking params"))
    return " and ".join(parts) or "no new heap escapes"


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def profile_name(run_properties: object) -> str:
    """The CPU profile the findings were ranked by, from the SARIF run's properties
    (`profile`: a name, or an object with a `path`); "" when there is none."""
    if not isinstance(run_properties, dict):
        return ""
    found = run_properties.get("profile")
    if isinstance(found, dict):
        found = found.get("path") or found.get("name")
    return found if isinstance(found, str) else ""


def sort_key(e: ReportedEscape) -> tuple[bool, float, str, int, int, str]:
    """Counted first, then hotter first (when a profile ranked them), then by place."""
    return (not e.counted, -(e.hotness or 0.0), e.path, e.line, e.col, e.fingerprint)


def ordered(escapes: Iterable[ReportedEscape]) -> list[ReportedEscape]:
    return sorted(escapes, key=sort_key)
