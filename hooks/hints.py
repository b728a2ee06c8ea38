"""A one-line fix hint for an escape, chosen from its kind, its expression and (with -m=2)
the compiler's flow explanation. Pure.

The flow, when there is one, says *why* something escapes (returned, captured, boxed...),
so it wins over guesses from the expression text; plain -m output has only the text. An
escape on a cold path (coldpaths.py) gets no hot-path advice at all.
"""

from __future__ import annotations

import re

from goescape.escapes import ESCAPES, LEAK, MOVED, Escape

# Categories: stable names (the JSON report carries them), each with its advice.
POINTER_RETURNED = "pointer-returned"
RETURNED_ALLOCATION = "returned-allocation"
ADDRESS_STORED = "address-stored"
MOVED_GENERIC = "moved"
CLOSURE_CAPTURE = "closure-capture"
CLOSURE = "closure"
SLICE_GROWTH = "slice-growth"
NON_CONSTANT_SIZE = "non-constant-size"
TOO_LARGE = "too-large"
VARIADIC = "variadic"
INTERFACE_ARGUMENT = "interface-argument"
INTERFACE = "interface"
ALLOCATION_KEPT = "allocation-kept"
STRING_CONCAT = "string-concat"
STRING_CONVERSION = "string-conversion"
METHOD_VALUE = "method-value"
SELECTOR = "selector"
LEAK_TO_HEAP = "leak"
LEAK_CONTENT = "leak-content"
LEAK_TO_RESULT = "leak-result"
GENERIC = "generic"
APPEND_RETURNED = "append-returned"
SLICE_OF_LOCAL = "slice-of-local"
COLD = "cold-path"

HINTS: dict[str, str] = {
    POINTER_RETURNED: (
        "return the value, not a pointer to it: strings, slices and small structs copy cheaply"
    ),
    RETURNED_ALLOCATION: (
        "a returned slice or map lives on the heap; let hot callers pass a buffer in"
    ),
    ADDRESS_STORED: "its address is kept past the call (global, heap object, callee); keep a copy",
    MOVED_GENERIC: (
        "its address outlives the call; return or store the value, not a pointer to it, when small"
    ),
    CLOSURE_CAPTURE: (
        "a closure that outlives the call shares it; pass it to the func literal instead"
    ),
    CLOSURE: (
        "a func literal that is returned, stored or run with go allocates; pass values as arguments"
    ),
    SLICE_GROWTH: "append grows onto the heap; preallocate with make([]T, 0, n) or reuse a buffer",
    NON_CONSTANT_SIZE: (
        "make with a run-time size allocates; use a constant size if a small bound exists"
    ),
    TOO_LARGE: "too large for the stack; allocate it once and reuse it, or make it smaller",
    VARIADIC: (
        "the callee keeps its ... slice; pass a slice you reuse, or add a non-variadic variant"
    ),
    INTERFACE_ARGUMENT: (
        "boxed for a ...any call (fmt, log); on hot paths use strconv.Append* instead"
    ),
    INTERFACE: (
        "boxed into an interface that outlives the call; keep the concrete type on hot paths"
    ),
    ALLOCATION_KEPT: (
        "the allocation outlives the call (returned, stored, boxed); keep it local or reuse it"
    ),
    STRING_CONCAT: "the concatenation outlives the call; use strings.Builder or a reused []byte",
    STRING_CONVERSION: (
        "string/[]byte conversion copies to the heap; keep one form, convert where used"
    ),
    METHOD_VALUE: (
        "a method value (x.M not called) allocates a bound closure; call the method instead"
    ),
    SELECTOR: (
        "a method value allocates a closure; a boxed field is copied; call it, or keep the type"
    ),
    LEAK_TO_HEAP: (
        "the parameter is kept past the call, so callers' arguments escape; copy what you keep"
    ),
    LEAK_CONTENT: "what the parameter points to is kept past the call; callers' pointees escape",
    LEAK_TO_RESULT: (
        "the parameter flows to a result; callers' arguments escape only if they keep it"
    ),
    GENERIC: (
        "this allocation outlives the call; keep it local, reuse it, or let the caller provide it"
    ),
    APPEND_RETURNED: (
        "a returned slice is on the heap at any capacity; let callers pass a slice to append to"
    ),
    SLICE_OF_LOCAL: (
        "a slice of this local array outlives the call, so the array moves; let the caller pass it"
    ),
    COLD: "runs only when something fails: it costs nothing on the normal path; no change needed",
}

_MAKE = re.compile(r"make\((?P<type>.*?)(?:, (?P<sizes>.+))?\)")
# A size the compiler can know: literals and operators only (Go 1.26 prints folded constants).
_CONSTANT = re.compile(r"[0-9xXa-fA-F_()\s+\-*/%<>&|^]+")
_STRING_CONVERSION = re.compile(r"\(?(string|\[\]byte|\[\]rune)\)?\(.*\)")
# `p.M`, `s.items[0].M`, `(~r0).M` (a method value of a call's result).
_SELECTOR = re.compile(r"[\w.\[\]()*~]+\.[A-Za-z_]\w*")


