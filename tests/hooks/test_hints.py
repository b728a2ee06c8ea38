"""Fix hints chosen from real compiler output (-m=2 of Go 1.27 and 1.22, and plain -m)."""

from __future__ import annotations

import pytest
from goescape import hints
from goescape.escapes import Escape, parse


def _escape(text: str, message: str) -> Escape:
    (found,) = [e for e in parse(text) if e.message == message]
    return found


M2_CASES = [
    pytest.param(
        "moved to heap: p",
        """\
geom/geom.go:17:2: p escapes to heap in NewPoint:
geom/geom.go:17:2:   flow: ~r0 ← &p:
geom/geom.go:17:2:     from &p (address-of) at geom/geom.go:18:9
geom/geom.go:17:2:     from return &p (return) at geom/geom.go:18:2
geom/geom.go:17:2: moved to heap: p
""",
        hints.POINTER_RETURNED,
        id="1.27 moved to heap: p",
    ),
    pytest.param(
        "moved to heap: p",
        """\
geom/geom.go:17:2: p escapes to heap:
geom/geom.go:17:2:   flow: ~r0 = &p:
geom/geom.go:17:2:     from &p (address-of) at geom/geom.go:18:9
geom/geom.go:17:2:     from return &p (return) at geom/geom.go:18:2
geom/geom.go:17:2: moved to heap: p
""",
        hints.POINTER_RETURNED,
        id="1.22 moved to heap: p",
    ),
    pytest.param(
        "&Big{} escapes to heap",
        """\
ex/ex.go:40:9: &Big{} escapes to heap in Amp:
ex/ex.go:40:9:   flow: ~r0 ← &{storage for &Big{}}:
ex/ex.go:40:9:     from &Big{} (spill) at ex/ex.go:40:9
ex/ex.go:40:9:     from return &Big{} (return) at ex/ex.go:40:2
ex/ex.go:40:9: &Big{} escapes to heap
""",
        hints.POINTER_RETURNED,
        id="1.27 &Big{} escapes to heap",
    ),
    pytest.param(
        "new(Point) escapes to heap",
        """\
geom/geom.go:121:12: new(Point) escapes to heap in Alloc:
geom/geom.go:121:12:   flow: ~r0 ← &{storage for new(Point)}:
geom/geom.go:121:12:     from new(Point) (spill) at geom/geom.go:121:12
geom/geom.go:121:12:     from return new(Point) (return) at geom/geom.go:121:2
geom/geom.go:121:12: new(Point) escapes to heap
""",
        hints.POINTER_RETURNED,
        id="1.27 new(Point) escapes to heap",
    ),
    pytest.param(
        "moved to heap: n",
        """\
geom/geom.go:35:2: n escapes to heap in Counter:
geom/geom.go:35:2:   flow: {storage for func literal} ← &n:
geom/geom.go:35:2:     from n (captured by a closure) at geom/geom.go:37:3
geom/geom.go:35:2:     from n (reference) at geom/geom.go:37:3
geom/geom.go:35:2: moved to heap: n
""",
        hints.CLOSURE_CAPTURE,
        id="1.27 moved to heap: n",
    ),
    pytest.param(
        "moved to heap: total",
        """\
mo/mo.go:39:2: total escapes to heap:
mo/mo.go:39:2:   flow: {storage for func literal} = &total:
mo/mo.go:39:2:     from total (captured by a closure) at mo/mo.go:41:3
mo/mo.go:39:2:     from total (reference) at mo/mo.go:41:3
mo/mo.go:39:2: moved to heap: total
""",
        hints.CLOSURE_CAPTURE,
        id="1.22 moved to heap: total",
    ),
    pytest.param(
        "func literal escapes to heap",
        """\
geom/geom.go:36:9: func literal escapes to heap in Counter:
geom/geom.go:36:9:   flow: ~r0 ← &{storage for func literal}:
geom/geom.go:36:9:     from func literal (spill) at geom/geom.go:36:9
geom/geom.go:36:9:     from return func literal (return) at geom/geom.go:36:2
geom/geom.go:36:9: func literal escapes to heap
""",
        hints.CLOSURE,
        id="1.27 func literal escapes to heap",
    ),
    pytest.param(
        "func literal escapes to heap",
        """\
geom/geom.go:44:5: func literal escapes to heap in Spawn:
geom/geom.go:44:5:   flow: {heap} ← &{storage for func literal}:
geom/geom.go:44:5:     from func literal (spill) at geom/geom.go:44:5
geom/geom.go:44:5: func literal escapes to heap
""",
        hints.CLOSURE,
        id="1.27 func literal escapes to heap",
    ),
    pytest.param(
        "v escapes to heap",
        """\
geom/geom.go:30:20: v escapes to heap in Describe:
geom/geom.go:30:20:   flow: {storage for ... argument} ← &{storage for v}:
geom/geom.go:30:20:     from v (spill) at geom/geom.go:30:20
geom/geom.go:30:20:     from ... argument (slice-literal-element) at geom/geom.go:30:19
geom/geom.go:30:20:   flow: {heap} ← {storage for ... argument}:
geom/geom.go:30:20:     from ... argument (spill) at geom/geom.go:30:19
geom/geom.go:30:20:     from fmt.Sprint(... argument...) (call parameter) at geom/geom.go:30:19
geom/geom.go:30:20: v escapes to heap
""",
        hints.INTERFACE_ARGUMENT,
        id="1.27 v escapes to heap",
    ),
    pytest.param(
        "x escapes to heap",
        """\
ex/ex.go:16:14: x escapes to heap:
ex/ex.go:16:14:   flow: {storage for ... argument} = &{storage for x}:
ex/ex.go:16:14:     from x (spill) at ex/ex.go:16:14
ex/ex.go:16:14:     from ... argument (slice-literal-element) at ex/ex.go:16:13
ex/ex.go:16:14:   flow: fmt.a = &{storage for ... argument}:
ex/ex.go:16:14:     from ... argument (spill) at ex/ex.go:16:13
ex/ex.go:16:14:     from fmt.a := ... argument (assign-pair) at ex/ex.go:16:13
ex/ex.go:16:14:   flow: {heap} = *fmt.a:
ex/ex.go:16:14:     from fmt.Fprintln(os.Stdout, fmt.a...) (call parameter) at ex/ex.go:16:13
ex/ex.go:16:14: x escapes to heap
""",
        hints.INTERFACE_ARGUMENT,
        id="1.22 x escapes to heap",
    ),
    pytest.param(
        "a + b escapes to heap",
        """\
mo/mo.go:69:16: a + b escapes to heap in Sum:
mo/mo.go:69:16:   flow: {storage for ... argument} ← &{storage for a + b}:
mo/mo.go:69:16:     from a + b (spill) at mo/mo.go:69:16
mo/mo.go:69:16:     from ... argument (slice-literal-element) at mo/mo.go:69:13
mo/mo.go:69:16:   flow: fmt.a ← &{storage for ... argument}:
mo/mo.go:69:16:     from ... argument (spill) at mo/mo.go:69:13
mo/mo.go:69:16:     from fmt.a := ... argument (assign-pair) at mo/mo.go:69:13
mo/mo.go:69:16:   flow: {heap} ← *fmt.a:
mo/mo.go:69:16:     from fmt.Fprintln(os.Stdout, fmt.a...) (call parameter) at mo/mo.go:69:13
mo/mo.go:69:16: a + b escapes to heap
""",
        hints.INTERFACE_ARGUMENT,
        id="1.27 a + b escapes to heap",
    ),
    pytest.param(
        "b escapes to heap",
        """\
ex/ex.go:12:9: b escapes to heap in Iface:
ex/ex.go:12:9:   flow: {heap} ← &{storage for b}:
ex/ex.go:12:9:     from b (spill) at ex/ex.go:12:9
ex/ex.go:12:9:     from sink = b (assign) at ex/ex.go:12:7
ex/ex.go:12:9: b escapes to heap
""",
        hints.INTERFACE,
        id="1.27 b escapes to heap",
    ),
    pytest.param(
        "~r0 escapes to heap",
        """\
mo/mo.go:59:15: ~r0 escapes to heap in Call:
mo/mo.go:59:15:   flow: {heap} ← &{storage for ~r0}:
mo/mo.go:59:15:     from ~r0 (spill) at mo/mo.go:59:15
mo/mo.go:59:15:     from sink = ~r0 (assign) at mo/mo.go:59:7
mo/mo.go:59:15: ~r0 escapes to heap
""",
        hints.INTERFACE,
        id="1.27 ~r0 escapes to heap",
    ),
    pytest.param(
        "t.A escapes to heap",
        """\
mo/mo.go:55:10: t.A escapes to heap:
mo/mo.go:55:10:   flow: {heap} = &{storage for t.A}:
mo/mo.go:55:10:     from t.A (spill) at mo/mo.go:55:10
mo/mo.go:55:10:     from sink = t.A (assign) at mo/mo.go:55:7
mo/mo.go:55:10: t.A escapes to heap
""",
        hints.SELECTOR,
        id="1.22 t.A escapes to heap",
    ),
    pytest.param(
        "(~r0).compile escapes to heap",
        # go-json's `compile := newCompiler().compile; lastCompile = compile` (path shortened).
        """enc/c.go:97:26: (~r0).compile escapes to heap in slowPath:
enc/c.go:97:26:   flow: compile ← &{storage for (~r0).compile}:
enc/c.go:97:26:     from (~r0).compile (spill) at enc/c.go:97:26
enc/c.go:97:26:     from compile := (~r0).compile (assign) at enc/c.go:97:10
enc/c.go:97:26:   flow: {heap} ← compile:
enc/c.go:97:26:     from lastCompile = compile (assign) at enc/c.go:98:14
enc/c.go:97:26: (~r0).compile escapes to heap
""",
        hints.SELECTOR,
        id="1.27 (~r0).compile escapes to heap",
    ),
    pytest.param(
        "map[uintptr]*StructCode{} escapes to heap",
        # go-json: the map a struct literal holds, the struct escaping; no interface anywhere.
        """enc/c.go:97:24: map[uintptr]*StructCode{} escapes to heap in slowPath:
enc/c.go:97:24:   flow: {storage for &Compiler{...}} ← &{storage for map[uintptr]*StructCode{}}:
enc/c.go:97:24:     from map[uintptr]*StructCode{} (spill) at enc/c.go:97:24
enc/c.go:97:24:     from Compiler{...} (struct literal element) at enc/c.go:97:24
enc/c.go:97:24: map[uintptr]*StructCode{} escapes to heap
""",
        hints.ALLOCATION_KEPT,
        id="1.27 map[uintptr]*StructCode{} escapes to heap",
    ),
    pytest.param(
        "append escapes to heap",
        """\
ex/ex.go:50:15: append(out, x) escapes to heap in Grow:
ex/ex.go:50:15:   flow: out ← &{storage for append(out, x)}:
ex/ex.go:50:15:     from append(out, x) (spill) at ex/ex.go:50:15
ex/ex.go:50:15:     from out = append(out, x) (assign) at ex/ex.go:50:7
ex/ex.go:50:15:   flow: ~r0 ← out:
ex/ex.go:50:15:     from return out (return) at ex/ex.go:52:2
ex/ex.go:50:15: append escapes to heap
""",
        hints.APPEND_RETURNED,
        id="1.27 append escapes to heap, returned",
    ),
    pytest.param(
        "make([]byte, n) escapes to heap",
        """\
geom/geom.go:56:13: make([]byte, n) escapes to heap in Buffer:
geom/geom.go:56:13:   flow: ~r0 ← &{storage for make([]byte, n)}:
geom/geom.go:56:13:     from make([]byte, n) (spill) at geom/geom.go:56:13
geom/geom.go:56:13:     from return make([]byte, n) (return) at geom/geom.go:56:2
geom/geom.go:56:13: make([]byte, n) escapes to heap
""",
        hints.RETURNED_ALLOCATION,
        id="1.27 make([]byte, n) escapes to heap",
    ),
    pytest.param(
        "make([]byte, n) escapes to heap",
        """\
mo/mo.go:14:11: make([]byte, n) escapes to heap:
mo/mo.go:14:11:   flow: {heap} = &{storage for make([]byte, n)}:
mo/mo.go:14:11:     from make([]byte, n) (non-constant size) at mo/mo.go:14:11
mo/mo.go:14:11: make([]byte, n) escapes to heap
""",
        hints.NON_CONSTANT_SIZE,
        id="1.22 make([]byte, n) escapes to heap",
    ),
    pytest.param(
        "make([]byte, 16) escapes to heap",
        """\
ex/ex.go:20:11: make([]byte, 16) escapes to heap in MakeFixed:
ex/ex.go:20:11:   flow: b ← &{storage for make([]byte, 16)}:
ex/ex.go:20:11:     from make([]byte, 16) (spill) at ex/ex.go:20:11
ex/ex.go:20:11:     from b := make([]byte, 16) (assign) at ex/ex.go:20:4
ex/ex.go:20:11:   flow: {storage for b} ← b:
ex/ex.go:20:11:     from b (interface-converted) at ex/ex.go:21:9
ex/ex.go:20:11: make([]byte, 16) escapes to heap
""",
        hints.ALLOCATION_KEPT,
        id="1.27 make([]byte, 16) escapes to heap",
    ),
    pytest.param(
        "make([]byte, 1048576) escapes to heap",
        """\
mo/mo.go:19:11: make([]byte, 1048576) escapes to heap in TooBig:
mo/mo.go:19:11:   flow: {heap} ← &{storage for make([]byte, 1048576)}:
mo/mo.go:19:11:     from make([]byte, 1048576) (too large for stack) at mo/mo.go:19:11
mo/mo.go:19:11: make([]byte, 1048576) escapes to heap
""",
        hints.TOO_LARGE,
        id="1.27 make([]byte, 1048576) escapes to heap",
    ),
    pytest.param(
        "moved to heap: a",
        """\
mo/mo.go:24:6: a escapes to heap:
mo/mo.go:24:6:   flow: {heap} = &a:
mo/mo.go:24:6:     from a (too large for stack) at mo/mo.go:24:6
mo/mo.go:24:6: moved to heap: a
""",
        hints.TOO_LARGE,
        id="1.22 moved to heap: a",
    ),
    pytest.param(
        "moved to heap: x",
        """\
mo/mo.go:29:2: x escapes to heap in StoreAddr:
mo/mo.go:29:2:   flow: {heap} ← &x:
mo/mo.go:29:2:     from &x (address-of) at mo/mo.go:30:6
mo/mo.go:29:2:     from g = &x (assign) at mo/mo.go:30:4
mo/mo.go:29:2: moved to heap: x
""",
        hints.ADDRESS_STORED,
        id="1.27 moved to heap: x",
    ),
    pytest.param(
        "moved to heap: x",
        """\
mo/mo.go:73:9: x escapes to heap in Loop:
mo/mo.go:73:9:   flow: {heap} ← &x:
mo/mo.go:73:9:     from &x (address-of) at mo/mo.go:74:7
mo/mo.go:73:9:     from g = &x (assign) at mo/mo.go:74:5
mo/mo.go:73:9: moved to heap: x
""",
        hints.ADDRESS_STORED,
        id="1.27 moved to heap: x",
    ),
    pytest.param(
        "... argument escapes to heap",
        """\
geom/geom.go:106:6: ... argument escapes to heap in CallLogf:
geom/geom.go:106:6:   flow: args ← &{storage for ... argument}:
geom/geom.go:106:6:     from ... argument (spill) at geom/geom.go:106:6
geom/geom.go:106:6:     from args := ... argument (assign-pair) at geom/geom.go:106:6
geom/geom.go:106:6:   flow: {heap} ← args:
geom/geom.go:106:6:     from sinkArgs = args (assign) at geom/geom.go:106:6
geom/geom.go:106:6: ... argument escapes to heap
""",
        hints.VARIADIC,
        id="1.27 ... argument escapes to heap",
    ),
    pytest.param(
        "s + string(b) escapes to heap",
        """\
geom/geom.go:75:9: s + string(b) escapes to heap:
geom/geom.go:75:9:   flow: t = &{storage for s + string(b)}:
geom/geom.go:75:9:     from s + string(b) (spill) at geom/geom.go:75:9
geom/geom.go:75:9:     from t := s + string(b) (assign) at geom/geom.go:75:4
geom/geom.go:75:9:   flow: {storage for t} = t:
geom/geom.go:75:9:     from t (interface-converted) at geom/geom.go:76:9
geom/geom.go:75:9: s + string(b) escapes to heap
""",
        hints.STRING_CONCAT,
        id="1.22 s + string(b) escapes to heap",
    ),
    pytest.param(
        "string(b) escapes to heap",
        """\
geom/geom.go:116:15: string(b) escapes to heap in Str:
geom/geom.go:116:15:   flow: {heap} ← &{storage for string(b)}:
geom/geom.go:116:15:     from string(b) (spill) at geom/geom.go:116:15
geom/geom.go:116:15:     from sink = string(b) (assign) at geom/geom.go:116:7
geom/geom.go:116:15: string(b) escapes to heap
""",
        hints.STRING_CONVERSION,
        id="1.27 string(b) escapes to heap",
    ),
    pytest.param(
        "([]byte)(s) escapes to heap",
        """\
mo/mo.go:47:14: ([]byte)(s) escapes to heap:
mo/mo.go:47:14:   flow: {heap} = &{storage for ([]byte)(s)}:
mo/mo.go:47:14:     from ([]byte)(s) (spill) at mo/mo.go:47:14
mo/mo.go:47:14:     from gs = ([]byte)(s) (assign) at mo/mo.go:47:5
mo/mo.go:47:14: ([]byte)(s) escapes to heap
""",
        hints.STRING_CONVERSION,
        id="1.22 ([]byte)(s) escapes to heap",
    ),
    pytest.param(
        "p.Add escapes to heap",
        """\
geom/geom.go:70:10: p.Add escapes to heap in Bound:
geom/geom.go:70:10:   flow: ~r0 ← &{storage for p.Add}:
geom/geom.go:70:10:     from p.Add (spill) at geom/geom.go:70:10
geom/geom.go:70:10:     from return p.Add (return) at geom/geom.go:70:2
geom/geom.go:70:10: p.Add escapes to heap
""",
        hints.METHOD_VALUE,
        id="1.27 p.Add escapes to heap",
    ),
    pytest.param(
        "b.Sum escapes to heap",
        """\
ex/ex.go:36:10: b.Sum escapes to heap:
ex/ex.go:36:10:   flow: ~r0 = &{storage for b.Sum}:
ex/ex.go:36:10:     from b.Sum (spill) at ex/ex.go:36:10
ex/ex.go:36:10:     from return b.Sum (return) at ex/ex.go:36:2
ex/ex.go:36:10: b.Sum escapes to heap
""",
        hints.METHOD_VALUE,
        id="1.22 b.Sum escapes to heap",
    ),
    pytest.param(
        "[]int{...} escapes to heap",
        """\
ex/ex.go:26:14: []int{...} escapes to heap in SliceLit:
ex/ex.go:26:14:   flow: ~r0 ← &{storage for []int{...}}:
ex/ex.go:26:14:     from []int{...} (spill) at ex/ex.go:26:14
ex/ex.go:26:14:     from return []int{...} (return) at ex/ex.go:26:2
ex/ex.go:26:14: []int{...} escapes to heap
""",
        hints.RETURNED_ALLOCATION,
        id="1.27 []int{...} escapes to heap",
    ),
    pytest.param(
        "map[string]int{...} escapes to heap",
        """\
mo/mo.go:51:23: map[string]int{...} escapes to heap:
mo/mo.go:51:23:   flow: ~r0 = &{storage for map[string]int{...}}:
mo/mo.go:51:23:     from map[string]int{...} (spill) at mo/mo.go:51:23
mo/mo.go:51:23:     from return map[string]int{...} (return) at mo/mo.go:51:2
mo/mo.go:51:23: map[string]int{...} escapes to heap
""",
        hints.RETURNED_ALLOCATION,
        id="1.22 map[string]int{...} escapes to heap",
    ),
    pytest.param(
        "make(map[string]int) escapes to heap",
        """\
ex/ex.go:44:13: make(map[string]int) escapes to heap in MapMake:
ex/ex.go:44:13:   flow: ~r0 ← &{storage for make(map[string]int)}:
ex/ex.go:44:13:     from make(map[string]int) (spill) at ex/ex.go:44:13
ex/ex.go:44:13:     from return make(map[string]int) (return) at ex/ex.go:44:2
ex/ex.go:44:13: make(map[string]int) escapes to heap
""",
        hints.RETURNED_ALLOCATION,
        id="1.27 make(map[string]int) escapes to heap",
    ),
    pytest.param(
        "leaking param: p to result ~r0 level=0",
        """\
geom/geom.go:22:7: parameter p leaks to ~r0 for (*Point).Add with derefs=0:
geom/geom.go:22:7:   flow: ~r0 ← p:
geom/geom.go:22:7:     from return p (return) at geom/geom.go:25:2
geom/geom.go:22:7: leaking param: p to result ~r0 level=0
""",
        hints.LEAK_TO_RESULT,
        id="1.27 leaking param: p to result ~r0 level=0",
    ),
    pytest.param(
        "leaking param: p",
        """\
geom/geom.go:83:11: parameter p leaks to {heap} for Keep with derefs=0:
geom/geom.go:83:11:   flow: {heap} ← p:
geom/geom.go:83:11:     from p (interface-converted) at geom/geom.go:84:9
geom/geom.go:83:11:     from sink = p (assign) at geom/geom.go:84:7
geom/geom.go:83:11: leaking param: p
""",
        hints.LEAK_TO_HEAP,
        id="1.27 leaking param: p",
    ),
    pytest.param(
        "leaking param content: ps",
        """\
geom/geom.go:110:12: parameter ps leaks to {heap} with derefs=1:
geom/geom.go:110:12:   flow: {heap} = *ps:
geom/geom.go:110:12:     from ps[0] (dot of pointer) at geom/geom.go:111:11
geom/geom.go:110:12:     from ps[0] (interface-converted) at geom/geom.go:111:11
geom/geom.go:110:12:     from sink = ps[0] (assign) at geom/geom.go:111:7
geom/geom.go:110:12: leaking param content: ps
""",
        hints.LEAK_CONTENT,
        id="1.22 leaking param content: ps",
    ),
]


