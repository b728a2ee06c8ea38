"""What a run is asked to do: the record the command line and `.goescape.toml` fill in (see
config.py) and every stage of the pipeline reads."""

from __future__ import annotations

from typing import NamedTuple


class Options(NamedTuple):
    base: str | None = None  # --base: the base the user named for this run
    head: str | None = None
    tests: bool = False
    tags: str = ""
    leaks: bool = False
    fail_on_induced: bool = False
    allow_broken_base: bool = False
    use_cache: bool = True
    # `base` in .goescape.toml: tried after --base and pre-commit's refs, before the upstream.
    default_base: str | None = None
    exclude: tuple[str, ...] = ()  # globs of repo-relative paths a run leaves out (skipped)
    paths: tuple[str, ...] = ()  # absolute: only changes under these are analysed
