"""The compiles of one run: the head side, and the base side from goescape's cache or
compiled beside it through an overlay."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from goescape import git, modules, sides
from goescape.errors import FatalError
from goescape.modules import Module, Package, buildable
from goescape.options import FLOWS_ALL, Options
from goescape.sides import Side

if TYPE_CHECKING:
    from goescape import cache, compiler
    from goescape.outcome import BaseChoice


class _BasePlan(NamedTuple):
    module: Module
    running: compiler.Running | None  # None: nothing of it exists at base, or cached
    text: str  # from the cache ("" when nothing exists at base, or compiling)
    key: cache.CacheKey | None  # where to keep the compiled text


class Builds:
    """A run's compiles: the head side first; the base side from goescape's cache, or
    compiled beside the head side through an overlay."""

    def __init__(
        self,
        session: compiler.Session,
        repo: git.Git,
        base: BaseChoice,
        options: Options,
        env: Mapping[str, str],
        packages: list[Package],
        pgo: Mapping[Module, tuple[str, str]] | None = None,
        flagged: list[Package] | None = None,
        *,
        explain: bool = False,
    ) -> None:
        self.session = session
        # Per module: (`-pgo=` value, what its content is for the cache key).
        self.pgo = dict(pgo or {})
        self.repo = repo
        self.base = base
        self.options = options
        self.env = env
        by_module: dict[Module, list[Package]] = {}
        for package in packages:
            by_module.setdefault(package.module, []).append(package)
        self.modules = sorted(by_module.items())
        self.packages = packages
        # Packages compiled earlier in the run, by module (see compiler.Build.flagged).
        self.flagged: dict[Module, list[Package]] = {}
        for package in flagged or ():
            self.flagged.setdefault(package.module, []).append(package)
        self.head_where = ""
        self.head_builds: list[compiler.Build] = []
        self.head: list[compiler.Running] = []
        self.plans: list[_BasePlan] = []
        self.version = ""
        self.goroot = ""
        self.toolchain: compiler.Toolchain | None = None
        from goescape import compiler

        # The compiler's explanation of each escape (-m=2) where every finding carries it
        # (JSON, SARIF), or when a text report is likely to show one (`explain`,
        # explanations.py). Both sides alike, so that the files printing the same at both
        # sides are left out unread (prefilter.py); the base side's is in goescape's cache.
        self.head_explained = options.flows == FLOWS_ALL or explain
        self.flags = compiler.EXPLAINED if self.head_explained else compiler.ESCAPES

    def start_head(self, head_side: Side) -> None:
        from goescape import compiler

        self.head_where = "head" if head_side.commit is None else head_side.commit[:7]
        overlay = sides.overlay(head_side, self.repo.root)
        for module, members in self.modules:
            patterns = tuple(sorted(modules.package_dir(module, p.directory) for p in members))
            build = compiler.Build(
                self.repo.root / module.root,
                patterns,
                overlay,
                self.options.tests,
                self.options.tags,
                self.pgo.get(module, ("", ""))[0],
                flagged=self._flagged(module, head_side),
                flags=self.flags,
            )
            self.head_builds.append(build)
            self.head.append(self.session.start(build))

    def start_base(self, base_side: Side, toolchain: compiler.Toolchain) -> None:
        from goescape import cache

        self.version = toolchain.version
        self.goroot = toolchain.goroot
        self.toolchain = toolchain
        tests = self.options.tests
        earlier = [p for members in self.flagged.values() for p in members]
        base_side.list_directories(p.directory for p in (*self.packages, *earlier))
        overlay: dict[str, bytes | None] | None = None  # read only when something compiles
        for (module, members), head_build in zip(self.modules, self.head_builds, strict=True):
            at_base = [
                p
                for p in members
                if any(buildable(f, tests) for f in base_side.go_files(p.directory))
            ]
            if not at_base:
                self.plans.append(_BasePlan(module, None, "", None))
                continue
            build = head_build._replace(
                packages=tuple(sorted(modules.package_dir(module, p.directory) for p in at_base)),
                flagged=self._flagged(module, base_side),
                flags=self.flags,
            )
            key = _cache_key(
                self.base, build, at_base, base_side, toolchain, self.options, self.env
            )
            profile = self.pgo.get(module, ("", ""))[1]
            if key is not None and profile:
                key = key._replace(gcflags=(*key.gcflags, f"-pgo={profile}"))
            text = cache.load(key) if key is not None else None
            if text is not None:
                self.plans.append(_BasePlan(module, None, text, None))
                continue
            if overlay is None:
                overlay = sides.overlay(base_side, self.repo.root)
            running = self.session.start(build._replace(overlay=overlay))
            self.plans.append(_BasePlan(module, running, "", key))

    def _flagged(self, module: Module, side: Side) -> tuple[str, ...]:
        """`./dir` patterns of the earlier packages of `module` that exist at `side`."""
        tests = self.options.tests
        return tuple(
            sorted(
                modules.package_dir(module, p.directory)
                for p in self.flagged.get(module, ())
                if any(buildable(f, tests) for f in side.go_files(p.directory))
            )
        )

    def module_texts(self) -> list[tuple[Module, str | None, str | None]]:
        """Per module, the head and base text; None for a side that does not compile.
        Never raises for a compile error: for builds whose failure is not the user's."""
        from goescape import cache

        out: list[tuple[Module, str | None, str | None]] = []
        for (module, _), running, plan in zip(self.modules, self.head, self.plans, strict=True):
            head = running.result()
            base_text: str | None = plan.text
            if plan.running is not None:
                base = plan.running.result()
                base_text = base.output if base.ok else None
                if base.ok and plan.key is not None:
                    cache.store(plan.key, base.output)
            out.append((module, head.output if head.ok else None, base_text))
        return out

    def base_known(self) -> bool:
        """Whether the base side's text is at hand without waiting for a compile."""
        return all(plan.running is None for plan in self.plans)

    def head_text(self) -> str:
        results = [running.result() for running in self.head]
        for running, result in zip(self.head, results, strict=True):
            if not result.ok:
                errors = "\n".join(
                    f"  {line}"
                    for line in running.errors(root=self.repo.root) or ["(go printed no error)"]
                )
                raise FatalError(f"the code does not compile at {self.head_where}:\n{errors}")
        return "\n".join(r.output for r in results)

    def stop(self) -> None:
        """Stop every compile started: their results are not wanted."""
        for running in self.head:
            running.stop()
        for plan in self.plans:
            if plan.running is not None:
                plan.running.stop()

    def start_explained_head(self) -> list[compiler.Running]:
        """The head side's builds again, with the compiler's explanation of each escape
        (-m=2); `explained_text` collects them."""
        from goescape import compiler

        return [
            self.session.start(build._replace(flags=compiler.EXPLAINED))
            for build in self.head_builds
        ]

    @staticmethod
    def explained_text(running: list[compiler.Running]) -> str:
        """The text of the builds `start_explained_head` started. One that fails (a caller
        that did not compile the first time either) adds nothing."""
        results = [r.result() for r in running]
        return "\n".join(r.output for r in results if r.ok)

    def base_text(self) -> tuple[str, str]:
        """(base text, "" or the module whose base does not compile)."""
        from goescape import cache

        texts: list[str] = []
        broken = ""
        for plan in self.plans:
            if plan.running is None:
                texts.append(plan.text)
                continue
            result = plan.running.result()
            if result.ok:
                texts.append(result.output)
                if plan.key is not None:
                    cache.store(plan.key, result.output)
            elif self.options.allow_broken_base:
                broken = plan.module.root or "."
                texts.append("")
            else:
                first = plan.running.errors(1, self.repo.root)
                raise FatalError(
                    f"the base {self.base.commit[:7]} does not compile "
                    f"({first[0] if first else 'no compiler message'}); "
                    "--allow-broken-base compares against an empty base"
                )
        return "\n".join(texts), broken


def _cache_key(
    base: BaseChoice,
    build: compiler.Build,
    members: list[Package],
    side: Side,
    toolchain: compiler.Toolchain,
    options: Options,
    env: Mapping[str, str],
) -> cache.CacheKey | None:
    from goescape import cache

    if not options.use_cache:
        return None
    files = tuple(
        (path, side.blob_id(path))
        for p in members
        for path in side.go_files(p.directory)
        if buildable(path, options.tests)
    )
    return cache.CacheKey(
        merge_base=base.commit,
        module_root=str(build.module_dir),
        package=" ".join(p.import_path for p in members),
        files=files,
        go_version=toolchain.version,
        # The toolchain's own GOROOT, not only $GOROOT: two installations of one version
        # print different paths for the standard library's files in -m=2 explanations.
        goroot=toolchain.goroot,
        gcflags=(build.flags, f"GOFLAGS={env.get('GOFLAGS', '')}"),
        tags=tuple(t for t in options.tags.replace(",", " ").split() if t),
        goos=env.get("GOOS", ""),
        goarch=env.get("GOARCH", ""),
        cgo_enabled=env.get("CGO_ENABLED", ""),
        goexperiment=env.get("GOEXPERIMENT", ""),
        tests=options.tests,
    )
