"""Function declarations of a Go file, found with tree-sitter-go. Pure.

Lines are 1-based throughout. A function's span runs from its doc comment (if any) to its
closing brace; package-level var declarations with values form the package's single INIT bucket.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import tree_sitter
import tree_sitter_go

INIT = "init"  # the bucket of package-level initialisers (and `func init`)

IGNORE_DIRECTIVE = "//goescape:ignore"

# `go help generate`: the marker line must appear before the first non-comment, non-blank
# text of the file, i.e. before the package clause.
_GENERATED = re.compile(r"// Code generated .* DO NOT EDIT\.")


class FunctionId(NamedTuple):
    """A function's identity: survives line shifts and moves within its package."""

    package: str  # import path
    receiver: str  # receiver type without `*` and type parameters; "" for plain functions
    name: str  # INIT for package-level initialisers


class IgnoreComment(NamedTuple):
    """A `//goescape:ignore <reason>` comment, or one that looks like it but is not."""

    line: int
    reason: str  # "" when the reason is missing
    own_line: bool = True  # alone on its line (False: trailing a statement)
    # Not honoured, and why: `//goescape:ignored`, `//goescape: ignore` ("" for a marker).
    problem: str = ""


class FunctionDecl(NamedTuple):
    receiver: str  # without `*` and type parameters; "" for plain functions
    name: str
    pointer_receiver: bool
    start_line: int  # line of the `func` keyword (1-based)
    end_line: int  # line of the closing brace
    doc_start_line: int  # first line of the doc comment directly above, or start_line
    ignored: IgnoreComment | None  # a `//goescape:ignore` in the doc comment silences the function
    type_params: tuple[str, ...] = ()  # the receiver's type parameters: `List[K, V]` -> ("K", "V")

    @property
    def key(self) -> tuple[str, str]:
        """(receiver, name); every `func init` of a package shares ("", INIT)."""
        return (self.receiver, self.name)


class GoFile(NamedTuple):
    package: str  # name in the package clause
    generated: bool  # has a `// Code generated ... DO NOT EDIT.` line before the package clause
    functions: tuple[FunctionDecl, ...]
    init_spans: tuple[tuple[int, int], ...]  # package-level var declarations with values
    ignores: tuple[IgnoreComment, ...]  # every `//goescape:ignore` comment in the file
    syntax_error: bool = False  # tree-sitter had to recover: the lists may be incomplete
    # Names of the types the file declares (local ones too), and its imports as
    # (name as written or "", path): what tells a constant conversion from a call.
    types: frozenset[str] = frozenset()
    imports: tuple[tuple[str, str], ...] = ()
    # Comments that look like a `//goescape:ignore` marker but are not one.
    not_markers: tuple[IgnoreComment, ...] = ()


# Package-level variables run code at start-up only when given a value (`var x = f()`);
# constants and `var x T` run none. A var_spec stands alone when recovery could not close
# its `var (` block.
_PACKAGE_LEVEL_VARS = frozenset({"var_declaration", "var_spec"})


class _Comment(NamedTuple):
    start_byte: int
    start_line: int
    end_line: int
    own_line: bool  # only whitespace before it on its first line
    text: bytes


class _Tools(NamedTuple):
    parser: tree_sitter.Parser
    query: tree_sitter.Query


@functools.cache
def _tools() -> _Tools:
    # Built once per process: creating the language, parser and query costs far more than
    # parsing a typical file.
    language = tree_sitter.Language(tree_sitter_go.language())
    query = tree_sitter.Query(
        language,
        "(comment) @comment [(function_declaration) (method_declaration)] @decl"
        " [(type_spec name: (_) @type) (type_alias name: (_) @type)] (import_spec) @import",
    )
    return _Tools(tree_sitter.Parser(language), query)


def _captures(query: tree_sitter.Query, node: tree_sitter.Node) -> dict[str, list[Any]]:
    cursor_type = getattr(tree_sitter, "QueryCursor", None)
    if cursor_type is not None:  # tree-sitter >= 0.25
        result: dict[str, list[Any]] = cursor_type(query).captures(node)
        return result
    legacy: dict[str, list[Any]] = getattr(query, "captures")(node)  # noqa: B009 (0.23/0.24)
    return legacy


def _last_line(node: tree_sitter.Node) -> int:
    row, col = node.end_point
    # A node that ends at column 0 ended with the previous line's newline.
    return row if col == 0 and row > node.start_point[0] else row + 1


