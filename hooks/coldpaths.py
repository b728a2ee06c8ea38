"""Which escapes sit on a path that runs only when something fails. Pure.

An allocation costs where it runs. The compiler names the place (the declaration of a moved
variable, the expression that escapes, the call site of an inlined callee), so the shape of
the code around that place, read with tree-sitter-go from the head file, tells whether the
allocation happens only on the way out of a failure:

- inside a call of `panic`, `log.Fatal*`, `log.Panic*` or `os.Exit`;
- inside a `return` whose error result is built right there (`fmt.Errorf(...)`,
  `errors.New(...)`, `&ParseError{...}`), or that returns `err` under `if err != nil`;
- anywhere in a block whose last statement is one of those, when nothing in the block can
  leave it another way first (a plain `return`, `break`, `continue`, `goto`).

A func literal is a boundary: what it does depends on who calls it, not on where it is written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import tree_sitter
import tree_sitter_go

PANIC = "panic argument"
ERROR_RETURN = "error return"

_FUNCTIONS = frozenset({"function_declaration", "method_declaration", "func_literal"})
_BLOCKS = frozenset({"block", "expression_case", "default_case", "type_case", "communication_case"})
_LOOPS_AND_SWITCHES = frozenset(
    {"for_statement", "expression_switch_statement", "type_switch_statement", "select_statement"}
)
# Calls that end the program or unwind it: what they are given is built on the way out.
_EXITS = frozenset({"os.Exit"})
_LOG_EXIT = re.compile(r"log\.(Fatal|Panic)(f|ln)?")
# Functions whose result is a new error value. The `errors` package's constructors (the
# standard library's and the common third-party ones), fmt.Errorf, and by name: `newError`,
# `NewParseError`, `errorf`, `p.errorf`, and `ErrSyntax(...)`, `errInvalid(...)`: a called
# `Err...` is a constructor (sentinel errors named so are variables, never called).
_ERROR_CONSTRUCTORS = frozenset(
    {
        "fmt.Errorf",
        "errors.New",
        "errors.Join",
        "errors.Errorf",
        "errors.Wrap",
        "errors.Wrapf",
        "errors.WithStack",
        "errors.WithMessage",
        "errors.WithMessagef",
    }
)
_ERROR_CONSTRUCTOR_NAME = re.compile(r"([Nn]ew\w*Err(or)?|\w*[Ee]rrorf?|[Ee]rr[A-Z]\w*)")


@functools.cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_go.language()))


def cold_reasons(source: bytes, positions: Iterable[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """For each (line, col) the compiler printed (1-based; col is a byte column, 0 when it
    gave none), why the code there runs only when something fails: "panic argument",
    "error return", "argument of log.Fatalf", "block ending in panic", ...; "" when it is on
    an ordinary path."""
    root = _parser().parse(source).root_node
    lines = source.split(b"\n")
    shapes = _Shapes()
    out: dict[tuple[int, int], str] = {}
    for line, col in positions:
        if not 0 < line <= len(lines):
            out[line, col] = ""
            continue
        text = lines[line - 1]
        column = col - 1 if col > 0 else len(text) - len(text.lstrip(b" \t"))
        node = root.named_descendant_for_point_range((line - 1, column), (line - 1, column))
        out[line, col] = shapes.reason(node) if node is not None else ""
    return out


class _Shapes:
    """The walk from a position outwards; block verdicts are kept, several escapes share them."""

    def __init__(self) -> None:
        self._blocks: dict[int, str] = {}

    def reason(self, node: tree_sitter.Node) -> str:
        current: tree_sitter.Node | None = node
        while current is not None and current.type not in _FUNCTIONS:
            if current.type == "call_expression":
                what = _exit_call(current)
                if what:
                    return PANIC if what == "panic" else f"argument of {what}"
            elif current.type == "return_statement":
                if _failing_return(current):
                    return ERROR_RETURN
            elif current.type in _BLOCKS:
                what = self._block(current)
                if what:
                    return f"block ending in {what}"
            current = current.parent
        return ""

    def _block(self, block: tree_sitter.Node) -> str:
        if block.id not in self._blocks:
            self._blocks[block.id] = _ending(block)
        return self._blocks[block.id]


def _text(node: tree_sitter.Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def _callee(call: tree_sitter.Node) -> str:
    """`panic`, `log.Fatalf`, `p.errorf`: the called name as written ("" for other shapes)."""
    function = call.child_by_field_name("function")
    if function is None:
        return ""
    if function.type == "identifier":
        return _text(function)
    if function.type == "selector_expression":
        operand = function.child_by_field_name("operand")
        field = function.child_by_field_name("field")
        if operand is not None and field is not None:
            return f"{_text(operand)}.{_text(field)}"
    return ""


def _exit_call(call: tree_sitter.Node) -> str:
    name = _callee(call)
    if name == "panic" or name in _EXITS or _LOG_EXIT.fullmatch(name):
        return name
    return ""


def _statements(block: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The statements of a block or case clause (tree-sitter-go >= 0.25 wraps them in a
    statement_list; earlier versions do not)."""
    holder = next((c for c in block.named_children if c.type == "statement_list"), block)
    return [c for c in holder.named_children if c.type not in _NOT_STATEMENTS]


