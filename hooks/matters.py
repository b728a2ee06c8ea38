"""Does it matter: the shell around profile.py, relevance.py and benchmarks.py for one run
(docs/cold-and-hot.md). The profile a run ranks by, the `-pgo` its builds use, cold paths
and hotness on the findings, the benchmarks at base and head."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from goescape import modules
from goescape.modules import Package
from goescape.options import Options
from goescape.sides import Side

if TYPE_CHECKING:
    from goescape import compiler, git, profile
    from goescape.modules import Module
    from goescape.outcome import BenchmarkComparison, Finding
    from goescape.profile import ProfileTable


def choose_profile(
    options: Options,
    cwd: Path,
    repo: git.Git,
    head_side: Side,
    packages: Mapping[str, Package],
    untracked: list[str],
) -> profile.Chosen | None:
    listed: list[str] = []
    if options.profile is None:
        listed = repo.pgo_files(untracked)
        if not listed and not options.pgo:
            return None  # the common case: nothing more to load or ask
    from goescape import profile

    def is_main(directory: str) -> bool:
        files = head_side.go_files(directory)
        return any(
            _package_clause(head_side, p) == "main" for p in files if modules.buildable(p, False)
        )

    return profile.choose(
        options.profile,
        options.pgo,
        cwd,
        repo.root,
        (p.module for p in packages.values()),
        listed,
        lambda path: modules.find_module(path, head_side.read),
        is_main,
    )


def _package_clause(side: Side, path: str) -> str:
    gofile = side.parsed(path)
    return gofile.package if gofile is not None else ""


def pgo(
    ranking: profile.Chosen | None, options: Options, packages: Mapping[str, Package]
) -> dict[Module, tuple[str, str]]:
    """Per module, the `-pgo=` value of both sides' builds and its cache-key part."""
    if ranking is not None:
        return {m: (path, ranking.digest) for m, path in ranking.pgo.items()}
    if options.profile == "none":
        # No default.pgo from go itself either (it applies one to a main package's build).
        return {p.module: ("off", "off") for p in packages.values()}
    return {}


def relevance(
    findings: list[Finding], head_side: Side, table: ProfileTable | None
) -> list[Finding]:
    from goescape.outcome import CHANGED, NEW

    if table is None and not any(f.state in (NEW, CHANGED) for f in findings):
        return findings
    from goescape import relevance

    def span(path: str, line: int) -> tuple[int, int] | None:
        gofile = head_side.parsed(path)
        for decl in reversed(gofile.functions if gofile is not None else ()):
            if decl.start_line <= line <= decl.end_line:
                return decl.start_line, decl.end_line
        return None

    return relevance.annotate(
        findings, head_side.read, lambda path: _package_clause(head_side, path), table, span
    )


def benchmarks(
    session: compiler.Session,
    options: Options,
    root: Path,
    packages: Mapping[str, Package],
    head_side: Side,
    base_side: Side,
    pgo: Mapping[Module, tuple[str, str]],
) -> tuple[list[BenchmarkComparison], list[str]]:
    from goescape import benchmarks, sides

    targets = []
    for directory, package in sorted(packages.items()):
        module_dir = root / package.module.root
        targets.append(
            benchmarks.Target(
                module_dir,
                modules.package_dir(package.module, directory),
                package.import_path,
                root / directory,
            )
        )
    # One profile serves all modules' benchmarks: several modules with different default.pgo
    # files are rare, and the figures compared are allocations.
    value = next(iter(pgo.values()), ("", ""))[0]

    def side(overlay: Mapping[str, bytes | None]) -> benchmarks.SideBuild:
        return benchmarks.SideBuild(overlay, options.tags, value)

    return benchmarks.run(
        session,
        targets,
        {
            "base": side(sides.overlay(base_side, root)),
            "head": side(sides.overlay(head_side, root)),
        },
        options.bench or ".",
        options.bench_time,
    )
