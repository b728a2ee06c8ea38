"""Both sides' compiler output read into escapes by function: the changed packages', then
their callers' (callers.py), leaving out the files that print the same at base and head
(prefilter.py), and read again where a finding needs what was left out or the compiler's
explanation (explanations.py)."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from goescape.changes import FileChange, diff_paths
from goescape.modules import Package
from goescape.options import FLOWS_ALL, Options
from goescape.sides import Side

if TYPE_CHECKING:
    from goescape import attribution, builds, escapes
    from goescape.functions import FunctionId
    from goescape.outcome import Finding, Outcome, Skipped


class Compared(NamedTuple):
    """Both sides' escapes, by function, and what the comparison needs besides."""

    head: list[Attributed]
    base: list[Attributed]
    head_index: attribution.Declarations  # read as asked for
    base_index: attribution.Declarations
    packages: dict[str, Package]  # every package compared: the changed ones, their callers
    broken: str  # the module whose base does not compile (--allow-broken-base), or ""
    unreached: list[Skipped]  # callers that do not compile at one side
    rounds: tuple[builds.Builds, ...]  # the callers' compiles
    # Each round's compiler output (head, base) and its packages, as the compiler printed it.
    texts: tuple[tuple[str, str, dict[str, Package]], ...]
    partial: bool  # files printing the same at both sides were left out (prefilter.py)
    head_read: str  # what was read of the head side's output, all rounds


Attributed = tuple["FunctionId", "escapes.Escape"]


class Reader:
    """Parse both sides' compiler output and attribute each escape to its function, without
    the files that print the same at both sides (prefilter.py) unless told `whole`."""

    def __init__(
        self,
        changes: list[FileChange],
        packages: Mapping[str, Package],
        head_side: Side,
        base_side: Side,
        options: Options,
        *,
        whole: bool,
    ) -> None:
        self.head_side = head_side
        self.base_side = base_side
        # Explanations are read here only when every finding carries one (explanations.py).
        self.flows = options.flows == FLOWS_ALL
        self.keep = None if whole else Keep(changes, packages, head_side)

    def __call__(
        self, head_text: str, base_text: str, where: Mapping[str, Package]
    ) -> tuple[list[Attributed], list[Attributed], bool, str]:
        from goescape import attribution, escapes, prefilter

        left_out = 0
        if self.keep is not None:
            head_text, base_text, left_out = prefilter.differing(head_text, base_text, self.keep)
        head, base = (
            attribution.attribute(escapes.parse(text, flows=self.flows), where, side)
            for text, side in ((head_text, self.head_side), (base_text, self.base_side))
        )
        return head, base, left_out > 0, head_text


def gather(
    compiles: builds.Builds,
    touched: Mapping[FunctionId, str],
    changes: list[FileChange],
    packages: Mapping[str, Package],
    head_side: Side,
    base_side: Side,
    options: Options,
    progress: Callable[[str], None],
) -> Compared:
    """The escapes of both sides once their compiler output is in, with those of the
    packages the changed functions are inlined into."""
    from goescape import attribution, callers
    from goescape.functions import INIT

    # Package initialisation is one function across files: its escapes in a file that did
    # not change count too when it did (see _whole for when a change reaches it).
    whole = any(f.name == INIT for f in touched)
    read = Reader(changes, packages, head_side, base_side, options, whole=whole)
    # What does not need the compiler's answer is done while it works: the changed files'
    # base side parsed, the changed functions' declarations found at both sides.
    head_index = attribution.declarations(packages.values(), head_side, options.tests)
    base_index = attribution.declarations(packages.values(), base_side, options.tests)
    for path in diff_paths(changes):
        if path.endswith(".go"):
            base_side.parsed(path)
    for function in touched:
        head_index.get(function)
        base_index.get(function)
    # The head side's errors come first, as the user's own code matters most.
    head_text = compiles.head_text()
    base_text, broken = compiles.base_text()
    head_escapes, base_escapes, partial, head_read = read(head_text, base_text, packages)
    texts = [(head_text, base_text, dict(packages))]
    reach = callers.follow(
        compiles, head_text, base_text, touched, packages, head_side, base_side, progress
    )
    if reach is None:
        return Compared(
            head_escapes,
            base_escapes,
            head_index,
            base_index,
            dict(packages),
            broken,
            [],
            (),
            tuple(texts),
            partial,
            head_read,
        )
    more = reach.packages
    head_more, base_more, partial_more, read_more = read(reach.head_text, reach.base_text, more)
    texts.append((reach.head_text, reach.base_text, dict(more)))
    head_index.add(more.values())
    base_index.add(more.values())
    return Compared(
        head_escapes + head_more,
        base_escapes + base_more,
        head_index,
        base_index,
        {**packages, **more},
        broken,
        reach.skipped,
        reach.rounds,
        tuple(texts),
        partial or partial_more,
        f"{head_read}\n{read_more}",
    )


