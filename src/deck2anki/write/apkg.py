"""Write an ``.apkg``: deterministic bytes, each note and note type with its own ``mod``.

The one module that uses genanki, and only through its public API. genanki lays out an
empty collection (schema, collection row) once per process; each package starts from a
copy of it, gets its collection row with genanki's deck and note type JSON, and its notes
and cards with one ``executemany`` each, every note carrying the time its content last
changed (genanki's ``write_to_file`` stamps every note with one time and leaks a temp
file). Nothing is updated or deleted in the copy, so it has no free pages and needs no
VACUUM; its bytes depend only on its content, and the zip has fixed entry dates: the
same input gives the same bytes. genanki writing the collection and the notes itself,
row by row, stays as the reference the bulk path is tested against.
"""

from __future__ import annotations

import functools
import io
import itertools
import json
import re
import sqlite3
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..identity import deck_id
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


def _database_bytes(fill: Callable[[sqlite3.Connection], None],
                    start: bytes | None = None) -> bytes:
    """Run ``fill`` on a new SQLite database (a copy of ``start``'s bytes, if given) and
    return the database file's bytes."""
    if sys.version_info >= (3, 11):  # serialize() never touches the disk
        conn = sqlite3.connect(":memory:")
        try:
            if start is not None:
                conn.deserialize(start)
            fill(conn)
            return bytes(conn.serialize())
        finally:
            conn.close()
    if start is not None:  # not before 3.11: the caller lays the database out itself
        raise ValueError("no sqlite3 deserialize() before Python 3.11")
    with tempfile.TemporaryDirectory(prefix="deck2anki-") as tmp:
        db_path = Path(tmp) / "collection.anki2"
        conn = sqlite3.connect(db_path)
        try:
            fill(conn)
        finally:
            conn.close()
        return db_path.read_bytes()


def warm_up() -> None:
    """Import genanki now, before worker processes are forked."""
    import genanki  # noqa: F401


@dataclass(frozen=True)
class PackageInput:
    """Everything one ``.apkg`` holds, decided: the writer only lays it out."""

    deck_id: int
    deck_name: str
    description: str
    notes: Sequence[RenderedNote]
    notetypes: Sequence[NoteType]
    note_mods: Mapping[str, int]  # GUID -> the note's mod
    notetype_mods: Mapping[int, int]  # note type id -> its mod
    timestamp: int  # dates the package (zip entries, first ids)


def genanki_model(notetype: NoteType) -> genanki.Model:
    import genanki  # here, not at the top: only writing a package needs it

    return genanki.Model(notetype.id, notetype.name,
                         fields=[{"name": f} for f in notetype.fields],
                         templates=[dict(t) for t in notetype.templates], css=notetype.css,
                         model_type=notetype.kind)


def _genanki_deck(package: PackageInput, *, with_notes: bool) -> genanki.Deck:
    import genanki

    deck = genanki.Deck(package.deck_id, package.deck_name, package.description)
    models = {notetype.id: genanki_model(notetype) for notetype in package.notetypes}
    for model in models.values():
        deck.add_model(model)
    for note in package.notes if with_notes else ():
        deck.add_note(genanki.Note(model=models[note.notetype.id], fields=list(note.fields),
                                   tags=list(note.tags), guid=note.guid))
    return deck


def _collection(package: PackageInput, *, reference: bool) -> bytes:
    """The collection database: genanki's layout, our notes and modification times."""
    if reference:
        return _reference_collection(package)
    blank, layout = _blank()
    first_id = _first_id(package.deck_id, package.timestamp)

    def fill(conn: sqlite3.Connection) -> None:
        cursor = conn.cursor()
        if blank is None:  # no copy of the blank database to start from: lay it out
            _lay_out(cursor)
        row = {**layout, "decks": _decks_json(str(layout["decks"]), package),
               "models": _models_json(package)}
        cursor.execute(f"INSERT INTO col ({','.join(row)}) VALUES "
                       f"({','.join('?' * len(row))})", tuple(row.values()))
        _insert_notes(cursor, package, itertools.count(first_id))
        conn.commit()

    return _database_bytes(fill, blank)