@pytest.mark.parametrize(("message", "text", "expected"), M2_CASES)
def test_flow_explanation_picks_the_hint(message: str, text: str, expected: str) -> None:
    escape = _escape(text, message)
    assert escape.flow, "the -m=2 explanation must reach the escape"
    assert hints.category(escape) == expected
    assert hints.hint_for(escape) == hints.HINTS[expected]


# Plain -m: no flow, only the compiler's line. Go 1.22 and 1.27 print these alike.
PLAIN_CASES = [
    ("geom/geom.go:17:2: moved to heap: p", hints.MOVED_GENERIC),
    ("geom/geom.go:36:9: func literal escapes to heap", hints.CLOSURE),
    ("geom/geom.go:106:6: ... argument escapes to heap", hints.VARIADIC),
    ("geom/geom.go:63:15: append escapes to heap", hints.SLICE_GROWTH),
    ("geom/geom.go:56:13: make([]byte, n) escapes to heap", hints.NON_CONSTANT_SIZE),
    ("mo/mo.go:14:11: make([]byte, n) escapes to heap", hints.NON_CONSTANT_SIZE),
    ("ex/ex.go:20:11: make([]byte, 16) escapes to heap", hints.ALLOCATION_KEPT),
    ("mo/mo.go:19:11: make([]byte, 1048576) escapes to heap", hints.ALLOCATION_KEPT),
    ("ex/ex.go:44:13: make(map[string]int) escapes to heap", hints.ALLOCATION_KEPT),
    ("geom/geom.go:13:37: &Point{} escapes to heap", hints.ALLOCATION_KEPT),
    ("geom/geom.go:121:12: new(Point) escapes to heap", hints.ALLOCATION_KEPT),
    ("ex/ex.go:26:14: []int{...} escapes to heap", hints.ALLOCATION_KEPT),
    ("geom/geom.go:30:20: v escapes to heap", hints.INTERFACE),
    ('geom/geom.go:106:10: "a" escapes to heap', hints.INTERFACE),
    ("mo/mo.go:59:15: ~r0 escapes to heap", hints.INTERFACE),
    ("geom/geom.go:75:9: s + string(b) escapes to heap", hints.STRING_CONCAT),
    (
        'geom/geom.go:51:43: strings.Join([]string{...}, ",") + fmt.Sprintln(... argument...)'
        " escapes to heap",
        hints.STRING_CONCAT,
    ),
    ("geom/geom.go:116:15: string(b) escapes to heap", hints.STRING_CONVERSION),
    ("mo/mo.go:47:14: ([]byte)(s) escapes to heap", hints.STRING_CONVERSION),
    ("geom/geom.go:70:10: p.Add escapes to heap", hints.SELECTOR),
    ("mo/mo.go:55:10: t.A escapes to heap", hints.SELECTOR),
    ("geom/geom.go:22:7: leaking param: p to result ~r0 level=0", hints.LEAK_TO_RESULT),
    ("geom/geom.go:43:12: leaking param: ch", hints.LEAK_TO_HEAP),
    ("geom/geom.go:110:12: leaking param content: ps", hints.LEAK_CONTENT),
]


