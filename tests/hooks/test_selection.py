"""Which changed files a run looks at: PATH arguments, exclude globs, tests, ignored dirs."""

from __future__ import annotations

from pathlib import Path

import pytest
from goescape.errors import FatalError
from goescape.options import Options
from goescape.selection import excluded_by, repo_prefixes, skip_reason, under


@pytest.mark.parametrize(
    ("path", "globs", "expected"),
    [
        ("api/v1/types.pb.go", ["*.pb.go"], "*.pb.go"),  # `*` crosses directories
        ("types.pb.go", ["*.pb.go"], "*.pb.go"),
        ("api/types.go", ["*.pb.go"], None),
        ("examples/hello/main.go", ["examples"], "examples"),  # a directory: all below it
        ("examples/hello/main.go", ["examples/"], "examples/"),
        ("examples/hello/main.go", ["./examples"], "./examples"),
        ("examples.go", ["examples"], None),  # a name that only starts the same
        ("src/examples/main.go", ["examples"], None),  # anchored at the repository root
        ("src/examples/main.go", ["**/examples"], "**/examples"),
        ("examples/main.go", ["**/examples"], "**/examples"),  # `**/` also at the top
        ("internal/gen/zz_deep.go", ["internal/*/zz_*.go"], "internal/*/zz_*.go"),
        ("internal/gen/a/b.go", ["internal/gen"], "internal/gen"),
        ("Gen/x.go", ["gen"], None),  # case matters, as for git
        ("a/b.go", ["x", "a/?.go", "a"], "a/?.go"),  # the first glob that matches
        ("a/b.go", [], None),
    ],
)
def test_exclude_globs(path: str, globs: list[str], expected: str | None) -> None:
    assert excluded_by(path, globs) == expected


@pytest.mark.parametrize(
    ("path", "prefixes", "expected"),
    [
        ("a/b.go", (), True),  # no PATH: everything
        ("a/b.go", ("",), True),  # the repository root
        ("a/b.go", ("a",), True),
        ("a/b.go", ("a/b.go",), True),
        ("ab/c.go", ("a",), False),
        ("a/b.go", ("b", "a"), True),
        ("c/d.go", ("a", "b"), False),
    ],
)
def test_under_the_path_arguments(path: str, prefixes: tuple[str, ...], expected: bool) -> None:
    assert under(path, prefixes) is expected


def test_path_arguments_become_repo_relative(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    paths = [str(root), str(root / "svc" / "api"), str(root / "x.go")]
    assert repo_prefixes(paths, root) == ("", "svc/api", "x.go")
    with pytest.raises(FatalError, match=r"is outside the repository"):
        repo_prefixes([str(tmp_path / "elsewhere")], root)
    with pytest.raises(FatalError, match=r"is outside the repository"):
        repo_prefixes([str(tmp_path)], root)


@pytest.mark.parametrize(
    ("path", "options", "reason"),
    [
        ("a/b.go", Options(), ""),
        ("a/b_test.go", Options(), "test file (use --tests)"),
        ("a/b_test.go", Options(tests=True), ""),
        ("a/testdata/b.go", Options(), "ignored by the go command"),
        ("a/_old/b.go", Options(), "ignored by the go command"),
        # An exclude glob wins over the other reasons: it is what the team asked for.
        ("gen/b_test.go", Options(exclude=("gen",)), "excluded by .goescape.toml: gen"),
        ("gen/b.go", Options(exclude=("*.pb.go", "gen/")), "excluded by .goescape.toml: gen/"),
    ],
)
def test_skip_reasons(path: str, options: Options, reason: str) -> None:
    found = skip_reason(path, options)
    assert found.startswith(reason) if reason else found == ""
