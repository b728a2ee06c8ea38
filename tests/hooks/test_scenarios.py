"""The hook end to end: real git repositories, the real compiler, `main([...])`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from goescape.cli import main

from tests.gitrepo import GitRepo
from tests.runs import json_run as goescape

pytestmark = pytest.mark.slow

POINT = """
package geom

type Point struct{ X, Y int }

func (p Point) Add(q Point) Point {
	r := Point{p.X + q.X, p.Y + q.Y}
	return r
}
"""


def new_escapes(doc: dict[str, Any]) -> list[tuple[str, int, str, str]]:
    """(path, line, function, message) of the escapes that fail the run."""
    return [(f["path"], f["line"], f["function"]["display"], f["message"]) for f in doc["counted"]]


def by_state(doc: dict[str, Any], state: str) -> list[tuple[str, int, str]]:
    return [(f["path"], f["line"], f["message"]) for f in doc["findings"] if f["state"] == state]


@pytest.fixture
def geom(repo: GitRepo) -> GitRepo:
    repo.go_module()
    repo.write("geom/point.go", POINT)
    repo.commit("base")
    return repo


def test_pointer_return_is_new(
    geom: GitRepo, capsys: pytest.CaptureFixture[str], any_go: Path
) -> None:
    geom.write(
        "geom/point.go",
        """
        package geom

        type Point struct{ X, Y int }

        func (p Point) Add(q Point) *Point {
        	r := Point{p.X + q.X, p.Y + q.Y}
        	return &r
        }
        """,
    )
    code, doc = goescape(geom, capsys)
    assert code == 1
    assert new_escapes(doc) == [("geom/point.go", 6, "Point.Add", "moved to heap: r")]
    assert doc["functions"][0]["before"] == 0
    assert doc["functions"][0]["after"] == 1


def test_text_report_names_base_and_escape(
    geom: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    geom.write(
        "geom/point.go", POINT.replace(") Point {", ") *Point {").replace("return r", "return &r")
    )
    code = main(["-C", str(geom.path)])
    out = capsys.readouterr().out
    base = geom.git("rev-parse", "--short=7", "HEAD").strip()
    assert code == 1
    assert out.splitlines()[0] == (
        "goescape: 1 new heap escape in 1 changed function "
        f"(base {base}, merge base of HEAD and main)"
    )
    assert "geom/point.go:6:2: Point.Add: moved to heap: r   (0 -> 1 heap escapes)" in out


def test_line_shift_reports_nothing(
    geom: GitRepo, capsys: pytest.CaptureFixture[str], any_go: Path
) -> None:
    geom.write(
        "geom/point.go",
        POINT.replace("func (p Point) Add", "func (p Point) Add").replace(
            "package geom\n",
            'package geom\n\nimport "fmt"\n\nfunc Show(x int) { fmt.Println(x) }\n',
        ),
    )
    geom.commit("with escape")
    # Move every line down, and reformat the function with the escape.
    geom.write(
        "geom/point.go",
        geom.read("geom/point.go")
        .replace("package geom\n", "package geom\n\n// Shifted.\n\n\n")
        .replace("func Show(x int) { fmt.Println(x) }", "func Show(x int) {\n\tfmt.Println(x)\n}"),
    )
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    assert code == 0
    assert new_escapes(doc) == []
    assert by_state(doc, "unchanged") == [("geom/point.go", 10, "x escapes to heap")]


def test_one_more_println_of_the_same_text(
    geom: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    geom.write(
        "geom/show.go",
        """
        package geom

        import "fmt"

        func Show(x int) {
        	fmt.Println(x)
        }
        """,
    )
    geom.commit("show")
    geom.write(
        "geom/show.go",
        geom.read("geom/show.go").replace(
            "\tfmt.Println(x)\n", "\tfmt.Println(x)\n\tx++\n\tfmt.Println(x)\n"
        ),
    )
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    assert code == 1
    assert new_escapes(doc) == [("geom/show.go", 8, "Show", "x escapes to heap")]
    assert by_state(doc, "unchanged") == [("geom/show.go", 6, "x escapes to heap")]


def test_removed_escape_is_absent_not_new(
    geom: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    geom.write(
        "geom/point.go", POINT.replace(") Point {", ") *Point {").replace("return r", "return &r")
    )
    geom.commit("escape")
    geom.write("geom/point.go", POINT)
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    assert code == 0
    assert by_state(doc, "absent") == [("geom/point.go", 6, "moved to heap: r")]
    assert doc["functions"][0]["before"] == 1
    assert doc["functions"][0]["after"] == 0


def test_function_moved_to_another_file(geom: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    geom.write(
        "geom/show.go",
        """
        package geom

        import "fmt"

        func Show(x int) {
        	fmt.Println(x)
        }

        func Other() {}
        """,
    )
    geom.commit("show")
    geom.write(
        "geom/show.go",
        """
        package geom

        func Other() {}
        """,
    )
    geom.write(
        "geom/moved.go",
        """
        package geom

        import "fmt"

        // Show prints x.
        func Show(x int) {
        	fmt.Println(x)
        }
        """,
    )
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    assert code == 0
    assert new_escapes(doc) == []
    assert by_state(doc, "unchanged") == [("geom/moved.go", 7, "x escapes to heap")]


def test_interface_conversion(geom: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    geom.write(
        "geom/log.go",
        """
        package geom

        var sink any

        func Keep(p Point) {
        	_ = p
        }
        """,
    )
    geom.commit("keep")
    geom.write("geom/log.go", geom.read("geom/log.go").replace("_ = p", "sink = p"))
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    assert code == 1
    assert new_escapes(doc) == [("geom/log.go", 6, "Keep", "p escapes to heap")]


def test_pointer_receiver_method(geom: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    geom.write(
        "geom/scale.go",
        """
        package geom

        func (p *Point) Scale(k int) {
        	p.X *= k
        }
        """,
    )
    geom.commit("scale")
    geom.write(
        "geom/scale.go",
        """
        package geom

        var last *Point

        func (p *Point) Scale(k int) {
        	p.X *= k
        	q := *p
        	last = &q
        }
        """,
    )
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    assert code == 1
    assert new_escapes(doc) == [("geom/scale.go", 7, "(*Point).Scale", "moved to heap: q")]
    counted = doc["counted"][0]["function"]
    assert (counted["receiver"], counted["name"]) == ("Point", "Scale")


def test_goroutine_closure(geom: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    geom.write(
        "geom/work.go",
        """
        package geom

        func Work(xs []int) int {
        	total := 0
        	for _, x := range xs {
        		total += x
        	}
        	return total
        }
        """,
    )
    geom.commit("work")
    geom.write(
        "geom/work.go",
        """
        package geom

        func Work(xs []int) int {
        	total := 0
        	done := make(chan bool)
        	go func() {
        		for _, x := range xs {
        			total += x
        		}
        		done <- true
        	}()
        	<-done
        	return total
        }
        """,
    )
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    assert code == 1
    messages = sorted(m for _, _, _, m in new_escapes(doc))
    assert messages == ["func literal escapes to heap", "moved to heap: total"]
    assert {f for _, _, f, _ in new_escapes(doc)} == {"Work"}


def test_new_package_is_all_new(geom: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    geom.write(
        "util/buf.go",
        """
        package util

        func NewBuf(n int) []byte {
        	return make([]byte, n)
        }
        """,
    )
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    assert code == 1
    assert new_escapes(doc) == [("util/buf.go", 4, "NewBuf", "make([]byte, n) escapes to heap")]
    assert doc["functions"][0]["new_function"] is True


GENERIC = """
package geom

