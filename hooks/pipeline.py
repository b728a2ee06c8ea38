"""One goescape run: changes -> functions -> compiler -> escapes -> comparison -> Outcome.

The shell around the pure modules: it reads git and the file system and runs the
compiler, and hands plain data to `changes`, `functions`, `escapes` and `comparison`.
"""

from __future__ import annotations

import contextlib
import gc
import posixpath
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from goescape import git, matters, modules, reading
from goescape.background import Pending
from goescape.changes import FileChange, diff_paths, parse_diff
from goescape.errors import FatalError
from goescape.modules import Package
from goescape.options import FLOWS_ALL, FLOWS_SHOWN, Options
from goescape.sides import Side, Worktree

if TYPE_CHECKING:
    from goescape import builds, compiler
    from goescape.functions import FunctionId
    from goescape.outcome import (
        BaseChoice,
        BenchmarkComparison,
        Finding,
        FunctionSummary,
        Outcome,
        ProfileInfo,
        Skipped,
    )
    from goescape.profile import ProfileTable

# Files besides .go that change what the compiler sees.
_BUILD_SUFFIXES = (".go", ".s", ".S", ".c", ".h", ".cc", ".cpp", ".hh", ".hpp", ".syso")
_MODULE_FILES = ("go.mod", "go.sum", "go.work", "go.work.sum")


def analyse(
    cwd: Path, options: Options, env: Mapping[str, str], progress: Callable[[str], None]
) -> Outcome:
    # Threads that only start a command and wait for it must not wait for the main thread's
    # imports and parsing to give up the interpreter: by default that takes up to 5 ms, as
    # long as a git command lasts.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(min(switch, 0.0002))
    # Nothing a run builds is cyclic garbage worth collecting; the collector's passes over
    # the parse results would cost time while the compiler runs.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with contextlib.ExitStack() as stack:
            return _analyse(_Compiles(stack, cwd, options, env), cwd, options, env, progress)
    finally:
        sys.setswitchinterval(switch)
        if collecting:
            gc.enable()


class _Compiles:
    """The run's compile session, opened when something is first to be compiled, or at once
    to take the head compiles the command line started before the run began (prestart.py)."""

    def __init__(
        self, stack: contextlib.ExitStack, cwd: Path, options: Options, env: Mapping[str, str]
    ) -> None:
        from goescape import prestart

        self.stack = stack
        self.env = env
        self.session: compiler.Session | None = None
        self.where = str(cwd.resolve())
        self.worktree = options.head is None and not env.get("PRE_COMMIT_TO_REF")
        early = prestart.take()
        if not early:
            return
        from goescape import compiler

        go = early[0].cmd[0]
        self.session = stack.enter_context(compiler.Session(go, early[0].folder))
        for started in early:
            self.session.adopt(started.proc, started.cmd, started.module_dir, started.direct)

    def open(self, go: str) -> compiler.Session:
        from goescape import compiler

        if self.session is not None and self.session.go != go:
            self.session.stop_unclaimed()
            self.session = None
        if self.session is None:
            self.session = self.stack.enter_context(compiler.Session(go))
        return self.session

    def remember(self, head: Sequence[compiler.Build], *, explained: bool) -> None:
        """Keep the head compiles for the next run to start at once, asking for the
        explanation when this run needed it (explanations.py)."""
        from goescape import compiler, prestart

        if not self.worktree or self.session is None:
            return
        flags = compiler.EXPLAINED if explained else compiler.ESCAPES
        following = [b._replace(flags=flags) for b in head]
        prestart.remember(self.where, self.session.go, following, self.env)
        if self.session.unplanned:
            from goescape import direct, process

            if direct.waits(self.env):
                for cmd, module_dir in self.session.unplanned:
                    direct.record(cmd, module_dir, process.clean_env())
            elif direct.records_later(self.env):
                direct.queue(self.session.unplanned, process.clean_env())