def _lay_out(cursor: sqlite3.Cursor) -> dict[str, object]:
    """genanki's schema, without its collection row (each package writes its own):
    that row is returned, column name -> value."""
    import genanki

    genanki.Package([]).write_to_db(cursor, 0, itertools.count())
    values = cursor.execute("SELECT * FROM col").fetchone()
    row = {column[0]: value for column, value in zip(cursor.description, values, strict=True)}
    cursor.execute("DELETE FROM col")
    return row


@functools.cache
def _blank() -> tuple[bytes | None, dict[str, object]]:
    """genanki's empty collection, laid out once per process: the database without its
    collection row (its bytes, where sqlite3 can copy a database), and that row."""
    conn = sqlite3.connect(":memory:")
    try:
        cursor = conn.cursor()
        layout = _lay_out(cursor)
        conn.commit()
        conn.execute("VACUUM")  # once per process: the copies start with no free page
        if sys.version_info >= (3, 11):
            return bytes(conn.serialize()), layout
        return None, layout
    finally:
        conn.close()


def _decks_json(blank: str, package: PackageInput) -> str:
    """The collection's decks as genanki writes them: its default deck, then ours."""
    import genanki

    # The parent decks travel too, expanded: a parent the package lacks is created
    # collapsed by Anki's importer, hiding the company decks inside it.
    decks = json.loads(blank)
    for deck in [*(genanki.Deck(deck_id(name), name) for name in _parents(package.deck_name)),
                 genanki.Deck(package.deck_id, package.deck_name, package.description)]:
        decks[str(deck.deck_id)] = deck.to_json()
    return json.dumps(decks)


def _models_json(package: PackageInput) -> str:
    """The note types as genanki writes them, each with its own ``mod``."""
    models = {str(nt.id): {**_model(nt).to_json(package.timestamp, package.deck_id),
                           "mod": package.notetype_mods[nt.id]} for nt in package.notetypes}
    return json.dumps(models, sort_keys=True)


_MODELS: dict[str, genanki.Model] = {}


def _model(notetype: NoteType) -> genanki.Model:
    """One genanki model per note type and process: which fields each of its templates
    needs (rendered by genanki) is worked out once, not once per company."""
    key = json.dumps([notetype.id, notetype.name, notetype.fields, notetype.templates,
                      notetype.css, notetype.kind])
    model = _MODELS.get(key)
    if model is None:
        model = _MODELS[key] = genanki_model(notetype)
    return model


def _reference_collection(package: PackageInput) -> bytes:
    """genanki writes every note itself (one INSERT per row, each card's ordinals found
    by rendering the templates) and our mods are patched in after: the path the bulk one
    is tested against."""
    import genanki

    deck = _genanki_deck(package, with_notes=True)
    first_id = _first_id(package.deck_id, package.timestamp)

    def fill(conn: sqlite3.Connection) -> None:
        cursor = conn.cursor()
        parents = [genanki.Deck(deck_id(name), name) for name in _parents(package.deck_name)]
        genanki.Package([*parents, deck]).write_to_db(cursor, package.timestamp,
                                                      itertools.count(first_id))
        _patch_note_mods(cursor, package)
        (models_json,) = cursor.execute("SELECT models FROM col").fetchone()
        models = {key: {**model, "mod": package.notetype_mods[int(key)]}
                  for key, model in json.loads(models_json).items()}
        cursor.execute("UPDATE col SET models = ?", (json.dumps(models, sort_keys=True),))
        conn.commit()

    return _database_bytes(fill)


def _parents(deck_name: str) -> list[str]:
    """``A::B::C`` -> ``[A, A::B]``."""
    parts = deck_name.split("::")
    return ["::".join(parts[:i]) for i in range(1, len(parts))]


