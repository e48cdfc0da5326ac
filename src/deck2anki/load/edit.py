"""Edit a deck file's text in place: every byte outside the edit stays as it was.

Re-dumping the YAML would lose comments, quoting, order and layout, which are the
contributors' own. So edits are splices of the original text at the positions the loader
recorded, and values are written in the style they had where YAML allows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from ..problems import Position
from .hints import is_content
from .positions import LoadedFile, child_node

_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


class EditError(Exception):
    """The file's layout defeats an in-place edit; the message says what to do by hand."""


@dataclass(frozen=True)
class Splice:
    """Replace ``text[start:end]`` with ``new``."""

    start: int
    end: int
    new: str


def apply(text: str, splices: Iterable[Splice]) -> str:
    """``text`` with non-overlapping ``splices`` made (from the end, so offsets hold)."""
    out = text
    last = len(text) + 1
    for splice in sorted(splices, key=lambda s: (s.start, s.end), reverse=True):
        if splice.end > last:
            raise EditError("two edits overlap; edit the file by hand")
        out = out[:splice.start] + splice.new + out[splice.end:]
        last = splice.start
    return out


def _line_starts(text: str) -> list[int]:
    starts = [0]
    # Every break YAML reads as one, NEL and the Unicode separators included.
    starts += [m.end() for m in re.finditer(_BREAK, text)]
    return starts


def _offset(text: str, mark: yaml.Mark) -> int:
    # From line and column, not the mark's index: libyaml and PyYAML count that index
    # differently, and both agree on lines and columns (in characters).
    return _line_starts(text)[mark.line] + mark.column


