"""Write packages and CSVs: deterministic bytes, atomic replacement, no leftovers.

The collection is an in-memory SQLite database built from genanki's schema and JSON,
with notes and cards inserted in bulk, each note and note type carrying its own
``mod`` (genanki's ``write_to_file`` stamps every note with one time and leaks a temp
file). It is zipped with fixed entry dates so the same input gives the same bytes.
genanki's own row-by-row writer is kept as the reference the bulk one is tested against.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import sqlite3
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..render.notes import RenderedNote
from ..render.notetypes import NoteType

if TYPE_CHECKING:
    import genanki

# Zip entries can only store dates from 1980 to 2107.
_ZIP_FIRST = 315532800  # 1980-01-01
_ZIP_LAST = 4354819198  # 2107-12-31 23:59:58


def _first_id(deck_id: int, timestamp: int) -> int:
    # Note and card ids count up from the package's time; offset by the deck id so two
    # companies built in one run do not share ids (Anki would renumber, but need not).
    return timestamp * 1000 + (deck_id % 1000) * 1_000_000


def _database_bytes(fill: Callable[[sqlite3.Connection], None]) -> bytes:
    """Run ``fill`` on a new SQLite database and return the database file's bytes."""
    if sys.version_info >= (3, 11):  # serialize() never touches the disk
        conn = sqlite3.connect(":memory:")
        try:
            fill(conn)
            return bytes(conn.serialize())
        finally:
            conn.close()
    with tempfile.TemporaryDirectory(prefix="deck2anki-") as tmp:
        db_path = Path(tmp) / "collection.anki2"
        conn = sqlite3.connect(db_path)
        try:
            fill(conn)
        finally:
            conn.close()
        return db_path.read_bytes()


def genanki_model(notetype: NoteType) -> genanki.Model:
    import genanki

    return genanki.Model(notetype.id, notetype.name,
                         fields=[{"name": f} for f in notetype.fields],
                         templates=[dict(notetype.template)], css=notetype.css,
                         model_type=notetype.kind)


def _genanki_deck(deck_id: int, deck_name: str, description: str,
                  notes: Sequence[RenderedNote], notetypes: Sequence[NoteType]) -> genanki.Deck:
    import genanki  # here, not at the top: only writing a package needs it

    deck = genanki.Deck(deck_id, deck_name, description)
    models = {notetype.id: genanki_model(notetype) for notetype in notetypes}
    for model in models.values():
        deck.add_model(model)
    for note in notes:
        deck.add_note(genanki.Note(model=models[note.notetype.id], fields=list(note.fields),
                                   tags=list(note.tags), guid=note.guid))
    return deck


def _collection_reference(deck: genanki.Deck, notes: Sequence[RenderedNote],
                          note_mods: Mapping[str, int], notetype_mods: Mapping[int, int],
                          timestamp: int) -> bytes:
    """The collection as genanki writes it, with our modification times patched in.

    The reference the fast writer is tested against: one INSERT per row, and every
    card's ordinals found by rendering the templates.
    """
    import genanki

    def fill(conn: sqlite3.Connection) -> None:
        cursor = conn.cursor()
        genanki.Package(deck).write_to_db(cursor, timestamp,
                                          itertools.count(_first_id(deck.deck_id, timestamp)))
        for note in notes:
            mod = note_mods[note.guid]
            cursor.execute("UPDATE notes SET mod = ? WHERE guid = ?", (mod, note.guid))
            cursor.execute("UPDATE cards SET mod = ? WHERE nid = "
                           "(SELECT id FROM notes WHERE guid = ?)", (mod, note.guid))
        (models_json,) = cursor.execute("SELECT models FROM col").fetchone()
        models = json.loads(models_json)
        for model_id, model in models.items():
            model["mod"] = notetype_mods[int(model_id)]
        cursor.execute("UPDATE col SET models = ?", (json.dumps(models, sort_keys=True),))
        conn.commit()
        # Rewrite the file compactly so its bytes depend only on its content.
        conn.execute("VACUUM")

    return _database_bytes(fill)


_CLOZE_ORDINAL = re.compile(r"{{c(\d+)::.+?}}", re.DOTALL)  # genanki's own rule


