"""``deck2anki preview``: a static HTML page of every card, as Anki renders it."""

from __future__ import annotations

from pathlib import Path

from ..engine import valid_decks
from ..files import write_bytes
from ..model import Deck
from ..render.notes import render_deck


def preview(decks_dir: Path, out_dir: Path) -> list[Deck]:
    """Write the HTML preview of every deck; raise :class:`InvalidInput` if one is invalid."""
    from ..write.preview import preview_files

    decks = valid_decks(decks_dir)
    for path, data in preview_files([render_deck(d) for d in decks], out_dir).items():
        write_bytes(path, data)
    return decks