def _analyse(
    compiles: _Compiles,
    cwd: Path,
    options: Options,
    env: Mapping[str, str],
    progress: Callable[[str], None],
) -> Outcome:
    # Most of a run is waiting: first for git, then for the compiler. Each git question is
    # asked as soon as its inputs are known, several at a time, and the head compile starts
    # as soon as the changed packages are known; Python's own work (imports, parsing, the
    # cache, the base side) is done while they run.
    # The chain of git questions (root and refs, merge base, diff) runs on a thread of its
    # own, so that each next question is asked the moment the previous answer is in, while
    # this thread imports what the rest of the run needs.
    asking = Pending(ask_git, cwd, options, env)
    _load(
        "goescape.outcome",
        "tempfile",
        "goescape.compiler",
        "goescape.builds",
        "goescape.selection",
        "goescape.explanations",
    )
    asked = asking.result()
    repo, head, chosen, diffing, listing_untracked, base_differing, head_differing = asked[:7]
    from goescape.outcome import BaseChoice

    if chosen is None:
        return _empty(BaseChoice("", "no commit yet"), head, options, "", repo.root)

    base = BaseChoice(*chosen)
    changes = parse_diff(diffing.result())
    if base_differing is None:
        base_differing = Pending.done(diff_paths(changes))
    untracked = listing_untracked.result()
    if not head.commit:
        changes += [_untracked_change(repo.root, p) for p in untracked if p.endswith(".go")]

    worktree = Worktree(repo.root)
    head_side = Side(
        repo,
        head.commit or None,
        frozenset(head_differing.result()) | frozenset(untracked) if head.commit else frozenset(),
        worktree,
    )
    from goescape import builds, compiler

    go = compiler.find_go()
    # The head compile starts before the changed files are parsed when the diff's paths tell
    # the packages (nearly always): parsing them takes about as long as a git command.
    likely = _likely_packages(changes, head_side, options, repo, untracked)
    session = compiles.open(go)
    early: builds.Builds | None = None
    if likely is not None:
        early = builds.Builds(
            session,
            repo,
            base,
            options,
            env,
            list(likely.values()),
            explain=_explaining(options, base.commit, likely.values()),
        )
        early.start_head(head_side)
    try:
        touched, packages, skipped = _changed_functions(changes, head_side, options)
    except BaseException:
        if early is not None:
            early.stop()
        raise
    if not touched:
        if early is not None:
            early.stop()
        return _empty(base, head, options, "", repo.root, skipped)
    commit_touched = None
    if asked.commit_diffing is not None:
        # Only files the branch changes matter: elsewhere no function is compared.
        changed_paths = {c.path for c in changes}
        commit_changes = [
            c for c in parse_diff(asked.commit_diffing.result()) if c.path in changed_paths
        ]
        commit_touched = set(_changed_functions(commit_changes, head_side, options)[0])

    ranking = matters.choose_profile(options, cwd, repo, head_side, packages, untracked)
    profile_reading: Pending[ProfileTable] | None = None
    if ranking is not None:
        from goescape import profile

        profile_reading = Pending(profile.read, ranking.path, go, use_cache=options.use_cache)
    pgo = matters.pgo(ranking, options, packages)
    many = len(packages) != 1
    progress(f"compiling {len(packages)} package{'s' * many} at base and head")
    if early is not None and packages == likely and not pgo:
        build = early
    else:
        if early is not None:
            early.stop()  # a generated file, or one naming no function: not a package
        build = builds.Builds(
            session,
            repo,
            base,
            options,
            env,
            list(packages.values()),
            pgo,
            explain=_explaining(options, base.commit, packages.values()),
        )
        build.start_head(head_side)
    session.stop_unclaimed()  # a prestarted compile that is not this run's
    asking_toolchain = Pending(compiler.toolchain, go)
    # The caller renders the outcome with `report` next.
    _load("goescape.cache", "goescape.comparison", "goescape.report", "goescape.callers")
    base_side = Side(
        repo, base.commit, frozenset(base_differing.result()) | frozenset(untracked), worktree
    )
    build.start_base(base_side, asking_toolchain.result())
    compared = reading.gather(
        build, touched, changes, packages, head_side, base_side, options, progress
    )
    table = profile_reading.result() if profile_reading is not None else None
    judge = _Judge(touched, changes, head_side, base_side, options, build.goroot, table)
    judge.commit_touched = commit_touched
    findings, summaries, warnings = judge(compared)
    whole = reading.whole(compared, findings, changes, head_side, base_side, options)
    if whole is not None:
        compared = whole
        findings, summaries, warnings = judge(compared)
    if options.flows == FLOWS_SHOWN:
        draft = judge.outcome(base, head, repo.root, "", (findings, summaries, warnings))
        explained = reading.explain(compared, build, draft, options, head_side, progress)
        if explained is not None:
            compared = explained
            findings, summaries, warnings = judge(compared)
        needed = explained is not None
        if options.use_cache and needed != build.head_explained:
            from goescape import explanations

            explanations.remember(
                base.commit, packages.values(), options.tests, options.tags, needed
            )
    else:
        needed = True
    if options.use_cache:
        compiles.remember(build.head_builds, explained=needed)
    measured: list[BenchmarkComparison] = []
    if options.bench is not None:
        progress("running benchmarks at base and head")
        measured, noted = matters.benchmarks(
            session, options, repo.root, packages, head_side, base_side, pgo
        )
        warnings += noted
    from goescape.outcome import ProfileInfo, Skipped

    profile_info = None
    if ranking is not None:
        warnings += list(ranking.notes)
        profile_info = ProfileInfo(
            ranking.shown, ranking.source, bool(ranking.pgo), table.total if table else 0
        )
    elif options.min_hotness is not None:
        warnings.append("--min-hotness has no effect without a profile")

    skipped += compared.unreached
    if compared.broken:
        skipped.append(
            Skipped(
                compared.broken,
                "does not compile at base (--allow-broken-base: compared against nothing)",
            )
        )
    return judge.outcome(
        base,
        head,
        repo.root,
        build.version,
        (findings, summaries, warnings),
        skipped=skipped,
        profile=profile_info,
        benchmarks=measured,
    )


