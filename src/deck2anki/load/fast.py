"""The fast way in: a Rust YAML parser straight to data, for files that need no marks.

Most deck files are clean, and for them PyYAML's node tree is wasted work: no problem
ever asks where anything is. yaml_rs reads such a file to plain data about ten times
faster. But it reads YAML 1.2, and our format is what PyYAML reads (YAML 1.1, the
positioned path, whose messages are the reference); the two read some plain scalars
differently (``yes``, ``017``, ``1:30``, ``1e3``, dates) and we refuse some things
yaml_rs would take (deep nesting, raw NEL). So the fast answer is taken only when
nothing in the file could be read another way; otherwise, or when yaml_rs refuses the
file, :func:`data_of` says None and the caller takes the positioned path, which also
says what is wrong and where. ``tests/test_fast_load.py`` checks the two agree (and
fuzzes them).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import yaml
import yaml_rs

from .limits import (
    CONTROL,
    MAX_DEPTH,
    MAX_NODES,
    may_hide_controls,
    on_big_stack,
    on_main_stack,
)

# What no deck needs and the two parsers read otherwise: YAML 1.1's line breaks (not
# 1.2's), a byte-order mark inside the text, a directive, a document's end (what follows
# is another document to PyYAML).
_MARKS = ("\r", "\x85", "\u2028", "\u2029", "\ufeff", "\n%", "\n...",
          # and what else splits a line for Python (YAML forbids them): lines end at "\n"
          "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")
# A tab in a line's indentation or right after an entry's indicator ("-\tid: x"):
# libyaml refuses it there, yaml_rs not always.
_TAB_INDENT = re.compile(r"(?:\A|\n)[ ?:-]*\t")
# yaml_rs recurses without a limit through block nesting ("- - - - x", or ever deeper
# indentation; its brackets stop at 255 levels): with lines this short, a file nests at
# most a few thousand levels, which the big stack (limits.on_big_stack) holds.
_LONGEST_LINE = 4096
# A line starting with this many columns of indentation and indicators ("- ", "? ", ": ").
# Without one, block nesting stays shallow (a nested block collection starts further
# right, or, a sequence under a key, at its key's column; the first line is matched
# alone), and yaml_rs stops flow nesting at 255 brackets itself (two levels each at
# most: "[a: [a: ..."): the parse fits in 1 MiB of stack (tests/test_fast_load.py
# measures it), so it runs on the main stack.
_DEEP_START = re.compile(r"[ ?:-]{32}")
_DEEP_LINE = re.compile(r"\n[ ?:-]{32}")
# Integers not written in plain decimal digits (a leading zero, 0x, 0b, 0o, '_'): YAML
# 1.2 reads some otherwise than YAML 1.1 (octal "010"), and the positioned path reports
# them all (number-spelling), so files with one take that path; only where a plain
# scalar can start. ("_1", "0X1F" are text to YAML 1.1.)
# Three patterns, each led by its literal, so the regex engine skips to each "0" or "_"
# at C speed (one alternation tried at every character cost ten times more); each looks
# back for what may precede a value or its digits (_other_int says for sure). The third
# (digits, then "_") reads at most 64 characters on: a longer run after every "_" of
# "1_1_1_..." made it quadratic.
_INT_END = r"[0-9a-fA-F_]*[ \t]*(?:$|#|[,\]}])"
_OTHER_INTS = (re.compile(r"0(?<![^ \t\n:\[{+-]0)[0-9bBoOxX_]" + _INT_END, re.MULTILINE),
               re.compile(r"_(?<![^ \t\n:\[{+-]_)[0-9_]" + _INT_END, re.MULTILINE),
               re.compile(r"_(?<=[0-9]_)[0-9a-fA-F_]{0,64}[ \t]*(?:$|#|[,\]}])", re.MULTILINE))
# The same right after a comma, in a flow list opened earlier on the line ("[1,010]";
# not "{{c1::1,000}}"). A flow list left open on a line is doubtful as a whole.
_COMMA_INT = re.compile(r",[-+]?(?:0[0-9bBoOxX_]|_[0-9_]|[0-9]+_)[0-9a-fA-F_]*[ \t]*(?:$|#|[,\]])",
                        re.MULTILINE)
# A \u escape of a high surrogate: yaml_rs joins a pair into one character, PyYAML
# refuses it (an emoji copied from JSON).
_SURROGATE = re.compile(r"\\u[dD][89abAB]")
# ":" right before a flow indicator: libyaml refuses "[a:]", "{a:,b}", "{a:?}".
_FLOW_COLON = re.compile(r":[,?\[\]{}]")
_BLOCK_HEADER = re.compile(r"[|>][-+0-9]*[ \t]*(?:#.*)?$")
# PyYAML's words for true, false and null (and the merge and value keys): a string
# yaml_rs read from plain text that is one of these is no string to PyYAML.
_WORDS = frozenset({
    "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
    "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null", "NULL", "", "<<", "="})
# First characters that make a string worth a closer look: numbers (and dates) for
# PyYAML's resolvers; indicators, which start no plain text PyYAML reads as such (in
# brackets yaml_rs takes "[>x]" or "[?x]" as text: PyYAML refuses one, maps the other).
_NUMERIC = frozenset("0123456789+-.")
_INDICATORS = frozenset("|>?:%@`")


def _doubtful(text: str) -> bool:
    """Whether the text has anything the two parsers could read otherwise.

    Only str methods and a few look-ups: a regular expression over the whole text
    would cost more than yaml_rs's parse."""
    if not text.endswith("\n") or text[:1] in "&*!%\t" or text.startswith("..."):
        return True  # a kept block scalar ("|+") at the end of input ends otherwise too
    if any(mark in text for mark in _MARKS):
        return True
    if "\t" in text and _TAB_INDENT.search(text):
        return True
    if _long_line(text):
        return True
    if "\\" in text and _SURROGATE.search(text):
        return True
    if ("{" in text or "[" in text) and (_FLOW_COLON.search(text) or _left_open(text, "{", "}")
                                         or _left_open(text, "[", "]")):
        return True
    return _node_property(text) or _empty_last_block(text)


