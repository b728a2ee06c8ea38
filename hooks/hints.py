"""A one-line fix hint for an escape, chosen from its kind, its expression and (with -m=2)
the compiler's flow explanation. Pure.

The flow, when there is one, says *why* something escapes (returned, captured, boxed...),
so it wins over guesses from the expression text; plain -m output has only the text.
"""

from __future__ import annotations

import re

from hooks.escapes import ESCAPES, LEAK, MOVED, Escape

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

HINTS: dict[str, str] = {
    POINTER_RETURNED: "return the value, not a pointer to it, when the struct is small",
    RETURNED_ALLOCATION: (
        "a returned slice or map lives on the heap; on hot paths let the caller pass in"
        " a buffer to fill (an append-style API)"
    ),
    ADDRESS_STORED: (
        "its address is kept beyond the call (a global, a heap object, a callee that"
        " stores it); store or pass a copy instead of a pointer"
    ),
    MOVED_GENERIC: (
        "its address outlives the call (returned, stored or captured); keep the pointer"
        " local, or share a copy of the value"
    ),
    CLOSURE_CAPTURE: (
        "a closure that outlives the call captures it by reference; pass it to the func"
        " literal as an argument instead"
    ),
    CLOSURE: (
        "a func literal that outlives the call (returned, stored, started with go) is"
        " heap-allocated with its captures; use a named function and pass values as arguments"
    ),
    SLICE_GROWTH: (
        "append outgrows the slice onto the heap; preallocate with make([]T, 0, n) when"
        " the length is known, or reuse a buffer"
    ),
    NON_CONSTANT_SIZE: (
        "make with a size known only at run time is heap-allocated; use a constant size"
        " (or a fixed array) when there is a small upper bound"
    ),
    TOO_LARGE: (
        "too large for the stack; allocate it once and reuse it (a field, a sync.Pool),"
        " or make it smaller"
    ),
    VARIADIC: (
        "the callee keeps the implicit slice of its ... parameter; pass a slice you reuse,"
        " or give hot paths a non-variadic variant"
    ),
    INTERFACE_ARGUMENT: (
        "boxed into an interface for a ...any call (fmt, log); on hot paths format with"
        " strconv.Append* into a reused buffer, or log only when enabled"
    ),
    INTERFACE: (
        "converting to an interface (any, error) that outlives the call boxes the value;"
        " keep the concrete type, or box it once outside the hot path"
    ),
    ALLOCATION_KEPT: (
        "the allocation outlives the call (stored, boxed or passed to code that keeps it);"
        " keep it local, or let the caller supply the storage"
    ),
    STRING_CONCAT: (
        "the concatenated string outlives the call; build it with strings.Builder"
        " (Grow first) or append to a reused []byte"
    ),
    STRING_CONVERSION: (
        "converting between string and []byte copies to the heap when the result outlives"
        " the call; keep one representation, or convert where it is consumed"
    ),
    METHOD_VALUE: (
        "a method value (x.M not called) allocates a closure bound to x; call the method"
        " directly, or pass x and use the method expression T.M"
    ),
    SELECTOR: (
        "a method value (x.M not called) allocates a bound closure, and a field put in an"
        " interface is boxed; call the method directly, or keep the concrete type"
    ),
    LEAK_TO_HEAP: (
        "the parameter is kept beyond the call, so what callers pass here escapes;"
        " use it only during the call, or copy what you keep"
    ),
    LEAK_CONTENT: (
        "what the parameter points to is kept beyond the call, so callers' pointed-to"
        " values escape; copy what you keep"
    ),
    LEAK_TO_RESULT: (
        "the parameter flows to a result; callers' arguments escape only if they keep the"
        " result (often harmless)"
    ),
    GENERIC: (
        "this allocation outlives the call; keep it local, reuse it, or let the caller"
        " supply the storage"
    ),
}

_MAKE = re.compile(r"make\((?P<type>.*?)(?:, (?P<sizes>.+))?\)")
# A size the compiler can know: literals and operators only (Go 1.26 prints folded constants).
_CONSTANT = re.compile(r"[0-9xXa-fA-F_()\s+\-*/%<>&|^]+")
_STRING_CONVERSION = re.compile(r"\(?(string|\[\]byte|\[\]rune)\)?\(.*\)")
_SELECTOR = re.compile(r"[\w.\[\]()*]+\.[A-Za-z_]\w*")


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
        return SLICE_GROWTH
    if "(non-constant size)" in reasons:
        return NON_CONSTANT_SIZE
    if _top_level_plus(expr):
        # A sum handed straight to a ...any call is boxed (ints and strings alike).
        return INTERFACE_ARGUMENT if boxed_for_call else STRING_CONCAT
    if _STRING_CONVERSION.fullmatch(expr):
        return STRING_CONVERSION
    if expr.startswith(("&", "new(")):
        return POINTER_RETURNED if returned else ALLOCATION_KEPT
    if expr.startswith("make("):
        if returned:
            return RETURNED_ALLOCATION
        if not reasons and not _make_size_is_constant(expr):
            return NON_CONSTANT_SIZE
        return ALLOCATION_KEPT
    if expr.endswith("{...}") and expr.startswith(("[]", "map[")):
        return RETURNED_ALLOCATION if returned else ALLOCATION_KEPT
    if _SELECTOR.fullmatch(expr) and not expr.endswith(")"):
        if boxed_for_call:
            return INTERFACE_ARGUMENT
        if returned:
            return METHOD_VALUE
        return INTERFACE if reasons else SELECTOR
    # Names, literals, calls, results (`~r0`), conversions to an interface: a value that
    # does not allocate by itself escapes only by being boxed.
    return INTERFACE_ARGUMENT if boxed_for_call else INTERFACE


def category(escape: Escape) -> str:
    """The kind of fix that applies: one of the names in HINTS."""
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


def hint_for(escape: Escape) -> str:
    """A short, one-line fix hint for `escape`."""
    return HINTS[category(escape)]