var Last any

func Max[T int | float64](a, b T) T {
	if a > b {
		return a
	}
	return b
}

type Stack[T any] struct{ items []T }

func (s *Stack[T]) Push(v T) {
	s.items = append(s.items, v)
}

type Box[T any] struct{ v T }

func (b Box[T]) Keep() {
	Last = b
}

// Function values make the compiler build the instantiations' own wrappers.
var MaxInt, Push, Keep = Max[int], (*Stack[float64]).Push, Box[string].Keep
"""


def test_a_generic_functions_escape_is_reported_once(
    geom: GitRepo, capsys: pytest.CaptureFixture[str], any_go: Path
) -> None:
    # Each instantiation's wrapper repeats the body's escapes at the declaration, via an
    # inlined call of the body: the same allocation, not a second one.
    geom.write("geom/generic.go", GENERIC)
    geom.commit("generic")
    geom.write(
        "geom/generic.go",
        GENERIC.replace("\tif a > b {", "\tLast = a\n\tif a > b {")
        .replace("\ts.items = append", "\tLast = v\n\ts.items = append")
        .replace("\tLast = b\n", "\tLast = b\n\tLast = b.v\n"),
    )
    code, doc = goescape(geom, capsys)
    assert code == 1
    assert new_escapes(doc) == [
        ("geom/generic.go", 6, "Max", "a escapes to heap"),
        ("geom/generic.go", 16, "(*Stack[T]).Push", "v escapes to heap"),
        ("geom/generic.go", 24, "Box[T].Keep", "b.v escapes to heap"),
    ]
    # One more escape each (Go >= 1.25 also reports Push's append, at both sides).
    assert {(f["function"]["name"], f["after"] - f["before"]) for f in doc["functions"]} == {
        ("Max", 1),
        ("Push", 1),
        ("Keep", 1),
    }


NAMES = """
package geom

