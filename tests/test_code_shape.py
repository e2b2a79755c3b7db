"""The shape the code keeps (issue 14, "How we will know"), checked on every test run:

- no function in the import and database layers (jingzhun/registry, teams, tabular, db) is over
  `MAX_LINES` lines or has a cyclomatic complexity over `MAX_COMPLEXITY`, as radon measures them (a
  function's lines run from its `def` to its last line, nested functions included; its complexity is
  radon's, in which each nested function is measured on its own);
- no module of jingzhun/ imports another module's private name (`from a.b import _x`, `from a._b import
  x`, or `a.b._x` on an imported module): what a module shares, it names without an underscore.

Today's offenders are listed below with their size when the check was written. The lists may only shrink:
a listed entry that grows, or that no longer offends (rewritten, renamed, removed), fails the test until it
is taken off the list, so a rewrite cannot leave a stale exemption behind for the next offender to hide in.
Nothing may be added to them; write the function smaller instead. Last, who imports whom: the register, the
area tree, the audit log and the core import no app built on them, and nothing imports the demo.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from radon.visitors import Class, ComplexityVisitor, Function

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "jingzhun"
MEASURED = ("registry", "teams", "tabular", "db")  # tabular/ and db/ are skipped until they exist
MAX_LINES = 100
MAX_COMPLEXITY = 40

# file::function (methods as Class.method, nested functions as outer.inner) → (lines, complexity) when
# listed (none left; a new offender fails the test).
OVERSIZED: dict[str, tuple[int, int]] = {}

# importing file → the private names it takes from other modules (none left; a new one fails the test).
PRIVATE_IMPORTS: dict[str, frozenset[str]] = {}


def sources(under: Path) -> Iterator[Path]:
    for path in sorted(under.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# --- function size and complexity ---------------------------------------------------------------------------

def functions(block: Function | Class, prefix: str = "") -> Iterator[tuple[str, Function]]:
    """Every function of a radon block, methods and nested functions included, with its qualified name."""
    if isinstance(block, Class):
        for method in block.methods:
            yield from functions(method, f"{prefix}{block.name}.")
        for inner in block.inner_classes:
            yield from functions(inner, f"{prefix}{block.name}.")
        return
    yield prefix + block.name, block
    for closure in block.closures:
        yield from functions(closure, f"{prefix}{block.name}.")


def measure(source: str) -> dict[str, tuple[int, int]]:
    """name → (lines, complexity) of every function in `source`."""
    visitor = ComplexityVisitor.from_code(source)
    return {name: (f.endline - f.lineno + 1, f.complexity)
            for block in [*visitor.functions, *visitor.classes] for name, f in functions(block)}


def oversized() -> dict[str, tuple[int, int]]:
    found = {}
    for layer in MEASURED:
        for path in sources(PACKAGE / layer) if (PACKAGE / layer).is_dir() else ():
            for name, (lines, complexity) in measure(path.read_text(encoding="utf-8")).items():
                if lines > MAX_LINES or complexity > MAX_COMPLEXITY:
                    found[f"{rel(path)}::{name}"] = (lines, complexity)
    return found


def test_the_measure_counts_lines_nested_functions_and_branches() -> None:
    """The measure on known functions: `outer` 6 lines, complexity 1 + an if + two conditional expressions = 4
    (its nested function counted on its own: 1 + an if); a method by its class."""
    source = ("def outer(x):\n"
              "    def inner(y):\n"
              "        if y:\n"
              "            return 1\n"
              "    if x == 1: return 1\n"
              "    return 2 if x == 2 else (3 if x == 3 else inner(x))\n"
              "class C:\n"
              "    def m(self):\n"
              "        return 0\n")
    assert measure(source) == {"outer": (6, 4), "outer.inner": (3, 2), "C.m": (2, 1)}


def test_no_function_is_too_long_or_too_complex() -> None:
    found = oversized()
    new = {k: v for k, v in found.items() if k not in OVERSIZED}
    assert not new, (f"函数超过 {MAX_LINES} 行或圈复杂度超过 {MAX_COMPLEXITY} / functions over {MAX_LINES} lines "
                     f"or a cyclomatic complexity of {MAX_COMPLEXITY} (lines, complexity): {new}")
    grown = {k: (OVERSIZED[k], v) for k, v in found.items()
             if k in OVERSIZED and (v[0] > OVERSIZED[k][0] or v[1] > OVERSIZED[k][1])}
    assert not grown, f"listed functions grew (listed, now): {grown}"


def test_the_oversized_list_only_shrinks() -> None:
    stale = sorted(set(OVERSIZED) - set(oversized()))
    assert not stale, f"no longer over the limits (or gone): take them off OVERSIZED: {stale}"


# --- private names across modules ---------------------------------------------------------------------------

def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def absolute(node: ast.ImportFrom, me: str, package: bool) -> str:
    """The absolute module of a `from … import`, relative ones resolved against the importing module `me`."""
    if not node.level:
        return node.module or ""
    parts = me.split(".") if package else me.split(".")[:-1]
    parts = parts[:len(parts) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


def private_imports(path: Path, me: str | None = None) -> set[str]:
    """The private names of other jingzhun modules `path` (the module `me`, by default its own name) imports
    or reaches through an imported module."""
    me = me or module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    modules: dict[str, str] = {}  # local dotted name → the jingzhun module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = absolute(node, me, path.name == "__init__.py")
            if not base.startswith("jingzhun"):
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if private(alias.name) or any(private(p) for p in base.split(".")):
                    found.add(full)
                if is_module(full):
                    modules[alias.asname or alias.name] = full
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("jingzhun"):
                    if any(private(p) for p in alias.name.split(".")):
                        found.add(alias.name)
                    modules[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            chain, value = [], node.value
            while isinstance(value, ast.Attribute):
                chain.append(value.attr)
                value = value.value
            if isinstance(value, ast.Name):
                target = modules.get(".".join([value.id, *reversed(chain)]))
                if target is not None and target != me:
                    found.add(f"{target}.{node.attr}")
    return found


def all_private_imports() -> dict[str, frozenset[str]]:
    found = {rel(p): frozenset(private_imports(p)) for p in sources(PACKAGE)}
    return {k: v for k, v in found.items() if v}


def test_the_walk_finds_each_form(tmp_path: Path) -> None:
    """Each form, in a file read as the module jingzhun.registry.probe: a from-import of a private name, a
    relative one, a name in a private module, attribute access on an imported module (bound by `from`, by
    `import … as` and by a plain `import`). Public names, dunders, the module's own private names and a private
    attribute of an object that is not a module are not findings."""
    probe = tmp_path / "probe.py"
    probe.write_text("from jingzhun.registry.reading import _parse_csv, Limits\n"
                     "from .reading import _cell_text\n"
                     "from jingzhun._hidden import thing\n"
                     "from jingzhun import crypto, __version__\n"
                     "import jingzhun.registry.bulk as bulk\n"
                     "import jingzhun.identity\n"
                     "crypto._master()\n"
                     "bulk._duckdb_sqlite_extension\n"
                     "jingzhun.identity._private\n"
                     "Limits._meta\n"
                     "def _own(): pass\n"
                     "_own()\n", encoding="utf-8")
    assert private_imports(probe, "jingzhun.registry.probe") == {
        "jingzhun.registry.reading._parse_csv", "jingzhun.registry.reading._cell_text", "jingzhun._hidden.thing",
        "jingzhun.crypto._master", "jingzhun.registry.bulk._duckdb_sqlite_extension", "jingzhun.identity._private"}


def test_no_private_name_crosses_a_module_boundary() -> None:
    found = all_private_imports()
    new = {path: sorted(names - PRIVATE_IMPORTS.get(path, frozenset())) for path, names in found.items()}
    new = {path: names for path, names in new.items() if names}
    assert not new, f"导入了其他模块的私有名称 / private names imported from other modules: {new}"


def test_the_private_import_list_only_shrinks() -> None:
    found = all_private_imports()
    stale = {path: sorted(names - found.get(path, frozenset())) for path, names in PRIVATE_IMPORTS.items()}
    stale = {path: names for path, names in stale.items() if names}
    assert not stale, f"no longer imported: take them off PRIVATE_IMPORTS: {stale}"


# --- who imports whom ---------------------------------------------------------------------------------------

# The apps built on the register; the register, the area tree, the audit log and the core import none of
# them (the access layer's own rule is in tests/test_access_pairs.py). The demo is the top: nothing imports it.
ABOVE_THE_REGISTER = ("teams", "identification", "crosscheck", "appraisal", "plans", "web", "demo")
BELOW = {"registry": ABOVE_THE_REGISTER, "areas": ("registry", *ABOVE_THE_REGISTER),
         "audit": ("registry", *ABOVE_THE_REGISTER), "core": ("areas", "registry", "audit", *ABOVE_THE_REGISTER)}


def imported_packages(path: Path) -> set[str]:
    """The second part of every jingzhun module `path` imports (function-level imports included)."""
    me = module_name(path)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = absolute(node, me, path.name == "__init__.py")
            names = [f"{base}.{a.name}" for a in node.names] if base == "jingzhun" else [base]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found.update(n.split(".")[1] for n in names if n.startswith("jingzhun.") and n.count(".") >= 1)
    return found


def test_lower_apps_import_no_app_above_them() -> None:
    wrong = {}
    for package, above in BELOW.items():
        for path in sources(PACKAGE / package):
            reached = imported_packages(path) & set(above)
            if reached:
                wrong[rel(path)] = sorted(reached)
    assert not wrong, f"下层模块导入了上层应用 / a lower module imports an app above it: {wrong}"


def test_nothing_imports_the_demo() -> None:
    wrong = [rel(p) for p in sources(PACKAGE) if "demo" in imported_packages(p) and "demo" not in p.parts]
    assert not wrong, f"演示应用只能在最上层 / the demo app is the top, imported by nothing: {wrong}"