@pytest.mark.parametrize(("line", "expected"), PLAIN_CASES)
def test_without_flow_the_expression_picks_the_hint(line: str, expected: str) -> None:
    (escape,) = parse(f"# example.com/esc/geom\n{line}\n")
    assert not escape.flow
    assert hints.category(escape) == expected


def test_the_pointer_return_hint_reads_as_documented() -> None:
    text = M2_CASES[0].values[1]
    assert isinstance(text, str)
    (escape,) = parse(text)
    assert hints.hint_for(escape) == (
        "return the value, not a pointer to it: strings, slices and small structs copy cheaply"
    )


# Shapes whose hint was wrong before the flow decided it (go1.27.3, `go build -gcflags=-m=2`).
FLOW_CASES = [
    pytest.param(
        "moved to heap: b",
        """\
geom/geom.go:51:6: b escapes to heap in Buf:
geom/geom.go:51:6:   flow: ~r0 ← &b:
geom/geom.go:51:6:     from b (address-of) at geom/geom.go:52:10
geom/geom.go:51:6:     from b[:] (slice) at geom/geom.go:52:10
geom/geom.go:51:6:     from return b[:] (return) at geom/geom.go:52:2
geom/geom.go:51:6: moved to heap: b
""",
        hints.SLICE_OF_LOCAL,
        id="return b[:] of a local array is not a small struct",
    ),
    pytest.param(
        "moved to heap: s",
        """\
h.go:6:2: s escapes to heap in StrPtr:
h.go:6:2:   flow: ~r0 ← &s:
h.go:6:2:     from &s (address-of) at h.go:7:9
h.go:6:2:     from return &s (return) at h.go:7:2
h.go:6:2: moved to heap: s
""",
        hints.POINTER_RETURNED,
        id="return &s of a string: the hint names strings",
    ),
    pytest.param(
        "&E{...} escapes to heap",
        """\
h.go:29:9: &E{...} escapes to heap in Err:
h.go:29:9:   flow: ~r0 ← &{storage for &E{...}}:
h.go:29:9:     from &E{...} (spill) at h.go:29:9
h.go:29:9:     from &E{...} (interface-converted) at h.go:29:9
h.go:29:9:     from return &E{...} (return) at h.go:29:2
h.go:29:9: &E{...} escapes to heap
""",
        hints.INTERFACE,
        id="return &E{...} as an error: boxed, not a pointer to give up",
    ),
    pytest.param(
        "append escapes to heap",
        """\
h.go:12:13: append(xs, n) escapes to heap in SlicePtr:
h.go:12:13:   flow: xs ← &{storage for append(xs, n)}:
h.go:12:13:     from append(xs, n) (spill) at h.go:12:13
h.go:12:13:     from xs = append(xs, n) (assign) at h.go:12:5
h.go:12:13: append escapes to heap
""",
        hints.SLICE_GROWTH,
        id="append kept, not returned: preallocate",
    ),
]