def parse_go(source: bytes) -> GoFile:
    """Parse Go source (any syntax errors tolerated as far as tree-sitter recovers)."""
    tools = _tools()
    root = tools.parser.parse(source).root_node
    found = _captures(tools.query, root)

    comments = sorted(
        (_comment(source, node) for node in found.get("comment", ())),
        key=lambda c: c.start_byte,
    )
    markers = [ig for c in comments if (ig := _ignore_of(c)) is not None]
    ignores = tuple(ig for ig in markers if not ig.problem)

    package = ""
    first_code = len(source)
    init_spans: list[tuple[int, int]] = []
    for node in _top_level(root):
        if node.type == "comment":
            continue
        first_code = min(first_code, node.start_byte)
        if node.type == "package_clause" and not package:
            ident = next((c for c in node.children if c.type == "package_identifier"), None)
            package = _text(ident)
        elif node.type in _PACKAGE_LEVEL_VARS and _initialises(node):
            init_spans.append((node.start_point[0] + 1, _last_line(node)))

    comment_starts = [c.start_byte for c in comments]
    # Sorted by position. Error recovery may leave one declaration nested in another.
    functions = [
        decl
        for node in sorted(found.get("decl", ()), key=lambda n: n.start_byte)
        if (decl := _declaration(node, comments, comment_starts, ignores)) is not None
    ]

    return GoFile(
        package=package,
        generated=_is_generated(source[:first_code]),
        functions=tuple(functions),
        init_spans=tuple(init_spans),
        ignores=ignores,
        syntax_error=root.has_error,
        types=frozenset(_text(node) for node in found.get("type", ())),
        imports=tuple(
            _import(node) for node in sorted(found.get("import", ()), key=lambda n: n.start_byte)
        ),
        not_markers=tuple(ig for ig in markers if ig.problem),
    )


def _import(node: tree_sitter.Node) -> tuple[str, str]:
    path = _text(node.child_by_field_name("path")).strip('"`')
    return _text(node.child_by_field_name("name")), path


def _top_level(root: tree_sitter.Node) -> Iterable[tree_sitter.Node]:
    """The children of the file, looking through ERROR nodes that recovery wrapped them in."""
    for node in root.children:
        if node.type == "ERROR":
            yield from _top_level(node)
        else:
            yield node