def _long_line(text: str) -> bool:
    """Whether a line is longer than _LONGEST_LINE. Such a line holds a whole block of
    half that length starting at a multiple of it: only blocks with no line break are
    looked at, not every line (splitting a deck into lines cost a third of this test)."""
    half = _LONGEST_LINE // 2
    for start in range(0, len(text), half):
        if "\n" not in text[start:start + half]:
            end = text.find("\n", start)
            if (len(text) if end < 0 else end) - (text.rfind("\n", 0, start) + 1) > _LONGEST_LINE:
                return True
    return False


def _left_open(text: str, opener: str, closer: str) -> bool:
    """A line that leaves a flow collection open. A flow mapping's key may run onto the
    next line, which yaml_rs joins and libyaml refuses ("{a\\n b: c}"); a flow list's
    items may, where the checks here look only within a line. Only lines with an
    ``opener`` are read."""
    at = text.find(opener)
    while at >= 0:
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        if text.find(closer, text.rfind(opener, at, end), end) < 0:
            return True  # the line's last opener is never closed on it
        at = text.find(opener, end)
    return False


def _node_property(text: str) -> bool:
    """An anchor (&), alias (*) or tag (!) where a node can start: PyYAML counts and
    limits aliases itself. "- **bold**" counts too; such files only lose the shortcut."""
    for mark in "&*!":
        at = text.find(mark)
        while at >= 0:
            before = text[max(0, at - 64):at].rstrip(" \t")
            if not before or before[-1] in "\n:?-[{,":
                return True
            at = text.find(mark, at + 1)
    return False


def _empty_last_block(text: str) -> bool:
    """A block scalar with no content at the end: "" to PyYAML, "\\n" to yaml_rs."""
    for line in reversed(text[-4096:].splitlines()):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return _BLOCK_HEADER.search(stripped) is not None
    return False


