"""Load one deck file: bytes -> YAML node tree (with positions) -> plain data.

One parse gives both the data and the marks: PyYAML (with libyaml) composes the node
tree, we check it (duplicate keys, size, control characters) and construct the data
from the same tree. Characters and nesting depth are checked before composing. Every
failure becomes a :class:`~deck2anki.problems.Problem` with a position, never a
traceback.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ..files import ReadError, collector_paused, read_capped
from ..problems import InvalidInput, Position, Problem
from . import fast
from .hints import yaml_message
from .limits import (
    BIDI,
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    may_hide_controls,
    may_reorder,
    on_big_stack,
    refused,
)
from .limits import CONTROL as _CONTROL
from .positions import LoadedFile, position_of

# libyaml's safe loader when PyYAML was built with it (the wheels are): the same node
# tree and marks, several times faster than the pure-Python parser. Its composer
# recurses in C: see _compose and SAFE_COMPOSE_DEPTH.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_INT = "tag:yaml.org,2002:int"
# A whole number as people write it. YAML 1.1 reads others as no one means them: "010"
# as 8 (octal), "0x10" as 16, "1:30" as 90 (base 60), "1_0" as 10.
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
# Past this, a number is no deck's (and Python refuses to read one of 4,300 digits).
_MAX_DIGITS = 100
# Scalars whose resolver match guarantees they construct (a round number, retired: true).
_SIMPLE = frozenset(f"tag:yaml.org,2002:{t}" for t in ("int", "bool", "null", "float"))


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]  # PyYAML's C or Python loader
    """The safe loader, with its tag resolver's common answer given at once.

    libyaml calls back into Python to resolve every scalar's tag. A quoted scalar, or a
    plain one whose first character starts no implicit type (bool, int, float, null,
    timestamp, merge, value), is a string: the answer PyYAML's resolver reaches too,
    after a few lookups that cost a tenth of the load.
    """

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode and not self.yaml_path_resolvers and (
                not implicit[0] or (value[:1] not in self.yaml_implicit_resolvers
                                    and None not in self.yaml_implicit_resolvers
                                    and value != "")):
            return _STR
        tag: str = super().resolve(kind, value, implicit)
        return tag

# Characters YAML forbids in a file.
_FORBIDDEN = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# The same in UTF-8, for a scan at C speed: the bytes every allowed character is made of
# (what is left once they are deleted is a forbidden control), and the byte sequences
# that begin a forbidden character made of allowed bytes (U+0080-U+009F but NEL, lead
# byte C2 shared with U+00A0-U+00BF; U+FFFE, U+FFFF), which send a file to the regex.
_ALLOWED_BYTES = bytes([0x09, 0x0A, 0x0D, *range(0x20, 0x7F), *range(0x80, 0x100)])
_DOUBTFUL_UTF8 = (b"\xc2", b"\xef\xbf\xbe", b"\xef\xbf\xbf")


def _fail(path: Path, position: Position, message: str, code: str) -> InvalidInput:
    return InvalidInput([Problem(path, position, message, code)])


def _decode(path: Path, raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raise _fail(path, Position(1, 1), "file starts with a UTF-8 byte-order mark; "
                    "save it as UTF-8 without BOM", "encoding")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise _fail(path, Position(line, column), f"byte 0x{raw[exc.start]:02x} is not valid "
                    "UTF-8; save the file as UTF-8", "encoding") from exc


def _walk(path: Path, node: yaml.Node) -> Iterator[Problem]:
    """Check the tree once, counting nodes as construction would see them."""
    budget = MAX_NODES
    aliases = 0
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        budget -= 1
        if id(current) in seen and isinstance(current, yaml.CollectionNode):
            aliases += 1  # the composer shares an anchored node: this is an alias use
            if aliases > MAX_ALIASES:
                yield Problem(path, position_of(current.start_mark),
                              f"more than {MAX_ALIASES} alias uses; write the cards out "
                              "plainly instead of with anchors (&) and aliases (*)",
                              "too-many-aliases")
                return
        seen.add(id(current))
        if budget < 0:
            yield Problem(path, position_of(current.start_mark),
                          f"file expands to more than {MAX_NODES} YAML nodes (aliases are "
                          "counted each time they are used); write the cards out plainly",
                          "too-large")
            return
        if depth > MAX_DEPTH:
            yield Problem(path, position_of(current.start_mark),
                          f"nesting deeper than {MAX_DEPTH} levels; a deck needs only a few",
                          "too-deep")
            return
        if isinstance(current, yaml.MappingNode):
            yield from _duplicate_keys(path, current)
            for key_node, value_node in current.value:
                stack.append((value_node, depth + 1))
                stack.append((key_node, depth + 1))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in current.value)
        elif isinstance(current, yaml.ScalarNode):
            yield from _scalar_problems(path, current)


def _odd_number(node: yaml.Node) -> bool:  # too long for a deck, or not in plain digits
    value = node.value
    return node.tag == _INT and (len(value) > _MAX_DIGITS or not _DECIMAL.fullmatch(value))


def _scalar_problems(path: Path, node: yaml.ScalarNode) -> Iterator[Problem]:
    if bad := _CONTROL.search(node.value):
        yield Problem(path, position_of(node.start_mark), refused(bad.group()), "bad-character")
    if _odd_number(node) and len(node.value) > _MAX_DIGITS:
        yield Problem(path, position_of(node.start_mark),
                      f"a number of {len(node.value)} characters; a deck needs none longer "
                      "than a note type id (16 digits): shorten it, or quote it if it is text",
                      "out-of-range")
    elif _odd_number(node):
        yield _misread_number(path, node)


def _duplicate_keys(path: Path, node: yaml.MappingNode) -> Iterator[Problem]:
    keys: dict[str, yaml.Node] = {}
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            first = keys.setdefault(key_node.value, key_node)
            if first is not key_node:
                yield Problem(path, position_of(key_node.start_mark),
                              f"duplicate key {key_node.value!r} (first at line "
                              f"{position_of(first.start_mark).line}); YAML keeps only the "
                              "last one, so merge or rename them", "duplicate-key")


def _misread_number(path: Path, node: yaml.ScalarNode) -> Problem:
    try:
        read = yaml.constructor.SafeConstructor().construct_yaml_int(node)
    except (ValueError, IndexError):  # "!!int abc": no number at all
        return Problem(path, position_of(node.start_mark), f"{node.value!r} is tagged a "
                       "number but is none; write plain digits, or drop the tag", "wrong-type")
    return Problem(path, position_of(node.start_mark),
                   f"the number {node.value} reads as {read} (YAML takes a leading 0 for "
                   "octal, 0x for hexadecimal, ':' for base 60, and skips '_'); write it in "
                   "plain digits, or quote it if it is text", "number-spelling")


def _text_position(text: str, index: int) -> Position:
    before = text[:index]
    return Position(before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1)


def _check_characters(path: Path, text: str) -> None:
    if not _clean(text) and (bad := _FORBIDDEN.search(text)):
        raise _fail(path, _text_position(text, bad.start()), f"character U+{ord(bad.group()):04X} "
                    "is not allowed in YAML; delete it (it is often invisible)", "bad-character")
    if may_reorder(text) and (bad := BIDI.search(text)):
        raise _fail(path, _text_position(text, bad.start()), refused(bad.group()),
                    "bad-character")


def _clean(text: str) -> bool:
    """Whether ``text`` surely has no character :data:`_FORBIDDEN` finds (False: look)."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return False  # a lone surrogate: the regex says where
    return not data.translate(None, _ALLOWED_BYTES) and not any(
        sequence in data for sequence in _DOUBTFUL_UTF8)


