"""What counts as new, end to end: real git repositories, the real `go`, `main([...])`.

One test per behaviour of docs/matching.md: temporaries, renames and re-expressed escapes
(issue 8, point 1), constants (point 2), messages read by their whole shape (point 3) and
suppression (point 8). tests/hooks/test_agreement.py checks that every output counts alike.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from goescape.cli import main
from goescape.sarif_read import read

from tests.gitrepo import GitRepo
from tests.hooks.test_sarif_validate import schema_errors
from tests.runs import json_run as goescape

pytestmark = pytest.mark.slow


def text_report(repo: GitRepo, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["-C", str(repo.path), *args])
    return code, capsys.readouterr().out


def states(doc: dict[str, Any]) -> list[tuple[str, int, str, str]]:
    return [
        (f["state"], f["line"], f["message"], f["function"]["display"]) for f in doc["findings"]
    ]


def compiler_heap_lines(repo: GitRepo, ref: str, package: str = "./p") -> list[str]:
    """What `go build -gcflags=-m` prints for `package` at `ref` (in a worktree of its own)."""
    where = repo.path.parent / f"at-{ref[:7]}"
    if not where.exists():
        repo.git("worktree", "add", "-q", "--detach", str(where), ref)
    done = subprocess.run(
        ["go", "build", "-gcflags=-m", package],
        cwd=where,
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in done.stderr.splitlines() if "to heap" in line]


@pytest.fixture
def module(repo: GitRepo) -> GitRepo:
    repo.go_module()
    return repo


def test_renumbered_temporaries_are_the_same_escape(
    module: GitRepo, capsys: pytest.CaptureFixture[str], any_go: Path
) -> None:
    module.write(
        "p/p.go",
        """
        package p

        import "strconv"

        func Parse(s string) (any, error) {
        	return strconv.ParseBool(s)
        }
        """,
    )
    base = module.commit("base")
    module.write(
        "p/p.go",
        """
        package p

        import "strconv"

        func Parse(s string) (any, error) {
        	if _, err := strconv.Atoi(s); err == nil {
        		s = "true"
        	}
        	return strconv.ParseBool(s)
        }
        """,
    )
    head = module.commit("a statement above")
    # The compiler numbers the temporary differently on the untouched line.
    before = [line for line in compiler_heap_lines(module, base) if "autotmp" in line]
    after = [line for line in compiler_heap_lines(module, head) if "autotmp" in line]
    assert len(before) == len(after) == 1
    assert re.sub(r"^\S+ ", "", before[0]) != re.sub(r"^\S+ ", "", after[0])
    code, doc = goescape(module, capsys, "--base", base, "--head", head)
    assert code == 0
    autotmp = [f for f in doc["findings"] if "autotmp" in f["expression"]]
    assert [(f["state"], f["line"]) for f in autotmp] == [("unchanged", 9)]
    assert doc["summary"]["new"] == 0


def test_a_renamed_variable_is_the_same_escape(
    module: GitRepo, capsys: pytest.CaptureFixture[str], any_go: Path
) -> None:
    module.write(
        "p/p.go",
        """
        package p

        func One() *int {
        	p := 1
        	return &p
        }
        """,
    )
    module.commit("base")
    module.write(
        "p/p.go",
        """
        package p

        func One() *int {
        	ptr := 1
        	return &ptr
        }
        """,
    )
    code, doc = goescape(module, capsys)
    assert code == 0
    assert states(doc) == [("unchanged", 4, "moved to heap: ptr", "One")]


CHANGED_BASE = """
package p

func Names(n int) []string {
	x := []string{}
	return x
}

func Two() (*int, *int) {
	a, b := 1, 2
	return &a, &b
}
"""
CHANGED_HEAD = """
package p

func Names(n int) []string {
	x := make([]string, 0, n)
	return x
}