def whole(
    compared: Compared,
    findings: list[Finding],
    changes: list[FileChange],
    head_side: Side,
    base_side: Side,
    options: Options,
) -> Compared | None:
    """`compared` read again in full when files were left out and a finding needs them: one of
    package initialisation, whose counts take in its escapes in every file, or a new or
    changed escape of an inlined callee, whose own copies (the way its cold path is read)
    may be in a file left out. Else None. (Where there is none, nothing is new in what was
    left out either way: it is the same at both sides.)"""
    from goescape.functions import INIT
    from goescape.outcome import CHANGED, NEW

    def needs(f: Finding) -> bool:
        return f.function.name == INIT or (bool(f.escape.inlined) and f.state in (NEW, CHANGED))

    if not compared.partial or not any(needs(f) for f in findings):
        return None
    read = Reader(changes, compared.packages, head_side, base_side, options, whole=True)
    head: list[Attributed] = []
    base: list[Attributed] = []
    for head_text, base_text, where in compared.texts:
        more_head, more_base, _, _ = read(head_text, base_text, where)
        head += more_head
        base += more_base
    head_read = "\n".join(head_text for head_text, _, _ in compared.texts)
    return compared._replace(head=head, base=base, partial=False, head_read=head_read)


class Keep:
    """prefilter's `keep`: whether the lines of a file the compiler printed (relative to its
    module) are read even when they are the same at both sides. A changed file's always are
    (its functions are compared in full); so are those of a file with a `//goescape:ignore`
    marker, which may silence a copy of an inlined callee's escape (comparison's silencer)."""

    def __init__(
        self, changes: Iterable[FileChange], packages: Mapping[str, Package], side: Side
    ) -> None:
        self.changed = {posixpath.basename(p) for p in diff_paths(changes)}
        self.roots = sorted({p.module.root for p in packages.values()})
        self.side = side

    def __call__(self, printed: str) -> bool:
        if posixpath.basename(printed) in self.changed:
            return True
        top = self.side.repo.root
        if posixpath.isabs(printed):
            inside = _inside(printed, top)
            if inside is None:
                return False  # GOROOT, the module cache: no function of the repository
            candidates = [inside]
        else:
            candidates = [posixpath.normpath(posixpath.join(r, printed)) for r in self.roots]
        for path in candidates:
            data = self.side.peek(path)
            if data is not None:
                return b"goescape:" in data
        return True  # not found from here: read it, as before


def _inside(path: str, root: Path) -> str | None:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return None


def explain(
    compared: Compared,
    first: builds.Builds,
    draft: Outcome,
    options: Options,
    head_side: Side,
    progress: Callable[[str], None],
) -> Compared | None:
    """For a text report, the head side's escapes with the compiler's explanation (-m=2) of
    those it needs (explanations.wanted); None when it needs none (the common run: nothing
    new). The head compile's own text has them when it was asked for -m=2; else the head
    side is compiled again."""
    from goescape import attribution, escapes, explanations

    wanted = explanations.wanted(
        draft,
        explain=options.explain,
        head_side=head_side,
        packages=compared.packages.values(),
    )
    if not wanted:
        return None
    # The escapes wanted are in files that were read (those the change names, or that
    # print differently at base): the rest of the text need not be looked at again.
    text = compared.head_read
    if not first.head_explained:
        progress(f"explaining {len(wanted)} escape{'s' * (len(wanted) != 1)} (-m=2)")
        running = [compiles.start_explained_head() for compiles in (first, *compared.rounds)]
        text = "\n".join(first.explained_text(r) for r in running)
    # Each explanation is printed at its escape's position: only those lines are read, but
    # for an escape of an inlined callee, whose marker may be on the callee's own copy.
    inlined = any(f.escape.inlined for f in wanted)
    lines = None if inlined else {f.escape.line for f in wanted}
    flows = {
        (function, escape.kind, escape.expr, escape.path, escape.line, escape.col): escape.flow
        for function, escape in attribution.attribute(
            escapes.parse(text, lines), compared.packages, head_side
        )
        if escape.flow
    }
    head = [
        (f, e._replace(flow=flows.get((f, e.kind, e.expr, e.path, e.line, e.col), e.flow)))
        for f, e in compared.head
    ]
    return compared._replace(head=head)