def _eol(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def scalar(value: str, style: str | None, indent: int, eol: str = "\n", *,
           block: bool = True) -> str:
    """``value`` as a YAML scalar that reads back as exactly ``value``: in ``style``
    ('', "'", '"', '|' or '>') where YAML allows, a literal block for several lines
    (its lines at column ``indent``; unless ``block`` is False: something follows it on
    its line), else double-quoted."""
    multiline = "\n" in value
    if _BREAK.search(value.replace("\n", "")) or any(c in value for c in "\x7f\ufeff"):
        block = False  # breaks and characters a block cannot hold: double-quoted escapes
    if block and multiline and value == value.strip() and "\t" not in value and all(
            line == line.rstrip() for line in value.split("\n")):
        body = eol.join((" " * indent + line) if line else "" for line in value.split("\n"))
        return "|-" + eol + body
    if multiline or style in ("|", ">"):
        style = '"'
    dumped = yaml.safe_dump(value, default_style=style or None, allow_unicode=True,
                            width=1 << 30)
    dumped = dumped.removesuffix("\n...\n").rstrip("\n")
    if "\n" in dumped:  # a style PyYAML had to break over lines: one line, double-quoted
        dumped = yaml.safe_dump(value, default_style='"', allow_unicode=True,
                                width=1 << 30).rstrip("\n")
    return dumped


def _mapping(loaded: LoadedFile, path: tuple[str | int, ...]) -> yaml.MappingNode:
    node = loaded.node_at(path)[0]
    if not isinstance(node, yaml.MappingNode) or node.flow_style:
        raise EditError("the entry is written in flow style ({...}); write it as key: value "
                        "lines")
    return node


def set_value(text: str, loaded: LoadedFile, path: tuple[str | int, ...], name: str,
              value: str) -> Splice:
    """Set property ``name`` of the mapping at ``path`` to ``value``: its value replaced
    in place, or, if absent, a line added after the mapping's last line of content."""
    node = _mapping(loaded, path)
    entry = child_node(node, name)
    eol = _eol(text)
    if entry is None:
        key_column = node.start_mark.column
        after = _content_end(text, node)
        return Splice(after, after, _own_line(text, after, eol) + " " * key_column
                      + f"{name}: " + scalar(value, None, key_column + 2, eol) + eol)
    key, found = entry
    if not isinstance(found, yaml.ScalarNode) or key is None:
        raise EditError(f"{name!r} is not a text; write it as text by hand")
    start, end = _offset(text, found.start_mark), _offset(text, found.end_mark)
    _own(text, start, found)
    style = found.style or ""
    if style in ("|", ">"):
        # A block ends after its line break (and any blank lines): keep those as they were.
        end = start + len(text[start:end].rstrip("\r\n"))
        while end < len(text) and text[end - 1] not in "\r\n" and text[end] not in "\r\n":
            end += 1
    line_end = text.find("\n", end)
    rest = text[end:line_end if line_end >= 0 else len(text)]
    return Splice(start, end, scalar(value, style, key.start_mark.column + 2, eol,
                                     block=not rest.strip()))


def set_item(text: str, loaded: LoadedFile, path: tuple[str | int, ...], index: int,
             value: str) -> Splice:
    """Replace the text item ``index`` of the list at ``path`` with ``value``."""
    node = loaded.node_at(path)[0]
    if not isinstance(node, yaml.SequenceNode) or index >= len(node.value):
        raise EditError("the list has no such item; edit it by hand")
    item = node.value[index]
    if not isinstance(item, yaml.ScalarNode) or item.style in ("|", ">"):
        raise EditError("the item is not a one-line text; edit it by hand")
    start, end = _offset(text, item.start_mark), _offset(text, item.end_mark)
    _own(text, start, item)
    # In [a, b] a plain ',' or ']' would end the item: always quoted there.
    style = '"' if node.flow_style else item.style or ""
    return Splice(start, end, scalar(value, style, item.start_mark.column + 2, _eol(text),
                                     block=False))


def add_entry(text: str, loaded: LoadedFile, path: tuple[str | int, ...],
              block: str) -> Splice:
    """Add ``block`` (YAML lines written at column 0) as the last entries of the mapping
    at ``path``, indented like its keys."""
    node = _mapping(loaded, path)
    pad, eol = " " * node.start_mark.column, _eol(text)
    lines = (pad + line if line else line for line in block.rstrip("\n").split("\n"))
    after = _content_end(text, node)
    return Splice(after, after, _own_line(text, after, eol) + eol.join(lines) + eol)


def _own_line(text: str, offset: int, eol: str) -> str:
    """What starts a line at ``offset``: nothing, or a break if the file's last line
    has none."""
    return eol if offset == len(text) and text and text[-1] not in "\r\n" else ""


def _own(text: str, start: int, node: yaml.Node) -> None:
    """Refuse a value written elsewhere (an alias of an anchor) or anchored for others:
    editing it in place would change, or break, the cards that share it."""
    if text[start:start + 1] in ("&", "*") or node.tag != "tag:yaml.org,2002:str":
        raise EditError("the value is shared through an anchor or alias, or tagged; edit "
                        "it by hand")


def remove(text: str, loaded: LoadedFile, path: tuple[str | int, ...], name: str) -> Splice:
    """Remove property ``name`` of the mapping at ``path``, with its lines."""
    node = _mapping(loaded, path)
    entry = child_node(node, name)
    if entry is None:
        return Splice(0, 0, "")
    key, found = entry
    if key is None:
        return Splice(0, 0, "")
    starts = _line_starts(text)
    line_start = starts[key.start_mark.line]
    if text[line_start:_offset(text, key.start_mark)].strip():
        raise EditError(f"{name!r} shares its line with another key; remove it by hand")
    end = _offset(text, found.end_mark)
    if found.end_mark.column != 0 or found.end_mark.line == key.start_mark.line:
        line = found.end_mark.line
        end = starts[line + 1] if line + 1 < len(starts) else len(text)
    return Splice(line_start, end, "")


def after_entry(text: str, loaded: LoadedFile, path: tuple[str | int, ...]) -> int:
    """The offset just after the last line of content of the value at ``path`` (before
    the blank lines and comments that head what follows)."""
    return _content_end(text, loaded.node_at(path)[0])


def _content_end(text: str, node: yaml.Node) -> int:
    """The offset just after the mapping's last line of content (its line break kept)."""
    starts = _line_starts(text)
    # The last value's end, not the mapping's: a mapping in a list ends where the next
    # item starts, on that item's line.
    last = node
    while isinstance(last, yaml.MappingNode | yaml.SequenceNode) and last.value and \
            not last.flow_style:
        entry = last.value[-1]
        last = entry[1] if isinstance(entry, tuple) else entry
    line = last.end_mark.line if last.end_mark.column else last.end_mark.line - 1
    lines = text.splitlines(keepends=True)
    while line > node.start_mark.line and not is_content(lines[line]):
        line -= 1
    if line + 1 < len(starts):
        return starts[line + 1]
    return len(text)


def place_card(original: str, loaded: LoadedFile, cards: list[Any], kind: str,
            stub: str) -> tuple[str, Position]:
    """The file with ``stub`` after the last card of its kind (so that two pull requests
    adding cards of different kinds do not both append at the end, where git sees a
    conflict), or at the end if the deck has none; and where the stub starts.

    The stub is laid out like the deck's own cards (their indentation, the spaces after
    '- '), and keeps the file's line endings."""
    crlf = "\r\n" in original
    text = re.sub(r"(?m)^cards:[ \t]*\[\s*\][ \t]*$", "cards:", original.replace("\r\n", "\n"))
    if not text.endswith("\n"):
        text += "\n"
    lines = text.splitlines(keepends=True)
    mine = [i for i, c in enumerate(cards) if isinstance(c, dict) and c.get("kind") == kind]
    anchor = mine[-1] if mine else len(cards) - 1
    if anchor < 0:  # the first card: the template's layout
        return lined(text + stub, crlf), Position(len(lines) + 1, 3)
    start, end = loaded.span(("cards", anchor))
    item = lines[start.line - 1]
    dash = item.rfind("-", 0, start.column - 1)
    dash = dash if dash >= 0 else max(start.column - 3, 0)
    flow = item[start.column - 1:start.column] == "{"
    key = dash + 2 if flow else start.column - 1
    if end.column > 1 and lines[end.line - 1][:end.column - 1].strip():
        after = end.line  # it ends within its last line (a flow mapping): after that line
    else:
        # It ends on its last line of content: blank lines and the comments that head
        # the next section stay where they are, after the new card.
        after = end.line - 1
        while after > start.line and not is_content(lines[after - 1]):
            after -= 1
    # Cards read best one blank line apart, where the deck keeps them so.
    gap = "\n" if after >= len(lines) or not lines[after].strip() else ""
    lines.insert(after, gap + laid_out(stub, dash, key))
    return lined("".join(lines), crlf), Position(after + 1 + len(gap), dash + 1)


def laid_out(stub: str, dash: int, key: int) -> str:
    """The stub (one or more cards, each written as '  - id: ...' with its keys at
    column 5) with each '-' at column ``dash`` and the keys at column ``key`` (0-based)."""
    def line_of(line: str) -> str:
        if line.startswith("  - "):  # a card's first line
            return " " * dash + "-" + " " * max(key - dash - 1, 1) + line[4:]
        return " " * key + line[4:] if line.strip() else line

    return "".join(line_of(line) for line in stub.splitlines(keepends=True))


def lined(text: str, crlf: bool) -> str:
    return text.replace("\n", "\r\n") if crlf else text
