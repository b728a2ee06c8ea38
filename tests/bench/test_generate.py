from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.bench import generate
from tests.bench.generate import Spec

SMALL = Spec(packages=4, files=2, funcs=6, seed=7)


def test_render_is_deterministic_and_depends_on_the_seed() -> None:
    assert generate.render(SMALL) == generate.render(SMALL)
    assert generate.render(SMALL) != generate.render(Spec(packages=4, files=2, funcs=6, seed=8))


def test_packages_form_an_import_chain() -> None:
    files = generate.render(SMALL)
    assert files["go.mod"] == "module example.com/bench\n\ngo 1.21\n"
    assert sorted(files) == [
        "go.mod",
        *[f"p00{k}/f{f}.go" for k in range(4) for f in range(2)],
    ]
    assert "example.com/bench/" not in files["p000/f0.go"]
    for k in range(1, 4):
        for f in range(2):
            imports = re.findall(r'"example\.com/bench/(p\d+)"', files[f"p00{k}/f{f}.go"])
            assert imports == [f"p00{k - 1}"]


def test_function_count() -> None:
    files = generate.render(SMALL)
    # Per file: the Edit function and `funcs` generated ones; file 0 adds NewItem, String,
    # Find and Len.
    assert generate.count_functions(files) == 4 * (2 * (1 + 6) + 4)


def test_edit_rewrites_only_the_marker_line(tmp_path: Path) -> None:
    for rel, text in generate.render(SMALL).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    path = tmp_path / "p002/f1.go"
    before = path.read_text(encoding="utf-8").splitlines()
    generate.edit(tmp_path, SMALL, 2, 1, 41)
    generate.edit(tmp_path, SMALL, 2, 1, 42, escape=False)
    after = path.read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [("\tv += 0 // bench:edit", "\tv += 42 // bench:edit")]
    generate.edit(tmp_path, SMALL, 2, 1, 43)
    assert "\tv += 43; benchSink = fmt.Sprint(v) // bench:edit" in path.read_text("utf-8")


def test_edit_inlined_rewrites_new_item_only(tmp_path: Path) -> None:
    for rel, text in generate.render(SMALL).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    path = tmp_path / "p002/f0.go"
    before = path.read_text(encoding="utf-8").splitlines()
    generate.edit_inlined(tmp_path, SMALL, 2, 7)
    after = path.read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [("\tid += 0 // bench:inlined", "\tid += 7 // bench:inlined")]
    assert after[after.index("\tid += 7 // bench:inlined") - 1].startswith("func NewItem(")


def test_edit_refuses_a_file_without_its_marker(tmp_path: Path) -> None:
    (tmp_path / "p000").mkdir()
    (tmp_path / "p000/f0.go").write_text("package p000\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected one edit marker, found 0"):
        generate.edit(tmp_path, SMALL, 0, 0, 1)


def test_generate_commits_on_main(tmp_path: Path) -> None:
    generate.generate(tmp_path / "m", SMALL)
    assert generate.git(tmp_path / "m", "status", "--porcelain") == ""
    assert generate.git(tmp_path / "m", "branch", "--show-current").strip() == "main"
    files = generate.git(tmp_path / "m", "ls-files").split()
    assert len(files) == 1 + 4 * 2
    again = tmp_path / "again"
    generate.generate(again, SMALL)
    assert generate.git(again, "rev-parse", "HEAD") == generate.git(
        tmp_path / "m", "rev-parse", "HEAD"
    )
