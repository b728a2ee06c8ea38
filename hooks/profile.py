"""How hot each function is, from a pprof CPU profile read by the Go toolchain's own reader.

`go tool pprof -traces` prints every sample's call stack, inlined frames included, with
function names as the runtime knows them (`example.com/m/geom.(*Point).Add`). A function's
hotness is the share of samples whose stack holds it, its closures counted as itself (as
goescape attributes their escapes to it): its cumulative share of the CPU, from 0 to 1.

The table is read once per profile content and kept in goescape's cache; the parsing and the
mapping of names are pure.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

from goescape.errors import FatalError
from goescape.functions import INIT, FunctionId
from goescape.modules import Module

DEFAULT_NAME = "default.pgo"
OFF = "none"  # `--profile none`
# The package of a program's own functions, whatever its import path.
MAIN = "main"

_SEPARATOR = "-----------+"
_INLINE = " (inline)"
# `F.func1`, `F.func1.2`, `F.gowrap1`, `F.deferwrap1`, and `init.0` (the first `func init`).
_CLOSURE_PART = re.compile(r"(func|gowrap|deferwrap)\d+|\d+")
_TYPE_ARGS = re.compile(r"\[[^\[\]]*\]")


class ProfileTable(NamedTuple):
    """Samples per function (counted once per sample however often it is on the stack)."""

    total: int
    samples: Mapping[FunctionId, int]

    def share(self, function: FunctionId) -> float:
        if self.total <= 0:
            return 0.0
        return self.samples.get(function, 0) / self.total


def function_of(name: str) -> FunctionId | None:
    """goescape's FunctionId for a function name in a profile; None for names that are not
    Go functions (unsymbolised addresses). A main package's functions keep `main`."""
    name = name.removesuffix(_INLINE).removesuffix("-fm")  # `-fm`: a method value's wrapper
    # Type arguments first: `Map[go.shape.int]`, `(*List[example.com/m/x.T]).Push`.
    while True:
        plain = _TYPE_ARGS.sub("", name)
        if plain == name:
            break
        name = plain
    slash = name.rfind("/")
    dot = name.find(".", slash + 1)
    if dot <= 0:
        return None
    # The linker escapes dots in a path's last element (`gopkg.in/yaml%2ev3`).
    package = unquote(name[:dot])
    rest = name[dot + 1 :]
    if rest.startswith("(*"):
        receiver, _, after = rest[2:].partition(").")
        method = after.split(".", 1)[0]
        return FunctionId(package, receiver, method) if receiver and method else None
    parts = rest.split(".")
    if parts[0] in (INIT, "glob") or not parts[0]:
        # `init`, `init.0`, `init.func1`; Go <= 1.21 named package-level closures `glob..func1`.
        return FunctionId(package, "", INIT)
    if len(parts) == 1 or _CLOSURE_PART.fullmatch(parts[1]):
        return FunctionId(package, "", parts[0])
    return FunctionId(package, parts[0], parts[1])


def parse_traces(text: str) -> ProfileTable:
    """The table from `go tool pprof -traces` output (with `-sample_index=samples`)."""
    samples: dict[FunctionId, int] = {}
    total = 0
    value = 0
    stack: set[FunctionId] = set()
    started = False

    def flush() -> None:
        nonlocal total
        total += value
        for function in stack:
            samples[function] = samples.get(function, 0) + value

    for line in text.splitlines():
        if line.startswith(_SEPARATOR):
            if started:
                flush()
            started, value, stack = True, 0, set()
            continue
        # A frame is `%10s   name` (the sample's value on its first frame); a label is
        # `%10s:  value`.
        if not started or len(line) < 14 or line[10:13] != "   ":
            continue
        shown = line[:10].strip()
        if shown:
            value = _count(shown)
        function = function_of(line[13:].strip())
        if function is not None:
            stack.add(function)
    return ProfileTable(total, samples)


def _count(shown: str) -> int:
    try:
        return int(shown)
    except ValueError:
        pass
    match = re.match(r"[\d.]+", shown)
    return int(float(match.group())) if match else 0


def to_json(table: ProfileTable) -> str:
    rows = [[f.package, f.receiver, f.name, n] for f, n in sorted(table.samples.items())]
    return json.dumps({"total": table.total, "functions": rows}, separators=(",", ":"))


def from_json(text: str) -> ProfileTable | None:
    try:
        data = json.loads(text)
        rows = data["functions"]
        return ProfileTable(
            int(data["total"]), {FunctionId(p, r, n): int(c) for p, r, n, c in rows}
        )
    except (ValueError, KeyError, TypeError):
        return None


# --- the shell -----------------------------------------------------------------------------