func Two() (int, int) {
	a, b := 1, 2
	return a, b
}
"""


def test_a_re_expressed_escape_is_changed_and_a_removed_one_is_said(
    module: GitRepo, capsys: pytest.CaptureFixture[str], tmp_path: Path, any_go: Path
) -> None:
    module.write("p/p.go", CHANGED_BASE)
    module.commit("base")
    module.write("p/p.go", CHANGED_HEAD)
    sarif = tmp_path / "out.sarif"
    code, doc = goescape(module, capsys, "--sarif", str(sarif))
    assert code == 0
    assert states(doc) == [
        ("changed", 4, "make([]string, 0, n) escapes to heap", "Names"),
        ("absent", 9, "moved to heap: a", "Two"),
        ("absent", 9, "moved to heap: b", "Two"),
    ]
    changed = doc["findings"][0]
    assert changed["previous"] == {
        "path": "p/p.go",
        "line": 4,
        "col": 15,
        "expression": "[]string{}",
        "message": "[]string{} escapes to heap",
    }
    assert (doc["summary"]["changed"], doc["summary"]["removed"], doc["summary"]["new"]) == (
        1,
        2,
        0,
    )
    assert schema_errors(json.loads(sarif.read_text(encoding="utf-8"))) == []
    (result,) = [e for e in read(sarif).escapes if e.baseline_state == "updated"]
    assert (result.expression, result.previous_expression, result.level) == (
        "make([]string, 0, n)",
        "[]string{}",
        "note",
    )
    code, text = text_report(module, capsys)
    assert code == 0
    assert text.splitlines()[1:] == [
        "",
        "changed at the same place (the same kind of escape, re-expressed; not counted):",
        "p/p.go:4:11: Names: make([]string, 0, n) escapes to heap"
        "   (was: []string{} escapes to heap)",
        "",
        "removed 2 heap escapes in Two",
        "heap escapes in the changed functions: 3 -> 1 (0 unchanged, 1 changed, 0 new of which"
        " 0 counted, 2 removed)",
    ]


CONSTANTS = """
package p

import (
	"fmt"
	"os"
	"time"
)

type itemType int

type MyError string

func (e MyError) Error() string { return string(e) }

const itemEOF itemType = 15

//go:noinline
func g(n int) int { return n * 2 }

func Constants() error {
	fmt.Println(time.Second, itemEOF, itemType(3), MyError("boom"), 1+2i, time.Duration(5))
	fmt.Println("fx: Check was called with a negative number, which this package never expects")
	if len(os.Args) > 5 {
		panic("fx: Check was called with a negative number, which this package never expects to" +
			" happen at all")
	}
	return MyError("a constant error")
}

func NotConstants(s string, n int, b []byte) any {
	fmt.Println(MyError(s), itemType(n), string(b), g(15), os.Getenv("HOME"))
	return MyError(s)
}
"""


def test_constants_are_never_new_and_conversions_of_values_are(
    module: GitRepo, capsys: pytest.CaptureFixture[str], any_go: Path
) -> None:
    module.write("p/p.go", "package p\n")
    module.commit("base")
    module.write("p/p.go", CONSTANTS)
    code, doc = goescape(module, capsys)
    assert code == 1
    new = [f for f in doc["findings"] if f["kind"] != "leaking param"]
    # Nothing of Constants; in NotConstants `string(b)` both allocates the string and
    # boxes it, and `g(15)` and `os.Getenv("HOME")` are calls, printed like conversions.
    assert sorted((f["function"]["display"], f["expression"]) for f in new) == [
        ("NotConstants", "MyError(s)"),
        ("NotConstants", "MyError(s)"),
        ("NotConstants", "g(15)"),
        ("NotConstants", "itemType(n)"),
        ("NotConstants", 'os.Getenv("HOME")'),
        ("NotConstants", "string(b)"),
        ("NotConstants", "string(b)"),
    ]
    assert doc["summary"]["counted"] == len(new)


def test_constants_the_compiler_prints_are_left_out(
    module: GitRepo, capsys: pytest.CaptureFixture[str], any_go: Path
) -> None:
    module.write("p/p.go", "package p\n")
    module.commit("base")
    module.write("p/p.go", CONSTANTS)
    head = module.commit("head")
    printed = compiler_heap_lines(module, head)
    for constant in (
        "time.Duration(1000000000) escapes to heap",
        "itemType(15) escapes to heap",
        "itemType(3) escapes to heap",
        'MyError("boom") escapes to heap',
        "(1 + 2i) escapes to heap",
        "time.Duration(5) escapes to heap",
        '"fx: Check was called with a negative number, which this package neve... escapes to heap',
        'MyError("a constant error") escapes to heap',
    ):
        assert any(line.endswith(constant) for line in printed), constant
    code, doc = goescape(module, capsys, "--base", "HEAD~1", "--head", head)
    assert code == 1
    assert not [f for f in doc["findings"] if f["function"]["display"] == "Constants"]


@pytest.mark.parametrize("name", ["found", "converting", "assuming", "devirtualizing"])
def test_an_expression_is_not_dropped_for_its_first_word(
    module: GitRepo, capsys: pytest.CaptureFixture[str], name: str, any_go: Path
) -> None:
    module.write(
        "p/p.go",
        """
        package p

        import "context"

        type key string

        const k key = "k"

        func With(ctx context.Context, NAME string) context.Context {
        	return ctx
        }
        """.replace("NAME", name),
    )
    module.commit("base")
    module.write(
        "p/p.go",
        module.read("p/p.go").replace("return ctx", f"return context.WithValue(ctx, k, {name})"),
    )
    code, doc = goescape(module, capsys)
    assert code == 1
    # The key, `key("k")`, is a constant: only the variable is new.
    assert [(f["line"], f["message"]) for f in doc["counted"]] == [(10, f"{name} escapes to heap")]


def test_compiler_noise_is_not_an_escape(
    module: GitRepo, capsys: pytest.CaptureFixture[str], any_go: Path
) -> None:
    # `devirtualizing r.Read to *bytes.Reader` and `can inline` lines are printed here.
    module.write("p/p.go", "package p\n")
    module.commit("base")
    module.write(
        "p/p.go",
        """
        package p

        import (
        	"bytes"
        	"io"
        )

        func Read(b []byte) int {
        	var r io.Reader = bytes.NewReader(b)
        	n, _ := r.Read(b)
        	return n
        }
        """,
    )
    code, doc = goescape(module, capsys)
    assert code == 0
    assert doc["counted"] == []


CALLEE = """
package p

