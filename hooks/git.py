"""What goescape asks git: the repository, the base and head, the diff and file contents.

Read-only: nothing here writes to the repository, its index, stash, refs or worktrees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from goescape import process
from goescape.background import Pending
from goescape.changes import git_diff_args
from goescape.errors import FatalError

# Candidates for the base when neither --base nor pre-commit names one, in order.
_DEFAULT_BRANCHES = ("origin/main", "origin/master", "main", "master")

_Answer = tuple[int, str]  # exit code and stdout of a git lookup
# `pgo_files`: from any directory of the repository (`:(top)` and --full-name).
PGO_QUERY = (
    "ls-files",
    "-z",
    "--full-name",
    "--cached",
    "--others",
    "--exclude-standard",
    "--",
    ":(top,glob)**/default.pgo",
)


class Git:
    """git commands run in one repository (environment cleaned of a hook's GIT_* variables).

    Lookups (commit_of, merge_base, upstream...) are asked once per run and may be started
    ahead of time with `prefetch`, several at once: a run needs several answers before it
    can start the compiler, and git's start-up is most of each answer's cost.
    """

    def __init__(self, root: Path, lookups: Git | None = None) -> None:
        self.root = root
        # Lookups started elsewhere in the same repository (before its root was known).
        self._answers: dict[tuple[str, ...], Pending[_Answer]] = (
            dict(lookups._answers) if lookups is not None else {}
        )

    def run(self, *args: str, check: bool = True) -> tuple[int, str]:
        return _run_in(self.root, args, check)

    def out(self, *args: str) -> str:
        return self.run(*args)[1]

    def prefetch(self, *queries: tuple[str, ...]) -> None:
        """Start the lookups `queries` (argument tuples of `_ask`) in the background."""
        for args in queries:
            if args not in self._answers:
                self._answers[args] = Pending(_run_in, self.root, args, False)

    def know(self, args: tuple[str, ...], answer: _Answer) -> None:
        """Keep an answer to the lookup `args` learnt some other way."""
        self._answers.setdefault(args, Pending.done(answer))

    def _ask(self, *args: str) -> _Answer:
        """`run(*args, check=False)`, answered once per run."""
        pending = self._answers.get(args)
        if pending is None:
            pending = self._answers[args] = Pending.done(self.run(*args, check=False))
        return pending.result()

    def commit_of(self, ref: str) -> str | None:
        code, out = self._ask(*_commit_query(ref))
        return out.strip() if code == 0 and out.strip() else None

    def refs(self) -> _Refs:
        """The branches, the current one's upstream and origin/HEAD, in one git command."""
        code, out = self._ask(*_REFS_QUERY)
        return _Refs.parse(out if code == 0 else "")

    def merge_base(self, a: str, b: str) -> str | None:
        code, out = self._ask(*_merge_base_query(a, b))
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
        """Untracked, not ignored files, repo-relative: from any directory of the repository
        (`:/` and --full-name), so the listing need not wait for the root to be known."""
        out = self.out(
            "ls-files", "--others", "--exclude-standard", "-z", "--full-name", "--", ":/"
        )
        return [p for p in out.split("\0") if p]

    def pgo_files(self) -> list[str]:
        """Every `default.pgo` in the working tree (tracked or untracked, not ignored),
        repo-relative. Asked once per run; `prefetch(PGO_QUERY)` starts it early."""
        code, out = self._ask(*PGO_QUERY)
        return [p for p in out.split("\0") if p] if code == 0 else []

    def trees_files(self, rev: str, directories: Iterable[str]) -> dict[str, dict[str, str]]:
        """`tree_files` of several directories, read in one `git cat-file --batch`.

        Like `git ls-tree <rev>:<dir>`: a directory missing at `rev` (or a file there) lists
        nothing; files include symlinks, not subdirectories or submodules.
        """
        result: dict[str, dict[str, str]] = {}
        for directory, obj in self._objects(rev, directories).items():
            files = result[directory] = {}
            if obj is None or obj.kind != b"tree":
                continue
            # A raw tree: `<octal mode> <name>\0` and the binary object id, per entry.
            data, size, pos = obj.data, len(obj.oid) // 2, 0
            while pos < len(data):
                space = data.index(b" ", pos)
                nul = data.index(b"\0", space)
                mode = int(data[pos:space], 8) & 0o170000
                name = data[space + 1 : nul].decode(errors="replace")
                if mode not in (0o040000, 0o160000):  # not a tree or a submodule
                    path = f"{directory}/{name}" if directory else name
                    files[path] = data[nul + 1 : nul + 1 + size].hex()
                pos = nul + 1 + size
        return result

    def read_blobs(self, rev: str, paths: Iterable[str]) -> dict[str, bytes | None]:
        """Contents of `paths` at `rev` in one `git cat-file --batch`; None where missing."""
        return {
            path: obj.data if obj is not None and obj.kind == b"blob" else None
            for path, obj in self._objects(rev, paths).items()
        }

    def _objects(self, rev: str, paths: Iterable[str]) -> dict[str, _Object | None]:
        """`<rev>:<path>` of each path through one `git cat-file --batch`; None: missing."""
        wanted = list(dict.fromkeys(paths))
        if not wanted:
            return {}
        request = "".join(f"{rev}:{p}\n" for p in wanted).encode()
        _, out, _ = process.run(
            ("git", "cat-file", "--batch"), cwd=self.root, input=request, env=process.clean_env()
        )
        result: dict[str, _Object | None] = {}
        pos = 0
        for path in wanted:
            end = out.index(b"\n", pos)
            # "<oid> <type> <size>", or "<rev>:<path> missing" where the path may hold spaces.
            header = out[pos:end].split()
            pos = end + 1
            if len(header) == 3 and header[2].isdigit():
                size = int(header[2])
                result[path] = _Object(header[0].decode(), header[1], out[pos : pos + size])
                pos += size + 1
            else:  # "<object> missing"
                result[path] = None
        return result


class _Refs(NamedTuple):
    """Local and remote-tracking branches: what choosing a default base needs to know,
    from one `git for-each-ref` instead of a `rev-parse` per candidate."""

    commits: dict[str, str]  # full ref name -> commit
    upstream: str  # the current branch's upstream, short ("origin/main"), or ""
    origin_head: str  # what refs/remotes/origin/HEAD points to, short, or ""

    @classmethod
    def parse(cls, out: str) -> _Refs:
        commits: dict[str, str] = {}
        upstream = origin_head = ""
        for line in out.splitlines():
            current, name, commit, tracked, target = (line.split("\0") + [""] * 5)[:5]
            commits[name] = commit
            if current == "*":
                upstream = _short(tracked)
            if name == "refs/remotes/origin/HEAD":
                origin_head = _short(target)
        return cls(commits, upstream, origin_head)

    def commit_of(self, ref: str) -> str | None:
        """A branch's commit, found as git finds a short name (tags aside: goescape only asks
        for branch names here)."""
        for name in (f"refs/{ref}", f"refs/heads/{ref}", f"refs/remotes/{ref}"):
            if name in self.commits:
                return self.commits[name]
        return None


def _short(ref: str) -> str:
    for prefix in ("refs/heads/", "refs/remotes/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


class _Object(NamedTuple):
    oid: str  # hex
    kind: bytes  # b"blob", b"tree", b"commit" (a submodule), b"tag"
    data: bytes


def _run_in(root: Path, args: tuple[str, ...], check: bool) -> _Answer:
    code, out, _ = process.run_text(
        ("git", "-c", "core.quotePath=false", *args), cwd=root, check=check
    )
    return code, out


def _commit_query(ref: str) -> tuple[str, ...]:
    return ("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")


def _merge_base_query(a: str, b: str) -> tuple[str, ...]:
    return ("merge-base", a, b)


_REFS_QUERY = (
    "for-each-ref",
    "--format=%(HEAD)%00%(refname)%00%(objectname)%00%(upstream)%00%(symref)",
    "refs/heads/",
    "refs/remotes/",
)


def prefetch_choices(
    git: Git,
    head_arg: str | None,
    base_arg: str | None,
    env: Mapping[str, str],
    default_base: str | None = None,
) -> None:
    """Start the lookups `choose_head` and `base_commit` are going to make."""
    head_ref = head_arg or env.get("PRE_COMMIT_TO_REF") or ""
    explicit = base_arg or env.get("PRE_COMMIT_FROM_REF") or default_base
    # HEAD's own commit comes with the repository's root (`find_root_and_head`).
    queries = [_commit_query(head_ref)] if head_ref else []
    if explicit:
        queries.append(_commit_query(explicit))
        if not head_ref:
            queries.append(_merge_base_query("HEAD", explicit))
    else:
        queries.append(_REFS_QUERY)
    git.prefetch(*queries)


def find_root(cwd: Path) -> Path:
    code, out, _ = process.run_text(("git", "rev-parse", "--show-toplevel"), cwd=cwd, check=False)
    if code != 0:
        raise FatalError(f"not a git repository: {cwd} (goescape compares git revisions)")
    return Path(out.strip())


def find_root_and_head(cwd: Path, lookups: Git) -> Path:
    """`find_root`, asking git for HEAD's commit in the same process (one start-up less)
    and keeping that answer in `lookups` for `commit_of("HEAD")`."""
    code, out, _ = process.run_text(
        (
            "git",
            "-c",
            "core.quotePath=false",
            "rev-parse",
            "--show-toplevel",
            *_commit_query("HEAD")[1:],
        ),
        cwd=cwd,
        check=False,
    )
    lines = out.splitlines()
    if not lines:
        raise FatalError(f"not a git repository: {cwd} (goescape compares git revisions)")
    # An unborn HEAD: the top level is printed, the commit is not (exit 1).
    head = lines[1].strip() if code == 0 and len(lines) > 1 else ""
    lookups.know(_commit_query("HEAD"), (0, head + "\n") if head else (1, ""))
    return Path(lines[0])


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


def base_commit(
    git: Git,
    base_arg: str | None,
    head: Head,
    env: Mapping[str, str],
    default_base: str | None = None,
) -> tuple[str, str] | None:
    """(merge base, how it was chosen) of head and the first candidate that exists; None
    without any commit. A plain tuple: the run's records take longer to import than git to
    answer. `default_base` (.goescape.toml's `base`) comes after --base and pre-commit's
    refs, before the upstream."""
    head_rev = head.commit or "HEAD"
    head_name = head.label if head.commit else "HEAD"
    if git.commit_of(head_rev) is None:
        return None  # an unborn branch: nothing to compare against
    explicit = base_arg or env.get("PRE_COMMIT_FROM_REF") or default_base
    if explicit:
        source = (
            "--base"
            if base_arg
            else "PRE_COMMIT_FROM_REF"
            if env.get("PRE_COMMIT_FROM_REF")
            else ".goescape.toml base"
        )
        if git.commit_of(explicit) is None:
            raise FatalError(
                f"{source} {explicit}: no such commit in this repository{_fetch_hint(git)}"
            )
        candidates = [explicit]
        resolve = git.commit_of
    else:
        refs = git.refs()
        candidates = [c for c in (refs.upstream, refs.origin_head) if c]
        candidates += [b for b in _DEFAULT_BRANCHES if b not in candidates]
        resolve = refs.commit_of
    for candidate in candidates:
        if resolve(candidate) is None:
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
        return merge_base, f"merge base of {head_name} and {candidate}"
    # No upstream and no default branch: judge only what is not committed yet.
    return (
        git.out("rev-parse", head_rev).strip(),
        f"{head_name} (no upstream, origin/HEAD, main or master)",
    )


def _fetch_hint(git: Git) -> str:
    if git.is_shallow():
        return " (this is a shallow clone: fetch more history, e.g. `fetch-depth: 0`)"
    return ""
