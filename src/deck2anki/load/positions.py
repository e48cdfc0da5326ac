"""The parsed file as the rest of deck2anki sees it: data, and positions on request.

PyYAML's marks are 0-based; ours are 1-based, as editors and ``path:line:col`` readers
expect. They are converted here and nowhere else (``position_of``), and only when a
problem asks where something is.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from ..problems import Position


class _Mark(Protocol):  # PyYAML's Python or libyaml's mark
    line: int
    column: int


def position_of(mark: _Mark | None) -> Position:
    """PyYAML's 0-based mark as our 1-based position: the one place it is converted."""
    if mark is None:
        return Position(1, 1)
    return Position(mark.line + 1, mark.column + 1)


class LoadedFile:
    """A parsed deck file: its data, and the node tree the data was built from.

    The positioned path hands its tree over at once. The fast path (``load.fast``) has
    none: the tree is composed the first time a problem asks where something is, so a
    clean file never pays for it, and a top-level value written plainly on its key's
    line is found in the text without it.
    """

    __slots__ = ("_compose", "_root", "_text", "data", "digest", "path")

    def __init__(self, path: Path, data: Any, root: yaml.Node | None = None, *,
                 text: str | None = None,
                 compose: Callable[[], yaml.Node] | None = None) -> None:
        if root is None and compose is None:
            raise ValueError("a loaded file needs its node tree or a way to compose it")
        self.path = path
        self.data = data
        self._root = root
        self._text = text
        self._compose = compose
        self.digest: str | None = None  # the SHA-256 of the file's bytes, if read from one

    @property
    def text(self) -> str | None:
        """The file's text, if it was read the fast way (None: it has its tree)."""
        return self._text

    @property
    def root(self) -> yaml.Node:
        if self._root is None:
            assert self._compose is not None  # __init__ requires one of the two
            self._root = self._compose()
        return self._root

    def node_at(self, path: Sequence[str | int]) -> tuple[yaml.Node, yaml.Node | None]:
        """The deepest node on ``path`` that exists, and the key node naming it (if any)."""
        node: yaml.Node = self.root
        key_node: yaml.Node | None = None
        for step in path:
            child = child_node(node, step)
            if child is None:
                break
            key_node, node = child
        return node, key_node

    def position(self, path: Sequence[str | int], *, key: bool = False) -> Position:
        if self._root is None and self._text is not None and len(path) == 1 and not key:
            found = _top_level_value(self._text, str(path[0]), self.data)
            if found is not None:
                return found
        node, key_node = self.node_at(path)
        if key and key_node is not None:
            return position_of(key_node.start_mark)
        return position_of(node.start_mark)

    def span(self, path: Sequence[str | int]) -> tuple[Position, Position]:
        """Where the value at ``path`` starts, and where it ends (exclusive)."""
        node = self.node_at(path)[0]
        return position_of(node.start_mark), position_of(node.end_mark)

    def items(self, path: Sequence[str | int]) -> list[PathWhere]:
        """Positions inside each item of the list at ``path`` (one per item)."""
        value = self.data
        for step in path:
            try:
                value = value[step]
            except (KeyError, IndexError, TypeError):
                return []
        if not isinstance(value, list):
            return []
        return [PathWhere(self, (*path, index)) for index in range(len(value))]

    def where(self, path: Sequence[str | int]) -> PathWhere:
        """Positions inside the mapping at ``path``, looked up when asked."""
        return PathWhere(self, tuple(path))


# Past blank lines and comments, a "{": the document is one flow mapping.
_FLOW_DOCUMENT = re.compile(r"(?:\s|#[^\n]*)*\{")


def _top_level_value(text: str, key: str, data: Any) -> Position | None:
    """Where ``key: value`` of the top-level mapping has its value, if the text says so
    beyond doubt: one line starts with the key, and the rest of it is the value as it
    was read (plain or quoted). Otherwise None: the node tree must say."""
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, str) or _FLOW_DOCUMENT.match(text):
        return None  # a file that is one flow mapping has its keys anywhere on a line
    pattern = re.compile(rf"{re.escape(key)}[ \t]*:[ \t]+(.*?)[ \t]*$", re.MULTILINE)
    # str.find, not a search from every position: this runs for every file.
    found = [m for at in _line_starts(text, key) if (m := pattern.match(text, at))]
    if len(found) != 1:
        return None
    written = found[0].group(1)
    if written not in (value, f'"{value}"', f"'{value}'") or "#" in written:
        return None
    start = found[0].start(1)
    line = text.count("\n", 0, start) + 1
    return Position(line, start - (text.rfind("\n", 0, start) + 1) + 1)


def _line_starts(text: str, word: str) -> list[int]:
    """Where the lines that start with ``word`` start."""
    starts = [0] if text.startswith(word) else []
    at = text.find("\n" + word)
    while at >= 0:
        starts.append(at + 1)
        at = text.find("\n" + word, at + 1)
    return starts


class PathWhere:
    """Where the value at ``path`` of a file starts, and where each of its properties
    does. The model holds it without seeing YAML: most cards never need a position, so
    none is looked up until a problem asks. (A plain class: one is made per card.)"""

    __slots__ = ("file", "path")

    def __init__(self, file: LoadedFile, path: tuple[str | int, ...]) -> None:
        self.file = file
        self.path = path

    @property
    def start(self) -> Position:
        return self.file.position(self.path)

    def at(self, name: str) -> Position | None:
        """Where property ``name`` (or ``steps[i]``) starts; None if it is absent."""
        return NodeWhere(self.file.node_at(self.path)[0]).at(name)


@dataclass(frozen=True)
class NodeWhere:
    """Where each property of one mapping starts. The model holds it without seeing YAML:
    most cards never need a position, so none is looked up until a problem asks."""

    node: yaml.Node

    @property
    def start(self) -> Position:
        return position_of(self.node.start_mark)

    def at(self, name: str) -> Position | None:
        """Where property ``name`` (or ``steps[i]``) starts; None if it is absent."""
        key, _, index = name.partition("[")
        path: list[str | int] = [key, int(index.rstrip("]"))] if index else [key]
        node = self.node
        for step in path:
            entry = child_node(node, step)
            if entry is None:
                return None
            node = entry[1]
        return position_of(node.start_mark)


def child_node(node: yaml.Node, step: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    """The key node (if any) and value node of ``node``'s entry ``step``, if it has one."""
    if isinstance(node, yaml.MappingNode):
        return _entries(node).get(str(step))
    if (isinstance(node, yaml.SequenceNode) and isinstance(step, int)
            and 0 <= step < len(node.value)):
        return None, node.value[step]
    return None


# Each mapping's entries by key, made on its first look-up: a mapping of many keys, each
# with a problem, would otherwise be searched whole for each one (quadratic).
_ENTRIES: weakref.WeakKeyDictionary[yaml.MappingNode, dict[str, tuple[yaml.Node, yaml.Node]]] = (
    weakref.WeakKeyDictionary())


def _entries(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    found = _ENTRIES.get(node)
    if found is None:
        # The last entry of a key is the one its value came from: building the data puts
        # a merge's ("<<: *card") entries before the mapping's own, which override them.
        found = {key_node.value: (key_node, value_node) for key_node, value_node in node.value
                 if isinstance(key_node, yaml.ScalarNode)}
        _ENTRIES[node] = found
    return found
