"""What a run is asked to do: the record the command line (and later the configuration file)
fills in and every stage of the pipeline reads."""

from __future__ import annotations

from typing import NamedTuple


class Options(NamedTuple):
    base: str | None = None
    head: str | None = None
    tests: bool = False
    tags: str = ""
    leaks: bool = False
    fail_on_induced: bool = False
    allow_broken_base: bool = False
    use_cache: bool = True