def _reasons(escape: Escape) -> str:
    """Every flow step in one string, for substring tests (`(return)`, `... argument`)."""
    return "\n".join(step.text for step in escape.flow)


def _make_size_is_constant(expr: str) -> bool:
    match = _MAKE.fullmatch(expr)
    if match is None:
        return True
    kind, sizes = match.group("type"), match.group("sizes")
    if not kind.startswith("[]") or sizes is None:
        return True  # maps and channels: the size is a hint, not the reason
    return all(_CONSTANT.fullmatch(size) for size in sizes.split(", "))


def _top_level_plus(expr: str) -> bool:
    """`a + b` outside brackets, parentheses and string literals."""
    depth = 0
    quote = ""
    for i, ch in enumerate(expr):
        if quote:
            if ch == quote and expr[i - 1] != "\\":
                quote = ""
        elif ch in "\"`'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and expr.startswith(" + ", i):
            return True
    return False


def _classify_moved(reasons: str) -> str:
    if "(too large for stack)" in reasons:
        return TOO_LARGE
    if "(captured by a closure)" in reasons:
        return CLOSURE_CAPTURE
    if "(slice)" in reasons:
        # `return b[:]` of a local array: the array is what moves, not a value to copy out.
        return SLICE_OF_LOCAL
    if "(return)" in reasons:
        return POINTER_RETURNED
    if reasons:
        return ADDRESS_STORED
    return MOVED_GENERIC


def _classify_escapes(expr: str, reasons: str) -> str:
    returned = "(return)" in reasons
    boxed_for_call = "... argument (slice-literal-element)" in reasons
    if "(too large for stack)" in reasons:
        return TOO_LARGE
    if expr == "func literal":
        return CLOSURE
    if expr == "... argument":
        return VARIADIC
    if expr == "append" or expr.startswith("append("):
        # Preallocating does not help a slice that is handed back: it escapes either way.
        return APPEND_RETURNED if returned else SLICE_GROWTH
    if "(non-constant size)" in reasons:
        return NON_CONSTANT_SIZE
    if _top_level_plus(expr):
        # A sum handed straight to a ...any call is boxed (ints and strings alike).
        return INTERFACE_ARGUMENT if boxed_for_call else STRING_CONCAT
    if _STRING_CONVERSION.fullmatch(expr):
        return STRING_CONVERSION
    if expr.startswith(("&", "new(")):
        if "(interface-converted)" in reasons:
            return INTERFACE  # `return &ParseError{...}` as an error: copying it out boxes it too
        return POINTER_RETURNED if returned else ALLOCATION_KEPT
    if expr.startswith("make("):
        if returned:
            return RETURNED_ALLOCATION
        if not reasons and not _make_size_is_constant(expr):
            return NON_CONSTANT_SIZE
        return ALLOCATION_KEPT
    if expr.endswith(("{...}", "{}")) and expr.startswith(("[]", "map[")):
        return RETURNED_ALLOCATION if returned else ALLOCATION_KEPT
    if _SELECTOR.fullmatch(expr) and not expr.endswith(")"):
        if boxed_for_call:
            return INTERFACE_ARGUMENT
        if returned:
            return METHOD_VALUE
        # Stored somewhere, a boxed field (`sink = p.X`) and a method value (`fn = p.M`) have
        # the same explanation: the hint that covers both.
        return SELECTOR
    # Names, literals, calls, results (`~r0`), conversions to an interface: a value that
    # does not allocate by itself escapes only by being boxed.
    return INTERFACE_ARGUMENT if boxed_for_call else INTERFACE


def category(escape: Escape, cold: str = "") -> str:
    """The kind of fix that applies: one of the names in HINTS. `cold`: why the escape is on
    a path that only runs when something fails ("" when it is not)."""
    if cold and escape.kind != LEAK:
        return COLD
    reasons = _reasons(escape)
    if escape.kind == MOVED:
        return _classify_moved(reasons)
    if escape.kind == ESCAPES:
        return _classify_escapes(escape.expr, reasons)
    if escape.kind == LEAK:
        if escape.message.startswith("leaking param content:"):
            return LEAK_CONTENT
        if " to result " in escape.expr:
            return LEAK_TO_RESULT
        return LEAK_TO_HEAP
    return GENERIC


def uses_flow(escape: Escape, cold: str = "") -> bool:
    """Whether `category` reads the compiler's flow explanation for `escape` (moved and
    escaping values off cold paths; a leak's hint follows from its message alone)."""
    return escape.kind in (MOVED, ESCAPES) and not cold


def hint_for(escape: Escape, cold: str = "") -> str:
    """A short, one-line fix hint for `escape` (`cold` as for `category`)."""
    return HINTS[category(escape, cold)]
