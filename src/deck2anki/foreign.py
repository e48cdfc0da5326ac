"""Note types a deck keeps from Anki (``notetypes:``), for cards brought in by import.

Learners who already hold a shared deck get our build as an update of their notes only
under the very note type they have: same id, same field and template names. So an
imported deck's note types travel with its cards, checked here like card text: their
templates and CSS arrive from someone's Anki export, and Anki runs the HTML and
JavaScript of templates, so only what the sanitizer keeps may ship.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import nh3

from .problems import Position, Problem

STANDARD, CLOZE = 0, 1  # Anki's note type kinds
KINDS = {"standard": STANDARD, "cloze": CLOZE}

# What a card template may hold: layout, text formatting, no media, forms or script.
TEMPLATE_TAGS = frozenset({
    "a", "b", "blockquote", "br", "center", "code", "dd", "div", "dl", "dt", "em", "font",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "small",
    "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul"})
_ATTRIBUTES = {"*": {"class", "id", "dir", "lang", "title", "style"}, "a": {"href"},
               "font": {"color", "face", "size"}}
# Styles a template may set inline: typography and spacing, never a url().
_STYLE_PROPERTIES = frozenset("""
    color background-color font-family font-size font-style font-weight line-height
    text-align text-decoration margin margin-top margin-bottom margin-left margin-right
    padding border display width max-width""".split())  # noqa: SIM905  # no code scan hits
# CSS that fetches or runs something: imports and other at-rules that load, url() and
# image-set() (also javascript: ones), IE's expression() and behavior, or a way out of
# the <style> element. Backslashes go first: CSS decodes escapes (\75 rl is url) before
# it reads any of these.
_UNSAFE_CSS = re.compile(r"@(?!media\b)[a-z-]+[^;{]*;?|(?:url|src)\s*\([^)]*\)?|"
                         r"(?:-webkit-)?image-set\s*\(|expression\s*\(|behavior\s*:|"
                         r"-moz-binding|javascript:|<", re.IGNORECASE)
# Comments first too: u/**/rl( is url( to a browser.
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.DOTALL)
# Anki's media and player tags in a template: [sound:x.mp3] plays a file from the media
# folder, which a kept template has no business naming.
_ANKI_TAG = re.compile(r"\[(?:sound|anki):[^\]]*\]", re.IGNORECASE)
# Template names Anki fills itself (besides the note's fields).
# Not Deck, Subdeck, Type or Card: Anki inserts those names (the company's, the note
# type's) as raw HTML, so a name with '<' in it would become markup.
SPECIAL_NAMES = frozenset({"FrontSide", "Tags", "CardFlag", "CardID"})
# A field inside a tag (an attribute value) is pasted there unescaped: a '"' in the card
# text would end the attribute and start an event handler.
_TAG_WITH_FIELD = re.compile(r"<[^<>]*\{\{[^<>]*>")
_REFERENCE_ANYWHERE = re.compile(r"\{\{[^{}]*\}\}")
_REFERENCE = re.compile(r"\{\{\s*([#^/]?)([^{}]*?)\s*\}\}")


def safe_template(html: str) -> str:
    """``html`` with everything a card template may not hold removed: field references
    inside tags, then (by the sanitizer) anything that could run or load."""
    if not html:
        return html
    html = _TAG_WITH_FIELD.sub(lambda m: _REFERENCE_ANYWHERE.sub("", m.group()), html)
    html = _ANKI_TAG.sub("", html)
    return str(nh3.clean(html, tags=set(TEMPLATE_TAGS), attributes=_ATTRIBUTES,
                         url_schemes={"http", "https", "mailto"}, url_relative="deny",
                         link_rel=None, strip_comments=True,
                         filter_style_properties=set(_STYLE_PROPERTIES)))


def template_loses(html: str) -> bool:
    """Whether the sanitizer would change ``html``: a kept template must be exactly as
    it writes it (``deck2anki import`` stores it so), so what reviewers read ships."""
    return safe_template(html) != html


def safe_css(css: str) -> str:
    """``css`` without escapes, imports, url() or other ways to fetch or run anything."""
    return _UNSAFE_CSS.sub("", _CSS_COMMENT.sub("", css.replace("\\", "")))


def field_references(template: str) -> Iterator[str]:
    """The field names a template asks for (filters such as ``cloze:`` stripped)."""
    for match in _REFERENCE.finditer(template):
        name = match.group(2).rsplit(":", 1)[-1].strip()
        if name and not (match.group(1) == "" and name == "!"):
            yield name


@dataclass(frozen=True)
class Template:
    name: str
    front: str  # Anki's qfmt
    back: str  # Anki's afmt


@dataclass(frozen=True)
class KeptNoteType:
    """A note type kept as Anki has it; ``front``/``back`` name the fields card text fills."""

    key: str
    id: int
    name: str
    kind: int
    fields: tuple[str, ...]
    front: str
    back: str | None
    templates: tuple[Template, ...]
    css: str
    # The deck file, for where the entry is written: looked up only for a problem.
    located: Located | None = field(default=None, compare=False, repr=False)

    @property
    def position(self) -> Position:
        if self.located is None:
            return Position(1, 1)
        return self.located.position(("notetypes", self.key), key=True)

    def as_data(self) -> dict[str, Any]:
        """The ``notetypes:`` entry that describes it."""
        data: dict[str, Any] = {"id": self.id, "name": self.name,
                                "kind": "cloze" if self.kind == CLOZE else "standard",
                                "fields": list(self.fields), "front": self.front}
        if self.back is not None:
            data["back"] = self.back
        data["templates"] = [{"name": t.name, "front": t.front, "back": t.back}
                             for t in self.templates]
        data["css"] = self.css
        return data


class Located(Protocol):
    def position(self, path: Any, *, key: bool = False) -> Position: ...


def _check(nt: KeptNoteType, path: Any) -> Iterator[tuple[Any, str, str]]:
    """(path, message, code) for each problem of one note type."""
    for role, name in (("front", nt.front), ("back", nt.back)):
        if name is not None and name not in nt.fields:
            yield ((*path, role), f"{role} field {name!r} is not one of the note type's "
                   f"fields; name one of: {', '.join(nt.fields)}", "notetype-field")
    known = set(nt.fields) | SPECIAL_NAMES
    for index, template in enumerate(nt.templates):
        for side, html in (("front", template.front), ("back", template.back)):
            at = (*path, "templates", index, side)
            unknown = sorted(set(field_references(html)) - known)
            if unknown:
                yield (at, f"template refers to {', '.join(map(repr, unknown))}, which is no "
                       "field of this note type; add the field or fix the name",
                       "notetype-field")
            if template_loses(html):
                yield (at, "template holds what a card may not run or load (script, events, "
                       "media, a {{field}} inside a tag, unsafe styles) or is not spelled as "
                       f"the sanitizer writes it; write it as: {safe_template(html)!r}",
                       "unsafe-notetype")
    if safe_css(nt.css) != nt.css:
        yield ((*path, "css"), "CSS could fetch or run something (at-rules but @media, url(), "
               "image-set(), expression(), escapes, comments, '<'); write it as: "
               f"{safe_css(nt.css)!r}", "unsafe-notetype")
    if nt.kind == CLOZE and not any(f"cloze:{nt.front}" in t.front.replace(" ", "")
                                    for t in nt.templates):
        yield ((*path, "front"), f"a cloze note type shows its deletions with "
               f"{{{{cloze:{nt.front}}}}}; use it in the first template's front",
               "notetype-field")


def kept_notetypes(data: Mapping[str, Any], where: Located, file: Any,
                   reserved: Mapping[int, str]) -> tuple[dict[str, KeptNoteType], list[Problem]]:
    """The deck's ``notetypes:`` (schema-valid), and what is wrong with them.

    ``reserved`` maps note type ids that are taken (ours) to their names.
    """
    found: dict[str, KeptNoteType] = {}
    problems: list[Problem] = []
    ids: dict[int, str] = {}
    for key, raw in (data.get("notetypes") or {}).items():
        path = ("notetypes", key)
        # int(): YAML reads "id: 1700000000.0" as a float, which JSON Schema calls an integer.
        nt = KeptNoteType(key, int(raw["id"]), raw["name"], KINDS[raw["kind"]],
                          tuple(raw["fields"]), raw["front"], raw.get("back"),
                          tuple(Template(t["name"], t["front"], t["back"])
                                for t in raw["templates"]), raw["css"],
                          where)
        bad = list(_check(nt, path))
        if nt.id in reserved or nt.id in ids:
            owner = reserved.get(nt.id) or f"note type {ids[nt.id]!r}"
            bad.append(((*path, "id"), f"id {nt.id} is already {owner}'s; each note type "
                        "needs its own id", "notetype-field"))
        problems += [Problem(file, where.position(at), message, code)
                     for at, message, code in bad]
        ids.setdefault(nt.id, key)
        if not bad:
            found[key] = nt
    return found, problems