import "fmt"

var kept *Point

func Describe(p Point) string {
	s := fmt.Sprint(p.X, p.Y)
	return s
}

func Keep(p Point) *Point {
	q := p
	return &q
}
"""


def test_a_renamed_function_keeps_its_escapes(
    geom: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    geom.write("geom/names.go", NAMES)
    geom.commit("names")
    # Describe renamed, with one more escape further down; Keep deleted.
    geom.write(
        "geom/names.go",
        NAMES.replace("func Describe(p Point)", "func Label(p Point)")
        .replace("\treturn s\n", "\tkept = &p\n\treturn s\n")
        .replace("func Keep(p Point) *Point {\n\tq := p\n\treturn &q\n}\n", ""),
    )
    code, doc = goescape(geom, capsys)
    assert code == 1
    assert new_escapes(doc) == [("geom/names.go", 7, "Label", "moved to heap: p")]
    assert by_state(doc, "unchanged") == [
        ("geom/names.go", 8, "p.X escapes to heap"),
        ("geom/names.go", 8, "p.Y escapes to heap"),
    ]
    assert by_state(doc, "absent") == [("geom/names.go", 13, "moved to heap: q")]
    functions = {f["function"]["name"]: f for f in doc["functions"]}
    assert (functions["Label"]["new_function"], functions["Label"]["before"]) == (False, 2)
    assert (functions["Keep"]["changed"], functions["Keep"]["after"]) == (True, 0)
    assert doc["summary"]["removed"] == 1


def test_a_function_replaced_by_another_is_new(
    geom: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    geom.write("geom/names.go", NAMES)
    geom.commit("names")
    geom.write(
        "geom/names.go",
        NAMES.replace(
            "func Keep(p Point) *Point {\n\tq := p\n\treturn &q\n}\n",
            "func Copy(p Point) *Point {\n\tr := new(Point)\n\t*r = p\n\treturn r\n}\n",
        ),
    )
    code, doc = goescape(geom, capsys)
    assert code == 1
    # Keep's declaration line became Copy's, but Copy's body is another one: not a rename.
    assert new_escapes(doc) == [("geom/names.go", 13, "Copy", "new(Point) escapes to heap")]
    assert by_state(doc, "absent") == [("geom/names.go", 13, "moved to heap: q")]


def test_edit_that_keeps_escapes(geom: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    escaping = POINT.replace(") Point {", ") *Point {").replace("return r", "return &r")
    geom.write("geom/point.go", escaping)
    geom.commit("escape")
    geom.write("geom/point.go", escaping.replace("p.X + q.X", "q.X + p.X"))
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    assert code == 0
    assert [
        (f["function"]["display"], f["before"], f["after"], f["new"]) for f in doc["functions"]
    ] == [("Point.Add", 1, 1, 0)]
    assert by_state(doc, "unchanged") == [("geom/point.go", 6, "moved to heap: r")]
    assert by_state(doc, "new") == []


CALLEE = """
package geom

func wrap(p Point) Point { return p }