def _text(node: tree_sitter.Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def _comment(source: bytes, node: tree_sitter.Node) -> _Comment:
    row, col = node.start_point
    before = source[node.start_byte - col : node.start_byte]
    return _Comment(
        start_byte=node.start_byte,
        start_line=row + 1,
        end_line=_last_line(node),
        own_line=not before.strip(),
        text=node.text or b"",
    )


# `//goescape:ignore reason`, also honoured when written `// goescape:ignore` or in a
# `/* */` comment. Another word after `goescape:` is a near miss: reported, not honoured.
_MARKER = re.compile(rb"(//|/\*)\s*goescape:\s*(\S*)(.*)", re.DOTALL)


def _ignore_of(comment: _Comment) -> IgnoreComment | None:
    found = _MARKER.fullmatch(comment.text)
    if found is None:
        return None
    rest = found.group(3)
    if found.group(1) == b"/*":
        rest = rest.removesuffix(b"*/")
    word = found.group(2).decode("utf-8", errors="replace")
    reason = " ".join(rest.decode("utf-8", errors="replace").split())
    if word == "ignore":
        return IgnoreComment(comment.start_line, reason, comment.own_line)
    problem = f"`goescape:{word}` is not a goescape marker (write `//goescape:ignore <reason>`)"
    return IgnoreComment(comment.start_line, reason, comment.own_line, problem)


def _declaration(
    node: tree_sitter.Node,
    comments: Sequence[_Comment],
    comment_starts: Sequence[int],
    ignores: Sequence[IgnoreComment],
) -> FunctionDecl | None:
    name = _text(node.child_by_field_name("name"))
    if not name:
        return None
    receiver, pointer, type_params = _receiver(node.child_by_field_name("receiver"))
    start = node.start_point[0] + 1
    doc_start = _doc_start(start, comments, bisect_left(comment_starts, node.start_byte) - 1)
    ignored = next((ig for ig in ignores if doc_start <= ig.line < start and ig.own_line), None)
    return FunctionDecl(
        receiver=receiver,
        name=name,
        pointer_receiver=pointer,
        start_line=start,
        end_line=_last_line(node),
        doc_start_line=doc_start,
        ignored=ignored,
        type_params=type_params,
    )


def _doc_start(start: int, comments: Sequence[_Comment], index: int) -> int:
    """First line of the run of whole-line comments that ends on the line above `start`."""
    first = start
    while index >= 0:
        comment = comments[index]
        if comment.end_line != first - 1 or not comment.own_line:
            break
        first = comment.start_line
        index -= 1
    return first


def _receiver(params: tree_sitter.Node | None) -> tuple[str, bool, tuple[str, ...]]:
    """Receiver base type name, whether it is a pointer, and its type parameter names."""
    if params is None:
        return "", False, ()
    decl = next((c for c in params.named_children if c.type == "parameter_declaration"), None)
    node = decl.child_by_field_name("type") if decl is not None else None
    pointer = False
    while node is not None:
        if node.type == "pointer_type":
            pointer = True
            node = node.named_children[0] if node.named_children else None
        elif node.type == "parenthesized_type":
            node = node.named_children[0] if node.named_children else None
        elif node.type == "generic_type":
            args = node.child_by_field_name("type_arguments")
            params_ = tuple(_text(a) for a in args.named_children) if args is not None else ()
            return _text(node.child_by_field_name("type")), pointer, params_
        else:
            return _text(node), pointer, ()
    return "", pointer, ()


def _is_generated(header: bytes) -> bool:
    text = header.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return any(_GENERATED.fullmatch(line.removesuffix("\r")) for line in text.split("\n"))


def _initialises(node: tree_sitter.Node) -> bool:
    """Whether a var declaration gives any of its variables a value."""
    if node.type == "var_spec":
        return node.child_by_field_name("value") is not None
    return any(_initialises(child) for child in node.children if child.type in _VAR_PARTS)


_VAR_PARTS = frozenset({"var_spec", "var_spec_list"})


def _spans(gofile: GoFile) -> Iterable[tuple[tuple[str, str], int, int]]:
    for fn in gofile.functions:
        yield fn.key, fn.doc_start_line, fn.end_line
    for start, end in gofile.init_spans:
        yield ("", INIT), start, end


def function_at(gofile: GoFile, line: int) -> tuple[str, str] | None:
    """(receiver, name) of the declaration holding `line` (its doc comment included),
    ("", INIT) inside a package-level var declaration with a value, None elsewhere (imports, type
    declarations, blank lines). Should recovery from a syntax error have nested declarations,
    the innermost wins."""
    for fn in reversed(gofile.functions):
        if fn.doc_start_line <= line <= fn.end_line:
            return fn.key
    if any(start <= line <= end for start, end in gofile.init_spans):
        return ("", INIT)
    return None


def touched_functions(
    gofile: GoFile, added_lines: frozenset[int], deleted_after: frozenset[int]
) -> set[tuple[str, str]]:
    """(receiver, name) of every declaration whose lines were added/changed, or that lost lines
    inside it (a deletion point strictly inside its span, doc comment included).

    A deletion "after line n" is inside the span [start, end] when start <= n < end: lines
    removed right after the closing brace or right before the doc comment are outside."""
    added = sorted(added_lines)
    deleted = sorted(deleted_after)
    touched: set[tuple[str, str]] = set()
    for key, start, end in _spans(gofile):
        if bisect_right(added, end) > bisect_left(added, start) or bisect_left(
            deleted, end
        ) > bisect_left(deleted, start):
            touched.add(key)
    return touched


def display_name(
    receiver: str, name: str, pointer_receiver: bool, type_params: Sequence[str] = ()
) -> str:
    """The function as the Go compiler prints it: `Show`, `(*Point).Add`, `Point.String`,
    `init`; with type parameters `(*List[T]).Push` (the compiler prints instantiations)."""
    if not receiver:
        return name
    if type_params:
        receiver = f"{receiver}[{','.join(type_params)}]"
    return f"(*{receiver}).{name}" if pointer_receiver else f"{receiver}.{name}"


def suppression_for(
    gofile: GoFile, line: int, explained: Iterable[int] = ()
) -> IgnoreComment | None:
    """The `//goescape:ignore` that silences an escape at `line`: one on that line or alone on
    the line directly above it, the same on a line of the escape's explanation (`explained`,
    the lines of its -m=2 steps in this file) inside the same declaration, or one in the doc
    comment of the enclosing function.

    When no marker applies but a near miss (`//goescape:ignored`) stands where one would, that
    one is returned, with `problem` saying why it is not honoured."""
    span = _span_at(gofile, line)
    lines = [line]
    if span is not None:
        lines += [n for n in explained if span[0] <= n <= span[1] and n not in lines]
    for wanted in lines:
        for ig in gofile.ignores:
            if ig.line == wanted or (ig.line == wanted - 1 and ig.own_line):
                return ig
    for fn in reversed(gofile.functions):
        if fn.start_line <= line <= fn.end_line and fn.ignored is not None:
            return fn.ignored
    for wanted in lines:
        for ig in gofile.not_markers:
            if ig.line == wanted or (ig.line == wanted - 1 and ig.own_line):
                return ig
    return None


def marker_for_line(gofile: GoFile, line: int) -> bool:
    """Whether a marker stands for `line` itself (on it, or alone on the line above): the one
    `suppression_for` returns, whatever the explanation."""
    return any(ig.line == line or (ig.line == line - 1 and ig.own_line) for ig in gofile.ignores)


def explanation_may_silence(gofile: GoFile, line: int) -> bool:
    """Whether `suppression_for` could answer otherwise for an escape at `line` once given
    its explanation's lines: no marker stands for the line itself, and a marker or near miss
    stands elsewhere in (or directly above) the declaration holding it."""
    if marker_for_line(gofile, line):
        return False
    span = _span_at(gofile, line)
    if span is None:
        return False
    return any(span[0] - 1 <= ig.line <= span[1] for ig in (*gofile.ignores, *gofile.not_markers))


def _span_at(gofile: GoFile, line: int) -> tuple[int, int] | None:
    """Lines of the innermost declaration holding `line`: a function (from its `func`
    keyword) or a package-level var declaration with a value."""
    for fn in reversed(gofile.functions):
        if fn.start_line <= line <= fn.end_line:
            return fn.start_line, fn.end_line
    for start, end in gofile.init_spans:
        if start <= line <= end:
            return start, end
    return None
