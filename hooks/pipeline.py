"""One goescape run: changes -> functions -> compiler -> escapes -> comparison -> Outcome.

The shell around the pure modules: it reads git and the file system and runs the
compiler, and hands plain data to `changes`, `functions`, `escapes` and `comparison`.
"""

from __future__ import annotations

import gc
import posixpath
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from hooks import git, modules
from hooks.background import Pending
from hooks.changes import FileChange, parse_diff
from hooks.errors import FatalError
from hooks.modules import Module

if TYPE_CHECKING:
    from hooks import cache, comparison, compiler, escapes
    from hooks.functions import FunctionId, GoFile, IgnoreComment
    from hooks.outcome import BaseChoice, Finding, FunctionSummary, Outcome, Skipped

# Files besides .go that change what the compiler sees.
_BUILD_SUFFIXES = (".go", ".s", ".S", ".c", ".h", ".cc", ".cpp", ".hh", ".hpp", ".syso")
_MODULE_FILES = ("go.mod", "go.sum", "go.work", "go.work.sum")


class Options(NamedTuple):
    base: str | None = None
    head: str | None = None
    tests: bool = False
    tags: str = ""
    leaks: bool = False
    fail_on_induced: bool = False
    allow_broken_base: bool = False
    explain: bool = True  # ask the compiler for -m=2 (flow explanations), not plain -m
    use_cache: bool = True


class Worktree:
    """The working tree's files, read and parsed once per run for every side that has them.

    Most files of a changed package are the same at base and at head: one parse serves both.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._bytes: dict[str, bytes | None] = {}
        self._parsed: dict[str, GoFile | None] = {}

    def read(self, path: str) -> bytes | None:
        if path not in self._bytes:
            try:
                self._bytes[path] = (self.root / path).read_bytes()
            except OSError:
                self._bytes[path] = None
        return self._bytes[path]

    def parsed(self, path: str) -> GoFile | None:
        if path not in self._parsed:
            self._parsed[path] = _parse(self.read(path))
        return self._parsed[path]


class Side:
    """The repository's files at one revision; None = the working tree."""

    def __init__(
        self,
        repo: git.Git,
        commit: str | None,
        differing: frozenset[str],
        worktree: Worktree | None = None,
    ) -> None:
        self.repo = repo
        self.commit = commit
        # Paths whose content at this side differs from the working tree.
        self.differing = differing
        self.worktree = worktree if worktree is not None else Worktree(repo.root)
        self._blobs: dict[str, bytes | None] = {}
        self._dirs: dict[str, list[str]] = {}
        self._blob_ids: dict[str, str] = {}
        self._parsed: dict[str, GoFile | None] = {}

    def _own(self, path: str) -> bool:
        """Whether `path` has content of its own here, not the working tree's."""
        return self.commit is not None and path in self.differing

    def read(self, path: str) -> bytes | None:
        if not self._own(path):
            return self.worktree.read(path)
        if path not in self._blobs:
            self._blobs.update(self.repo.read_blobs(self.commit or "", [path]))
        return self._blobs[path]

    def prefetch(self, paths: Iterable[str]) -> None:
        if self.commit is None:
            return
        wanted = [p for p in paths if p in self.differing and p not in self._blobs]
        if wanted:
            self._blobs.update(self.repo.read_blobs(self.commit, wanted))

    def list_directories(self, directories: Iterable[str]) -> None:
        """Learn the files of several directories at once (one git command for a commit)."""
        wanted = [d for d in dict.fromkeys(directories) if d not in self._dirs]
        if self.commit is None or not wanted:
            return
        for directory, files in self.repo.trees_files(self.commit, wanted).items():
            self._blob_ids.update(files)
            self._dirs[directory] = sorted(p for p in files if p.endswith(".go"))

    def go_files(self, directory: str) -> list[str]:
        """Repo-relative paths of the .go files directly in `directory`."""
        if directory not in self._dirs:
            if self.commit is None:
                folder = self.repo.root / directory
                names = sorted(p.name for p in folder.glob("*.go") if p.is_file())
                self._dirs[directory] = [posixpath.join(directory, n) for n in names]
            else:
                self.list_directories([directory])
        return self._dirs[directory]

    def blob_id(self, path: str) -> str:
        """The git blob id of a file listed by `go_files` (commits only)."""
        return self._blob_ids.get(path, "")

    def parsed(self, path: str) -> GoFile | None:
        if not self._own(path):
            return self.worktree.parsed(path)
        if path not in self._parsed:
            self._parsed[path] = _parse(self.read(path))
        return self._parsed[path]


