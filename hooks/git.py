"""What goescape asks git: the repository, the base and head, the diff and file contents.

Read-only: nothing here writes to the repository, its index, stash, refs or worktrees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from hooks import process
from hooks.changes import git_diff_args
from hooks.errors import FatalError
from hooks.outcome import BaseChoice

# Candidates for the base when neither --base nor pre-commit names one, in order.
_DEFAULT_BRANCHES = ("origin/main", "origin/master", "main", "master")


class Git:
    """git commands run in one repository (environment cleaned of a hook's GIT_* variables)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def run(self, *args: str, check: bool = True) -> tuple[int, str]:
        code, out, _ = process.run_text(
            ("git", "-c", "core.quotePath=false", *args), cwd=self.root, check=check
        )
        return code, out

    def out(self, *args: str) -> str:
        return self.run(*args)[1]

    def commit_of(self, ref: str) -> str | None:
        code, out = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return out.strip() if code == 0 and out.strip() else None

    def merge_base(self, a: str, b: str) -> str | None:
        code, out = self.run("merge-base", a, b, check=False)
        return out.strip() if code == 0 and out.strip() else None

    def upstream(self) -> str | None:
        code, out = self.run(
            "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}", check=False
        )
        return out.strip() if code == 0 and out.strip() else None

    def is_shallow(self) -> bool:
        return self.out("rev-parse", "--is-shallow-repository").strip() == "true"

    def current_branch(self) -> str:
        code, out = self.run("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        return out.strip() if code == 0 else ""

    def remote_url(self) -> str:
        code, out = self.run("config", "--get", "remote.origin.url", check=False)
        return out.strip() if code == 0 else ""

    def diff(self, base: str, head: str | None) -> str:
        """Unified diff with no context between base and head (the working tree if None)."""
        _, out, _ = process.run(git_diff_args(base, head), cwd=self.root)
        # File names need not be UTF-8; keep their bytes recoverable.
        return out.decode("utf-8", errors="surrogateescape")

    def differing_paths(self, rev: str) -> list[str]:
        """Tracked paths whose working-tree content differs from `rev` (either side)."""
        out = self.out("diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", rev, "--")
        return [p for p in out.split("\0") if p]

    def untracked(self) -> list[str]:
        out = self.out("ls-files", "--others", "--exclude-standard", "-z")
        return [p for p in out.split("\0") if p]

    def tree_files(self, rev: str, directory: str) -> dict[str, str]:
        """path -> blob id of the files directly in `directory` ("" = root) at `rev`."""
        spec = f"{rev}:{directory}" if directory else f"{rev}:"
        code, out = self.run("ls-tree", "-z", spec, check=False)
        if code != 0:
            return {}
        files: dict[str, str] = {}
        for entry in out.split("\0"):
            if not entry:
                continue
            meta, name = entry.split("\t", 1)
            _mode, kind, blob = meta.split()
            if kind == "blob":
                files[f"{directory}/{name}" if directory else name] = blob
        return files

    def read_blobs(self, rev: str, paths: Iterable[str]) -> dict[str, bytes | None]:
        """Contents of `paths` at `rev` in one `git cat-file --batch`; None where missing."""
        wanted = list(dict.fromkeys(paths))
        if not wanted:
            return {}
        request = "".join(f"{rev}:{p}\n" for p in wanted).encode()
        _, out, _ = process.run(
            ("git", "cat-file", "--batch"), cwd=self.root, input=request, env=process.clean_env()
        )
        result: dict[str, bytes | None] = {}
        pos = 0
        for path in wanted:
            end = out.index(b"\n", pos)
            # "<oid> <type> <size>", or "<rev>:<path> missing" where the path may hold spaces.
            header = out[pos:end].split()
            found = len(header) == 3 and header[2].isdigit()
            pos = end + 1
            if found and header[1] == b"blob":
                size = int(header[2])
                result[path] = out[pos : pos + size]
                pos += size + 1
            elif found:  # a tree or submodule: not a file
                pos += int(header[2]) + 1
                result[path] = None
            else:  # "<object> missing"
                result[path] = None
        return result


def find_root(cwd: Path) -> Path:
    code, out, _ = process.run_text(("git", "rev-parse", "--show-toplevel"), cwd=cwd, check=False)
    if code != 0:
        raise FatalError(f"not a git repository: {cwd} (goescape compares git revisions)")
    return Path(out.strip())


class Head(NamedTuple):
    commit: str  # "" for the working tree
    label: str


def choose_head(git: Git, head_arg: str | None, env: Mapping[str, str]) -> Head:
    ref = head_arg or env.get("PRE_COMMIT_TO_REF") or ""
    if not ref:
        return Head("", "working tree")
    commit = git.commit_of(ref)
    if commit is None:
        source = "--head" if head_arg else "PRE_COMMIT_TO_REF"
        raise FatalError(f"{source} {ref}: no such commit in this repository{_fetch_hint(git)}")
    return Head(commit, ref)


def choose_base(
    git: Git, base_arg: str | None, head: Head, env: Mapping[str, str]
) -> BaseChoice | None:
    """The merge base of head and the first candidate that exists; None without any commit."""
    head_rev = head.commit or "HEAD"
    head_name = head.label if head.commit else "HEAD"
    if git.commit_of(head_rev) is None:
        return None  # an unborn branch: nothing to compare against
    explicit = base_arg or env.get("PRE_COMMIT_FROM_REF")
    if explicit:
        source = "--base" if base_arg else "PRE_COMMIT_FROM_REF"
        if git.commit_of(explicit) is None:
            raise FatalError(
                f"{source} {explicit}: no such commit in this repository{_fetch_hint(git)}"
            )
        candidates = [explicit]
    else:
        candidates = [c for c in (git.upstream(), _origin_head(git)) if c]
        candidates += [b for b in _DEFAULT_BRANCHES if b not in candidates]
    for candidate in candidates:
        if git.commit_of(candidate) is None:
            continue
        merge_base = git.merge_base(head_rev, candidate)
        if merge_base is None:
            # With the whole history at hand, more fetching would not help.
            why = (
                "fetch more history (e.g. `git fetch --unshallow`, or `fetch-depth: 0` in "
                "actions/checkout)"
                if git.is_shallow()
                else "their histories are unrelated (choose another --base)"
            )
            raise FatalError(f"no merge base between {head_name} and {candidate}: {why}")
        return BaseChoice(merge_base, f"merge base of {head_name} and {candidate}")
    # No upstream and no default branch: judge only what is not committed yet.
    return BaseChoice(
        git.out("rev-parse", head_rev).strip(),
        f"{head_name} (no upstream, origin/HEAD, main or master)",
    )


def _origin_head(git: Git) -> str | None:
    code, out = git.run(
        "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD", check=False
    )
    return out.strip() if code == 0 and out.strip() else None


def _fetch_hint(git: Git) -> str:
    if git.is_shallow():
        return " (this is a shallow clone: fetch more history, e.g. `fetch-depth: 0`)"
    return ""