@functools.cache
def _resolvers() -> dict[str | None, list[tuple[str, re.Pattern[str]]]]:
    resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]] = (
        yaml.SafeLoader.yaml_implicit_resolvers)
    return resolvers


def typed_by_pyyaml(value: str) -> bool:
    """Whether PyYAML would read ``value``, written plain, as anything but a string.

    yaml_rs gives a string for ``yes``, ``1:30`` or a date, and we cannot tell whether
    it was quoted: if it was not, PyYAML reads another type."""
    resolvers = _resolvers()
    for tag, pattern in resolvers.get(value[:1], []) + resolvers.get(None, []):
        if tag != "tag:yaml.org,2002:str" and pattern.match(value):
            return True
    return False


def _shallow(text: str) -> bool:
    """Whether yaml_rs surely nests ``text`` only a few hundred levels deep."""
    return _DEEP_START.match(text) is None and _DEEP_LINE.search(text) is None


class _Other(Exception):
    """Something in the data PyYAML might read otherwise (or refuse)."""


def data_of(text: str) -> Any:
    """The file's data, if yaml_rs reads it as PyYAML would and it is a clean deck file
    (within our limits, no control characters); None if the positioned path must read it.
    """
    if _doubtful(text):
        return None
    parse = functools.partial(yaml_rs.loads, text, parse_datetime=False,
                              duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.Error)
    try:
        data = parse() if _shallow(text) and on_main_stack() else on_big_stack(parse)
    except Exception:
        return None
    if not isinstance(data, dict):
        return None  # empty, a list, several documents: the positioned path says so
    try:
        _check(text, data)
    except _Other:
        return None
    return data


def _check(text: str, root: dict[str, Any]) -> None:
    """One pass over the data, level by level: sizes, types and characters, as the
    positioned path's checks would find them (any doubt: not for this path)."""
    strings: list[str] = []
    has_int = False
    nodes = 0
    level: list[Any] = [root]
    for _ in range(MAX_DEPTH):
        below: list[Any] = []
        nodes += len(level)
        for value in level:
            kind = type(value)
            if kind is dict:
                nodes += len(value)
                strings.extend(value)
                below.extend(value.values())
            elif kind is list:
                below.extend(value)
            elif kind is str:
                strings.append(value)
            elif kind is int:
                has_int = True
                if value.bit_length() > 300:  # past 90 digits: the positioned path's to judge
                    raise _Other
            elif kind is not bool and value is not None:
                raise _Other  # floats: '1e3' is one in 1.2, a string in 1.1
        if not below:
            break
        level = below
    else:
        raise _Other  # deeper than MAX_DEPTH
    if nodes > MAX_NODES:
        raise _Other
    _check_strings(text, strings)
    if has_int and (any(_other_int(text, m.start()) for pattern in _OTHER_INTS
                        for m in pattern.finditer(text))
                    or any(text.rfind("[", text.rfind("\n", 0, m.start()) + 1, m.start()) >= 0
                           for m in _COMMA_INT.finditer(text))):
        raise _Other


def _check_strings(text: str, strings: list[str]) -> None:
    unique = set(strings)
    try:
        joined = "\n".join(unique)
    except TypeError:
        raise _Other from None  # a key that is no string (a number, null)
    if not _WORDS.isdisjoint(unique):
        raise _Other
    for value in unique:
        first = value[:1]
        if first in _INDICATORS or (first in _NUMERIC and typed_by_pyyaml(value)):
            raise _Other
    if may_hide_controls(text) and CONTROL.search(joined):
        raise _Other


def _other_int(text: str, at: int) -> bool:
    """Whether the zero or underscore at ``at`` is in a plain integer: back over its
    digits and sign, what precedes it can precede a value."""
    start = at
    while start and text[start - 1] in _DIGITS:
        start -= 1
    if start and text[start - 1] in "+-":
        start -= 1
    return start == 0 or text[start - 1] in " \t\n:[{"


_DIGITS = frozenset("0123456789_")
