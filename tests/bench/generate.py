"""Generate a Go module for goescape's benchmark: N packages in an import chain.

Package k imports package k-1, so changing one package leaves its dependencies in the build
cache and makes every later package stale, as in a real layered code base. Each package has a
few files of small functions with the escapes real Go code has: pointer returns, interface
conversions through fmt, closures, goroutines, slices, maps, methods. Each file also holds one
`Edit...` function with a marker line that the benchmark rewrites to make a fresh one-function
change; NewItem, which the next package inlines, has one too. Standard library only; the
output is the same for the same options.

    python tests/bench/generate.py DEST [--packages 150] [--files 5] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

MODULE = "example.com/bench"
MARKER = "// bench:edit"
_MARKER_LINE = re.compile(r"^\tv \+= .*// bench:edit$", re.MULTILINE)
# In NewItem, which the next package inlines: editing it reaches that package too.
INLINE_MARKER = "// bench:inlined"
_INLINE_MARKER_LINE = re.compile(r"^\tid \+= .*// bench:inlined$", re.MULTILINE)
# Fixed identity and dates make the base commit's sha reproducible too.
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


@dataclass(frozen=True)
class Spec:
    packages: int = 150
    files: int = 5  # files per package, each with one Edit function
    funcs: int = 5  # generated functions per file, besides the Edit function
    seed: int = 1

    @property
    def width(self) -> int:
        return max(3, len(str(self.packages - 1)))


def package_name(spec: Spec, k: int) -> str:
    return f"p{k:0{spec.width}d}"


def import_path(spec: Spec, k: int) -> str:
    return f"{MODULE}/{package_name(spec, k)}"


def file_path(spec: Spec, k: int, f: int) -> str:
    """Repo-relative path of file `f` of package `k` (file 0 also holds the types)."""
    return f"{package_name(spec, k)}/f{f}.go"


def edit_function(f: int) -> str:
    return f"EditF{f}"


# --- Function templates: (name, rng, has_prev) -> Go source. Comments name the escapes. ---


def _ptr_return(name: str, rng: random.Random, _prev: bool) -> str:
    # moved to heap: it
    return (
        f"func {name}(n int, label string) *Item {{\n"
        f"\tit := Item{{ID: n * {rng.randint(2, 9)}, Name: label}}\n"
        "\treturn &it\n}\n"
    )


def _fmt_iface(name: str, rng: random.Random, _prev: bool) -> str:
    # n escapes to heap (interface conversion), label escapes to heap
    return (
        f"func {name}(n int, label string) string {{\n"
        f'\treturn fmt.Sprintf("%s-%d-{rng.randint(0, 99)}", label, n)\n}}\n'
    )


def _closure(name: str, rng: random.Random, _prev: bool) -> str:
    # moved to heap: c; func literal escapes to heap
    return (
        f"func {name}(start int) func() int {{\n"
        "\tc := start\n"
        f"\treturn func() int {{\n\t\tc += {rng.randint(1, 9)}\n\t\treturn c\n\t}}\n}}\n"
    )


def _make_slice(name: str, rng: random.Random, _prev: bool) -> str:
    # make([]int, n) escapes to heap
    return (
        f"func {name}(n int) []int {{\n"
        "\ts := make([]int, n)\n"
        f"\tfor i := range s {{\n\t\ts[i] = i * {rng.randint(2, 9)}\n\t}}\n"
        "\treturn s\n}\n"
    )


def _append(name: str, rng: random.Random, _prev: bool) -> str:
    # leaking param content: xs; append growth on the heap
    return (
        f"func {name}(xs []int) []int {{\n"
        "\tvar out []int\n"
        "\tfor _, x := range xs {\n"
        f"\t\tif x%{rng.randint(2, 7)} == 0 {{\n\t\t\tout = append(out, x)\n\t\t}}\n\t}}\n"
        "\treturn out\n}\n"
    )


def _pure(name: str, rng: random.Random, _prev: bool) -> str:
    # no escapes at all
    a, b = rng.randint(2, 50), rng.randint(2, 50)
    return (
        f"func {name}(x, y int) int {{\n"
        f"\tif x > y {{\n\t\treturn x*{a} - y\n\t}}\n"
        f"\treturn y*{b} + x\n}}\n"
    )


def _store_add(name: str, rng: random.Random, _prev: bool) -> str:
    # method with a pointer receiver: &Item{...} escapes to heap, leaking param: s
    return (
        f"func (s *Store) {name}(n int) {{\n"
        f"\ts.items = append(s.items, &Item{{ID: n + {rng.randint(1, 99)}}})\n}}\n"
    )


def _goroutine(name: str, rng: random.Random, _prev: bool) -> str:
    # func literal escapes to heap (goroutine), make(chan int, 1) stays put
    return (
        f"func {name}(n int) int {{\n"
        "\tch := make(chan int, 1)\n"
        f"\tgo func() {{\n\t\tch <- n * {rng.randint(2, 9)}\n\t}}()\n"
        "\treturn <-ch\n}\n"
    )


def _use_prev(name: str, rng: random.Random, prev: bool) -> str:
    # inlines the previous package's constructor: its escape appears here
    if not prev:
        return _fmt_iface(name, rng, prev)
    return (
        f"func {name}(n int) string {{\n"
        f'\tit := prev.NewItem(n+{rng.randint(1, 9)}, "x")\n'
        "\treturn it.String()\n}\n"
    )


def _concat(name: str, rng: random.Random, _prev: bool) -> str:
    # a + "-" + b escapes to heap
    return f'func {name}(a, b string) string {{\n\treturn a + "{rng.randint(0, 9)}" + b\n}}\n'


def _errorf(name: str, rng: random.Random, _prev: bool) -> str:
    # fmt.Errorf: n escapes to heap
    return (
        f"func {name}(n int) error {{\n"
        f"\tif n < {rng.randint(0, 5)} {{\n"
        f'\t\treturn fmt.Errorf("bad value %d", n)\n\t}}\n'
        "\treturn nil\n}\n"
    )


def _map(name: str, rng: random.Random, _prev: bool) -> str:
    # make(map[string]int, len(keys)) escapes to heap
    return (
        f"func {name}(keys []string) map[string]int {{\n"
        "\tm := make(map[string]int, len(keys))\n"
        f"\tfor i, k := range keys {{\n\t\tm[k] = i + {rng.randint(0, 9)}\n\t}}\n"
        "\treturn m\n}\n"
    )


def _sort_closure(name: str, rng: random.Random, _prev: bool) -> str:
    # a closure passed to sort.Slice; xs escapes through the interface
    op = rng.choice(["<", ">"])
    return (
        f"func {name}(xs []int) {{\n"
        f"\tsort.Slice(xs, func(i, j int) bool {{ return xs[i] {op} xs[j] }})\n}}\n"
    )


def _value_method(name: str, rng: random.Random, _prev: bool) -> str:
    # value receiver; string concatenation escapes
    return (
        f"func (it Item) {name}() string {{\n"
        f'\treturn it.Name + ":" + strconv.Itoa(it.ID+{rng.randint(0, 9)})\n}}\n'
    )


def _builder(name: str, rng: random.Random, _prev: bool) -> str:
    # strings.Builder grows on the heap; parts does not escape
    return (
        f"func {name}(parts []string) string {{\n"
        "\tvar b strings.Builder\n"
        "\tfor i, p := range parts {\n"
        f'\t\tif i > 0 {{\n\t\t\tb.WriteString("{rng.choice([",", ";", "|"])}")\n\t\t}}\n'
        "\t\tb.WriteString(p)\n\t}\n"
        "\treturn b.String()\n}\n"
    )


_TEMPLATES: tuple[Callable[[str, random.Random, bool], str], ...] = (
    _ptr_return,
    _fmt_iface,
    _closure,
    _make_slice,
    _append,
    _pure,
    _store_add,
    _goroutine,
    _use_prev,
    _concat,
    _errorf,
    _map,
    _sort_closure,
    _value_method,
    _builder,
)

_IMPORTS = ("fmt", "sort", "strconv", "strings")


def _types(spec: Spec, k: int) -> str:
    """The types every file uses; in file 0. Constructor and String are used by package k+1."""
    return (
        "var benchSink string\n\n"
        "// Item is a record with a pointer-returning constructor.\n"
        "type Item struct {\n\tID   int\n\tName string\n\tTags []string\n}\n\n"
        "// Store holds pointers to items.\n"
        "type Store struct {\n\titems []*Item\n\tindex map[string]*Item\n}\n\n"
        "func NewItem(id int, name string) *Item {\n"
        f"\tid += 0 {INLINE_MARKER}\n"
        f"\treturn &Item{{ID: id + {k}, Name: name}}\n}}\n\n"
        "func (it *Item) String() string {\n"
        '\treturn fmt.Sprintf("%s#%d", it.Name, it.ID)\n}\n\n'
        "func (s *Store) Find(name string) *Item {\n"
        "\tif s.index == nil {\n\t\ts.index = map[string]*Item{}\n"
        "\t\tfor _, it := range s.items {\n\t\t\ts.index[it.Name] = it\n\t\t}\n\t}\n"
        "\treturn s.index[name]\n}\n\n"
        "func (s Store) Len() int {\n\treturn len(s.items)\n}\n"
    )


def _edit_func(f: int) -> str:
    # The benchmark rewrites the marker line; the return already has one `v escapes to heap`.
    return (
        f"// {edit_function(f)} is the function the benchmark edits.\n"
        f"func {edit_function(f)}(n int) string {{\n"
        "\tv := n * 7\n"
        f"\tv += 0 {MARKER}\n"
        "\treturn fmt.Sprint(v)\n}\n"
    )


def _file(spec: Spec, k: int, f: int, rng: random.Random) -> str:
    prev = k > 0
    parts = [_edit_func(f)]
    for i in range(spec.funcs):
        template = rng.choice(_TEMPLATES)
        parts.append(
            template(f"{template.__name__.strip('_').title().replace('_', '')}{f}x{i}", rng, prev)
        )
    if f == 0:
        parts.insert(0, _types(spec, k))
    imports = [f'\t"{name}"' for name in _IMPORTS]
    if prev:
        imports.append(f'\tprev "{import_path(spec, k - 1)}"')
    # Blank uses keep every import legal whatever the templates drew.
    uses = ["var _ = sort.Ints", "var _ = strconv.Itoa", "var _ = strings.Join"]
    if prev:
        uses.append("var _ = prev.NewItem")
    return (
        f"package {package_name(spec, k)}\n\n"
        "import (\n" + "\n".join(imports) + "\n)\n\n" + "\n".join(uses) + "\n\n" + "\n".join(parts)
    )


def render(spec: Spec) -> dict[str, str]:
    """Every file of the module, by repo-relative path. Pure and deterministic."""
    if spec.packages < 1 or spec.files < 1 or spec.funcs < 0:
        raise ValueError(f"invalid spec: {spec}")
    rng = random.Random(spec.seed)
    out = {"go.mod": f"module {MODULE}\n\ngo 1.21\n"}
    for k in range(spec.packages):
        for f in range(spec.files):
            out[file_path(spec, k, f)] = _file(spec, k, f, rng)
    return out


def count_functions(files: dict[str, str]) -> int:
    return sum(len(re.findall(r"^func ", text, re.MULTILINE)) for text in files.values())


def git(root: Path, *args: str) -> str:
    env = {**os.environ, **_GIT_ENV}
    for name in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"):
        env.pop(name, None)
    return subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    ).stdout


def generate(dest: Path, spec: Spec) -> dict[str, str]:
    """Write the module into `dest` (created, must be empty) and commit it on branch main."""
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty")
    files = render(spec)
    for rel, text in files.items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", f"generated: {spec.packages} packages, seed {spec.seed}")
    return files


def edit(root: Path, spec: Spec, k: int, f: int, token: int, *, escape: bool = True) -> Path:
    """Rewrite the Edit function of file `f` in package `k`: a change the compiler must see.

    With `escape`, the new line also adds one `v escapes to heap` (an interface conversion)."""
    path = root / file_path(spec, k, f)
    text = path.read_text(encoding="utf-8")
    sink = "; benchSink = fmt.Sprint(v)" if escape else ""
    new, count = _MARKER_LINE.subn(f"\tv += {token}{sink} {MARKER}", text)
    if count != 1:
        raise ValueError(f"{path}: expected one edit marker, found {count}")
    path.write_text(new, encoding="utf-8")
    return path


def edit_inlined(root: Path, spec: Spec, k: int, token: int) -> Path:
    """Rewrite the marker line of package `k`'s NewItem, which package k+1 inlines: a
    change whose cost includes compiling that importer again."""
    path = root / file_path(spec, k, 0)
    text = path.read_text(encoding="utf-8")
    new, count = _INLINE_MARKER_LINE.subn(f"\tid += {token} {INLINE_MARKER}", text)
    if count != 1:
        raise ValueError(f"{path}: expected one inlined-edit marker, found {count}")
    path.write_text(new, encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--packages", type=int, default=Spec.packages)
    parser.add_argument("--files", type=int, default=Spec.files, help="files per package")
    parser.add_argument("--funcs", type=int, default=Spec.funcs, help="functions per file")
    parser.add_argument("--seed", type=int, default=Spec.seed)
    args = parser.parse_args(argv)
    spec = Spec(packages=args.packages, files=args.files, funcs=args.funcs, seed=args.seed)
    try:
        files = generate(args.dest, spec)
    except (OSError, ValueError) as err:
        print(f"generate: {err}", file=sys.stderr)
        return 2
    print(
        f"{args.dest}: module {MODULE}, {spec.packages} packages, {len(files) - 1} files, "
        f"{count_functions(files)} functions, head {git(args.dest, 'rev-parse', 'HEAD').strip()}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
