"""The four SARIF rules goescape reports under, with the help text viewers show.

docs/sarif.md repeats every help text verbatim (a test keeps the two in step).
"""

from __future__ import annotations

from typing import NamedTuple

from goescape.escapes import ESCAPES, LEAK, MOVED

INDUCED = "induced"  # not an escape kind: the rule for escapes in functions the change left alone

_SUPPRESS = (
    "If the allocation is intended, write `//goescape:ignore <reason>` at the end of its line "
    "or alone on the line above it (or in the function's doc comment to cover the whole "
    "function). goescape then stops counting it, keeps it in its own SARIF with an in-source "
    "suppression and the reason, and leaves it out of the file uploaded to code scanning."
)


class Rule(NamedTuple):
    id: str  # stable: code scanning keys alerts on it; never renumber
    name: str
    kind: str  # MOVED, ESCAPES, LEAK or INDUCED
    short: str
    full: str
    meaning: str
    cost: str
    fix: str
    before: str  # Go code with the escape
    after: str  # the same code without it
    hint: str  # one or two sentences for a result when no better hint is known

    @property
    def help_text(self) -> str:
        return "\n\n".join(
            [
                f"What it means: {self.meaning}",
                f"What it costs: {self.cost}",
                f"How to fix it: {self.fix}",
                f"Before:\n\n{_indent(self.before)}",
                f"After:\n\n{_indent(self.after)}",
                f"Suppressing it: {_SUPPRESS}",
            ]
        )

    @property
    def help_markdown(self) -> str:
        return "\n\n".join(
            [
                f"**What it means.** {self.meaning}",
                f"**What it costs.** {self.cost}",
                f"**How to fix it.** {self.fix}",
                f"Before:\n\n```go\n{self.before}\n```",
                f"After:\n\n```go\n{self.after}\n```",
                f"**Suppressing it.** {_SUPPRESS}",
            ]
        )


def _indent(code: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in code.splitlines())


NEW_HEAP_VARIABLE = Rule(
    id="GOESC1001",
    name="NewHeapVariable",
    kind=MOVED,
    short="A changed function now moves a local variable to the heap.",
    full=(
        "The Go compiler reports `moved to heap: x`: a variable of this function is allocated "
        "on the heap at every call instead of living in the function's stack frame, and it "
        "was not before the change."
    ),
    meaning=(
        "the compiler cannot prove that the variable is dead once the function returns: its "
        "address is returned, stored somewhere that outlives the call, captured by a closure "
        "that escapes, or passed to code the compiler cannot see through."
    ),
    cost=(
        "one heap allocation per call (per iteration inside a loop) plus garbage collector "
        "work; in hot code it shows up as allocs/op in `go test -bench . -benchmem`."
    ),
    fix=(
        "keep the address from outliving the call: return the value instead of a pointer, let "
        "the caller pass the storage in, or stop capturing the variable in a closure that "
        "escapes. `go build -gcflags=-m=2` explains each step of the escape."
    ),
    before=(
        "func NewPoint(x, y int) *Point {\n"
        "\tp := Point{X: x, Y: y}\n"
        "\treturn &p // moved to heap: p\n"
        "}"
    ),
    after=("func NewPoint(x, y int) Point {\n\treturn Point{X: x, Y: y}\n}"),
    hint=(
        "Its address outlives the call; return the value, let the caller provide the storage, "
        "or avoid capturing it in an escaping closure."
    ),
)

NEW_HEAP_ALLOCATION = Rule(
    id="GOESC1002",
    name="NewHeapAllocation",
    kind=ESCAPES,
    short="A changed function now makes a value escape to the heap.",
    full=(
        "The Go compiler reports `EXPR escapes to heap`: an allocation of this function (a "
        "composite literal, `new`, `make`, a closure, a string conversion or concatenation, a "
        "method value, a variadic argument slice) or a value converted to an interface now "
        "lives on the heap, and did not before the change."
    ),
    meaning=(
        "the value outlives the call or its size is unknown at compile time, so the compiler "
        "puts it on the heap. Passing a non-pointer value to an `any` parameter (`fmt.Sprint`, "
        "logging) is the most common cause."
    ),
    cost=(
        "one heap allocation (and often a copy) each time the expression runs, plus garbage "
        "collector work."
    ),
    fix=(
        "avoid the interface conversion (use `strconv` instead of `fmt` for simple "
        "formatting), give `make` a constant size, reuse a buffer the caller owns, or keep the "
        "value from being stored in a longer-lived place."
    ),
    before=("func Describe(v int) string {\n\treturn fmt.Sprint(v) // v escapes to heap\n}"),
    after=("func Describe(v int) string {\n\treturn strconv.Itoa(v)\n}"),
    hint=(
        "Avoid the interface conversion or the longer-lived reference, give `make` a constant "
        "size, or reuse a buffer the caller owns."
    ),
)

LEAKING_PARAMETER = Rule(
    id="GOESC1003",
    name="LeakingParameter",
    kind=LEAK,
    short="A changed function now leaks a parameter to the heap or to its results.",
    full=(
        "The Go compiler reports `leaking param: p` (or `leaking param content: p`, or `... to "
        "result ~r0`): the function keeps what its parameter points to beyond the call. It "
        "allocates nothing itself, but its callers' arguments must now live on the heap. "
        "goescape counts leaks only with --leaks."
    ),
    meaning=(
        "a pointer received as a parameter is stored in a global, a heap object or a result, "
        "so the compiler assumes the pointed-to value outlives every call."
    ),
    cost=(
        "no allocation here, but a value a caller passes in can no longer stay on the "
        "caller's stack: the cost appears as new escapes in the callers."
    ),
    fix=(
        "copy the value instead of keeping the pointer, or make the function take the value "
        "rather than a pointer when it needs to keep it."
    ),
    before=("var last *Point\n\nfunc Remember(p *Point) {\n\tlast = p // leaking param: p\n}"),
    after=("var last Point\n\nfunc Remember(p *Point) {\n\tlast = *p // copies the value\n}"),
    hint=(
        "Keep a copy of the value instead of the pointer, so callers' arguments can stay on "
        "their stack."
    ),
)

INDUCED_ESCAPE = Rule(
    id="GOESC1004",
    name="InducedEscape",
    kind=INDUCED,
    short="An escape appeared in a function the change did not touch.",
    full=(
        "The Go compiler reports a new escape in a function whose code did not change. This "
        "happens when a function it inlines changed: the compiler reports escapes inside an "
        "inlined callee at the call site, in the caller. goescape fails on these only with "
        "--fail-on-induced."
    ),
    meaning=(
        "the allocation itself is in code the change edited (usually an inlined callee, shown "
        "as a related location); it is reported here because after inlining it happens in "
        "this function's frame."
    ),
    cost=(
        "the same as any new escape: an allocation each time the call runs, in a function "
        "whose author may not expect it."
    ),
    fix=(
        "fix the escape in the changed callee (see the related location); the caller needs no edit."
    ),
    before=(
        "func label(n int) string { return fmt.Sprint(n) } // changed\n\n"
        "func Render(n int) string { return label(n) } // n escapes to heap (unchanged)"
    ),
    after=(
        "func label(n int) string { return strconv.Itoa(n) }\n\n"
        "func Render(n int) string { return label(n) }"
    ),
    hint="The escape comes from a changed function inlined here; fix it there.",
)

RULES: tuple[Rule, ...] = (
    NEW_HEAP_VARIABLE,
    NEW_HEAP_ALLOCATION,
    LEAKING_PARAMETER,
    INDUCED_ESCAPE,
)