@pytest.mark.parametrize(("message", "text", "expected"), FLOW_CASES)
def test_flow_corrects_the_hint(message: str, text: str, expected: str) -> None:
    escape = _escape(text, message)
    assert hints.category(escape) == expected


def test_a_cold_escape_gets_no_hot_path_advice() -> None:
    text = """\
geom/geom.go:24:36: n escapes to heap in Parse:
geom/geom.go:24:36:   flow: {storage for ... argument} ← &{storage for n}:
geom/geom.go:24:36:     from n (spill) at geom/geom.go:24:36
geom/geom.go:24:36:     from ... argument (slice-literal-element) at geom/geom.go:24:20
geom/geom.go:24:36: n escapes to heap
"""
    escape = _escape(text, "n escapes to heap")
    assert hints.category(escape) == hints.INTERFACE_ARGUMENT
    assert "hot path" in hints.hint_for(escape)
    assert hints.category(escape, cold="panic argument") == hints.COLD
    cold_hint = hints.hint_for(escape, cold="panic argument")
    assert "hot path" not in cold_hint
    assert "strconv" not in cold_hint
    # A leak says what callers pay, wherever it is.
    (leak,) = parse("# p\np/p.go:3:8: leaking param: err\n")
    assert hints.category(leak, cold="error return") == hints.LEAK_TO_HEAP


def test_every_hint_is_one_short_distinct_line() -> None:
    texts = list(hints.HINTS.values())
    assert len(set(texts)) == len(texts)
    for text in texts:
        assert "\n" not in text
        assert len(text) <= 100, text


@pytest.mark.parametrize(
    ("expr", "constant"),
    [
        ("make([]byte, n)", False),
        ("make([]byte, 0, n)", False),
        ("make([]byte, len(s))", False),
        ("make([]byte, 16)", True),
        ("make([]byte, 0, 1 << 10)", True),
        ("make([]int, 0x40)", True),
        ("make(map[string]int, n)", True),  # a map's size is a hint, not why it escapes
        ("make(chan int)", True),
    ],
)
def test_make_size_constness(expr: str, constant: bool) -> None:
    escape = Escape("p", "p/p.go", 3, 9, "escapes to heap", expr, f"{expr} escapes to heap")
    expected = hints.ALLOCATION_KEPT if constant else hints.NON_CONSTANT_SIZE
    assert hints.category(escape) == expected
