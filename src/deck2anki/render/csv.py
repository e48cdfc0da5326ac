"""The same notes, flattened onto Anki's built-in Basic note type for the CSV."""

from __future__ import annotations

from collections.abc import Iterable

from ..identity import csv_guid
from ..markup import cloze_side
from ..model import Deck
from .notes import RenderedNote, div, render_note
from .notetypes import CLOZE

CSV_COLUMNS = ("GUID", "Front", "Back", "Deck", "Tags")


def csv_rows(deck: Deck, notes: Iterable[RenderedNote]) -> list[tuple[str, ...]]:
    """One row per Anki card: a cloze note with N deletions becomes N Basic rows."""
    rows: list[tuple[str, ...]] = []
    for note in notes:
        if note.card.image:
            note = render_note(deck, note.card, images=False)
        first, back, context, source, label, card_ref = note.fields
        footer = (div("d2a-context", context) if context else "") + div(
            "d2a-source", f"Source: {source} <span class=\"d2a-id\">{card_ref}</span>")
        tags = " ".join(note.tags)
        label_html = div("d2a-label", label)
        if note.notetype is CLOZE:
            for ordinal in note.card.cloze_ordinals():
                front = label_html + div("d2a-front", cloze_side(first, ordinal, answer=False))
                answer = div("d2a-front", cloze_side(first, ordinal, answer=True))
                extra = div("d2a-back", back) if back else ""
                rows.append((csv_guid(deck.slug, note.card.id, ordinal), front,
                             answer + extra + footer, deck.deck_name, tags))
        else:
            rows.append((csv_guid(deck.slug, note.card.id), label_html + div("d2a-front", first),
                         div("d2a-back", back) + footer, deck.deck_name, tags))
    return rows
