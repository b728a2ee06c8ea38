"""What the Action's steps share: the runner's files and workflow commands."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path


class StepError(Exception):
    """The step cannot go on; `str(err)` becomes one `::error::` line and the step fails."""


def escape_data(text: str) -> str:
    """Escape a workflow command's message, so text from a repository cannot end the command
    early or start another one on a new line."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def error(message: str) -> None:
    print(f"::error::{escape_data(message)}", flush=True)


def warning(message: str) -> None:
    print(f"::warning::{escape_data(message)}", flush=True)


def notice(message: str) -> None:
    print(f"::notice::{escape_data(message)}", flush=True)


def set_outputs(env: Mapping[str, str], outputs: Mapping[str, str]) -> None:
    """Append step outputs to $GITHUB_OUTPUT (or print them when run outside a runner)."""
    lines = []
    for name, value in outputs.items():
        if "\n" in value or "\r" in value:
            raise StepError(f"output {name} would span lines: {value!r}")
        lines.append(f"{name}={value}\n")
    target = env.get("GITHUB_OUTPUT")
    if not target:
        sys.stdout.writelines(lines)
        return
    with open(target, "a", encoding="utf-8") as out:
        out.writelines(lines)


def make_temp_dir(env: Mapping[str, str], prefix: str) -> Path:
    """A new directory under $RUNNER_TEMP: unique, so two uses of the Action in one job do
    not overwrite each other's files."""
    parent = env.get("RUNNER_TEMP") or tempfile.gettempdir()
    os.makedirs(parent, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))


def flag(env: Mapping[str, str], name: str, input_name: str) -> bool:
    """A boolean input, spelled as YAML 1.2 core schema spells booleans."""
    value = env.get(name, "").strip().lower()
    if value in ("true", "yes", "on", "1"):
        return True
    if value in ("false", "no", "off", "0", ""):
        return False
    raise StepError(f"input {input_name} must be true or false, not {env.get(name)!r}")
