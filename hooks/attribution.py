"""Which function each escape belongs to, and where each function is declared."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from goescape.modules import Package, buildable
from goescape.sides import Side

if TYPE_CHECKING:
    from goescape import comparison, escapes
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


def declarations(
    packages: Iterable[Package], side: Side, tests: bool
) -> dict[FunctionId, comparison.Declaration]:
    from goescape import comparison, functions
    from goescape.functions import FunctionId

    index: dict[FunctionId, comparison.Declaration] = {}
    packages = list(packages)
    side.list_directories(p.directory for p in packages)
    files = {
        package: [p for p in side.go_files(package.directory) if buildable(p, tests)]
        for package in packages
    }
    side.prefetch(path for paths in files.values() for path in paths)  # one git command
    for package, paths in files.items():
        for path in paths:
            gofile = side.parsed(path)
            if gofile is None or gofile.generated:
                continue
            owner = package_id(package, gofile)
            for decl in gofile.functions:
                function = FunctionId(owner, decl.receiver, decl.name)
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
                init = FunctionId(owner, "", functions.INIT)
                index.setdefault(
                    init, comparison.Declaration(functions.INIT, path, gofile.init_spans[0][0])
                )
    return index


def suppression(side: Side, path: str, line: int) -> IgnoreComment | None:
    from goescape import functions

    gofile = side.parsed(path)
    return None if gofile is None else functions.suppression_for(gofile, line)
