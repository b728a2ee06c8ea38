"""One goescape run: changes -> functions -> compiler -> escapes -> comparison -> Outcome.

The shell around the pure modules: it reads git and the file system and runs the
compiler, and hands plain data to `changes`, `functions`, `escapes` and `comparison`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from hooks import cache, comparison, compiler, escapes, functions, git, modules
from hooks.changes import FileChange, parse_diff
from hooks.errors import FatalError
from hooks.functions import FunctionId, GoFile
from hooks.modules import Module
from hooks.outcome import BaseChoice, Outcome, Skipped

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


class Side:
    """The repository's files at one revision; None = the working tree."""

    def __init__(self, repo: git.Git, commit: str | None, differing: frozenset[str]) -> None:
        self.repo = repo
        self.commit = commit
        # Paths whose content at this side differs from the working tree.
        self.differing = differing
        self._blobs: dict[str, bytes | None] = {}
        self._dirs: dict[str, list[str]] = {}
        self._blob_ids: dict[str, str] = {}
        self._parsed: dict[str, GoFile | None] = {}

    def read(self, path: str) -> bytes | None:
        if self.commit is None or path not in self.differing:
            # Same content as the working tree (or this is the working tree).
            try:
                return (self.repo.root / path).read_bytes()
            except OSError:
                return None
        if path not in self._blobs:
            self._blobs.update(self.repo.read_blobs(self.commit, [path]))
        return self._blobs[path]

    def prefetch(self, paths: Iterable[str]) -> None:
        if self.commit is None:
            return
        wanted = [p for p in paths if p in self.differing and p not in self._blobs]
        if wanted:
            self._blobs.update(self.repo.read_blobs(self.commit, wanted))

    def go_files(self, directory: str) -> list[str]:
        """Repo-relative paths of the .go files directly in `directory`."""
        if directory not in self._dirs:
            if self.commit is None:
                folder = self.repo.root / directory
                names = sorted(p.name for p in folder.glob("*.go") if p.is_file())
                self._dirs[directory] = [posixpath.join(directory, n) for n in names]
            else:
                files = self.repo.tree_files(self.commit, directory)
                self._blob_ids.update(files)
                self._dirs[directory] = sorted(p for p in files if p.endswith(".go"))
        return self._dirs[directory]

    def blob_id(self, path: str) -> str:
        """The git blob id of a file listed by `go_files` (commits only)."""
        return self._blob_ids.get(path, "")

    def parsed(self, path: str) -> GoFile | None:
        if path not in self._parsed:
            source = self.read(path)
            self._parsed[path] = None if source is None else functions.parse_go(source)
        return self._parsed[path]


class Package(NamedTuple):
    module: Module
    directory: str  # repo-relative
    import_path: str


def analyse(
    cwd: Path, options: Options, env: Mapping[str, str], progress: Callable[[str], None]
) -> Outcome:
    root = git.find_root(cwd)
    repo = git.Git(root)
    head = git.choose_head(repo, options.head, env)
    base = git.choose_base(repo, options.base, head, env)
    if base is None:
        return _empty(BaseChoice("", "no commit yet"), head, options, "")

    changes = parse_diff(repo.diff(base.commit, head.commit or None))
    # Untracked files are part of a working-tree head; for a commit they must be hidden
    # from the compiler on both sides (listing them as differing overlays them away).
    untracked = repo.untracked()
    if not head.commit:
        changes += [_untracked_change(root, p) for p in untracked if p.endswith(".go")]

    base_side = Side(
        repo, base.commit, frozenset(repo.differing_paths(base.commit)) | frozenset(untracked)
    )
    head_side = Side(
        repo,
        head.commit or None,
        frozenset(repo.differing_paths(head.commit)) | frozenset(untracked)
        if head.commit
        else frozenset(),
    )

    touched: dict[FunctionId, str] = {}  # -> head file
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

    if not touched:
        return _empty(base, head, options, "", skipped)

    go = compiler.find_go()
    version = compiler.go_version(go)
    progress(f"compiling {len(packages)} package{'s' * (len(packages) != 1)} at base and head")
    head_text, base_text, base_broken = _compile(
        go, version, repo, base, head_side, base_side, list(packages.values()), options, env
    )
    if base_broken:
        skipped.append(
            Skipped(
                base_broken,
                "does not compile at base (--allow-broken-base: compared against nothing)",
            )
        )

    head_escapes = _attribute(escapes.parse(head_text), packages, head_side)
    base_escapes = _attribute(escapes.parse(base_text), packages, base_side)
    head_index = _declarations(packages.values(), head_side, options.tests)
    base_index = _declarations(packages.values(), base_side, options.tests)

    findings, summaries, warnings = comparison.compare(
        comparison.Sides(head_escapes, base_escapes, head_index, base_index),
        touched=touched,
        added_lines={c.path: c.added_lines for c in changes},
        suppression=lambda path, line: _suppression(head_side, path, line),
        count_leaks=options.leaks,
    )
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
    )