def _parse(source: bytes | None) -> GoFile | None:
    from hooks import functions

    return None if source is None else functions.parse_go(source)


class Package(NamedTuple):
    module: Module
    directory: str  # repo-relative
    import_path: str


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
        return _analyse(cwd, options, env, progress)
    finally:
        sys.setswitchinterval(switch)
        if collecting:
            gc.enable()


def _analyse(
    cwd: Path, options: Options, env: Mapping[str, str], progress: Callable[[str], None]
) -> Outcome:
    # Most of a run is waiting: first for git, then for the compiler. Each git question is
    # asked as soon as its inputs are known, several at a time, and the head compile starts
    # as soon as the changed packages are known; Python's own work (imports, parsing, the
    # cache, the base side) is done while they run.
    finding_root = Pending(git.find_root, cwd)
    lookups = git.Git(cwd)
    git.prefetch_choices(lookups, options.head, options.base, env)
    _load("hooks.functions")
    repo = git.Git(finding_root.result(), lookups)
    head = git.choose_head(repo, options.head, env)
    chosen = git.base_commit(repo, options.base, head, env)
    if chosen is None:
        from hooks.outcome import BaseChoice

        return _empty(BaseChoice("", "no commit yet"), head, options, "")

    diffing = Pending(repo.diff, chosen[0], head.commit or None)
    # Untracked files are part of a working-tree head; for a commit they must be hidden
    # from the compiler on both sides (listing them as differing overlays them away).
    listing_untracked = Pending(repo.untracked)
    # Files whose content at a commit differs from the working tree (either side). For a
    # working-tree head, the base's are exactly the diff's paths, old and new.
    base_differing = Pending(repo.differing_paths, chosen[0]) if head.commit else None
    head_differing = Pending(repo.differing_paths, head.commit) if head.commit else Pending.done([])
    _load("hooks.outcome", "tempfile", "hooks.compiler")
    from hooks.outcome import BaseChoice

    base = BaseChoice(*chosen)
    changes = parse_diff(diffing.result())
    if base_differing is None:
        base_differing = Pending.done(_diff_paths(changes))
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
    touched, packages, skipped = _changed_functions(changes, head_side, options)
    if not touched:
        return _empty(base, head, options, "", skipped)

    from hooks import compiler

    go = compiler.find_go()
    progress(f"compiling {len(packages)} package{'s' * (len(packages) != 1)} at base and head")
    with compiler.Session(go) as session:
        build = _Builds(session, repo, base, options, env, list(packages.values()))
        build.start_head(head_side)
        asking_toolchain = Pending(compiler.toolchain, go)
        # The caller renders the outcome with `report` next.
        _load("hooks.cache", "hooks.comparison", "hooks.report")
        base_side = Side(
            repo, base.commit, frozenset(base_differing.result()) | frozenset(untracked), worktree
        )
        build.start_base(base_side, asking_toolchain.result())
        result = _compare(build, touched, changes, packages, head_side, base_side, options)
    findings, summaries, warnings, base_broken = result
    from hooks.outcome import Outcome, Skipped

    if base_broken:
        skipped.append(
            Skipped(
                base_broken,
                "does not compile at base (--allow-broken-base: compared against nothing)",
            )
        )
    return Outcome(
        base=base,
        head_commit=head.commit,
        head_label=head.label,
        findings=tuple(findings),
        functions=tuple(summaries),
        skipped=tuple(skipped),
        warnings=tuple(warnings),
        go_version=build.version,
        count_leaks=options.leaks,
        fail_on_induced=options.fail_on_induced,
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
    from hooks import functions
    from hooks.functions import FunctionId
    from hooks.outcome import Skipped

    touched: dict[FunctionId, str] = {}
    packages: dict[str, Package] = {}
    skipped: list[Skipped] = []
    for change in changes:
        if change.status == "D" or not change.path.endswith(".go"):
            continue
        reason = _skip_reason(change.path, options.tests)
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
        package_id = _package_id(package, gofile)
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
    skipped: Iterable[Skipped] = (),
) -> Outcome:
    from hooks.outcome import Outcome

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
    )


