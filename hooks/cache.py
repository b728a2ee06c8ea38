"""goescape's own cache of the compiler's base-side `-m` text.

The base side of a run is the same for every commit on a branch until the merge base moves,
so its compiler output is kept per (merge base, package, the package's base files, toolchain,
flags, target); so are the files that call a changed inlinable function at the merge base
(hooks/callers.py). An entry is one file named by the hash of
its key; its first line repeats the key and the body's length, so a hash collision, a format
change or a torn file reads as a miss, never as a wrong answer. Writes go to a temporary file
and `os.replace`, which is atomic, so concurrent runs see a whole entry or none. Any OSError
means "no cache": the cache may make a run faster, never make it fail.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from goescape import __version__, cachedir

ENV_DIR = cachedir.ENV_DIR
FORMAT = cachedir.FORMAT
# Bound on the entries' total size; eviction trims to _TRIM_TO of it, oldest use first.
MAX_BYTES = 64 * 1024 * 1024
_TRIM_TO = 0.8
# Temporary files older than this belong to a run that was killed mid-write.
_STALE_TMP_SECONDS = 3600.0
_TMP_PREFIX = cachedir.TMP_PREFIX
_SUFFIX = ".txt"
# Besides entries: flags (`mark`, empty files) and records other modules keep in the same
# directory (prestart.py): evicted and cleared with the entries.
FLAG_SUFFIX = ".flag"
RECORD_SUFFIX = ".rec"


class CacheKey(NamedTuple):
    """Everything the base-side compiler output of one package depends on."""

    merge_base: str  # full sha; fixes every in-module dependency and go.mod/go.sum/go.work
    module_root: str  # absolute path: the go command prints paths relative to it
    package: str  # import path
    files: tuple[tuple[str, str], ...]  # (file name, git blob id) of the package's base files
    go_version: str  # "go1.27.3"
    goroot: str
    gcflags: tuple[str, ...]  # e.g. ("-m=2",); order kept, it can matter to the compiler
    tags: tuple[str, ...]  # build tags; order does not matter
    goos: str
    goarch: str
    cgo_enabled: str
    goexperiment: str
    tests: bool  # compiled with the test build (`--tests`)
    tool_version: str = __version__  # goescape's own version: its parsing may change


class ImportersKey(NamedTuple):
    """Everything the files found to call some functions at the merge base depend on
    (hooks/callers.py): the merge base fixes the files."""

    merge_base: str
    module_root: str  # absolute path of the module whose files were read
    wanted: tuple[tuple[str, tuple[str, ...]], ...]  # (import path, names) searched for
    tests: bool  # _test.go files read too (`--tests`)
    tool_version: str = __version__


Key = CacheKey | ImportersKey


def _key_line(key: Key) -> str:
    import json  # here, not at the top: a run that only asks `marked` needs neither

    fields: dict[str, object] = dict(key._asdict())
    if isinstance(key, CacheKey):
        # Order-insensitive parts are normalised so that equal builds share one entry.
        fields["files"] = sorted([list(pair) for pair in key.files])
        fields["tags"] = sorted(key.tags)
        fields["gcflags"] = list(key.gcflags)
    else:
        fields["kind"] = "importers"
        fields["wanted"] = sorted([path, sorted(names)] for path, names in key.wanted)
    fields["format"] = FORMAT
    return json.dumps(fields, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def digest(key: Key) -> str:
    """The entry's file name stem: a hash of every part of the key."""
    import hashlib

    return hashlib.sha256(_key_line(key).encode()).hexdigest()


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$GOESCAPE_CACHE_DIR`, else `$XDG_CACHE_HOME/goescape`, else `~/.cache/goescape`."""
    return Path(cachedir.top(os.environ if environ is None else environ))


def _entries(directory: Path | None) -> Path:
    return (directory if directory is not None else cache_dir()) / f"v{FORMAT}"


def load(key: Key, *, directory: Path | None = None) -> str | None:
    """The stored text for `key`, or None (missing, unreadable, torn or another key's)."""
    return _load(digest(key), _key_line(key), directory)


def store(
    key: Key, text: str, *, directory: Path | None = None, max_bytes: int = MAX_BYTES
) -> None:
    """Keep `text` for `key`. Never raises for file-system reasons: the run goes on uncached."""
    _store(digest(key), _key_line(key), text, directory, max_bytes)


def load_named(name: str, *, directory: Path | None = None) -> str | None:
    """Another kind of entry, named by its caller (e.g. `profile-<sha256 of the profile>`):
    kept, checked and evicted like the compiler's text."""
    return _load(name, _named(name), directory)


def store_named(
    name: str, text: str, *, directory: Path | None = None, max_bytes: int = MAX_BYTES
) -> None:
    _store(name, _named(name), text, directory, max_bytes)


def _named(name: str) -> str:
    import json

    return json.dumps({"name": name, "format": FORMAT})


def marked(name: str, *, directory: Path | None = None) -> bool:
    """Whether the empty entry `name` exists (see `mark`): one stat, nothing read."""
    return os.path.exists(_entries(directory) / f"{name}{FLAG_SUFFIX}")


def mark(name: str, on: bool, *, directory: Path | None = None) -> None:
    """Create (`on`) or remove the empty entry `name`: a flag kept between runs, evicted and
    cleared like the other entries. Never raises for file-system reasons."""
    path = _entries(directory) / f"{name}{FLAG_SUFFIX}"
    with contextlib.suppress(OSError):
        if on:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        else:
            path.unlink(missing_ok=True)


def _load(stem: str, key_line: str, directory: Path | None) -> str | None:
    path = _entries(directory) / f"{stem}{_SUFFIX}"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header, sep, body = data.partition(b"\n")
    if not sep:
        return None
    import json

    try:
        meta = json.loads(header)
    except ValueError:
        return None
    if not isinstance(meta, dict) or meta.get("key") != key_line:
        return None
    if meta.get("length") != len(body):
        return None
    # Mark the entry as used, for eviction; a read-only cache still answers.
    with contextlib.suppress(OSError):
        os.utime(path)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _store(stem: str, key_line: str, text: str, directory: Path | None, max_bytes: int) -> None:
    import json
    import tempfile  # only a cache miss writes: keep the import off the hot path

    entries = _entries(directory)
    body = text.encode("utf-8")
    header = json.dumps({"key": key_line, "length": len(body)}, separators=(",", ":"))
    tmp_name = ""
    try:
        entries.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=_SUFFIX, dir=entries)
        with os.fdopen(fd, "wb") as out:
            out.write(header.encode() + b"\n" + body)
        os.replace(tmp_name, entries / f"{stem}{_SUFFIX}")
        tmp_name = ""
        _evict(entries, max_bytes)
    except OSError:
        pass
    finally:
        if tmp_name:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def _evict(entries: Path, max_bytes: int) -> None:
    """Delete the least recently used entries once their total passes `max_bytes`."""
    now = time.time()
    sized: list[tuple[float, int, str]] = []
    total = 0
    with os.scandir(entries) as it:
        for item in it:
            try:
                st = item.stat()
            except OSError:
                continue  # another run removed it
            if item.name.startswith(_TMP_PREFIX):
                if now - st.st_mtime > _STALE_TMP_SECONDS:
                    _unlink_quietly(item.path)
                continue
            sized.append((st.st_mtime, st.st_size, item.path))
            total += st.st_size
    if total <= max_bytes:
        return
    sized.sort()
    for _mtime, size, path in sized:
        if total <= max_bytes * _TRIM_TO:
            break
        _unlink_quietly(path)
        total -= size


def _unlink_quietly(path: str) -> None:
    # Concurrent runs may evict the same entry; losing that race is fine.
    with contextlib.suppress(OSError):
        os.unlink(path)


def clear(*, directory: Path | None = None) -> int:
    """Remove every entry (for `goescape --clear-cache` or tests); return how many."""
    entries = _entries(directory)
    removed = 0
    try:
        names: Sequence[str] = os.listdir(entries)
    except OSError:
        return 0
    for name in names:
        if name.endswith((_SUFFIX, FLAG_SUFFIX, RECORD_SUFFIX)):
            _unlink_quietly(str(entries / name))
            removed += 1
    return removed
