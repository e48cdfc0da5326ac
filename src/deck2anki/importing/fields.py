"""Where each card property sits in a note's fields, to read a learner's edit back.

A note field can hold several properties (a script's back holds its answer, steps, BAD
and GOOD and quote), each in an element of its own class. Reading the same structure
from the learner's field and from ours says which properties they changed; whatever
their editor did to the structure itself is reported, never guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..model import Card
from ..render.notetypes import NoteType

ROUND_ROWS = {"Length": "length", "Interviewers": "interviewers", "Assesses": "assesses"}
_ROUND_HEADING = re.compile(r"^\s*Round\s+\d+:\s*")
_SIGNAL_HEADING = re.compile(r"^\s*Signal:\s*")


def _inner(tag: object) -> str:
    from bs4 import Tag

    return tag.decode_contents().strip() if isinstance(tag, Tag) else ""


def _back(card: Card, html: str) -> dict[str, str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for image in soup.select("div.d2a-image"):
        image.decompose()
    parts: dict[str, str] = {}
    ours = soup.select("[class^=d2a-]")
    if card.is_cloze or card.notetype is not None or (
            not ours and card.kind in ("fact", "signal", "script") and not card.name
            and not card.steps and not card.bad and not card.quote):
        # The whole field is the back: a cloze's extra, a kept type's back, or an answer
        # retyped in Anki's editor, which drops our block around it.
        rest = soup.decode_contents().strip()
        return {"back": rest} if rest else {}
    heading = soup.select_one("div.d2a-heading")
    if heading is not None and card.kind in ("round", "signal"):
        pattern = _ROUND_HEADING if card.kind == "round" else _SIGNAL_HEADING
        parts["name"] = pattern.sub("", _inner(heading), count=1)
    for term in soup.select("dl.d2a-facts dt"):
        name = ROUND_ROWS.get(term.get_text().strip())
        value = term.find_next_sibling("dd")
        if name and value is not None:
            parts[name] = _inner(value)
    answer = soup.select_one("div.d2a-answer")
    if answer is not None:
        parts["back"] = _inner(answer)
    for index, step in enumerate(soup.select("ol.d2a-steps > li")):
        parts[f"steps[{index}]"] = _inner(step)
    for name in ("bad", "good"):
        box = soup.select_one(f"div.d2a-{name}")
        if box is not None:
            for label in box.select("span.d2a-tag"):
                label.decompose()
            parts[name] = _inner(box)
    quote = soup.select_one("blockquote.d2a-quote")
    if quote is not None:
        parts["quote"] = _inner(quote)
    return parts


def parts(card: Card, notetype: NoteType, fields: Sequence[str]) -> dict[str, str]:
    """Property (``front``, ``back``, ``steps[1]``...) -> its HTML in ``fields``, for the
    properties a note of ``card`` shows in its note type's fields (ours, or a kept one)."""
    kept = card.notetype
    first = "cloze" if card.is_cloze else "front"
    if kept is not None:
        found = {first: fields[kept.fields.index(kept.front)].strip()}
        if kept.back is not None:
            found.update(_back(card, fields[kept.fields.index(kept.back)]))
        return {name: html for name, html in found.items() if html}
    named = dict(zip(notetype.fields, fields, strict=False))
    found = {first: named.get(notetype.fields[0], "").strip(),
             "context": named.get("Context", "").strip()}
    found.update(_back(card, named.get("Back", "")))
    return {name: html for name, html in found.items() if html}


def parts_of_answer(html: str) -> str:
    """The answer of a note someone wrote in Anki under our question/answer note type:
    the text in our answer block if they kept it, else the whole field."""
    from bs4 import BeautifulSoup

    answer = BeautifulSoup(html, "html.parser").select_one("div.d2a-answer")
    return _inner(answer) if answer is not None else html


def outside(card: Card, notetype: NoteType, fields: Sequence[str]) -> str:
    """The text of the fields outside every block a property is read from (what an
    edit there would add, and no property can take)."""
    from bs4 import BeautifulSoup

    named = dict(zip(notetype.fields, fields, strict=False))
    back = named.get("Back", "") if card.notetype is None else ""
    soup = BeautifulSoup(back, "html.parser")
    blocks = soup.select("[class^=d2a-]")
    if not blocks:
        return ""  # read whole, or not at all: nothing lies outside
    for block in blocks:
        block.decompose()
    return " ".join(soup.get_text(" ").split())


# Fields we write from the deck's own data (the source, the label, the card's id): an
# edit there is no card text to send back.
GENERATED_FIELDS = ("Source", "Label", "CardId")


def lost_markup(before: str, after: str) -> bool:
    """Whether sanitizing took an element, an attribute or a field reference (rather
    than respelling the HTML: quotes around attribute values, say)."""
    from bs4 import BeautifulSoup

    def shape(html: str) -> list[object]:
        tags = BeautifulSoup(html, "html.parser").find_all(True)
        return [(tag.name, sorted(tag.attrs)) for tag in tags] + [html.count("{{")]

    return shape(before) != shape(after)