def _diff_paths(changes: Iterable[FileChange]) -> list[str]:
    """Every path a diff names: both sides of renames, deleted and binary files too."""
    changes = list(changes)
    paths = [c.path for c in changes] + [c.old_path for c in changes if c.old_path]
    return list(dict.fromkeys(paths))


def _untracked_change(root: Path, path: str) -> FileChange:
    try:
        lines = (root / path).read_bytes().count(b"\n") + 1
    except OSError:
        lines = 0
    return FileChange(path, None, "A", frozenset(range(1, lines + 1)), frozenset())


def _skip_reason(path: str, tests: bool) -> str:
    if modules.ignored_by_go(path):
        return "ignored by the go command (testdata, or a name starting with . or _)"
    if path.endswith("_test.go") and not tests:
        return "test file (use --tests)"
    return ""


def _package_id(package: Package, gofile: GoFile) -> str:
    # An external test package (`package foo_test`) is a package of its own.
    if gofile.package.endswith("_test") and not package.import_path.endswith("_test"):
        return package.import_path + "_test"
    return package.import_path


def _overlay(side: Side, root: Path) -> dict[str, bytes | None]:
    """What to lay over the working tree so the compiler sees `side`."""
    if side.commit is None:
        return {}
    relevant = [
        p
        for p in side.differing
        if p.endswith(_BUILD_SUFFIXES) or posixpath.basename(p) in _MODULE_FILES
    ]
    side.prefetch(relevant)
    return {str(root / p): side.read(p) for p in relevant}


class _BasePlan(NamedTuple):
    module: Module
    running: compiler.Running | None  # None: nothing of it exists at base, or cached
    text: str  # from the cache ("" when nothing exists at base, or compiling)
    key: cache.CacheKey | None  # where to keep the compiled text


