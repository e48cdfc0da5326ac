"""A company's two output files, from its rendered notes and their stamps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .. import markup
from ..identity import card_key, deck_id
from ..render.csv import csv_rows
from ..render.notes import RenderedDeck
from . import apkg, csv


@dataclass(frozen=True)
class Mods:
    """When each note and note type last changed, as the release record decided."""

    notes: Mapping[str, int]  # card key -> mod
    notetypes: Mapping[int, int]  # note type id -> mod
    sde: int | None = None  # SOURCE_DATE_EPOCH, which dates the package if set


def output_names(slug: str) -> tuple[str, str]:
    """The package and the CSV a company's build writes."""
    return f"{slug}.apkg", f"{slug}.csv"


def deck_outputs(rendered: RenderedDeck, mods: Mods) -> dict[str, bytes]:
    """File name -> bytes of the company's ``.apkg`` and ``.csv``."""
    deck = rendered.deck
    note_mods = {n.guid: mods.notes[card_key(deck.slug, n.card.id)] for n in rendered.notes}
    notetype_mods = {nt.id: mods.notetypes[nt.id] for nt in rendered.notetypes}
    # Without SOURCE_DATE_EPOCH the newest stamp dates the package, so it stays reproducible.
    timestamp = (mods.sde if mods.sde is not None
                 else max([*note_mods.values(), *notetype_mods.values()]))
    # Anki desktop shows the description as HTML in a web view: escape what YAML gave.
    titles = "; ".join(markup.plain(s.title) for s in deck.sources)
    description = (f"{markup.plain(deck.company)} AI PM interview prep, built by deck2anki "
                   f"from: {titles}. Cards tagged status::retired are withdrawn: you may "
                   "delete them.")
    package = apkg.PackageInput(deck_id(deck.deck_name), deck.deck_name, description,
                                rendered.notes, rendered.notetypes, note_mods, notetype_mods,
                                timestamp)
    apkg_name, csv_name = output_names(deck.slug)
    return {apkg_name: apkg.apkg_bytes(package),
            csv_name: csv.csv_bytes(csv_rows(deck, rendered.notes))}