func Caller(p Point) Point {
	return wrap(p)
}
"""


def test_callee_change_induces_escape_in_unchanged_caller(
    geom: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    geom.write("geom/wrap.go", CALLEE)
    geom.commit("wrap")
    geom.write(
        "geom/wrap.go",
        CALLEE.replace(
            "func wrap(p Point) Point { return p }",
            "func wrap(p Point) Point { q := &p; return *keep(q) }\n\n"
            "var kept *Point\n\n"
            "func keep(p *Point) *Point { kept = p; return p }",
        ),
    )
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    induced = [(f["function"]["display"], f["message"]) for f in doc["findings"] if f["induced"]]
    assert ("Caller", "moved to heap: p") in induced
    assert all(f["function"]["display"] != "Caller" for f in doc["counted"])
    assert code == (1 if doc["counted"] else 0)

    code_strict, doc_strict = goescape(geom, capsys, "--base", "HEAD", "--fail-on-induced")
    assert code_strict == 1
    assert ("Caller", "moved to heap: p") in [
        (f["function"]["display"], f["message"]) for f in doc_strict["counted"]
    ]


def test_suppression_silences_and_is_listed(
    geom: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    geom.write(
        "geom/point.go",
        POINT.replace(") Point {", ") *Point {")
        .replace(
            "\tr := Point", "\t//goescape:ignore returned to the caller on purpose\n\tr := Point"
        )
        .replace("return r", "return &r"),
    )
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    assert code == 0
    suppressed = [
        (f["message"], f["suppression_reason"]) for f in doc["findings"] if f["suppressed"]
    ]
    assert suppressed == [("moved to heap: r", "returned to the caller on purpose")]
    assert doc["warnings"] == []


def test_suppression_without_reason_warns(
    geom: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    geom.write(
        "geom/point.go",
        POINT.replace(") Point {", ") *Point {")
        .replace(
            "\tr := Point{p.X + q.X, p.Y + q.Y}",
            "\tr := Point{p.X + q.X, p.Y + q.Y} //goescape:ignore",
        )
        .replace("return r", "return &r"),
    )
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    assert code == 0
    assert doc["warnings"] == ["geom/point.go:6: //goescape:ignore without a reason"]


def test_doc_comment_suppresses_whole_function(
    geom: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    geom.write(
        "geom/point.go",
        POINT.replace(") Point {", ") *Point {")
        .replace(
            "func (p Point) Add",
            "// Add adds.\n//goescape:ignore hot path measured\nfunc (p Point) Add",
        )
        .replace("return r", "return &r"),
    )
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    assert code == 0
    assert [f["suppression_reason"] for f in doc["findings"]] == ["hot path measured"]


def test_test_files_skipped_unless_tests(geom: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    geom.write(
        "geom/point_test.go",
        """
        package geom

        import "testing"

        var sink *Point

        func TestAdd(t *testing.T) {
        	p := Point{1, 2}
        	sink = &p
        }
        """,
    )
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    assert code == 0
    assert doc["skipped"] == [{"path": "geom/point_test.go", "reason": "test file (use --tests)"}]

    code, doc = goescape(geom, capsys, "--base", "HEAD", "--tests")
    assert code == 1
    assert new_escapes(doc) == [("geom/point_test.go", 8, "TestAdd", "moved to heap: p")]


def test_generated_files_skipped_and_counted(
    geom: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    geom.write(
        "geom/zz_generated.go",
        """
        // Code generated by stringer; DO NOT EDIT.

        package geom

        func Gen() *int { x := 1; return &x }
        """,
    )
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    assert code == 0
    assert doc["skipped"] == [{"path": "geom/zz_generated.go", "reason": "generated file"}]
    code = main(["-C", str(geom.path), "--base", "HEAD"])
    assert "1 generated file" in capsys.readouterr().out


def test_two_module_repository(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.go_module("example.com/a", "a")
    repo.go_module("example.com/b", "b")
    repo.write("a/a.go", "package a\n\nfunc A() int { x := 1; return x }\n")
    repo.write("b/lib/b.go", "package lib\n\nfunc B() int { y := 2; return y }\n")
    repo.commit("two modules")
    repo.write("a/a.go", "package a\n\nfunc A() *int { x := 1; return &x }\n")
    repo.write("b/lib/b.go", "package lib\n\nfunc B() *int { y := 2; return &y }\n")
    code, doc = goescape(repo, capsys, "--base", "HEAD")
    assert code == 1
    assert new_escapes(doc) == [
        ("a/a.go", 3, "A", "moved to heap: x"),
        ("b/lib/b.go", 3, "B", "moved to heap: y"),
    ]
    assert {f["function"]["package"] for f in doc["counted"]} == {
        "example.com/a",
        "example.com/b/lib",
    }


def test_staged_content_is_what_counts_in_a_commit_hook(
    geom: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """Untracked new files of a package are part of the working tree the compiler sees."""
    geom.write("geom/extra.go", "package geom\n\nfunc Extra() *int { v := 1; return &v }\n")
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    assert code == 1
    assert new_escapes(doc) == [("geom/extra.go", 3, "Extra", "moved to heap: v")]


def test_build_tags_apply_to_both_sides(geom: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    geom.write(
        "geom/special.go",
        """
        //go:build special

        package geom

        func Special() int { x := 1; return x }
        """,
    )
    geom.commit("special")
    geom.write(
        "geom/special.go",
        geom.read("geom/special.go").replace(
            "int { x := 1; return x }", "*int { x := 1; return &x }"
        ),
    )
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    assert (code, doc["counted"]) == (0, [])  # excluded from the default build
    code, doc = goescape(geom, capsys, "--base", "HEAD", "--tags", "special")
    assert code == 1
    assert new_escapes(doc) == [("geom/special.go", 5, "Special", "moved to heap: x")]


def test_escape_of_an_inlined_callee_points_at_it(
    geom: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    geom.write(
        "geom/make.go",
        """
        package geom

        var keep *Point

        func newPoint() *Point { return &Point{} }

        func Use() {
        	_ = 1
        }
        """,
    )
    geom.commit("make")
    geom.write("geom/make.go", geom.read("geom/make.go").replace("\t_ = 1", "\tkeep = newPoint()"))
    code, doc = goescape(geom, capsys, "--base", "HEAD")
    assert code == 1
    [finding] = doc["counted"]
    assert (finding["line"], finding["function"]["display"]) == (8, "Use")
    assert finding["message"] == "&Point{} escapes to heap"
    assert finding["inlined"] == "newPoint"
    assert finding["inlined_from"] == {"path": "geom/make.go", "line": 5, "col": 1}


LOOP = """
package geom