def _check_depth(path: Path, text: str, loader: type[yaml.SafeLoader] = _Loader) -> None:
    """Refuse deep nesting from the event stream, before any recursive composing."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _fail(path, position_of(event.start_mark), f"nesting deeper than "
                            f"{MAX_DEPTH} levels; a deck needs only a few", "too-deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _check_depth_before(path: Path, text: str, mark: yaml.Mark | None) -> None:
    """Raise too-deep if the file nests past MAX_DEPTH before the parser's error at ``mark``.

    libyaml's scanner reads a run of brackets ahead before it yields their events, so it
    fails at its own limit before we can count; PyYAML's pure-Python parser yields each
    event as it goes and recurses nowhere. Only the lines up to the error are parsed.
    """
    end = len(text) if mark is None else _line_end(text, mark.line)
    # The syntax error comes first: theirs. (The pure-Python scanner can fail otherwise
    # than libyaml did, e.g. chr() on a "\\U00110000" escape libyaml refused.)
    with contextlib.suppress(yaml.YAMLError, ValueError):
        _check_depth(path, text[:end], yaml.SafeLoader)


def _line_end(text: str, line: int) -> int:
    """The index just past 0-based ``line`` of ``text``."""
    index = -1
    for _ in range(line + 1):
        index = text.find("\n", index + 1)
        if index < 0:
            return len(text)
    return index + 1


def load_text(path: Path, text: str, *, quick: bool = True) -> LoadedFile:
    """Parse deck text; raise :class:`InvalidInput` with positions on any problem.

    A clean file is read the fast way (unless not ``quick``), its node tree composed only
    if a problem asks where something is; any other file the positioned way, which finds
    its problems.
    """
    _check_characters(path, text)
    with collector_paused():
        data = fast.data_of(text) if quick else None
        if data is not None:
            return LoadedFile(path, data, text=text, compose=lambda: _tree(path, text))
        return _load(path, text)


def _tree(path: Path, text: str) -> yaml.Node:
    """The node tree of a file read the fast way, for positions only: its data and its
    checks are the fast path's (a check that failed here would stop a run midway)."""
    with collector_paused():
        try:
            root = _compose(_Loader(text))
        except yaml.YAMLError:
            root = None
        return root if root is not None else _load(path, text).root


