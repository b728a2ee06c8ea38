"""One function of a real Go package, edited afresh before every timed run of the benchmark.

    find(package_dir, "(*fastEncoder).Encode") -> Function
    Function.edit(token)       # `_ = <token>` as the body's first statement
    Function.edit(token, escape=True)   # a make that escapes (too large for the stack)
    Function.restore()

The function is found with tree-sitter-go in the package's non-test files by name, with or
without its receiver: `Encode`, `fastEncoder.Encode`, `(*fastEncoder).Encode`. The edit is a
statement of its own after the body's opening brace, so the file gets one more line and the
compiler must compile the package again; a new token each run keeps go's build cache from
answering. `_ = N` changes no escape; with `escape`, a `make([]byte, N)` larger than the
stack takes adds one new escape, for runs that report something.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import tree_sitter
import tree_sitter_go

# The compiler keeps implicit allocations up to 64 KB on the stack; above, they escape.
_LARGE = 1 << 20


@dataclass(frozen=True)
class Function:
    path: Path
    original: bytes
    body: int  # byte offset just after the body's `{`
    line: int  # 1-based line of that brace

    def edit(self, token: int, *, escape: bool = False) -> None:
        statement = f"_ = make([]byte, {_LARGE + token})" if escape else f"_ = {token}"
        text = (
            self.original[: self.body] + f"\n\t{statement}\n".encode() + self.original[self.body :]
        )
        self.path.write_bytes(text)

    def restore(self) -> None:
        self.path.write_bytes(self.original)


def _parts(spec: str) -> tuple[str, str]:
    """(receiver type or "", name) of `Encode`, `T.Encode`, `(*T).Encode`, `(T[K]).Encode`."""
    receiver, dot, name = spec.rpartition(".")
    receiver = re.sub(r"\[.*\]", "", receiver.strip("()").lstrip("*").strip("()"))
    if not name or (dot and not receiver):
        raise ValueError(f"{spec!r}: name a function as F, T.M or (*T).M")
    return receiver, name


def _receiver_type(node: tree_sitter.Node | None) -> str:
    while node is not None and node.type in ("pointer_type", "parenthesized_type", "generic_type"):
        inner = node.child_by_field_name("type") if node.type == "generic_type" else None
        node = inner or (node.named_children[0] if node.named_children else None)
    return node.text.decode() if node is not None and node.text is not None else ""


def find(package_dir: Path, spec: str) -> Function:
    """The function `spec` declares in the Go package in `package_dir` (test files left out)."""
    receiver, name = _parts(spec)
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_go.language()))
    found: list[Function] = []
    for path in sorted(package_dir.glob("*.go")):
        if path.name.endswith("_test.go"):
            continue
        source = path.read_bytes()
        for node in parser.parse(source).root_node.named_children:
            if node.type not in ("function_declaration", "method_declaration"):
                continue
            name_node, body = node.child_by_field_name("name"), node.child_by_field_name("body")
            if name_node is None or body is None or name_node.text != name.encode():
                continue
            params = node.child_by_field_name("receiver")
            decl = (
                params.named_children[0] if params is not None and params.named_children else None
            )
            type_node = decl.child_by_field_name("type") if decl is not None else None
            if _receiver_type(type_node) == receiver:
                found.append(Function(path, source, body.start_byte + 1, body.start_point[0] + 1))
    if len(found) != 1:
        where = "no" if not found else f"{len(found)}"
        raise ValueError(f"{spec}: {where} declarations in {package_dir} (build tags?)")
    return found[0]
