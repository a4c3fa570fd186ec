"""The package's layers, read from the source with ``ast``.

``pages/`` → ``trustdash.ui`` → domain (analysis, trust, sentiment, ingest, formats,
report…) → ``trustdash.store`` (the only SQL); ``trustdash.readers`` sits below
``trustdash.formats``. Streamlit stays in ``trustdash.ui``; the store imports nothing
above it; ``trustdash`` modules import each other without a cycle, and the UI, the
readers and the formats import at module top (a function-level import hides a cycle
or a layer crossing from this test). ``trustdash.store`` may be a module or a package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "trustdash"

# Modules the store may not import: everything that is built on it.
ABOVE_STORE = (
    "trustdash.analysis", "trustdash.backup", "trustdash.bench", "trustdash.charts",
    "trustdash.cli", "trustdash.demo", "trustdash.exporting", "trustdash.formats",
    "trustdash.inbox", "trustdash.ingest", "trustdash.privacy", "trustdash.readers",
    "trustdash.report", "trustdash.rescoring", "trustdash.sentiment", "trustdash.trust",
    "trustdash.ui", "trustdash.workspace",
)  # fmt: skip
# Where every import sits at module top. (trustdash.cli and trustdash.bench import
# inside functions on purpose: a command or a benchmark loads only what it runs.)
TOP_ONLY = ("trustdash.ui", "trustdash.readers", "trustdash.formats")


@dataclass(frozen=True)
class Import:
    target: str  # the trustdash module (or the third-party top-level name) imported
    line: int
    top_level: bool  # runs when the module is imported (not in a function body)
    type_only: bool  # under ``if TYPE_CHECKING:``


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _within(name: str, prefixes: tuple[str, ...] | str) -> bool:
    if isinstance(prefixes, str):
        prefixes = (prefixes,)
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    # a package's own name is its __init__; a module's package is its parent
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    source = _resolve(module, is_package, node)
    out = []
    for alias in node.names:
        # ``from trustdash import trust`` imports the module trustdash.trust
        sub = f"{source}.{alias.name}"
        out.append(sub if sub in MODULES else source)
    return out


def imports(module: str, source: str, is_package: bool = False) -> list[Import]:
    """Every import in ``source``, the text of ``module``."""
    tree = ast.parse(source)
    found: list[Import] = []

    def visit(node: ast.AST, top_level: bool, type_only: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for t in _targets(module, is_package, node):
                found.append(Import(t, node.lineno, top_level, type_only))
            return
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            top_level = False
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.body:
                visit(child, top_level, True)
            for child in node.orelse:
                visit(child, top_level, type_only)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, top_level, type_only)

    visit(tree, True, False)
    return found


IMPORTS: dict[str, list[Import]] = {
    m: imports(m, p.read_text(encoding="utf-8"), p.name == "__init__.py")
    for m, p in MODULES.items()
}


def _violations(rule) -> Iterator[str]:
    for module, found in IMPORTS.items():
        for imp in found:
            why = rule(module, imp)
            if why:
                yield f"{MODULES[module].relative_to(ROOT)}:{imp.line}: {why}"


def test_the_source_is_found() -> None:
    # guards the other tests against passing on an empty walk
    for name in ("trustdash.ui.guard", "trustdash.readers", "trustdash.formats"):
        assert name in MODULES
    assert any(_within(m, "trustdash.store") for m in MODULES)
    assert any(i.target == "streamlit" for i in IMPORTS["trustdash.ui.guard"])


# The crowd benchmark is a client of a running app: it speaks Streamlit's wire protocol
# (its message classes), never Streamlit's API.
PROTOCOL_CLIENTS = {"trustdash.bench.sessions": "streamlit.proto"}


def test_streamlit_only_in_ui() -> None:
    def rule(module: str, imp: Import) -> str | None:
        if _within(imp.target, "streamlit") and not _within(module, "trustdash.ui"):
            if module in PROTOCOL_CLIENTS and _within(imp.target, PROTOCOL_CLIENTS[module]):
                return None
            return "imports streamlit outside trustdash/ui/"
        return None

    assert list(_violations(rule)) == []


def test_domain_does_not_import_ui() -> None:
    def rule(module: str, imp: Import) -> str | None:
        if _within(imp.target, "trustdash.ui") and not _within(module, "trustdash.ui"):
            return f"imports {imp.target}: only pages/ import the UI"
        return None

    assert list(_violations(rule)) == []


def test_store_imports_nothing_above_it() -> None:
    def rule(module: str, imp: Import) -> str | None:
        if _within(module, "trustdash.store") and _within(imp.target, ABOVE_STORE):
            return f"the store imports {imp.target}, which is built on the store"
        return None

    assert list(_violations(rule)) == []


def test_readers_sit_below_formats() -> None:
    def rule(module: str, imp: Import) -> str | None:
        if _within(module, "trustdash.readers") and _within(imp.target, "trustdash.formats"):
            return "readers imports formats, which is built on readers"
        return None

    assert list(_violations(rule)) == []


def test_no_function_level_imports_in_ui_readers_formats() -> None:
    def rule(module: str, imp: Import) -> str | None:
        if _within(module, TOP_ONLY) and not imp.top_level:
            return f"imports {imp.target} inside a function: import at module top"
        return None

    assert list(_violations(rule)) == []


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, found in IMPORTS.items():
        graph[module] = {
            i.target for i in found
            if i.top_level and not i.type_only and i.target in MODULES and i.target != module
        }  # fmt: skip
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (its modules in order, the first repeated at the
    end), or None when the graph is acyclic."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_walker_sees_every_kind_of_import() -> None:
    """Function-level, TYPE_CHECKING and relative imports are all found and told apart."""
    src = (
        "from typing import TYPE_CHECKING\n"
        "import streamlit as st\n"
        "from . import base\n"
        "if TYPE_CHECKING:\n"
        "    from trustdash.store import Store\n"
        "def f():\n"
        "    from trustdash import readers\n"
    )
    found = imports("trustdash.formats.probe", src)
    got = {(i.target, i.top_level, i.type_only) for i in found}
    assert got == {
        ("typing", True, False),
        ("streamlit", True, False),
        ("trustdash.formats.base", True, False),
        ("trustdash.store", True, True),
        ("trustdash.readers", False, False),
    }


def test_no_import_cycles() -> None:
    cycle = find_cycle(_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


@pytest.mark.parametrize("page", sorted((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"],
                         ids=lambda p: p.name)  # fmt: skip
def test_pages_are_a_guard_then_a_view(page: Path) -> None:
    """A page imports the shared guard and one view, and calls them: nothing else."""
    tree = ast.parse(page.read_text(encoding="utf-8"))
    body = [
        n for n in tree.body
        if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
    ]  # fmt: skip
    froms = [n for n in body if isinstance(n, ast.ImportFrom)]
    assert [n.module for n in froms][:1] == ["trustdash.ui.guard"]
    assert all((n.module or "").startswith("trustdash.ui.") for n in froms)
    assert len(body) <= 4, f"{page.name} does more than the guard and a view"


def private_uses(module: str, source: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, name) of each private name (one leading underscore) of another trustdash
    module that ``module`` reads: ``from m import _x``, or ``_x`` read off a module bound
    by ``import``/``from ... import m``."""
    tree = ast.parse(source)
    bound: dict[str, str] = {}  # local name -> trustdash module
    found: list[tuple[int, str]] = []

    def private(name: str) -> bool:
        return name.startswith("_") and not name.startswith("__")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES and alias.asname:
                    bound[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            source_mod = _resolve(module, is_package, node)
            for alias in node.names:
                full = f"{source_mod}.{alias.name}"
                if full in MODULES:
                    bound[alias.asname or alias.name] = full
                elif private(alias.name) and source_mod != module:
                    found.append((node.lineno, f"{source_mod}.{alias.name}"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
            and bound[node.value.id] != module
            and private(node.attr)
        ):
            found.append((node.lineno, f"{bound[node.value.id]}.{node.attr}"))
    return found


def test_private_use_is_found() -> None:
    src = (
        "from trustdash.sentiment import engine\n"
        "from trustdash.sentiment.engine import _tables\n"
        "engine._base_parts()\nengine.score([])\n"
    )
    got = private_uses("trustdash.sentiment.train_goemotions", src)
    assert [name for _, name in got] == [
        "trustdash.sentiment.engine._tables",
        "trustdash.sentiment.engine._base_parts",
    ]


def test_modules_use_only_public_names_of_each_other() -> None:
    bad = [
        f"{MODULES[m].relative_to(ROOT)}:{line}: {name}"
        for m, p in MODULES.items()
        for line, name in private_uses(m, p.read_text(encoding="utf-8"), p.name == "__init__.py")
    ]
    assert not bad, "\n".join(bad)
