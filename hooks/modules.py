"""Go modules and packages: which module holds a file, and a package's import path. Pure."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import NamedTuple


class Module(NamedTuple):
    root: str  # repo-relative directory holding go.mod ("" for the repository root)
    path: str  # the module path from its `module` directive


class Package(NamedTuple):
    module: Module
    directory: str  # repo-relative
    import_path: str


def parse_module_path(gomod: bytes) -> str | None:
    """The module path of a go.mod file, None when it has no `module` directive."""
    for raw in gomod.decode("utf-8", errors="replace").splitlines():
        line = raw.split("//", 1)[0].strip()
        if line.startswith("module") and line[6:7] in (" ", "\t", '"'):
            value = line[6:].strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in '"`':
                value = value[1:-1]
            return value or None
    return None


def find_module(path: str, read: Callable[[str], bytes | None]) -> Module | None:
    """The module of repo-relative file `path`: the nearest go.mod in its directory or above."""
    directory = posixpath.dirname(path)
    while True:
        gomod = read(posixpath.join(directory, "go.mod") if directory else "go.mod")
        if gomod is not None:
            module_path = parse_module_path(gomod)
            return Module(directory, module_path) if module_path else None
        if not directory:
            return None
        directory = posixpath.dirname(directory)


def package_dir(module: Module, directory: str) -> str:
    """`directory` relative to the module root, as a `./dir` pattern for the go command."""
    rel = posixpath.relpath(directory or ".", module.root or ".")
    return "." if rel == "." else f"./{rel}"


def import_path(module: Module, directory: str) -> str:
    rel = posixpath.relpath(directory or ".", module.root or ".")
    return module.path if rel == "." else f"{module.path}/{rel}"


def ignored_by_go(path: str) -> bool:
    """The go command skips `testdata` and directories starting with `.` or `_`."""
    for part in posixpath.dirname(path).split("/"):
        if part == "testdata" or part.startswith((".", "_")):
            return True
    return posixpath.basename(path).startswith((".", "_"))


def buildable(path: str, tests: bool) -> bool:
    return tests or not path.endswith("_test.go")