type Point struct{ X, Y int }

func NewPoint(x, y int) *Point {
	p := Point{x, y} MARKER
	return &p
}
"""


@pytest.mark.parametrize(
    ("source", "suppressed", "warning"),
    [
        pytest.param(
            """
            package p

            func ID() *int {
            	id := 1
            	return &id //goescape:ignore the caller keeps it
            }
            """,
            "the caller keeps it",
            "",
            id="marker-on-a-line-of-the-explanation",
        ),
        pytest.param(
            """
            package p

            func ID() *int {
            	// goescape:ignore written with a space
            	id := 1
            	return &id
            }
            """,
            "written with a space",
            "",
            id="marker-with-a-space",
        ),
        pytest.param(
            """
            package p

            func ID() *int {
            	id := 1 //goescape:ignored not a marker
            	return &id
            }
            """,
            None,
            "p/p.go:4: `goescape:ignored` is not a goescape marker"
            " (write `//goescape:ignore <reason>`)",
            id="a-near-miss-is-warned-about",
        ),
    ],
)
def test_suppression_where_people_write_it(
    module: GitRepo,
    capsys: pytest.CaptureFixture[str],
    source: str,
    suppressed: str | None,
    warning: str,
) -> None:
    module.write("p/p.go", "package p\n")
    module.commit("base")
    module.write("p/p.go", source)
    code, doc = goescape(module, capsys)
    (finding,) = doc["findings"]
    assert finding["message"] == "moved to heap: id"
    assert finding["suppression_reason"] == suppressed
    assert code == (0 if suppressed is not None else 1)
    assert doc["warnings"] == ([warning] if warning else [])


def test_a_marker_on_the_callee_covers_its_inlined_copies(
    module: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    module.write("p/point.go", CALLEE.replace(" MARKER", ""))
    module.commit("base")
    module.write("p/point.go", CALLEE.replace("MARKER", "//goescape:ignore small, returned"))
    module.write(
        "p/use.go",
        """
        package p

        var kept *Point

        func Use() {
        	kept = NewPoint(1, 2)
        }
        """,
    )
    code, doc = goescape(module, capsys)
    assert code == 0
    use = [f for f in doc["findings"] if f["function"]["display"] == "Use"]
    assert [(f["message"], f["inlined"], f["suppression_reason"]) for f in use] == [
        ("moved to heap: p", "NewPoint", "small, returned")
    ]


def test_a_failing_report_ends_with_how_to_accept_or_skip(
    module: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    module.write("p/p.go", CHANGED_HEAD)
    module.commit("base")
    module.write("p/p.go", CHANGED_BASE)
    code, text = text_report(module, capsys)
    assert code == 1
    assert text.splitlines()[-2:] == [
        "to accept an escape: add `//goescape:ignore <reason>` at the end of the line it names"
        " (p/p.go:9) or alone on the line above",
        "to skip goescape once: SKIP=goescape git commit ...",
    ]


def test_a_conversion_to_a_type_of_another_package_of_the_module(
    module: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    module.write(
        "geom/geom.go",
        """
        package geom

        type Kind int

        //go:noinline
        func Make(n int) int { return n }
        """,
    )
    module.write("p/p.go", "package p\n")
    module.commit("base")
    module.write(
        "p/p.go",
        """
        package p

        import (
        	"fmt"

        	shapes "example.com/m/geom"
        )

        func Show() {
        	fmt.Println(shapes.Kind(3), shapes.Make(3))
        }
        """,
    )
    code, doc = goescape(module, capsys)
    assert code == 1
    # The compiler prints the package's name, not the import's: `geom.Kind(3)`.
    assert [f["expression"] for f in doc["counted"]] == ["geom.Make(3)"]