class Asked(NamedTuple):
    """What git says about a run's change, each answer asked as soon as it can be."""

    repo: git.Git
    head: git.Head
    chosen: tuple[str, str] | None  # (merge base, how it was chosen); None: no commit yet
    diffing: Pending[str]
    listing_untracked: Pending[list[str]]
    base_differing: Pending[list[str]] | None  # None: the diff's own paths will do
    head_differing: Pending[list[str]]
    # pre-commit's commit stage: what the commit being made changes (HEAD -> working tree)
    commit_diffing: Pending[str] | None = None


def ask_git(cwd: Path, options: Options, env: Mapping[str, str]) -> Asked:
    """The repository, head, base choice and diff of a run (goescape modules asks too)."""
    lookups = git.Git(cwd)
    if options.profile is None:
        # Looking for a default.pgo costs one git command, asked beside the others.
        lookups.prefetch(git.PGO_QUERY)
    finding_root = Pending(git.find_root_and_head, cwd, lookups)
    # In a commit hook, the commit's own diff: one more git command, asked at once.
    judging_commit = options.head is None and git.stage_of_commit(env)
    commit_diffing = Pending(lookups.commit_diff) if judging_commit else None
    git.prefetch_choices(lookups, options.head, options.base, env, options.default_base)
    # Untracked files are part of a working-tree head; for a commit they must be hidden
    # from the compiler on both sides (listing them as differing overlays them away).
    listing_untracked = Pending(lookups.untracked)
    repo = git.Git(finding_root.result(), lookups)
    head = git.choose_head(repo, options.head, env)
    chosen = git.base_commit(repo, options.base, head, env, options.default_base)
    if chosen is None:
        nothing: Pending[list[str]] = Pending.done([])
        return Asked(repo, head, None, Pending.done(""), nothing, None, nothing)
    diffing = Pending(repo.diff, chosen[0], head.commit or None)
    # Files whose content at a commit differs from the working tree (either side). For a
    # working-tree head, the base's are exactly the diff's paths, old and new.
    base_differing = Pending(repo.differing_paths, chosen[0]) if head.commit else None
    head_differing = Pending(repo.differing_paths, head.commit) if head.commit else Pending.done([])
    return Asked(
        repo,
        head,
        chosen,
        diffing,
        listing_untracked,
        base_differing,
        head_differing,
        commit_diffing,
    )


def _load(*names: str) -> None:
    """Import modules the run needs later, while git or the compiler keeps it waiting."""
    import importlib

    for name in names:
        importlib.import_module(name)


def _changed_functions(
    changes: list[FileChange], head_side: Side, options: Options
) -> tuple[dict[FunctionId, str], dict[str, Package], list[Skipped]]:
    """The functions the change touches (-> head file), their packages (by directory), and
    the changed files left out."""
    from goescape import attribution, functions, selection
    from goescape.functions import FunctionId
    from goescape.outcome import Skipped

    touched: dict[FunctionId, str] = {}
    packages: dict[str, Package] = {}
    skipped: list[Skipped] = []
    prefixes = selection.repo_prefixes(options.paths, head_side.repo.root)
    for change in changes:
        if change.status == "D" or not change.path.endswith(".go"):
            continue
        if not selection.under(change.path, prefixes):
            continue  # outside the PATH arguments: not part of this run at all
        reason = selection.skip_reason(change.path, options)
        if reason:
            skipped.append(Skipped(change.path, reason))
            continue
        gofile = head_side.parsed(change.path)
        if gofile is None:
            continue
        if gofile.generated:
            skipped.append(Skipped(change.path, "generated file"))
            continue
        module = modules.find_module(change.path, head_side.read)
        if module is None:
            raise FatalError(
                f"{change.path} is outside any Go module (no go.mod in its directory or above)"
            )
        directory = posixpath.dirname(change.path)
        package = Package(module, directory, modules.import_path(module, directory))
        package_id = attribution.package_id(package, gofile)
        for receiver, name in functions.touched_functions(
            gofile, change.added_lines, change.deleted_after
        ):
            touched.setdefault(FunctionId(package_id, receiver, name), change.path)
        packages.setdefault(directory, package)
    return touched, packages, skipped