def read(path: Path, go: str, *, use_cache: bool = True) -> ProfileTable:
    """The table of the profile at `path`: from goescape's cache when this content was read
    before, else from `go tool pprof` (whose first use builds pprof, a few seconds)."""
    import hashlib

    from goescape import cache

    try:
        content = path.read_bytes()
    except OSError as err:
        raise FatalError(f"cannot read the profile {path}: {err.strerror}") from None
    name = f"profile-{hashlib.sha256(content).hexdigest()}"
    if use_cache:
        kept = cache.load_named(name)
        table = from_json(kept) if kept is not None else None
        if table is not None:
            return table
    table = parse_traces(_pprof_traces(go, path))
    if use_cache:
        cache.store_named(name, to_json(table))
    return table


def _pprof_traces(go: str, path: Path) -> str:
    from goescape import process

    # `-symbolize=none`: a Go profile carries its function names; never look for binaries.
    base = [go, "tool", "pprof", "-traces", "-symbolize=none"]
    try:
        code, out, err = process.run_text(
            [*base, "-sample_index=samples", str(path)], env=process.clean_env(), check=False
        )
        if code != 0:
            # Not a CPU profile (no `samples` index): rank by its default sample type.
            code, out, err = process.run_text(
                [*base, str(path)], env=process.clean_env(), check=False
            )
    except OSError as error:
        raise FatalError(f"cannot run go tool pprof: {error.strerror}") from None
    if code != 0:
        lines = [line for line in err.splitlines() if line.strip()]
        why = lines[-1] if lines else f"exit code {code}"
        raise FatalError(f"go tool pprof cannot read the profile {path}: {why}")
    return out


class Chosen(NamedTuple):
    """The profile a run ranks findings by, and how each module's builds use it."""

    path: Path  # absolute
    shown: str  # as the user named it, or the repo-relative default.pgo
    source: str  # "--profile" or "default.pgo"
    digest: str  # sha256 of its content (part of the base side's cache key)
    pgo: Mapping[Module, str]  # `-pgo=` value per module compiled with it
    notes: tuple[str, ...]  # warnings about the choice


def choose(
    option: str | None,
    compile_with: bool,
    cwd: Path,
    root: Path,
    modules_used: Iterable[Module],
    listed: Iterable[str],
    module_of: Callable[[str], Module | None],
    is_main: Callable[[str], bool],
) -> Chosen | None:
    """The profile to use: `--profile FILE` (compiled with only under `--pgo`), else the
    `default.pgo` of a main package in the module of a changed package (always compiled
    with, as `go build` does for that program), else None. `--profile none` returns None.

    `module_of(path)` names the module holding a repo-relative file; `is_main(directory)`
    says whether a directory holds a main package.
    """
    import hashlib

    used = sorted(set(modules_used))
    if option == OFF:
        return None
    if option is not None:
        path = (cwd / option).resolve()
        digest = hashlib.sha256(_read(path, option)).hexdigest()
        pgo = {m: str(path) for m in used} if compile_with else {}
        return Chosen(path, option, "--profile", digest, pgo, ())
    listed = list(listed)
    per_module: dict[Module, str] = {}
    notes: list[str] = []
    for module in used:
        mains = [
            p
            for p in default_candidates(listed, module.root)
            if module_of(p) == module and is_main(posixpath.dirname(p))
        ]
        if not mains:
            continue
        per_module[module] = mains[0]
        if len(mains) > 1:
            notes.append(
                f"{len(mains)} main packages have a default.pgo; ranking and compiling with "
                f"{mains[0]} (--profile FILE --pgo picks another)"
            )
    if not per_module:
        if compile_with:
            raise FatalError(
                "--pgo needs a profile: --profile FILE, or a default.pgo in a main package"
            )
        return None
    first = per_module[min(per_module)]
    if len(set(per_module.values())) > 1:
        notes.append(f"findings ranked by {first} (each module compiles with its own default.pgo)")
    path = root / first
    digest = hashlib.sha256(_read(path, first)).hexdigest()
    pgo = {m: str(root / p) for m, p in per_module.items()}
    return Chosen(path, first, DEFAULT_NAME, digest, pgo, tuple(notes))


def _read(path: Path, shown: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise FatalError(f"cannot read the profile {shown}: {err.strerror}") from None


def default_candidates(listed: Iterable[str], module_root: str) -> list[str]:
    """The `default.pgo` files among `listed` (repo-relative) under a module's root, in path
    order (those of nested modules too: the caller asks which module holds each)."""
    prefix = f"{module_root}/" if module_root else ""
    return sorted(
        p for p in listed if posixpath.basename(p) == DEFAULT_NAME and p.startswith(prefix)
    )
