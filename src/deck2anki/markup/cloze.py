"""Cloze markers as Anki reads them: where deletions are, and each marker a person
wrote that Anki would read otherwise (a typo, a number it has no card for, an empty
text or hint, a deletion inside another, Markdown across a marker)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator


class Deletions:
    """Anki's cloze deletion pattern, each search over the text up to its last "}}".

    An opener with no "}}" after it matches nothing, but the regex engine would first
    try every split of the rest into a lazy text and hint: a cubic search (40 s for one
    4,000-character cloze of many openers). Cut there, every opener has a "}}" to end at,
    and a search is linear.
    """

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern, re.DOTALL)

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text, 0, text.rfind("}}") + 2)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(text, 0, text.rfind("}}") + 2)

    def findall(self, text: str) -> list[tuple[str, str, str]]:
        found: list[tuple[str, str, str]] = self.pattern.findall(text, 0, text.rfind("}}") + 2)
        return found

    def sub(self, replace: str | Callable[[re.Match[str]], str], text: str) -> str:
        end = text.rfind("}}") + 2
        return self.pattern.sub(replace, text[:end]) + text[end:]


CLOZE_RE = Deletions(r"\{\{c([1-9]\d*)::(.+?)(?:::(.+?))?\}\}")
# What shows nothing, though str.strip keeps it: format controls (soft hyphen, zero-width
# space and joiners, word joiner, byte-order mark, direction marks), variation selectors
# and tags, and the blanks Unicode counts as letters or symbols (Hangul fillers, the
# braille blank). A card side of these and whitespace is an empty side.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
                        "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u2800\u3164\ufe00-\ufe0f"
                        "\ufeff\uffa0\U0001d173-\U0001d17a\U000e0000-\U000e0fff]")


def blank(text: str) -> bool:
    """Whether ``text`` shows nothing: whitespace and :data:`_INVISIBLE` only."""
    return not text.strip() or (has_invisible(text) and not _INVISIBLE.sub("", text).strip())


def has_invisible(text: str) -> bool:
    return not text.isascii() and _INVISIBLE.search(text) is not None
CLOZE_OUT = re.compile(r"\{\{c(?:0\d*|[1-9]\d{3,}|[6-9]\d\d|5(?:[1-9]\d|0[1-9]))::")  # c0 c01 c501
# Anything a person may have meant as a cloze opener: {c1::, {{C1::, {{c1:, {{ c1 ::...
CLOZE_LIKE = re.compile(r"\{\{\s*[cC]\s*(\d+)\s*:+|\{\s*[cC]\s*(\d+)\s*::")
_CLOZE_OPENER = re.compile(r"\{\{c\d+::(?:::+)?")  # four colons or more: see empty-text
_THREE_COLONS = re.compile(r"\{\{c\d+:::")
# A line break in a deletion that opens a list item or a paragraph: a deletion is one
# inline span, and Markdown would build the list or paragraphs around it in pieces.
_BLOCK_BREAK = re.compile(r"\n[ \t]*(?:\n|(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$))")


def _cloze_pieces(text: str) -> Iterator[str]:
    """The text between markers, and each marker's hidden part and hint."""
    last = 0
    for match in CLOZE_RE.finditer(text):
        yield text[last:match.start()]
        yield match.group(2)
        yield match.group(3) or ""
        last = match.end()
    yield text[last:]


def _balanced(piece: str) -> bool:
    return (piece.count("[") == piece.count("]") and piece.count("(") == piece.count(")")
            and piece.count("`") % 2 == 0 and piece.count("**") % 2 == 0)


