"""Render cards into Anki note content: each card's fields and tags, laid out by kind
in the HTML of the note types' one frozen field set (:mod:`.notetypes`).

Card text is untrusted: every piece of it goes through :mod:`deck2anki.markup` (Markdown
subset, allowlist sanitizer, Anki syntax neutralised) before it meets our markup.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .. import markup
from ..foreign import KeptNoteType, field_references
from ..identity import card_key, note_guid
from ..media import Image
from ..model import Card, Deck
from .notetypes import BASIC, CLOZE, NOTETYPES, NoteType


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
        return self.card.guid or note_guid(self.slug, self.card.id)

    @property
    def anki_cards(self) -> int:
        """How many cards Anki makes of this note (a kept type may have more templates:
        one makes a card when its question shows a field, inside the conditional
        sections it needs)."""
        if self.notetype.kind == CLOZE.kind or len(self.notetype.templates) == 1:
            return self.card.anki_cards
        filled = {name for name, value in zip(self.notetype.fields, self.fields, strict=True)
                  if value.strip()}
        return sum(1 for template in self.notetype.templates
                   if _makes_a_card(template["qfmt"], filled)) or 1

    def identity(self) -> dict[str, object]:
        """The note content Anki replaces on update; its hash decides the note's stamp."""
        return {"notetype": self.notetype.id, "fields": self.fields, "tags": self.tags}

    def identity_as(self, card_id: str) -> dict[str, object]:
        """:meth:`identity` had the card kept id ``card_id`` (to recognise a rename)."""
        fields = [*self.fields[:-1], _card_ref(self.slug, card_id)]  # CardId comes last
        return {**self.identity(), "fields": fields}


_SECTION = re.compile(r"\{\{#\s*([^}]+?)\s*\}\}")


def _makes_a_card(question: str, filled: set[str]) -> bool:
    needed = set(_SECTION.findall(question))
    return needed <= filled and bool(set(field_references(question)) & filled - needed)


def div(cls: str, inner: str) -> str:
    return f'<div class="{cls}">{inner}</div>'


def _label(deck: Deck, card: Card) -> str:
    return _label_html(deck.company, card.kind, card.retired)


@functools.lru_cache(maxsize=1024)  # a handful per company, each on every one of its cards
def _label_html(company: str, kind: str, retired: bool) -> str:
    label = f"{company} · {kind}"
    return markup.plain(label + (" · retired" if retired else ""))


@functools.lru_cache(maxsize=1024)  # a company's few sources, each on many cards
def _source_html(title: str) -> str:
    return markup.plain(title)


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
    return div("d2a-heading", name) + f'<dl class="d2a-facts">{facts}</dl>'


def _script_back(card: Card) -> str:
    parts = [div("d2a-answer", markup.rich(card.back or ""))]
    if card.steps:
        items = "".join(f"<li>{markup.rich(step)}</li>" for step in card.steps)
        parts.append(f'<ol class="d2a-steps">{items}</ol>')
    if card.bad and card.good:
        parts.append(div("d2a-pair",
                          div("d2a-bad", '<span class="d2a-tag">BAD:</span> '
                               + markup.rich(card.bad))
                          + div("d2a-good", '<span class="d2a-tag">GOOD:</span> '
                                 + markup.rich(card.good))))
    if card.quote:
        parts.append(f'<blockquote class="d2a-quote">{markup.rich(card.quote)}</blockquote>')
    return "".join(parts)


def _front_back(deck: Deck, card: Card) -> tuple[str, str]:
    """The question and answer HTML of a non-cloze card, laid out by kind."""
    if card.kind == "round":
        return _round_front(deck, card), _round_back(card)
    if card.kind == "signal":
        heading = div("d2a-heading", "Signal: " + markup.rich(card.name)) if card.name else ""
        return markup.rich(card.front or ""), heading + div("d2a-answer",
                                                              markup.rich(card.back or ""))
    if card.kind == "script":
        return markup.rich(card.front or ""), _script_back(card)
    return markup.rich(card.front or ""), div("d2a-answer", markup.rich(card.back or ""))


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


def _card_ref(slug: str, card_id: str) -> str:
    return markup.plain(card_key(slug, card_id))


def _kept_note(deck: Deck, card: Card, notetype: KeptNoteType) -> RenderedNote:
    """An imported card, in the fields of the note type it kept."""
    shipped = NoteType.kept(deck.slug, notetype)
    fields = [""] * len(notetype.fields)
    fields[notetype.fields.index(notetype.front)] = (
        markup.cloze(card.cloze or "") if card.is_cloze else markup.rich(card.front or ""))
    if notetype.back is not None:
        back = markup.rich(card.back) if card.back else ""
        fields[notetype.fields.index(notetype.back)] = back + (
            image_html(card.image) if card.image else "")
    for name, text in card.fields:  # the rest of the note, as its holders have it
        fields[notetype.fields.index(name)] = markup.rich(text)
    return RenderedNote(card, deck.slug, shipped, tuple(fields), tags_for(deck, card))


def render_note(deck: Deck, card: Card, *, images: bool = True) -> RenderedNote:
    """The note for ``card``; without ``images`` (for the CSV, which can carry neither
    files nor note types of its own), in our layout and with an image as its alt text."""
    if card.notetype is not None and images:
        return _kept_note(deck, card, card.notetype)
    picture = image_html if images else image_alt_html
    context = markup.rich(card.context) if card.context else ""
    source = _source_html(card.source.title)
    card_ref = _card_ref(deck.slug, card.id)
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

    @functools.cached_property
    def keys(self) -> tuple[str, ...]:
        """Each note's stamps key (:func:`card_key`), in note order: the release checks,
        hashes and records of a deck all name its notes by them."""
        slug = self.deck.slug
        return tuple(card_key(slug, note.card.id) for note in self.notes)

    @property
    def notetypes(self) -> tuple[NoteType, ...]:
        used = {note.notetype.key: note.notetype for note in self.notes}
        ours = tuple(nt for nt in NOTETYPES if nt.key in used)
        return ours + tuple(used[key] for key in sorted(set(used) - {nt.key for nt in ours}))


def render_deck(deck: Deck) -> RenderedDeck:
    return RenderedDeck(deck, tuple(render_note(deck, card) for card in deck.cards))