def _patch_note_mods(cursor: sqlite3.Cursor, package: PackageInput) -> None:
    for note in package.notes:
        mod = package.note_mods[note.guid]
        cursor.execute("UPDATE notes SET mod = ? WHERE guid = ?", (mod, note.guid))
        cursor.execute("UPDATE cards SET mod = ? WHERE nid = "
                       "(SELECT id FROM notes WHERE guid = ?)", (mod, note.guid))


_CLOZE_ORDINAL = re.compile(r"{{c(\d+)::.+?}}", re.DOTALL)  # genanki's own rule
_CLOZE_KIND = 1  # genanki.Model.CLOZE


def _insert_notes(cursor: sqlite3.Cursor, package: PackageInput,
                  ids: Iterator[int]) -> None:
    """The rows genanki would write, in bulk; ids drawn in its order: a note, its cards."""
    note_rows: list[tuple[object, ...]] = []
    card_rows: list[tuple[object, ...]] = []
    shapes: dict[tuple[int, tuple[bool, ...]], list[int]] = {}
    for note in package.notes:
        mod = package.note_mods[note.guid]
        note_id = next(ids)
        note_rows.append((note_id, note.guid, note.notetype.id, mod, -1,
                          " " + " ".join(note.tags) + " ", "\x1f".join(note.fields),
                          note.fields[0], 0, 0, ""))  # the sort field is the first
        if note.notetype.kind == _CLOZE_KIND:
            # Built and iterated as genanki does (a set: {1, 8} gives 8 first), so each
            # card gets the id genanki, and every earlier release, gave it.
            found: set[int] = set()
            found.update(int(n) - 1 for n in _CLOZE_ORDINAL.findall(
                note.fields[note.notetype.cloze_field]) if int(n) > 0)
            ordinals = list(found) or [0]
        elif len(note.notetype.templates) > 1:
            # An imported type ("and reversed", say): which cards a note makes depends
            # only on which of its fields are empty.
            shape = (note.notetype.id, tuple(bool(f) for f in note.fields))
            ordinals = shapes.get(shape) or shapes.setdefault(shape, _template_ordinals(note))
        else:
            ordinals = [0]  # one template, and every front has text (checked by the model)
        card_rows.extend((next(ids), note_id, package.deck_id, ordinal, mod, -1, 0, 0, 0, 0,
                          0, 0, 0, 0, 0, 0, 0, "") for ordinal in ordinals)
    cursor.executemany("INSERT INTO notes VALUES (?,?,?,?,?,?,?,?,?,?,?)", note_rows)
    cursor.executemany("INSERT INTO cards VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       card_rows)


def _template_ordinals(note: RenderedNote) -> list[int]:
    """The templates that make a card of ``note``: genanki's reading of Anki's rule."""
    import genanki

    made = genanki.Note(model=_model(note.notetype), fields=list(note.fields)).cards
    return [card.ord for card in made] or [0]


def apkg_bytes(package: PackageInput, *, reference: bool = False) -> bytes:
    """The bytes of one ``.apkg``: collection database, media map, media files.

    ``reference`` writes the collection with genanki's own writer, which tests compare
    the fast one against.
    """
    collection = _collection(package, reference=reference)
    images = sorted({n.card.image.name: n.card.image for n in package.notes
                     if n.card.image}.values(), key=lambda image: image.name)
    # Anki's legacy package layout: "media" maps zip entry names "0", "1"... to file names.
    media_map = json.dumps({str(i): image.name for i, image in enumerate(images)},
                           sort_keys=True).encode()
    entries = [("collection.anki2", collection), ("media", media_map)]
    entries += [(str(i), image.data) for i, image in enumerate(images)]
    date_time = time.gmtime(min(max(package.timestamp, _ZIP_FIRST), _ZIP_LAST))[:6]
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