class _Builds:
    """A run's compiles: the head side first; the base side from goescape's cache, or
    compiled beside the head side through an overlay."""

    def __init__(
        self,
        session: compiler.Session,
        repo: git.Git,
        base: BaseChoice,
        options: Options,
        env: Mapping[str, str],
        packages: list[Package],
    ) -> None:
        self.session = session
        self.repo = repo
        self.base = base
        self.options = options
        self.env = env
        by_module: dict[Module, list[Package]] = {}
        for package in packages:
            by_module.setdefault(package.module, []).append(package)
        self.modules = sorted(by_module.items())
        self.packages = packages
        self.head_where = ""
        self.head_builds: list[compiler.Build] = []
        self.head: list[compiler.Running] = []
        self.plans: list[_BasePlan] = []
        self.version = ""

    def start_head(self, head_side: Side) -> None:
        from hooks import compiler

        self.head_where = "head" if head_side.commit is None else head_side.commit[:7]
        overlay = _overlay(head_side, self.repo.root)
        for module, members in self.modules:
            patterns = tuple(sorted(modules.package_dir(module, p.directory) for p in members))
            build = compiler.Build(
                self.repo.root / module.root,
                patterns,
                overlay,
                self.options.tests,
                self.options.tags,
                self.options.explain,
            )
            self.head_builds.append(build)
            self.head.append(self.session.start(build))

    def start_base(self, base_side: Side, toolchain: compiler.Toolchain) -> None:
        from hooks import cache

        self.version = toolchain.version
        tests = self.options.tests
        base_side.list_directories(p.directory for p in self.packages)
        overlay: dict[str, bytes | None] | None = None  # read only when something compiles
        for (module, members), head_build in zip(self.modules, self.head_builds, strict=True):
            at_base = [
                p
                for p in members
                if any(_buildable(f, tests) for f in base_side.go_files(p.directory))
            ]
            if not at_base:
                self.plans.append(_BasePlan(module, None, "", None))
                continue
            build = head_build._replace(
                packages=tuple(sorted(modules.package_dir(module, p.directory) for p in at_base))
            )
            key = _cache_key(
                self.base, build, at_base, base_side, toolchain, self.options, self.env
            )
            text = cache.load(key) if key is not None else None
            if text is not None:
                self.plans.append(_BasePlan(module, None, text, None))
                continue
            if overlay is None:
                overlay = _overlay(base_side, self.repo.root)
            running = self.session.start(build._replace(overlay=overlay))
            self.plans.append(_BasePlan(module, running, "", key))

    def base_known(self) -> bool:
        """Whether the base side's text is at hand without waiting for a compile."""
        return all(plan.running is None for plan in self.plans)

    def head_text(self) -> str:
        results = [running.result() for running in self.head]
        for running, result in zip(self.head, results, strict=True):
            if not result.ok:
                errors = "\n".join(f"  {line}" for line in running.errors())
                raise FatalError(f"the code does not compile at {self.head_where}:\n{errors}")
        return "\n".join(r.output for r in results)

    def base_text(self) -> tuple[str, str]:
        """(base text, "" or the module whose base does not compile)."""
        from hooks import cache

        texts: list[str] = []
        broken = ""
        for plan in self.plans:
            if plan.running is None:
                texts.append(plan.text)
                continue
            result = plan.running.result()
            if result.ok:
                texts.append(result.output)
                if plan.key is not None:
                    cache.store(plan.key, result.output)
            elif self.options.allow_broken_base:
                broken = plan.module.root or "."
                texts.append("")
            else:
                first = plan.running.errors(1)
                raise FatalError(
                    f"the base {self.base.commit[:7]} does not compile "
                    f"({first[0] if first else 'no compiler message'}); "
                    "--allow-broken-base compares against an empty base"
                )
        return "\n".join(texts), broken


def _compare(
    builds: _Builds,
    touched: Mapping[FunctionId, str],
    changes: list[FileChange],
    packages: Mapping[str, Package],
    head_side: Side,
    base_side: Side,
    options: Options,
) -> tuple[list[Finding], list[FunctionSummary], list[str], str]:
    """Compare the escapes of both sides once their compiler output is in."""
    from hooks import comparison, escapes

    # What does not need the compiler's answer is done while it works.
    head_index = _declarations(packages.values(), head_side, options.tests)
    base_index = _declarations(packages.values(), base_side, options.tests)
    base_escapes: list[tuple[FunctionId, escapes.Escape]] | None = None
    if builds.base_known():
        base_escapes = _attribute(escapes.parse(builds.base_text()[0]), packages, base_side)
    # The head side's errors come first, as the user's own code matters most.
    head_escapes = _attribute(escapes.parse(builds.head_text()), packages, head_side)
    base_text, broken = builds.base_text()
    if base_escapes is None:
        base_escapes = _attribute(escapes.parse(base_text), packages, base_side)
    findings, summaries, warnings = comparison.compare(
        comparison.Sides(head_escapes, base_escapes, head_index, base_index),
        touched=touched,
        added_lines={c.path: c.added_lines for c in changes},
        suppression=lambda path, line: _suppression(head_side, path, line),
        count_leaks=options.leaks,
    )
    return findings, summaries, warnings, broken


