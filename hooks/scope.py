"""What a run may fail on: the whole branch, or in a commit hook only the commit being made.

Pure. In pre-commit's commit stage every function is still compared with the merge base, but
only the functions the commit itself touches can fail the hook: what an earlier commit of the
branch introduced elsewhere (a commit made with `--no-verify` or `SKIP=goescape`) is reported
once, in one line, and judged again on pre-push and in CI, which look at the whole branch.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from goescape.functions import FunctionId
from goescape.outcome import Finding, FunctionSummary


def judge_commit(
    findings: Iterable[Finding],
    summaries: Iterable[FunctionSummary],
    commit_touched: Collection[FunctionId],
) -> tuple[list[Finding], list[FunctionSummary]]:
    """Findings and summaries with everything outside `commit_touched` marked as an earlier
    commit's (escapes caused in untouched functions too: the commit hook cannot tell which
    commit caused them)."""
    marked = [
        f if f.function in commit_touched else f._replace(earlier_commit=True) for f in findings
    ]
    kept = [s if s.function in commit_touched else s._replace(new=0) for s in summaries]
    return marked, kept