# A case clause's own parts, besides its statements (without a statement_list around them).
_NOT_STATEMENTS = frozenset({"comment", "expression_list", "type_list", "statement_list"})


def _ending(block: tree_sitter.Node) -> str:
    """What a block ends in when it can only end by failing: "panic", "log.Fatalf",
    "os.Exit", "an error return"; "" otherwise."""
    statements = _statements(block)
    if not statements:
        return ""
    last = statements[-1]
    what = ""
    if last.type == "expression_statement":
        call = last.named_children[0] if last.named_children else None
        if call is not None and call.type == "call_expression":
            what = _exit_call(call)
    elif last.type == "return_statement" and _failing_return(last):
        what = "an error return"
    if not what or _leaves_early(block, last):
        return ""
    return what


def _leaves_early(block: tree_sitter.Node, last: tree_sitter.Node) -> bool:
    """Whether something in `block` other than its last statement can leave it: a return that
    is not a failing one, a labelled or unenclosed break or continue, a goto."""
    stack = [(child, False) for child in block.named_children]
    while stack:
        node, enclosed = stack.pop()
        if node.id == last.id or node.type == "func_literal":
            continue
        kind = node.type
        if kind == "return_statement" and not _failing_return(node):
            return True
        if kind == "goto_statement":
            return True
        if kind in ("break_statement", "continue_statement"):
            labelled = any(c.type == "label_name" for c in node.named_children)
            if labelled or not enclosed:
                return True
        inner = enclosed or kind in _LOOPS_AND_SWITCHES
        stack.extend((child, inner) for child in node.named_children)
    return False


def _enclosing_function(node: tree_sitter.Node) -> tree_sitter.Node | None:
    current = node.parent
    while current is not None and current.type not in _FUNCTIONS:
        current = current.parent
    return current


def _result_types(function: tree_sitter.Node) -> list[str]:
    result = function.child_by_field_name("result")
    if result is None:
        return []
    if result.type != "parameter_list":
        return [_text(result)]
    types: list[str] = []
    for decl in result.named_children:
        if decl.type != "parameter_declaration":
            continue
        kind = _text(decl.child_by_field_name("type"))
        names = sum(1 for c in decl.named_children if c.type == "identifier")
        types += [kind] * max(1, names)
    return types


def _failing_return(ret: tree_sitter.Node) -> bool:
    """A return of a non-nil error: one built right there, or the `err` that an enclosing
    `if err != nil` just checked. Only in a function whose last result is `error`."""
    function = _enclosing_function(ret)
    if function is None:
        return False
    results = _result_types(function)
    if not results or results[-1] != "error":
        return False
    values = next((c for c in ret.named_children if c.type == "expression_list"), None)
    if values is None:
        return False
    exprs = values.named_children
    if len(exprs) != len(results):
        return False  # `return f()` with a multi-value call, or a bare return
    error = exprs[-1]
    while error.type == "parenthesized_expression" and error.named_children:
        error = error.named_children[0]
    if _builds_error(error):
        return True
    return error.type == "identifier" and _checked_not_nil(ret, _text(error), function)


def _builds_error(expr: tree_sitter.Node) -> bool:
    if expr.type == "unary_expression":
        operand = expr.child_by_field_name("operand")
        return operand is not None and operand.type == "composite_literal"
    if expr.type == "composite_literal":
        return True
    if expr.type == "call_expression":
        name = _callee(expr)
        last = name.rpartition(".")[2]
        return name in _ERROR_CONSTRUCTORS or bool(_ERROR_CONSTRUCTOR_NAME.fullmatch(last))
    return False


def _checked_not_nil(ret: tree_sitter.Node, name: str, function: tree_sitter.Node) -> bool:
    """Whether `ret` is in the then-branch of an `if NAME != nil`."""
    child = ret
    current = ret.parent
    while current is not None and current.id != function.id:
        if current.type == "if_statement":
            consequence = current.child_by_field_name("consequence")
            if consequence is not None and consequence.id == child.id:
                condition = current.child_by_field_name("condition")
                if condition is not None and _is_not_nil(condition, name):
                    return True
        child = current
        current = current.parent
    return False


def _is_not_nil(condition: tree_sitter.Node, name: str) -> bool:
    if condition.type != "binary_expression":
        return False
    operator = condition.child_by_field_name("operator")
    left = condition.child_by_field_name("left")
    right = condition.child_by_field_name("right")
    if operator is None or left is None or right is None or _text(operator) != "!=":
        return False
    sides = {(left.type, _text(left)), (right.type, _text(right))}
    return sides == {("identifier", name), ("nil", "nil")}