def _empty(
    base: BaseChoice,
    head: git.Head,
    options: Options,
    version: str,
    skipped: Iterable[Skipped] = (),
) -> Outcome:
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


class _ModuleBuilds(NamedTuple):
    module: Module
    head: compiler.Build
    base: compiler.Build | None  # None: nothing of it exists at base, or the cache had it
    base_text: str  # from the cache (or "" when nothing exists at base)
    key: cache.CacheKey | None


def _compile(
    go: str,
    version: str,
    repo: git.Git,
    base: BaseChoice,
    head_side: Side,
    base_side: Side,
    packages: list[Package],
    options: Options,
    env: Mapping[str, str],
) -> tuple[str, str, str]:
    """(head text, base text, "" or the module whose base does not compile)."""
    by_module: dict[Module, list[Package]] = {}
    for package in packages:
        by_module.setdefault(package.module, []).append(package)
    head_overlay = _overlay(head_side, repo.root)
    base_overlay = _overlay(base_side, repo.root)

    plans: list[_ModuleBuilds] = []
    for module, members in sorted(by_module.items()):
        module_dir = repo.root / module.root
        patterns = tuple(sorted(modules.package_dir(module, p.directory) for p in members))
        head_build = compiler.Build(
            module_dir, patterns, head_overlay, options.tests, options.tags, options.explain
        )
        at_base = [
            p
            for p in members
            if any(_buildable(f, options.tests) for f in base_side.go_files(p.directory))
        ]
        if not at_base:
            plans.append(_ModuleBuilds(module, head_build, None, "", None))
            continue
        base_build = head_build._replace(
            packages=tuple(sorted(modules.package_dir(module, p.directory) for p in at_base)),
            overlay=base_overlay,
        )
        key = _cache_key(base, base_build, at_base, base_side, version, options, env)
        text = cache.load(key) if key is not None else None
        if text is not None:
            plans.append(_ModuleBuilds(module, head_build, None, text, None))
        else:
            plans.append(_ModuleBuilds(module, head_build, base_build, "", key))

    builds = [plan.head for plan in plans] + [plan.base for plan in plans if plan.base]
    results = iter(compiler.compile_all(go, builds))
    head_results = [next(results) for _ in plans]
    for head_result in head_results:
        if not head_result.ok:
            errors = "\n".join(f"  {line}" for line in head_result.errors())
            where = "head" if head_side.commit is None else head_side.commit[:7]
            raise FatalError(f"the code does not compile at {where}:\n{errors}")

    base_texts: list[str] = []
    broken = ""
    for plan in plans:
        if plan.base is None:
            base_texts.append(plan.base_text)
            continue
        result = next(results)
        if result.ok:
            base_texts.append(result.output)
            if plan.key is not None:
                cache.store(plan.key, result.output)
        elif options.allow_broken_base:
            broken = plan.module.root or "."
            base_texts.append("")
        else:
            first = result.errors(1)
            raise FatalError(
                f"the base {base.commit[:7]} does not compile "
                f"({first[0] if first else 'no compiler message'}); "
                "--allow-broken-base compares against an empty base"
            )
    return "\n".join(r.output for r in head_results), "\n".join(base_texts), broken


def _cache_key(
    base: BaseChoice,
    build: compiler.Build,
    members: list[Package],
    side: Side,
    version: str,
    options: Options,
    env: Mapping[str, str],
) -> cache.CacheKey | None:
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
        go_version=version,
        goroot=env.get("GOROOT", ""),
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
    index: dict[FunctionId, comparison.Declaration] = {}
    for package in packages:
        paths = [p for p in side.go_files(package.directory) if _buildable(p, tests)]
        side.prefetch(paths)
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


def _suppression(side: Side, path: str, line: int) -> functions.IgnoreComment | None:
    gofile = side.parsed(path)
    return None if gofile is None else functions.suppression_for(gofile, line)
