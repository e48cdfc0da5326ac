"""The same notes for the CSV, on Anki's built-in Basic and Cloze note types.

One row per note, its note type named in the row (Anki's ``#notetype column``), so a
cloze stays a cloze. The first field is the question itself: Anki sorts by it and checks
duplicates with it. The built-in types carry none of our CSS, so the layout holds without
it: every part is a block of its own (the source on its own line) and BAD and GOOD are
told apart by their words.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..identity import csv_guid
from ..model import Deck
from .notes import RenderedNote, div, render_note
from .notetypes import CLOZE

CSV_COLUMNS = ("GUID", "Notetype", "Question", "Answer", "Deck", "Tags")


def csv_rows(deck: Deck, notes: Iterable[RenderedNote]) -> list[tuple[str, ...]]:
    """One row per note: ``Basic`` (front, back) or ``Cloze`` (text, back extra)."""
    rows: list[tuple[str, ...]] = []
    for note in notes:
        if note.card.image or note.card.notetype:  # a CSV has neither files nor types
            note = render_note(deck, note.card, images=False)
        first, back, context, source, label, card_ref = note.fields
        answer = (div("d2a-back", back) if back else "") + (
            div("d2a-context", context) if context else "") + div(
            "d2a-source", f"Source: {source}") + div("d2a-label", f"{label} · {card_ref}")
        notetype = "Cloze" if note.notetype is CLOZE else "Basic"
        # In a block of its own: Anki strips the markup for sorting and duplicate checks,
        # and no cell can then start like a spreadsheet formula.
        rows.append((csv_guid(deck.slug, note.card.id), notetype, div("d2a-front", first),
                     answer, deck.deck_name, " ".join(note.tags)))
    return rows
