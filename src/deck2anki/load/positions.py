"""The parsed file as the rest of deck2anki sees it: data, and positions on request.

PyYAML's marks are 0-based; ours are 1-based, as editors and ``path:line:col`` readers
expect. They are converted here and nowhere else (``position_of``), and only when a
problem asks where something is.
"""

from __future__ import annotations

from collections.abc import Sequence
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


@dataclass(frozen=True)
class LoadedFile:
    """A parsed deck file: its data and the node tree the data was built from."""

    path: Path
    data: Any
    root: yaml.Node

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
        node, key_node = self.node_at(path)
        if key and key_node is not None:
            return position_of(key_node.start_mark)
        return position_of(node.start_mark)

    def span(self, path: Sequence[str | int]) -> tuple[Position, Position]:
        """Where the value at ``path`` starts, and where it ends (exclusive)."""
        node = self.node_at(path)[0]
        return position_of(node.start_mark), position_of(node.end_mark)

    def items(self, path: Sequence[str | int]) -> list[NodeWhere]:
        """Positions inside each item of the list at ``path`` (one per item)."""
        node = self.node_at(path)[0]
        return [NodeWhere(item) for item in node.value] if isinstance(
            node, yaml.SequenceNode) else []


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
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(step):
                return key_node, value_node
    elif (isinstance(node, yaml.SequenceNode) and isinstance(step, int)
          and 0 <= step < len(node.value)):
        return None, node.value[step]
    return None
