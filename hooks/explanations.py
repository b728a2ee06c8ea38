"""Which escapes a text report needs the compiler's explanation of (`-m=2`), and whether the
first compile should ask for it (docs/performance.md).

JSON and SARIF carry every finding's explanation, so those runs compile with -m=2. A text
report uses it for the hints of the escapes it shows (and --explain's "why" lines), and a
`//goescape:ignore` on an explanation line can silence an escape; a run that shows no new
escape uses none. Such a run compiles with -m, which on a package with many escapes costs a
fifth less compile time and a sixth of the text. When it does show one, the head side is
compiled again with -m=2 and compared again with the explanations attached: the verdict is the
one a -m=2 compile gives.

A branch that reports a new escape usually reports it on the next run too, until it is fixed
or accepted. So whether the last run on this merge base needed the explanation is kept in
goescape's cache, and the next run's head compile asks for -m=2 at once when it did: one
compile, not two, while the report stays.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from goescape import cache
from goescape.modules import Package
from goescape.sides import Side

if TYPE_CHECKING:
    from goescape.outcome import Finding, Outcome


def wanted(
    outcome: Outcome, *, explain: bool, head_side: Side, packages: Iterable[Package]
) -> list[Finding]:
    """The findings of `outcome` (compared without explanations) whose explanation the text
    report needs: those it shows a hint for that the flow chooses (every one it shows with
    `explain`), and those whose explanation could bring in a `//goescape:ignore` marker."""
    from goescape import attribution, hints, report
    from goescape.outcome import ABSENT

    found = [
        f for f in report.shown_with_hints(outcome) if explain or hints.uses_flow(f.escape, f.cold)
    ]
    marked: list[bool] = []

    def any_marker() -> bool:
        if not marked:
            marked.append(_has_markers(packages, head_side))
        return marked[0]

    found += [
        f
        for f in outcome.findings
        if f.state != ABSENT
        and attribution.explanation_may_silence(head_side, f.escape, any_marker)
    ]
    return list(dict.fromkeys(found))


def _has_markers(packages: Iterable[Package], side: Side) -> bool:
    """Whether a file of `packages` holds anything like a `//goescape:ignore` marker."""
    for package in packages:
        for path in side.go_files(package.directory):
            data = side.peek(path)
            if data is not None and b"goescape:" in data:
                return True
    return False


def _entry(merge_base: str, packages: Iterable[Package], tests: bool, tags: str) -> str:
    import zlib  # a checksum is enough to name a flag: a collision costs a compile, no more

    what = "\n".join([merge_base, *sorted(p.import_path for p in packages), str(tests), tags])
    return f"explained-{merge_base[:12]}-{zlib.crc32(what.encode()):08x}"


def remembered(merge_base: str, packages: Iterable[Package], tests: bool, tags: str) -> bool:
    """Whether the last run on `merge_base` for these packages needed the explanation."""
    return cache.marked(_entry(merge_base, packages, tests, tags))


def remember(
    merge_base: str, packages: Iterable[Package], tests: bool, tags: str, needed: bool
) -> None:
    cache.mark(_entry(merge_base, packages, tests, tags), needed)