def _empty(
    base: BaseChoice,
    head: git.Head,
    options: Options,
    version: str,
    root: Path,
    skipped: Iterable[Skipped] = (),
) -> Outcome:
    from goescape.outcome import Outcome

    return Outcome(
        base,
        head.commit,
        head.label,
        (),
        (),
        tuple(skipped),
        (),
        version,
        options.leaks,
        options.fail_on_induced,
        root=str(root),
    )


def _untracked_change(root: Path, path: str) -> FileChange:
    try:
        lines = (root / path).read_bytes().count(b"\n") + 1
    except OSError:
        lines = 0
    return FileChange(path, None, "A", frozenset(range(1, lines + 1)), frozenset())


class _Judge:
    """Compare both sides' escapes and say what the findings are worth (cold paths, hotness,
    the commit being made): the same verdict whether or not the escapes carry their flow."""

    def __init__(
        self,
        touched: Mapping[FunctionId, str],
        changes: list[FileChange],
        head_side: Side,
        base_side: Side,
        options: Options,
        goroot: str,
        table: ProfileTable | None,
    ) -> None:
        self.touched = touched
        self.changes = changes
        self.head_side = head_side
        self.base_side = base_side
        self.options = options
        self.goroot = goroot
        self.table = table
        self.commit_touched: set[FunctionId] | None = None

    def __call__(
        self, compared: reading.Compared
    ) -> tuple[list[Finding], list[FunctionSummary], list[str]]:
        from goescape import attribution, comparison
        from goescape.changes import LineMap

        head_side = self.head_side
        findings, summaries, warnings = comparison.compare(
            comparison.Sides(
                compared.head,
                compared.base,
                compared.head_index,
                compared.base_index,
                frozenset(diff_paths(self.changes)),
            ),
            touched=self.touched,
            added_lines={c.path: c.added_lines for c in self.changes},
            suppression=lambda escape: attribution.suppression(head_side, escape),
            count_leaks=self.options.leaks,
            lines=LineMap(self.changes),
            constant=attribution.ConstantTest(
                {"head": head_side, "base": self.base_side}, self.goroot
            ),
        )
        findings = matters.relevance(findings, head_side, self.table)
        if self.commit_touched is not None:
            from goescape import scope

            findings, summaries = scope.judge_commit(findings, summaries, self.commit_touched)
        return findings, summaries, warnings

    def outcome(
        self,
        base: BaseChoice,
        head: git.Head,
        root: Path,
        version: str,
        judged: tuple[list[Finding], list[FunctionSummary], list[str]],
        *,
        skipped: Iterable[Skipped] = (),
        profile: ProfileInfo | None = None,
        benchmarks: Iterable[BenchmarkComparison] = (),
    ) -> Outcome:
        from goescape.outcome import Outcome

        findings, summaries, warnings = judged
        options = self.options
        return Outcome(
            base=base,
            head_commit=head.commit,
            head_label=head.label,
            findings=tuple(findings),
            functions=tuple(summaries),
            skipped=tuple(skipped),
            warnings=tuple(warnings),
            go_version=version,
            count_leaks=options.leaks,
            fail_on_induced=options.fail_on_induced,
            fail_on_cold=options.fail_on_cold,
            min_hotness=options.min_hotness,
            profile=profile,
            benchmarks=tuple(benchmarks),
            root=str(root),
        )


def _explaining(options: Options, merge_base: str, packages: Iterable[Package]) -> bool:
    """Whether the head compile asks for the compiler's explanation at once: for JSON and
    SARIF always; for a text report when the last run on this merge base needed it
    (explanations.py)."""
    if options.flows == FLOWS_ALL:
        return True
    if not options.use_cache:
        return False
    from goescape import explanations

    return explanations.remembered(merge_base, packages, options.tests, options.tags)


def _likely_packages(
    changes: list[FileChange],
    head_side: Side,
    options: Options,
    repo: git.Git,
    untracked: list[str],
) -> dict[str, Package] | None:
    """The changed packages as the diff's paths tell them, before any file is parsed: those
    `_changed_functions` finds, unless a changed file is generated or the change names no
    function. None when a profile may be in play (choosing it reads the packages' files)."""
    from goescape import selection

    if options.profile is not None or options.pgo or repo.pgo_files(untracked):
        return None
    prefixes = selection.repo_prefixes(options.paths, repo.root)
    packages: dict[str, Package] = {}
    for change in changes:
        if change.status == "D" or not change.path.endswith(".go"):
            continue
        if not selection.under(change.path, prefixes) or selection.skip_reason(
            change.path, options
        ):
            continue
        module = modules.find_module(change.path, head_side.read)
        if module is None:
            return None  # _changed_functions says what is wrong
        directory = posixpath.dirname(change.path)
        package = Package(module, directory, modules.import_path(module, directory))
        packages.setdefault(directory, package)
    return packages or None