def _cache_key(
    base: BaseChoice,
    build: compiler.Build,
    members: list[Package],
    side: Side,
    toolchain: compiler.Toolchain,
    options: Options,
    env: Mapping[str, str],
) -> cache.CacheKey | None:
    from hooks import cache

    if not options.use_cache:
        return None
    files = tuple(
        (path, side.blob_id(path))
        for p in members
        for path in side.go_files(p.directory)
        if _buildable(path, options.tests)
    )
    return cache.CacheKey(
        merge_base=base.commit,
        module_root=str(build.module_dir),
        package=" ".join(p.import_path for p in members),
        files=files,
        go_version=toolchain.version,
        # The toolchain's own GOROOT, not only $GOROOT: two installations of one version
        # print different paths for the standard library's files in -m=2 explanations.
        goroot=toolchain.goroot,
        gcflags=("-m=2" if options.explain else "-m", f"GOFLAGS={env.get('GOFLAGS', '')}"),
        tags=tuple(t for t in options.tags.replace(",", " ").split() if t),
        goos=env.get("GOOS", ""),
        goarch=env.get("GOARCH", ""),
        cgo_enabled=env.get("CGO_ENABLED", ""),
        goexperiment=env.get("GOEXPERIMENT", ""),
        tests=options.tests,
    )


def _buildable(path: str, tests: bool) -> bool:
    return tests or not path.endswith("_test.go")


def _attribute(
    found: list[escapes.Escape], packages: Mapping[str, Package], side: Side
) -> list[tuple[FunctionId, escapes.Escape]]:
    """Each escape with the function holding it, paths made repo-relative; others dropped."""
    from hooks import functions
    from hooks.functions import FunctionId

    by_import: dict[str, Package] = {p.import_path: p for p in packages.values()}
    seen: set[tuple[FunctionId, str, str, int, int]] = set()
    result: list[tuple[FunctionId, escapes.Escape]] = []
    for escape in found:
        package_id = escape.package
        package = by_import.get(package_id) or by_import.get(package_id.removesuffix("_test"))
        if package is None:
            continue
        path = _in_package(escape.path, package, side)
        if path is None:
            continue
        gofile = side.parsed(path)
        if gofile is None:
            continue
        owner = functions.function_at(gofile, escape.line)
        if owner is None:
            continue
        function = FunctionId(package_id, owner[0], owner[1])
        key = (function, escape.kind, escape.expr, escape.line, escape.col)
        if key in seen:
            continue
        seen.add(key)
        flow = tuple(
            step._replace(path=_in_package(step.path, package, side) or step.path)
            for step in escape.flow
        )
        result.append((function, escape._replace(path=path, flow=flow)))
    return result


def _in_package(printed: str, package: Package, side: Side) -> str | None:
    """The repo-relative file the compiler meant: its base name in the package directory.

    The compiler prints paths relative to wherever the first, uncached compile ran, so the
    text replayed from the build cache cannot be trusted beyond the file's name.
    """
    candidate = posixpath.join(package.directory, posixpath.basename(printed))
    return candidate if candidate in side.go_files(package.directory) else None


def _declarations(
    packages: Iterable[Package], side: Side, tests: bool
) -> dict[FunctionId, comparison.Declaration]:
    from hooks import comparison, functions
    from hooks.functions import FunctionId

    index: dict[FunctionId, comparison.Declaration] = {}
    packages = list(packages)
    side.list_directories(p.directory for p in packages)
    files = {
        package: [p for p in side.go_files(package.directory) if _buildable(p, tests)]
        for package in packages
    }
    side.prefetch(path for paths in files.values() for path in paths)  # one git command
    for package, paths in files.items():
        for path in paths:
            gofile = side.parsed(path)
            if gofile is None or gofile.generated:
                continue
            package_id = _package_id(package, gofile)
            for decl in gofile.functions:
                function = FunctionId(package_id, decl.receiver, decl.name)
                index.setdefault(
                    function,
                    comparison.Declaration(
                        functions.display_name(
                            decl.receiver, decl.name, decl.pointer_receiver, decl.type_params
                        ),
                        path,
                        decl.start_line,
                    ),
                )
            if gofile.init_spans:
                init = FunctionId(package_id, "", functions.INIT)
                index.setdefault(
                    init, comparison.Declaration(functions.INIT, path, gofile.init_spans[0][0])
                )
    return index


def _suppression(side: Side, path: str, line: int) -> IgnoreComment | None:
    from hooks import functions

    gofile = side.parsed(path)
    return None if gofile is None else functions.suppression_for(gofile, line)
