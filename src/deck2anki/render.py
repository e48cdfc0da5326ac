"""Render cards into Anki note content: the note types, each card's fields and tags,
and the CSV rows for the built-in Basic note type.

Note types are a compatibility contract with every learner's collection: Anki silently
skips all updates to notes of a type whose field or template names changed. So there is
one general field set, frozen here, and kind-specific layout lives in the rendered HTML.
Never rename, add or remove a field or template of a released note type.

Card text is untrusted: every piece of it goes through :mod:`deck2anki.markup` (Markdown
subset, allowlist sanitizer, Anki syntax neutralised) before it meets our markup.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import markup
from .identity import card_key, csv_guid, note_guid
from .markup import CLOZE_RE
from .media import Image
from .model import Card, Deck

if TYPE_CHECKING:
    import genanki

BASIC_NOTETYPE_ID = 1434908760
CLOZE_NOTETYPE_ID = 1841641272

BASIC_FIELDS = ("Front", "Back", "Context", "Source", "Label", "CardId")
CLOZE_FIELDS = ("Text", "Back", "Context", "Source", "Label", "CardId")

_ANSWER_FOOTER = """
{{#Back}}<div class="d2a-back">{{Back}}</div>{{/Back}}
{{#Context}}<div class="d2a-context">{{Context}}</div>{{/Context}}
<div class="d2a-source">Source: {{Source}} <span class="d2a-id">{{CardId}}</span></div>"""

CSS = """\
.card {
  font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 20px;
  line-height: 1.45;
  color: #1f2328;
  background-color: #ffffff;
  text-align: left;
  max-width: 40em;
  margin: 0 auto;
  padding: 0 0.6em;
  overflow-wrap: break-word;
  word-wrap: break-word;
}
.d2a-label { font-size: 0.7em; letter-spacing: 0.04em; text-transform: uppercase; color: #656d76; }
.d2a-front { font-weight: 600; margin: 0.4em 0; }
.d2a-back, .d2a-answer { margin: 0.4em 0; }
.d2a-heading { font-weight: 600; }
.d2a-facts {
  display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 0.8em; margin: 0.4em 0;
}
.d2a-facts dt { color: #656d76; }
.d2a-facts dd { margin: 0; }
.d2a-steps { margin: 0.4em 0; padding-left: 1.4em; }
.d2a-pair { margin: 0.6em 0; }
.d2a-bad, .d2a-good { border-left: 4px solid; padding: 0.2em 0.6em; margin: 0.3em 0; }
.d2a-bad { border-color: #cf222e; background: #ffebe9; }
.d2a-good { border-color: #1a7f37; background: #dafbe1; }
.d2a-tag { font-weight: 700; font-size: 0.75em; margin-right: 0.4em; }
.d2a-quote {
  margin: 0.6em 0; padding-left: 0.8em; border-left: 3px solid #d0d7de; font-style: italic;
}
.d2a-context { margin-top: 0.8em; font-size: 0.85em; color: #424a53; }
.d2a-source { margin-top: 1em; font-size: 0.7em; color: #656d76; }
.d2a-id { font-family: ui-monospace, Menlo, Consolas, monospace; margin-left: 0.4em; }
.cloze { font-weight: 700; color: #0969da; }
.d2a-image { margin: 0.6em 0; }
.d2a-image img { max-width: 100%; height: auto; }
@media (max-width: 480px) { .card { font-size: 18px; padding: 0 0.3em; } }
.nightMode.card, .card.nightMode, .night_mode .card { color: #e6edf3; background-color: #1e1e1e; }
.nightMode .d2a-label, .nightMode .d2a-source, .nightMode .d2a-facts dt,
.night_mode .d2a-label, .night_mode .d2a-source, .night_mode .d2a-facts dt { color: #9198a1; }
.nightMode .d2a-context, .night_mode .d2a-context { color: #c9d1d9; }
.nightMode .d2a-bad, .night_mode .d2a-bad { background: #3c1618; border-color: #f85149; }
.nightMode .d2a-good, .night_mode .d2a-good { background: #12261e; border-color: #3fb950; }
.nightMode .d2a-quote, .night_mode .d2a-quote { border-color: #3d444d; }
.nightMode .cloze, .night_mode .cloze { color: #58a6ff; }
.nightMode a, .night_mode a { color: #58a6ff; }
"""


@dataclass(eq=False)
class NoteType:
    """A note type as released; its ``key`` names it in the stamps file.

    Plain data: genanki (slow to import) is needed only to write a package, so
    ``validate`` never loads it.
    """

    key: str
    id: int
    name: str
    fields: tuple[str, ...]
    template: dict[str, str]
    kind: int  # genanki's Model.FRONT_BACK (0) or Model.CLOZE (1)
    css: str = CSS

    @property
    def model(self) -> genanki.Model:
        import genanki

        return genanki.Model(self.id, self.name, fields=[{"name": f} for f in self.fields],
                             templates=[dict(self.template)], css=self.css,
                             model_type=self.kind)

    def identity(self) -> dict[str, object]:
        """Everything Anki compares when it decides whether a note type changed."""
        return {"name": self.name, "type": self.kind, "fields": list(self.fields),
                "templates": [{k: self.template[k] for k in ("name", "qfmt", "afmt")}],
                "css": self.css}


BASIC = NoteType(
    "basic", BASIC_NOTETYPE_ID, "deck2anki Q/A", BASIC_FIELDS,
    {"name": "Card",
     "qfmt": '<div class="d2a-label">{{Label}}</div>\n<div class="d2a-front">{{Front}}</div>',
     "afmt": "{{FrontSide}}\n<hr id=answer>" + _ANSWER_FOOTER},
    0)

CLOZE = NoteType(
    "cloze", CLOZE_NOTETYPE_ID, "deck2anki Cloze", CLOZE_FIELDS,
    {"name": "Cloze",
     "qfmt": '<div class="d2a-label">{{Label}}</div>\n<div class="d2a-front">{{cloze:Text}}</div>',
     "afmt": '<div class="d2a-label">{{Label}}</div>\n<div class="d2a-front">{{cloze:Text}}</div>'
             "\n<hr id=answer>" + _ANSWER_FOOTER},
    1)

NOTETYPES = (BASIC, CLOZE)


@dataclass(frozen=True)
class RenderedNote:
    """One Anki note, ready to write: what Anki stores, nothing else."""

    card: Card
    slug: str
    notetype: NoteType
    fields: tuple[str, ...]
    tags: tuple[str, ...]

    @functools.cached_property
    def guid(self) -> str:
        return note_guid(self.slug, self.card.id)

    def identity(self) -> dict[str, object]:
        """The note content Anki replaces on update; its hash decides the note's stamp."""
        return {"notetype": self.notetype.id, "fields": list(self.fields),
                "tags": list(self.tags)}


def _div(cls: str, inner: str) -> str:
    return f'<div class="{cls}">{inner}</div>'


def _label(deck: Deck, card: Card) -> str:
    label = f"{deck.company} · {card.kind}"
    return markup.plain(label + (" · retired" if card.retired else ""))


def _round_front(deck: Deck, card: Card) -> str:
    if card.front:
        return markup.rich(card.front)
    how_long = ", and how long is it" if card.length else ""
    return markup.plain(f"{deck.company} AI PM interview, round {card.number}: "
                        f"what is it{how_long}?")


def _round_back(card: Card) -> str:
    rows = [("Length", card.length), ("Interviewers", card.interviewers),
            ("Assesses", card.assesses)]
    facts = "".join(f"<dt>{label}</dt><dd>{markup.rich(value)}</dd>"
                    for label, value in rows if value)
    name = f"Round {card.number}: {markup.rich(card.name or '')}"
    return _div("d2a-heading", name) + f'<dl class="d2a-facts">{facts}</dl>'


def _script_back(card: Card) -> str:
    parts = [_div("d2a-answer", markup.rich(card.back or ""))]
    if card.steps:
        items = "".join(f"<li>{markup.rich(step)}</li>" for step in card.steps)
        parts.append(f'<ol class="d2a-steps">{items}</ol>')
    if card.bad and card.good:
        parts.append(_div("d2a-pair",
                          _div("d2a-bad", '<span class="d2a-tag">BAD:</span> '
                               + markup.rich(card.bad))
                          + _div("d2a-good", '<span class="d2a-tag">GOOD:</span> '
                                 + markup.rich(card.good))))
    if card.quote:
        parts.append(f'<blockquote class="d2a-quote">{markup.rich(card.quote)}</blockquote>')
    return "".join(parts)


def _front_back(deck: Deck, card: Card) -> tuple[str, str]:
    """The question and answer HTML of a non-cloze card, laid out by kind."""
    if card.kind == "round":
        return _round_front(deck, card), _round_back(card)
    if card.kind == "signal":
        heading = _div("d2a-heading", "Signal: " + markup.rich(card.name)) if card.name else ""
        return markup.rich(card.front or ""), heading + _div("d2a-answer",
                                                              markup.rich(card.back or ""))
    if card.kind == "script":
        return markup.rich(card.front or ""), _script_back(card)
    return markup.rich(card.front or ""), _div("d2a-answer", markup.rich(card.back or ""))


def tags_for(deck: Deck, card: Card) -> tuple[str, ...]:
    auto = {f"company::{deck.slug}", f"kind::{card.kind}"}
    if card.retired:
        auto.add("status::retired")
    return tuple(sorted(auto | set(card.tags)))


def image_html(image: Image) -> str:
    # The name is ours (slug, safe stem, hash), never the contributor's raw path.
    return f'<div class="d2a-image"><img src="{image.name}" alt="{markup.plain(image.alt)}"></div>'


def image_alt_html(image: Image) -> str:
    """What the CSV shows instead: a CSV cannot carry the image file."""
    return f'<div class="d2a-image">Image: {markup.plain(image.alt)}</div>'


def render_note(deck: Deck, card: Card, *, images: bool = True) -> RenderedNote:
    """The note for ``card``; without ``images``, an image shows as its alt text (for
    the CSV, which cannot carry files)."""
    picture = image_html if images else image_alt_html
    context = markup.rich(card.context) if card.context else ""
    source = markup.plain(card.source.title)
    card_ref = markup.plain(card_key(deck.slug, card.id))
    if card.is_cloze:
        text = markup.cloze(card.cloze or "")
        extra = markup.rich(card.back) if card.back else ""
        if card.image:
            extra += picture(card.image)
        fields = (text, extra, context, source, _label(deck, card), card_ref)
        notetype = CLOZE
    else:
        front, back = _front_back(deck, card)
        if card.image:
            back += picture(card.image)
        fields = (front, back, context, source, _label(deck, card), card_ref)
        notetype = BASIC
    return RenderedNote(card, deck.slug, notetype, fields,
                        tags_for(deck, card))


@dataclass(frozen=True)
class RenderedDeck:
    deck: Deck
    notes: tuple[RenderedNote, ...]

    @property
    def notetypes(self) -> tuple[NoteType, ...]:
        used = {note.notetype.key for note in self.notes}
        return tuple(nt for nt in NOTETYPES if nt.key in used)


def render_deck(deck: Deck) -> RenderedDeck:
    return RenderedDeck(deck, tuple(render_note(deck, card) for card in deck.cards))


# --- CSV: the same notes, flattened onto Anki's built-in Basic note type -------------

CSV_COLUMNS = ("GUID", "Front", "Back", "Deck", "Tags")


def cloze_side(text: str, ordinal: int, *, answer: bool) -> str:
    """What Anki's ``{{cloze:Text}}`` shows for card ``ordinal`` (same spans and data)."""

    def replace(match: re.Match[str]) -> str:
        number, hidden, hint = int(match.group(1)), match.group(2), match.group(3)
        if number != ordinal:
            return f'<span class="cloze-inactive" data-ordinal="{number}">{hidden}</span>'
        if answer:
            return f'<span class="cloze" data-ordinal="{number}">{hidden}</span>'
        data = html.escape(hidden, quote=True)
        return (f'<span class="cloze" data-cloze="{data}" data-ordinal="{number}">'
                f'[{hint or "..."}]</span>')

    return CLOZE_RE.sub(replace, text)


def csv_rows(deck: Deck, notes: Iterable[RenderedNote]) -> list[tuple[str, ...]]:
    """One row per Anki card: a cloze note with N deletions becomes N Basic rows."""
    rows: list[tuple[str, ...]] = []
    for note in notes:
        if note.card.image:
            note = render_note(deck, note.card, images=False)
        first, back, context, source, label, card_ref = note.fields
        footer = (_div("d2a-context", context) if context else "") + _div(
            "d2a-source", f"Source: {source} <span class=\"d2a-id\">{card_ref}</span>")
        tags = " ".join(note.tags)
        label_html = _div("d2a-label", label)
        if note.notetype is CLOZE:
            for ordinal in note.card.cloze_ordinals():
                front = label_html + _div("d2a-front", cloze_side(first, ordinal, answer=False))
                answer = _div("d2a-front", cloze_side(first, ordinal, answer=True))
                extra = _div("d2a-back", back) if back else ""
                rows.append((csv_guid(deck.slug, note.card.id, ordinal), front,
                             answer + extra + footer, deck.deck_name, tags))
        else:
            rows.append((csv_guid(deck.slug, note.card.id), label_html + _div("d2a-front", first),
                         _div("d2a-back", back) + footer, deck.deck_name, tags))
    return rows