def marker_problems(text: str) -> list[tuple[str, str]]:
    found = []
    if out := CLOZE_OUT.search(text):  # named: a text may hold many deletions
        name = out.group()[2:-2]
        found.append(("cloze-number", f"{name}: write its number without a leading zero, as "
                      f"c{int(name[1:])}" if 0 < int(name[1:]) <= 500 else f"{name}: Anki makes "
                      "cloze cards for c1 to c500 only (none for c0, none of their own past "
                      "c500); renumber it"))
    across_blocks = False
    for match in CLOZE_RE.finditer(text):
        number, hidden = match.group(1), match.group(2)
        across_blocks = across_blocks or _BLOCK_BREAK.search(hidden) is not None
        if blank(hidden):
            found.append(("empty-text", f"c{number} hides only whitespace or invisible "
                          "characters, so its card's answer would be blank; write the words "
                          "it hides"))
        elif "::" in hidden:  # only where no hint follows: "{{c1::x::}}", "{{c1::::hint}}"
            found.append(("empty-text", f"c{number} has an empty text or hint: Anki reads a "
                          "deletion's first '::' as the start of its hint; write "
                          f"{{{{c{number}::text}}}} or {{{{c{number}::text::hint}}}}"))
    typos, nested = _cloze_markers(text)
    if nested:
        found.append(("nested-cloze", "a cloze deletion inside another is not supported; "
                      "make them separate deletions or separate cards"))
    found += [("cloze-typo", typo) for typo in typos]
    if not typos and not all(_balanced(piece) for piece in _cloze_pieces(text)):
        found.append(("cloze-markup", "Markdown (a link, `code` or emphasis) crosses a "
                      "{{cN::...}} marker; open and close it on the same side of the marker"))
    if across_blocks:
        found.append(("cloze-markup", "a {{cN::...}} deletion runs across list items or "
                      "paragraphs, which break around it; close it within one item or line"))
    return found


def _cloze_markers(text: str) -> tuple[list[str], bool]:
    """The typo messages of ``text``'s cloze markers, and whether one nests in another.

    A deletion runs from its opener to the first '}}', as Anki reads it, so its hidden
    text may hold single braces; a marker is a typo when Anki would not read it as one.
    """
    typos: list[str] = []
    nested = False
    for match in CLOZE_LIKE.finditer(text):
        start, rest = match.start(), text[match.end():]
        alone = start == 0 or text[start - 1] != "{"
        exact = _CLOZE_OPENER.fullmatch(match.group()) is not None and alone
        following = CLOZE_LIKE.search(rest)
        bound = following.start() if following else len(rest)
        close = rest.find("}}", 0, bound)
        if exact and close >= 0 and rest[close + 2:close + 3] != "}":
            continue  # a well-formed deletion
        if exact and close >= 0:  # "{{c1::{a}}}": Anki ends it at the first "}}"
            typos.append(f"{(match.group() + rest[:close + 3])[:40]!r} ends at its first "
                         f"'}}}}', so the last '}}' is shown as text; remove that brace "
                         f"({match.group()}{rest[:close]}}}}}), or if the text ends with one, "
                         f"put a space before the closing '}}}}' ({match.group()}"
                         f"{rest[:close + 1]} }}}})")
            continue
        if exact and close < 0 and following and _closes_twice(rest[bound:]):
            nested = True  # {{c1::a {{c2::b}} c}}: the outer one is closed after the inner
            continue
        brace = rest.find("}", 0, bound)
        hidden = rest[:brace if brace >= 0 else bound]
        after = rest[len(hidden):]
        closing = after[:len(after) - len(after.lstrip("}"))][:3]
        shown = (match.group() + hidden + closing).strip()
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        number = int(match.group(1) or match.group(2))
        fix = f"{{{{c{number}::{hidden.strip() or '...'}}}}}"
        if alone and close >= 0 and _THREE_COLONS.fullmatch(match.group()):
            # Anki reads "{{c1:::x}}" as a deletion of ":x"
            typos.append(f"{shown!r} has a third ':', which Anki shows as the first "
                         f"character of the hidden text; write {fix}")
            continue
        typos.append(f"{shown!r} is not a cloze deletion Anki reads (it needs two braces, a "
                     f"lowercase c, '::' and a closing '}}}}'); write {fix}")
    return typos, nested


def _closes_twice(after: str) -> bool:
    """Whether an inner deletion starting ``after`` is followed by a second '}}' (the
    outer deletion's) before any other marker opens."""
    inner = after.find("}}")
    if inner < 0:
        return False
    tail = after[inner + 2:]
    following = tail.find("{{")
    return "}}" in (tail if following < 0 else tail[:following])
