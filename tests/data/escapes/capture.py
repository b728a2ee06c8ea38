"""Regenerate the captured compiler output the escape parser tests read.

Usage: python tests/data/escapes/capture.py [GOROOT ...]
(default: the `go` on PATH and every GOROOT in GOESCAPE_TEST_GOROOTS). Writes
go<major.minor>-m.txt and go<major.minor>-m2.txt next to this file. Needs a C compiler
(the cgoz package uses cgo). Regenerating may move positions: re-check the tests' tables.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
# The geom package as built for its tests (header `# .../geom [.../geom.test]`, plus the
# external `geom_test` package and the test main), then cgoz for cgo's generated files.
COMMANDS = (
    ("go", "test", "-c", "-o", os.devnull, "-gcflags={flag}", "./geom"),
    ("go", "build", "-gcflags={flag}", "./cgoz"),
)


def go_env(goroot: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GOROOT", "GOFLAGS")}
    env.update(GOTOOLCHAIN="local", GOPROXY="off", CGO_ENABLED="1", LC_ALL="C")
    env["PATH"] = f"{goroot / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def capture(goroot: Path, flag: str) -> str:
    """The compiler's stderr for the fixture, exactly as a user would see it."""
    out = []
    for template in COMMANDS:
        cmd = [part.format(flag=flag) for part in template]
        proc = subprocess.run(
            cmd, cwd=SRC, env=go_env(goroot), capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
        out.append(proc.stderr)
    return "".join(out)


def short_version(goroot: Path) -> str:
    version = (goroot / "VERSION").read_text(encoding="utf-8").split()[0]  # go1.27.3
    return ".".join(version.split(".")[:2])


def default_goroots() -> list[Path]:
    roots = []
    go = shutil.which("go")
    if go:
        env = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, check=True)
        roots.append(Path(env.stdout.strip()))
    roots += [Path(p) for p in os.environ.get("GOESCAPE_TEST_GOROOTS", "").split(os.pathsep) if p]
    return roots


def main(argv: list[str]) -> int:
    for goroot in [Path(a) for a in argv] or default_goroots():
        for flag, suffix in (("-m", "m"), ("-m=2", "m2")):
            target = HERE / f"{short_version(goroot)}-{suffix}.txt"
            target.write_text(capture(goroot, flag), encoding="utf-8")
            print(target.relative_to(HERE.parent.parent.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
