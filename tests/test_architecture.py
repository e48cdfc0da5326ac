"""The house keeps its shape: data flows down, no room is too big, heavy libraries stay
in the one room that needs them, and docs/architecture.md draws the imports as they are.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT, SRC

PACKAGE = SRC / "deck2anki"
FOLDERS = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
MAX_LINES = 400


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        yield ".".join(parts), path


def _imports(name: str, path: Path) -> Iterator[str]:
    """The package modules ``name`` imports (dotted, relative to the package)."""
    package = name.split(".")[:-1]  # a module's package; "x.__init__" is package x
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - (node.level - 1)]
            target = [*base, *(node.module.split(".") if node.module else [])]
            if node.module:
                yield ".".join(target)
            else:  # from . import x: x is a module of that package, or a name of its face
                for alias in node.names:
                    yield ".".join([*target, alias.name])


def _room(module: str) -> str:
    top = module.split(".")[0]
    return f"{top}/" if top in FOLDERS else top


def _known(module: str) -> bool:
    return (PACKAGE / f"{module.replace('.', '/')}.py").is_file() or (
        PACKAGE / module.replace(".", "/") / "__init__.py").is_file()


def module_edges() -> set[tuple[str, str]]:
    edges = set()
    for name, path in _modules():
        for target in _imports(name, path):
            while target and not _known(target):
                target = target.rpartition(".")[0]  # a name imported from a module
            if target and target != name and not target.endswith("__init__"):
                edges.add((name, target))
    return edges


def room_edges() -> set[tuple[str, str]]:
    return {(_room(a), _room(b)) for a, b in module_edges() if _room(a) != _room(b)
            and b not in ("__init__",)} - {(r, "__init__") for r in FOLDERS}


def _cycle(edges: set[tuple[str, str]]) -> list[str] | None:
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_module_imports_back_up() -> None:
    """No cycle between modules, nor between rooms (a folder counts as one room)."""
    assert _cycle(module_edges()) is None, _cycle(module_edges())
    assert _cycle(room_edges()) is None, _cycle(room_edges())


@pytest.mark.parametrize("name", [name for name, _ in _modules()])
def test_no_module_is_over_the_limit(name: str) -> None:
    path = PACKAGE / f"{name.replace('.', '/')}.py"
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name}: {lines} lines; split it by concern"


@pytest.mark.parametrize(("library", "home"), [
    ("genanki", {"write.apkg"}),  # only the package writer, only its public API
    ("yaml", {"load.parse", "load.positions", "load.hints", "load.edit",
              "load.fast"}),  # never the model (load.fast: PyYAML's implicit types)
    ("yaml_rs", {"load.fast"}),  # only for a clean file's data, never for positions
    ("chevron", {"write.preview"}),
    ("jsonschema", {"check.schema"}),
    ("jsonschema_rs", {"check.schema"}),
    ("orjson", {"release.stamps"}),  # the canonical JSON each note's stamp hash is of
    ("msgspec", {"release.stamps"}),  # the stamps file read into typed entries
    ("markdown_it", {"markup/"}),
    ("nh3", {"markup/", "foreign"}),  # card text, and the templates imported decks keep
    ("anki", {"importing.package"}),  # the optional engine: only to read an export
    ("markdownify", {"importing.html"}),
    ("bs4", {"importing.html", "importing.fields"}),
    ("click", {"cli/"}),  # the command line, a folder of its own
])
def test_each_library_lives_in_its_room(library: str, home: set[str]) -> None:
    users = set()
    for name, path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom)
                     and not node.level else [])
            if any(n.split(".")[0] == library for n in names):
                users.add(name if name in home else _room(name))
    assert users == home


def test_genanki_is_used_through_its_public_api() -> None:
    text = (PACKAGE / "write" / "apkg.py").read_text(encoding="utf-8")
    assert not re.search(r"genanki\.[a-z_]+\.|from genanki[.\w]* import|genanki\._", text)


def test_the_architecture_doc_draws_the_imports_as_they_are() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = re.search(r"```mermaid\n(.*?)```", doc, re.DOTALL)
    assert block, "docs/architecture.md has no mermaid graph"
    drawn = set()
    for line in block.group(1).splitlines():
        if match := re.fullmatch(r"\s*(\S+)\s*-->\s*(\S+)\s*", line):
            drawn.add((match.group(1), match.group(2)))
    ids = {room: re.sub(r"\W", "_", room).strip("_") for room in
           {r for edge in room_edges() for r in edge}}
    actual = {(ids[a], ids[b]) for a, b in room_edges()}
    assert drawn == actual, (
        f"not drawn: {sorted(actual - drawn)}; drawn but not imported: "
        f"{sorted(drawn - actual)} (update the graph in docs/architecture.md)")