def _collection_fast(deck: genanki.Deck, notes: Sequence[RenderedNote],
                     note_mods: Mapping[str, int], notetype_mods: Mapping[int, int],
                     timestamp: int) -> bytes:
    """The same rows as :func:`_collection_reference`, written in bulk.

    genanki still supplies the schema, the collection row and the deck and note type
    JSON; the notes and cards go in with one ``executemany`` each, the indexes are
    built after them, and a cloze note's cards come from its markers (genanki renders
    templates to find them). Ids are drawn in genanki's order: a note, then its cards.
    """
    import genanki
    from genanki.apkg_col import APKG_COL
    from genanki.apkg_schema import APKG_SCHEMA

    ids = itertools.count(_first_id(deck.deck_id, timestamp))
    note_rows: list[tuple[object, ...]] = []
    card_rows: list[tuple[object, ...]] = []
    for note in notes:
        model = deck.models[note.notetype.id]
        mod = note_mods[note.guid]
        note_id = next(ids)
        note_rows.append((note_id, note.guid, model.model_id, mod, -1,
                          " " + " ".join(note.tags) + " ", "\x1f".join(note.fields),
                          note.fields[model.sort_field_index], 0, 0, ""))
        if model.model_type == genanki.Model.CLOZE:
            # Built and iterated as genanki does (a set: {1, 8} gives 8 first), so each
            # card gets the id genanki, and every earlier release, gave it.
            found: set[int] = set()
            found.update(int(n) - 1 for n in _CLOZE_ORDINAL.findall(note.fields[0])
                         if int(n) > 0)
            ordinals = list(found) or [0]
        else:
            ordinals = [0]  # one template, and every front has text (checked by the model)
        card_rows.extend((next(ids), note_id, deck.deck_id, ordinal, mod, -1, 0, 0, 0, 0, 0,
                          0, 0, 0, 0, 0, 0, "") for ordinal in ordinals)
    models = {str(model.model_id): {**model.to_json(timestamp, deck.deck_id),
                                    "mod": notetype_mods[model.model_id]}
              for model in deck.models.values()}
    tables, _, indexes = APKG_SCHEMA.partition("CREATE INDEX")

    def fill(conn: sqlite3.Connection) -> None:
        conn.executescript(tables + APKG_COL)
        (decks_json,) = conn.execute("SELECT decks FROM col").fetchone()
        decks = {**json.loads(decks_json), str(deck.deck_id): deck.to_json()}
        conn.execute("UPDATE col SET decks = ?, models = ?",
                     (json.dumps(decks), json.dumps(models, sort_keys=True)))
        conn.executemany("INSERT INTO notes VALUES (?,?,?,?,?,?,?,?,?,?,?)", note_rows)
        conn.executemany("INSERT INTO cards VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         card_rows)
        conn.executescript("CREATE INDEX" + indexes)
        conn.commit()
        conn.execute("VACUUM")  # the col row was updated in place: drop the free page

    return _database_bytes(fill)


def apkg_bytes(deck_id: int, deck_name: str, description: str,
               notes: Sequence[RenderedNote], notetypes: Sequence[NoteType],
               note_mods: Mapping[str, int], notetype_mods: Mapping[int, int],
               timestamp: int, *, reference: bool = False) -> bytes:
    """The bytes of one ``.apkg``: collection database, media map, media files.

    ``reference`` writes the collection with genanki's own writer, which tests compare
    the fast one against.
    """
    deck = _genanki_deck(deck_id, deck_name, description,
                         [] if not reference else notes, notetypes)
    write = _collection_reference if reference else _collection_fast
    collection = write(deck, notes, note_mods, notetype_mods, timestamp)
    images = sorted({n.card.image.name: n.card.image for n in notes if n.card.image}.values(),
                    key=lambda image: image.name)
    # Anki's legacy package layout: "media" maps zip entry names "0", "1"... to file names.
    media_map = json.dumps({str(i): image.name for i, image in enumerate(images)},
                           sort_keys=True).encode()
    entries = [("collection.anki2", collection), ("media", media_map)]
    entries += [(str(i), image.data) for i, image in enumerate(images)]
    date_time = time.gmtime(min(max(timestamp, _ZIP_FIRST), _ZIP_LAST))[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # the same header bytes whichever OS builds it
            info.external_attr = 0o644 << 16
            # Level 1: a third of the time of level 6 for a few percent more bytes.
            archive.writestr(info, data, compresslevel=1)
    return buffer.getvalue()