def _load(path: Path, text: str) -> LoadedFile:
    loader: yaml.SafeLoader | None = None
    try:
        if _depth_bound(text) > SAFE_COMPOSE_DEPTH:
            _check_depth(path, text)
        loader = _Loader(text)
        root = _compose(loader)
        if root is None:
            raise _fail(path, Position(1, 1), "file is empty; a deck needs company, slug, "
                        "sources and cards (see README, 'Deck format')", "empty")
        try:
            data = _Builder(loader, may_hide_controls(text)).build(root)
        except _Unusual:
            # Not a plain clean file: check the tree on its own, then let PyYAML's
            # constructor, which knows every rule, build the data.
            data = None
        if data is None:
            problems = sorted(_walk(path, root))  # the walk goes last to first
            if problems:
                raise InvalidInput(problems)
        if not isinstance(root, yaml.MappingNode):
            raise _fail(path, position_of(root.start_mark), "the document must be a "
                        "mapping with company, slug, sources and cards; found a "
                        f"{_node_kind(root)}", "not-a-mapping")
        if data is None:
            data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        # libyaml refuses deep nesting itself from 0.2.6 on, with wording and a limit of
        # its own: whatever the parser says, a file that nests too deep gets our message.
        mark = exc.problem_mark or exc.context_mark
        _check_depth_before(path, text, mark)
        raise _fail(path, position_of(mark), yaml_message(exc, text), "yaml-syntax") from exc
    except yaml.YAMLError as exc:
        raise _fail(path, Position(1, 1), f"YAML error: {exc}", "yaml-syntax") from exc
    except RecursionError as exc:  # the pure-Python composer, via deep aliases
        raise _fail(path, Position(1, 1), f"nesting deeper than {MAX_DEPTH} levels; a deck "
                    "needs only a few", "too-deep") from exc
    finally:
        if loader is not None:
            loader.dispose()
    return LoadedFile(path, data, root)


# libyaml's composer recurses in C, about 300 bytes of stack per level: 2,000 levels
# crash a 512 KiB thread stack (macOS gives secondary threads that much, musl 128 KiB).
# It runs on a thread of its own with a big stack (limits.on_big_stack), and files
# that could nest deeper than SAFE_COMPOSE_DEPTH are refused from the event stream
# first (which costs as much as the parse itself, so only those files pay for it).
SAFE_COMPOSE_DEPTH = 2_000


def _compose(loader: yaml.SafeLoader) -> yaml.Node | None:
    node: yaml.Node | None = on_big_stack(loader.get_single_node)
    return node


def _depth_bound(text: str) -> int:
    # A flow collection opens with '[' or '{'; a nested block collection starts further
    # right than its parent, on its line. So no file nests deeper than this.
    widest = max((len(line) for line in text.splitlines()), default=0)
    return text.count("[") + text.count("{") + widest + 1


class _Unusual(Exception):
    """The tree uses a YAML feature the fast builder leaves to PyYAML."""


class _Builder:
    """Build the data of a plain, clean deck file in one pass over its tree.

    It gives up (:class:`_Unusual`) at anything :func:`_walk` would report (size, depth,
    duplicate keys, control characters) and on aliases, merge keys, tags and values
    PyYAML must construct: the usual path then checks and builds the file as before,
    with every problem it has, so the fast path changes no message.
    """

    def __init__(self, loader: yaml.SafeLoader, scan: bool) -> None:
        self.loader = loader
        self.scan = scan
        self.budget = MAX_NODES
        self.seen: set[int] = set()

    def build(self, root: yaml.Node) -> Any:
        return self._node(root, 1)

    def _node(self, node: yaml.Node, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0 or depth > MAX_DEPTH:
            raise _Unusual
        kind = type(node)
        if kind is yaml.ScalarNode:
            if node.tag == _STR:
                if self.scan and _CONTROL.search(node.value):
                    raise _Unusual
                return node.value
            if node.tag not in _SIMPLE or _odd_number(node):
                raise _Unusual  # dates, '=', '<<', explicit tags, "010": PyYAML's to judge
            return self.loader.construct_object(node)
        if id(node) in self.seen:
            raise _Unusual  # an alias: shared (maybe recursive) data
        self.seen.add(id(node))
        if kind is yaml.SequenceNode and node.tag == _SEQ:
            return [self._node(item, depth + 1) for item in node.value]
        if kind is not yaml.MappingNode or node.tag != _MAP:
            raise _Unusual
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not yaml.ScalarNode or key_node.tag != _STR:
                raise _Unusual  # merge keys ('<<'), numbers, or collections as keys
            if key_node.value in mapping:
                raise _Unusual  # a duplicate key
            mapping[key_node.value] = self._node(value_node, depth + 1)
        return mapping


def load_file(path: Path) -> LoadedFile:
    try:
        raw = read_capped(path, MAX_FILE_BYTES, what="the deck file")
    except ReadError as exc:
        code = "too-large" if exc.too_large else "io"
        raise _fail(path, Position(1, 1), f"{exc}; a deck file must be a UTF-8 text file "
                    f"of at most {MAX_FILE_BYTES} bytes", code) from exc
    loaded = load_text(path, _decode(path, raw))
    loaded.digest = hashlib.sha256(raw).hexdigest()  # what a result of this file is of
    return loaded


def _node_kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "list"
    return "single value"
