"""Which function each escape belongs to, and where each function is declared."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from goescape.modules import Package, buildable
from goescape.sides import Side

if TYPE_CHECKING:
    from goescape import comparison, escapes, inlining
    from goescape.functions import FunctionId, GoFile, IgnoreComment


def package_id(package: Package, gofile: GoFile) -> str:
    # An external test package (`package foo_test`) is a package of its own.
    if gofile.package.endswith("_test") and not package.import_path.endswith("_test"):
        return package.import_path + "_test"
    return package.import_path


def attribute(
    found: list[escapes.Escape], packages: Mapping[str, Package], side: Side
) -> list[tuple[FunctionId, escapes.Escape]]:
    """Each escape with the function holding it, paths made repo-relative; others dropped."""
    from goescape import functions
    from goescape.functions import FunctionId

    by_import: dict[str, Package] = {p.import_path: p for p in packages.values()}
    seen: set[tuple[FunctionId, str, str, int, int]] = set()
    # Thousands of escapes name a handful of files: decide each spelling once.
    files: dict[tuple[str, str], str | None] = {}

    def in_package(printed: str, package: Package) -> str | None:
        key = (printed, package.directory)
        if key not in files:
            files[key] = _in_package(printed, package, side)
        return files[key]

    result: list[tuple[FunctionId, escapes.Escape]] = []
    for escape in found:
        package_id = escape.package
        package = by_import.get(package_id) or by_import.get(package_id.removesuffix("_test"))
        if package is None:
            continue
        path = in_package(escape.path, package)
        if path is None:
            continue
        gofile = side.parsed(path)
        if gofile is None:
            continue
        owner = functions.function_at(gofile, escape.line)
        if owner is None:
            continue
        if _instantiation_copy(escape, owner):
            continue
        function = FunctionId(package_id, owner[0], owner[1])
        key = (function, escape.kind, escape.expr, escape.line, escape.col)
        if key in seen:
            continue
        seen.add(key)
        flow = tuple(
            step._replace(path=in_package(step.path, package) or step.path) for step in escape.flow
        )
        result.append((function, escape._replace(path=path, flow=flow)))
    return result


def _instantiation_copy(escape: escapes.Escape, owner: tuple[str, str]) -> bool:
    """Whether `escape` is a generic function's instantiation (`Max[int]`) repeating, at the
    declaration, an escape of the body it inlines (`Max[go.shape.int]`), which the compiler
    reports in the body too: the same allocation, printed once more. A function never
    inlines itself otherwise (recursive calls are not inlined)."""
    from goescape import inlining

    if "[" not in escape.inlined:
        return False
    receiver, name = owner
    parts = inlining.split_name(escape.inlined)
    # A value receiver's method is printed like a qualified name: `Box[go.shape.int].Keep`.
    return parts == ("", receiver, name) or (bool(receiver) and parts == (receiver, "", name))


def inline_owners(
    marks: list[inlining.Mark], packages: Mapping[str, Package], side: Side
) -> list[tuple[FunctionId, inlining.Mark]]:
    """Each `can inline` / `inlining call to` line with the function declaration holding
    its position; lines elsewhere (the standard library, closures' own `can inline`)
    dropped."""
    from goescape import functions, inlining
    from goescape.functions import FunctionId

    by_import: dict[str, Package] = {p.import_path: p for p in packages.values()}
    files: dict[tuple[str, str], str | None] = {}
    result: list[tuple[FunctionId, inlining.Mark]] = []
    for mark in marks:
        package = by_import.get(mark.package) or by_import.get(mark.package.removesuffix("_test"))
        if package is None:
            continue
        key = (mark.path, package.directory)
        if key not in files:
            files[key] = _in_package(mark.path, package, side)
        path = files[key]
        gofile = side.parsed(path) if path is not None else None
        owner = functions.function_at(gofile, mark.line) if gofile is not None else None
        if owner is None:
            continue
        # A closure's `can inline F.func1` sits inside F: it says nothing about F.
        if mark.kind == inlining.CAN and inlining.bare_name(mark.name) != owner[1]:
            continue
        result.append((FunctionId(mark.package, owner[0], owner[1]), mark))
    return result


def _in_package(printed: str, package: Package, side: Side) -> str | None:
    """The repo-relative file of `package` that the compiler means by `printed`, or None.

    The go command prints the package's own files relative to the directory it ran in, and
    every other file (the standard library, the module cache, other packages' inlined
    code) absolutely or relative to a parent directory (`../sdk/go/src/...`), whichever is
    shorter. Text replayed from the build cache keeps the spelling of the first, uncached
    compile, which may have run elsewhere: a path that names no file from here is still
    this package's when its directory ends like the package's.
    """
    name = posixpath.basename(printed)
    own = posixpath.join(package.directory, name)
    if own not in side.go_files(package.directory):
        return None
    root = side.repo.root
    if os.path.isabs(printed):
        return own if _repo_relative(printed, root) == own else None
    parts = printed.split("/")
    # Where go ran for this module: goescape's own compiles print exactly this.
    resolved = posixpath.normpath(posixpath.join(package.module.root, printed))
    if resolved == own:
        return own
    if ".." in parts or os.path.lexists(root / resolved):
        return None  # a file outside the package: another directory, GOROOT, the module cache
    folders = [p for p in parts[:-1] if p not in ("", ".")]
    if not folders:
        return own  # printed from the package's own directory
    in_module = posixpath.relpath(package.directory or ".", package.module.root or ".")
    tails = [package.directory, in_module if in_module != "." else package.module.root]
    for tail in tails:
        tail_parts = tail.split("/") if tail else []
        if tail_parts and folders[-len(tail_parts) :] == tail_parts:
            return own
    return None


def _repo_relative(path: str, root: Path) -> str | None:
    """`path` (absolute) relative to the repository root, None when outside it."""
    try:
        rel = Path(os.path.normpath(path)).relative_to(root)
    except ValueError:
        return None
    return rel.as_posix()


class Declarations(Mapping["FunctionId", "comparison.Declaration"]):
    """The functions some packages declare at one side, and where: read file by file as they
    are asked for. A file is parsed when a function it may declare is looked up (the name
    occurs in it); the whole index only when iterated. Of two declarations of one function
    (files for different build tags), the one in the first file, packages and files in
    order, is the function's, as if every file had been read in that order."""

    def __init__(self, side: Side, tests: bool) -> None:
        self.side = side
        self.tests = tests
        self._index: dict[FunctionId, comparison.Declaration] = {}
        self._rank: dict[FunctionId, int] = {}
        self._unread: dict[str, tuple[int, Package]] = {}  # path -> (rank, package)
        self._searched: set[tuple[str, str | None]] = set()
        self._files = 0

    def add(self, packages: Iterable[Package]) -> None:
        """Index the files of `packages` too (read when asked for)."""
        packages = list(packages)
        side = self.side
        side.list_directories(p.directory for p in packages)
        files = [
            (path, package)
            for package in packages
            for path in side.go_files(package.directory)
            if buildable(path, self.tests)
        ]
        side.prefetch(path for path, _ in files)  # one git command for those that differ
        for path, package in files:
            self._unread.setdefault(path, (self._files, package))
            self._files += 1

    def known(self) -> Mapping[FunctionId, comparison.Declaration]:
        """The declarations of the files read so far, in the order a whole index has."""
        return dict(sorted(self._index.items(), key=lambda item: self._rank[item[0]]))

    def declared_in(self, paths: Iterable[str]) -> list[FunctionId]:
        """The functions declared in `paths` (the files of the index among them are read)."""
        wanted = set(paths)
        for path in [p for p in self._unread if p in wanted]:
            self._read(path)
        return [f for f, d in self.known().items() if d.path in wanted]

    def search(self, name: str, receiver: str | None = None) -> None:
        """Read every file that may declare a function called `name`, a method of `receiver`
        ("": a plain function; None: either); for `init`, package initialisation (a var
        declaration or `func init`). A file may when a declaration's shape with that name
        occurs in it (`func (p *T) Name(`, `func Name[`), or, for any receiver, the name."""
        from goescape import functions

        if (name, receiver) in self._searched or (name, None) in self._searched:
            return
        self._searched.add((name, receiver))
        if not self._unread:
            return
        test = _declares(name, receiver, functions.INIT)
        for path in sorted(self._unread, key=lambda p: self._unread[p][0]):
            data = self.side.peek(path)
            if data is None or test(data):
                self._read(path)

    def _read(self, path: str) -> None:
        from goescape import comparison, functions
        from goescape.functions import FunctionId

        rank, package = self._unread.pop(path)
        gofile = self.side.parsed(path)
        if gofile is None or gofile.generated:
            return
        owner = package_id(package, gofile)
        found: dict[FunctionId, comparison.Declaration] = {}
        for decl in gofile.functions:
            found.setdefault(
                FunctionId(owner, decl.receiver, decl.name),
                comparison.Declaration(
                    functions.display_name(
                        decl.receiver, decl.name, decl.pointer_receiver, decl.type_params
                    ),
                    path,
                    decl.start_line,
                ),
            )
        if gofile.init_spans:
            found.setdefault(
                FunctionId(owner, "", functions.INIT),
                comparison.Declaration(functions.INIT, path, gofile.init_spans[0][0]),
            )
        for function, declaration in found.items():
            if self._rank.get(function, rank + 1) > rank:
                self._index[function] = declaration
                self._rank[function] = rank

    def __getitem__(self, function: FunctionId) -> comparison.Declaration:
        if function not in self._index:
            self.search(function.name, function.receiver)
        return self._index[function]

    def __iter__(self) -> Iterator[FunctionId]:
        for path in list(self._unread):
            self._read(path)
        return iter(self._index)

    def __len__(self) -> int:
        return len(list(iter(self)))


def _declares(name: str, receiver: str | None, init: str) -> Callable[[bytes], bool]:
    """A quick test of a file's bytes that is true for every file declaring the function:
    a regular expression for the declaration's shape (no `{` or `;` can come between `func`
    and the name), a word for package initialisation, the name itself for any receiver."""
    import re

    if name == init:
        return lambda data: b"var" in data or b"init" in data
    word = re.escape(name.encode())
    if receiver is None:
        return lambda data: name.encode() in data
    if receiver:
        kind = re.escape(receiver.encode())
        shape = rb"\bfunc\s*\([^{;]*?\b" + kind + rb"\b[^{;]*?\)\s*" + word + rb"\s*\("
    else:
        shape = rb"\bfunc\s+" + word + rb"\s*[\[(]"
    return re.compile(shape).search  # type: ignore[return-value]


def declarations(packages: Iterable[Package], side: Side, tests: bool) -> Declarations:
    """The functions `packages` declare at `side` (read as asked for: see Declarations)."""
    index = Declarations(side, tests)
    index.add(packages)
    return index


def suppression(side: Side, escape: escapes.Escape) -> IgnoreComment | None:
    """The marker that silences `escape` (functions.suppression_for), looking at the lines of
    its -m=2 explanation in the same file too."""
    from goescape import functions

    gofile = side.parsed(escape.path)
    if gofile is None:
        return None
    explained = [step.line for step in escape.flow if step.path == escape.path]
    return functions.suppression_for(gofile, escape.line, explained)


def explanation_may_silence(side: Side, escape: escapes.Escape, marked: Callable[[], bool]) -> bool:
    """Whether `escape`'s -m=2 explanation could change the marker that silences it (see
    `suppression` and comparison's silencer): a marker elsewhere in its declaration, or, for
    an escape of an inlined callee, one anywhere in the packages compared (`marked()`)."""
    from goescape import functions

    gofile = side.parsed(escape.path)
    if escape.inlined:
        # The callee's own copies are looked at too, with their explanations.
        return (gofile is None or not functions.marker_for_line(gofile, escape.line)) and marked()
    return gofile is not None and functions.explanation_may_silence(gofile, escape.line)


class ConstantTest:
    """comparison.ConstantTest from the sources: constants.decide told what is written at an
    escape's column and which names are types (the package's own, the predeclared ones, and
    those of imported standard-library and same-module packages)."""

    def __init__(self, sides: Mapping[str, Side], goroot: str) -> None:
        self.sides = sides
        self.goroot = Path(goroot) if goroot else None
        self._lines: dict[tuple[str, str], list[bytes] | None] = {}
        self._types: dict[tuple[str, str], frozenset[str]] = {}
        self._imported: dict[tuple[str, str], tuple[str, frozenset[str]]] = {}

    def __call__(self, side_name: str, escape: escapes.Escape) -> bool:
        from goescape import constants

        found = constants.shape(escape.expr)
        if found is None:
            return False
        if found.kind != constants.TYPED:
            return True
        side = self.sides[side_name]
        return constants.decide(
            escape.expr,
            self._written(side_name, escape),
            lambda name: self._is_type(side_name, side, escape.path, name),
        )

    def _written(self, side_name: str, escape: escapes.Escape) -> bytes | None:
        if escape.col <= 0:
            return None
        key = (side_name, escape.path)
        if key not in self._lines:
            data = self.sides[side_name].read(escape.path)
            self._lines[key] = None if data is None else data.split(b"\n")
        lines = self._lines[key]
        if lines is None or not 0 < escape.line <= len(lines):
            return None
        return lines[escape.line - 1][escape.col - 1 :] or None

    def _is_type(self, side_name: str, side: Side, path: str, name: str) -> bool:
        qualifier, dot, rest = name.rpartition(".")
        if not dot:
            return rest in self._package_types(side_name, side, posixpath.dirname(path))
        gofile = side.parsed(path)
        for _, imported in gofile.imports if gofile is not None else ():
            package, types = self._imported_types(side_name, side, path, imported)
            if package == qualifier and rest in types:
                return True
        return False

    def _package_types(self, side_name: str, side: Side, directory: str) -> frozenset[str]:
        key = (side_name, directory)
        if key not in self._types:
            parsed = (side.parsed(p) for p in side.go_files(directory))
            self._types[key] = frozenset(t for f in parsed if f is not None for t in f.types)
        return self._types[key]

    def _imported_types(
        self, side_name: str, side: Side, path: str, imported: str
    ) -> tuple[str, frozenset[str]]:
        """(package name, its types) of an import: the standard library's from GOROOT, the
        module's own from the side; ("", none) for anything else."""
        from goescape import functions, modules

        key = (side_name, imported)
        if key in self._imported:
            return self._imported[key]
        found: list[functions.GoFile] = []
        first = imported.partition("/")[0]
        if "." not in first and self.goroot is not None:
            for file in sorted((self.goroot / "src" / imported).glob("*.go")):
                if not file.name.endswith("_test.go"):
                    found.append(functions.parse_go(file.read_bytes()))
        else:
            module = modules.find_module(path, side.read)
            if module is not None and imported.startswith(module.path + "/"):
                directory = posixpath.join(module.root, imported[len(module.path) + 1 :])
                parsed = (side.parsed(p) for p in side.go_files(directory))
                found = [f for f in parsed if f is not None and not f.package.endswith("_test")]
        name = found[0].package if found else ""
        self._imported[key] = (name, frozenset(t for f in found for t in f.types))
        return self._imported[key]
