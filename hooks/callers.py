"""Packages a change reaches through inlining, compiled too so that the escapes it causes
there are reported.

An inlinable function is compiled again inside every caller it is inlined into, in other
packages too: a changed callee can add escapes to callers nobody edited. When a changed
function can be inlined (at base or at head, as the compiler's `can inline` lines say), the
packages of its module that call it are compiled at both sides as well; so are, round after
round, the callers of any function that inlines it and can itself be inlined (mid-stack
inlining). A run whose changed functions cannot be inlined does nothing here but read the
compiler's text it already has.

Callers are found by reading the module's files: a package qualifies when a file imports the
callee's package and names the callee (`.TabWidth`), which costs a few milliseconds where
`go list ./...` costs a few hundred.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from goescape import attribution, inlining, modules
from goescape.modules import Module, Package
from goescape.sides import Side

if TYPE_CHECKING:
    from goescape.builds import Builds
    from goescape.functions import FunctionId
    from goescape.outcome import Skipped

# Directories the go command leaves out of `./...`.
_SKIPPED_DIRS = ("testdata", "vendor")


class Reach(NamedTuple):
    """What the extra rounds of compiles found."""

    packages: dict[str, Package]  # the callers' packages, by directory
    head_text: str  # the compiler's text for them (and replays of earlier packages)
    base_text: str
    skipped: list[Skipped]  # callers that do not compile at one side
    rounds: tuple[Builds, ...] = ()  # the compiles of each round


def follow(
    first: Builds,
    head_text: str,
    base_text: str,
    touched: Iterable[FunctionId],
    packages: Mapping[str, Package],
    head_side: Side,
    base_side: Side,
    progress: Callable[[str], None] = lambda _: None,
) -> Reach | None:
    """Compile the packages that inline the changed functions, round by round; None when no
    changed function can be inlined (then nothing is started)."""
    names = carriers(head_text, base_text, packages, head_side, base_side, touched, set())
    if not names:
        return None
    from goescape.builds import Builds
    from goescape.outcome import Skipped

    assert first.toolchain is not None, "follow() runs after Builds.start_base"
    # Files that may differ between the merge base and head: those differing from the
    # working tree at either side (the working tree itself, when it is the head).
    search = Search(
        head_side,
        base_side,
        frozenset(head_side.differing | base_side.differing),
        first.base.commit if first.options.use_cache else "",
        first.options.tests,
    )
    compiled = dict(packages)
    known: set[str] = set()
    found: dict[str, Package] = {}
    heads: list[str] = []
    bases: list[str] = []
    skipped: list[Skipped] = []
    rounds: list[Builds] = []
    while names:
        for group in names.values():
            known |= group
        # Other packages can only name exported functions (unexported ones reach them
        # through an exported function of their own package that inlines them).
        exported = {p: {n for n in group if n[:1].isupper()} for p, group in names.items()}
        exported = {p: group for p, group in exported.items() if group}
        wanted = importers(exported, compiled, search) if exported else {}
        if not wanted:
            break
        many = len(wanted) != 1
        progress(f"compiling {len(wanted)} calling package{'s' * many} at base and head")
        round_ = Builds(
            first.session,
            first.repo,
            first.base,
            first.options,
            first.env,
            list(wanted.values()),
            pgo=first.pgo,  # the same profile as the module's changed packages
            flagged=list(compiled.values()),
            explain=first.head_explained,
        )
        round_.start_head(head_side)
        round_.start_base(base_side, first.toolchain)
        rounds.append(round_)
        compiled.update(wanted)
        good: dict[str, Package] = {}
        round_heads: list[str] = []
        round_bases: list[str] = []
        for module, head, base in round_.module_texts():
            members = {d: p for d, p in wanted.items() if p.module == module}
            if head is None or base is None:
                side = "head" if head is None else "base"
                skipped += [
                    Skipped(
                        d,
                        f"does not compile at {side} (a caller of a changed inlinable "
                        "function: not checked for escapes the change causes there)",
                    )
                    for d in sorted(members)
                ]
                continue
            good.update(members)
            round_heads.append(head)
            round_bases.append(base)
        found.update(good)
        heads += round_heads
        bases += round_bases
        names = carriers(
            "\n".join(round_heads), "\n".join(round_bases), good, head_side, base_side, (), known
        )
    if not found and not skipped:
        return None
    return Reach(found, "\n".join(heads), "\n".join(bases), skipped, tuple(rounds))


def carriers(
    head_text: str,
    base_text: str,
    packages: Mapping[str, Package],
    head_side: Side,
    base_side: Side,
    seeds: Iterable[FunctionId],
    known: set[str],
) -> dict[str, set[str]]:
    """Names of the functions of `packages` whose callers must be compiled, by import path:
    the `seeds` the compiler can inline (at base or at head), and every inlinable function
    that inlines one of them or one of the `known` names."""
    seeds = set(seeds)
    if not known and not inlining.may_inline(
        {(f.receiver, f.name) for f in seeds}, (head_text, base_text)
    ):
        # The common case: no changed function can be inlined, so nothing can reach further.
        return {}
    scanned = [
        (inlining.scan(text), side)
        for text, side in ((head_text, head_side), (base_text, base_side))
        if text
    ]
    if not known:
        # Unless a changed function's name is among the inlinable ones, nothing can reach
        # further, and nothing needs mapping to declarations.
        wanted = {f.name for f in seeds}
        if not any(
            m.kind == inlining.CAN and inlining.bare_name(m.name) in wanted
            for marks, _ in scanned
            for m in marks
        ):
            return {}
    inlinable: set[FunctionId] = set()
    calls: dict[FunctionId, set[str]] = {}
    for marks, side in scanned:
        for function, mark in attribution.inline_owners(marks, packages, side):
            if mark.kind == inlining.CAN:
                inlinable.add(function)
            else:
                calls.setdefault(function, set()).add(inlining.bare_name(mark.name))
    chosen = {f for f in seeds if f in inlinable}
    names = set(known) | {f.name for f in chosen}
    growing = bool(chosen) or bool(known)
    while growing:
        growing = False
        for function in inlinable - chosen:
            if calls.get(function, set()) & names:
                chosen.add(function)
                names.add(function.name)
                growing = True
    by_package: dict[str, set[str]] = {}
    importable = {p.import_path for p in packages.values()}
    for function in chosen:
        if function.package in importable:  # not an external test package (`foo_test`)
            by_package.setdefault(function.package, set()).add(function.name)
    return by_package


class Search(NamedTuple):
    """Where `importers` looks, and what it may remember between runs."""

    head: Side
    base: Side
    changed: frozenset[str]  # paths whose head content may differ from the merge base
    merge_base: str  # "" for no caching
    tests: bool


def importers(
    names: Mapping[str, set[str]], compiled: Mapping[str, Package], search: Search
) -> dict[str, Package]:
    """The packages of the same module, not compiled yet, with a file that imports one of
    the packages in `names` and mentions one of its names there (at head).

    Which files do so at the merge base is read once per merge base and kept in goescape's
    cache; only the files the branch changes are read again each time."""
    from goescape import cache

    by_import = {p.import_path: p for p in compiled.values()}
    wanted_by_module: dict[Module, dict[str, set[str]]] = {}
    for import_path, group in names.items():
        package = by_import.get(import_path)
        if package is not None:
            wanted_by_module.setdefault(package.module, {})[import_path] = group
    found: dict[str, Package] = {}
    for module, wanted in sorted(wanted_by_module.items()):
        patterns = [(_import_spec(path), _mention(path, group)) for path, group in wanted.items()]
        changed = _module_paths(module, search.head, search.tests, search.changed)
        key = cache.ImportersKey(
            search.merge_base,
            str(search.head.repo.root / module.root),
            tuple((path, tuple(sorted(group))) for path, group in sorted(wanted.items())),
            search.tests,
        )
        text = cache.load(key) if search.merge_base else None
        if text is None:
            at_base = _calling(
                module_files(module, search.head, search.tests, search.changed),
                search.head,
                patterns,
            )
            search.base.prefetch(changed)  # one git command for the changed files' base side
            at_base |= _calling(changed, search.base, patterns)
            if search.merge_base:
                cache.store(key, "".join(f"{path}\n" for path in sorted(at_base)))
        else:
            at_base = set(text.splitlines())
        unchanged = {p for p in at_base if p not in search.changed}
        calling = unchanged | _calling(changed, search.head, patterns)
        for directory in sorted({posixpath.dirname(p) for p in calling}):
            if directory not in compiled:
                found[directory] = Package(
                    module, directory, modules.import_path(module, directory)
                )
    return found


def _calling(
    paths: Iterable[str], side: Side, patterns: list[tuple[bytes, re.Pattern[bytes]]]
) -> set[str]:
    """The files among `paths` that, at `side`, import and name what `patterns` describe."""
    calling: set[str] = set()
    for path in paths:
        data = side.peek(path)
        if data is None:
            continue
        named = any(spec in data and mention.search(data) for spec, mention in patterns)
        if named and not _IGNORED.search(data):
            calling.add(path)
    return calling


# A file that `//go:build ignore` keeps out of every build (generators, examples).
_IGNORED = re.compile(rb"^//go:build ignore\s*$", re.MULTILINE)


def _import_spec(import_path: str) -> bytes:
    return f'"{import_path}"'.encode()


def _mention(import_path: str, names: Iterable[str]) -> re.Pattern[bytes]:
    """A selector naming one of `names` (`util.TabWidth`, `p.Scale`), or any use of them
    after a dot import of the package."""
    alternatives = b"|".join(re.escape(n.encode()) for n in sorted(names))
    dot_import = rb"(?:^|[\s(])\.\s+" + re.escape(_import_spec(import_path))
    return re.compile(rb"\.\s*(?:" + alternatives + rb")\b|" + dot_import, re.MULTILINE)


def module_files(
    module: Module, side: Side, tests: bool, leave_out: frozenset[str] = frozenset()
) -> list[str]:
    """Repo-relative .go files of `module`'s packages in the working tree, nested modules
    and the paths in `leave_out` left out."""
    root = side.repo.root
    top = root / module.root
    found: list[str] = []
    for folder, dirnames, filenames in os.walk(top):
        if folder != str(top) and "go.mod" in filenames:
            dirnames[:] = []  # another module
            continue
        dirnames[:] = [
            d for d in dirnames if not d.startswith((".", "_")) and d not in _SKIPPED_DIRS
        ]
        relative = os.path.relpath(folder, root).replace(os.sep, "/")
        directory = "" if relative == "." else relative
        for name in filenames:
            if name.endswith(".go") and not name.startswith((".", "_")):
                path = posixpath.join(directory, name)
                if path not in leave_out and modules.buildable(path, tests):
                    found.append(path)
    return sorted(found)


def _module_paths(module: Module, side: Side, tests: bool, paths: Iterable[str]) -> list[str]:
    """The .go files among `paths` that belong to `module`'s packages."""
    prefix = f"{module.root}/" if module.root else ""
    return sorted(
        path
        for path in paths
        if path.endswith(".go")
        and path.startswith(prefix)
        and modules.buildable(path, tests)
        and not modules.ignored_by_go(path)
        and posixpath.basename(posixpath.dirname(path)) != "vendor"
        and modules.find_module(path, side.read) == module
    )