func Pointers(xs []int) []*int {
	var out []*int
	for _, x := range xs {
		out = append(out, &x)
	}
	return out
}
"""


def test_go_mod_differs_between_base_and_head(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """Base compiles with its own go.mod (through the overlay). Under `go 1.21` the loop
    variable is one variable for the whole loop, so the parameter's content leaks; under
    `go 1.22` each iteration has its own, and the leak is gone: seen only if each side
    really used its own go.mod."""
    repo.write("go.mod", "module example.com/m\n\ngo 1.21\n")
    repo.write("geom/loop.go", LOOP)
    repo.commit("go 1.21")
    repo.write("go.mod", "module example.com/m\n\ngo 1.22\n")
    repo.write("geom/loop.go", LOOP.replace("var out []*int", "var out []*int // collected"))
    code, doc = goescape(repo, capsys, "--base", "HEAD")
    assert code == 0, doc
    assert ("geom/loop.go", 5, "moved to heap: x") in by_state(doc, "unchanged")
    assert by_state(doc, "absent") == [("geom/loop.go", 3, "leaking param content: xs")]
    assert by_state(doc, "new") == []


def test_go_work_workspace(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("go.work", "go 1.21\n\nuse (\n\t./lib\n\t./app\n)\n")
    repo.go_module("example.com/lib", "lib")
    repo.go_module("example.com/app", "app")
    repo.write("lib/lib.go", "package lib\n\nfunc Value() int { return 1 }\n")
    repo.write(
        "app/main.go",
        'package main\n\nimport "example.com/lib"\n\nfunc main() { println(lib.Value()) }\n',
    )
    repo.commit("workspace")
    repo.write(
        "lib/lib.go",
        "package lib\n\nvar Kept *int\n\nfunc Value() int { v := 1; Kept = &v; return v }\n",
    )
    code, doc = goescape(repo, capsys, "--base", "HEAD")
    assert code == 1
    assert new_escapes(doc) == [("lib/lib.go", 5, "Value", "moved to heap: v")]
