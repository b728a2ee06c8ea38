"""What goescape asks git: the repository, the base and head, the diff and file contents.

Read-only: nothing here writes to the repository, its index, stash, refs or worktrees.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from goescape import process
from goescape.background import Pending
from goescape.changes import git_diff_args
from goescape.errors import FatalError

# Candidates for the base when neither --base nor pre-commit names one, in order.
_DEFAULT_BRANCHES = ("origin/main", "origin/master", "main", "master")

_Answer = tuple[int, str]  # exit code and stdout of a git lookup
# `pgo_files`: from any directory of the repository (`:(top)` and --full-name). Tracked files
# only, from the index: the untracked ones are among those `untracked` lists anyway, and a
# second walk of the working tree would cost as much again.
PGO_QUERY = (
    "ls-files",
    "-z",
    "--full-name",
    "--cached",
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

    def commit_diff(self) -> str:
        """What the commit being made changes, in a commit hook: the working tree against
        HEAD. pre-commit has stashed the unstaged changes away, so the tracked files hold
        exactly what is staged, also for `git commit -a` and `git commit PATH`, whose index
        is a temporary one. "" when HEAD has no commit yet."""
        code, out, _ = process.run(git_diff_args("HEAD"), cwd=self.root, check=False)
        return out.decode("utf-8", errors="surrogateescape") if code == 0 else ""

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

    def pgo_files(self, untracked: Iterable[str]) -> list[str]:
        """Every `default.pgo` in the working tree (tracked, or among the `untracked` files
        `untracked()` lists), repo-relative. Asked once per run; `prefetch(PGO_QUERY)`
        starts it early."""
        code, out = self._ask(*PGO_QUERY)
        tracked = [p for p in out.split("\0") if p] if code == 0 else []
        more = [p for p in untracked if posixpath.basename(p) == "default.pgo"]
        return sorted({*tracked, *more})

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
    current: str = ""  # the current branch, short ("feature"); "" on a detached HEAD
    upstream_ref: str = ""  # the upstream's full ref name ("refs/remotes/origin/main")

    @classmethod
    def parse(cls, out: str) -> _Refs:
        commits: dict[str, str] = {}
        upstream = origin_head = current = upstream_ref = ""
        for line in out.splitlines():
            here, name, commit, tracked, target = (line.split("\0") + [""] * 5)[:5]
            commits[name] = commit
            if here == "*":
                current, upstream, upstream_ref = _short(name), _short(tracked), tracked
            if name == "refs/remotes/origin/HEAD":
                origin_head = _short(target)
        return cls(commits, upstream, origin_head, current, upstream_ref)

    def commit_of(self, ref: str) -> str | None:
        """A branch's commit, found as git finds a short name (tags aside: goescape only asks
        for branch names here)."""
        full = self.full_name(ref)
        return self.commits[full] if full else None

    def full_name(self, ref: str) -> str:
        for name in (f"refs/{ref}", f"refs/heads/{ref}", f"refs/remotes/{ref}"):
            if name in self.commits:
                return name
        return ""

    def is_current(self, full: str) -> bool:
        """Whether the branch `full` is the current branch or a remote's copy of it."""
        return bool(self.current) and _branch_name(full) == self.current

    def on_default_branch(self, origin_fetches_all: Callable[[], bool]) -> bool:
        """Whether the current branch is the repository's main line, which has no other
        branch to be compared with: then its own upstream (what is not pushed yet) or
        itself (what is not committed yet) is the base.

        main and master are; so is what origin/HEAD names, unless origin is fetched one
        branch only: a `--single-branch` clone points origin/HEAD at whatever it cloned."""
        if not self.current:
            return False
        if self.current in ("main", "master"):
            return True
        named = _branch_name(f"refs/remotes/{self.origin_head}") if self.origin_head else ""
        return named == self.current and origin_fetches_all()


def _branch_name(full: str) -> str:
    """The branch a ref stands for: `main` for refs/heads/main and refs/remotes/origin/main
    (remote names with a `/` in them are taken for their first part)."""
    if full.startswith("refs/heads/"):
        return full[len("refs/heads/") :]
    if full.startswith("refs/remotes/"):
        return full[len("refs/remotes/") :].partition("/")[2]
    return ""


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
    head_name = _shown(head.label) if head.commit else "HEAD"
    head_commit = git.commit_of(head_rev)
    if head_commit is None:
        return None  # an unborn branch: nothing to compare against
    current = ""
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
        current = refs.current
        candidates = _default_candidates(refs, lambda: _fetches_all(git, "origin"))
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
            raise FatalError(f"no merge base between {head_name} and {_shown(candidate)}: {why}")
        return merge_base, f"merge base of {head_name} and {_shown(candidate)}"
    if stage_of_commit(env, head):
        # A commit hook with nothing to compare against judges the commit being made.
        return head_commit, f"{head_name} (no other branch to compare with: the commit alone)"
    raise FatalError(
        f"nothing to compare {current or head_name} with: no other branch is here (upstream, "
        f"origin/HEAD, {', '.join(_DEFAULT_BRANCHES)}); fetch the branch it starts from (e.g. "
        "`git fetch origin main:refs/remotes/origin/main`, or `fetch-depth: 0` in "
        "actions/checkout) or pass --base REF"
    )


def _shown(ref: str) -> str:
    """A ref as a person reads it: pre-push hands over full commit ids, shown abbreviated."""
    full = len(ref) in (40, 64) and all(c in "0123456789abcdef" for c in ref)
    return ref[:7] if full else ref


def _default_candidates(refs: _Refs, origin_fetches_all: Callable[[], bool]) -> list[str]:
    """The branches to look for a merge base with, in order, when no ref is given.

    Never the current branch itself: the upstream only when it is another branch (one
    created to track origin/main), and no remote's copy of the current branch (what
    `git push -u origin feature` sets up), except on the main line itself.
    """
    candidates: list[str] = []
    if refs.upstream and not refs.is_current(refs.upstream_ref):
        candidates.append(refs.upstream)
    own_allowed = refs.on_default_branch(origin_fetches_all)
    for candidate in (refs.origin_head, *_DEFAULT_BRANCHES):
        if not candidate or candidate in candidates:
            continue
        full = refs.full_name(candidate)
        if full and refs.is_current(full) and not own_allowed:
            continue
        candidates.append(candidate)
    return candidates


def _fetches_all(git: Git, remote: str) -> bool:
    """Whether `remote`'s branches are all fetched (a refspec with `*`), as after a plain
    clone; asked only on a branch origin/HEAD names that is not main or master."""
    code, out = git.run("config", "--get-all", f"remote.{remote}.fetch", check=False)
    return code == 0 and "*" in out


def stage_of_commit(env: Mapping[str, str], head: Head | None = None) -> bool:
    """Whether this is pre-commit's commit stage (or `pre-commit run` by hand), which checks
    what is staged: PRE_COMMIT=1 without the refs of pre-push or `--from-ref/--to-ref`,
    and the working tree as head."""
    return (
        env.get("PRE_COMMIT") == "1"
        and not env.get("PRE_COMMIT_FROM_REF")
        and not env.get("PRE_COMMIT_TO_REF")
        and (head is None or not head.commit)
    )


def _fetch_hint(git: Git) -> str:
    if git.is_shallow():
        return " (this is a shallow clone: fetch more history, e.g. `fetch-depth: 0`)"
    return ""
