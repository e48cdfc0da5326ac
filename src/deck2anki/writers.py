"""Write packages and CSVs: deterministic bytes, atomic replacement, no leftovers.

genanki builds the collection; we write it into our own temporary SQLite file (genanki's
``write_to_file`` leaks one into the system temp folder and stamps every note with one
time), stamp each note and note type with its own ``mod``, and zip it with fixed entry
dates so the same input gives the same bytes.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import os
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import genanki

from .render import CSV_COLUMNS, NoteType, RenderedNote

# Zip entries can only store dates from 1980 to 2107.
_ZIP_FIRST = 315532800  # 1980-01-01
_ZIP_LAST = 4354819198  # 2107-12-31 23:59:58


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it into place only on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _collection_bytes(deck: genanki.Deck, notes: Sequence[RenderedNote],
                      note_mods: Mapping[str, int], notetype_mods: Mapping[int, int],
                      timestamp: int) -> bytes:
    # Note and card ids count up from the package's time; offset by the deck id so two
    # companies built in one run do not share ids (Anki would renumber, but need not).
    first_id = timestamp * 1000 + (deck.deck_id % 1000) * 1_000_000
    with tempfile.TemporaryDirectory(prefix="deck2anki-") as tmp:
        db_path = Path(tmp) / "collection.anki2"
        conn = sqlite3.connect(db_path)
        try:
            cursor = conn.cursor()
            genanki.Package(deck).write_to_db(cursor, timestamp, itertools.count(first_id))
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
        finally:
            conn.close()
        return db_path.read_bytes()


def apkg_bytes(deck_id: int, deck_name: str, description: str,
               notes: Sequence[RenderedNote], notetypes: Sequence[NoteType],
               note_mods: Mapping[str, int], notetype_mods: Mapping[int, int],
               timestamp: int) -> bytes:
    """The bytes of one ``.apkg``: collection database, media map, media files."""
    deck = genanki.Deck(deck_id, deck_name, description)
    for notetype in notetypes:
        deck.add_model(notetype.model)
    for note in notes:
        deck.add_note(genanki.Note(model=note.notetype.model, fields=list(note.fields),
                                   tags=list(note.tags), guid=note.guid))
    collection = _collection_bytes(deck, notes, note_mods, notetype_mods, timestamp)
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
            archive.writestr(info, data, compresslevel=6)
    return buffer.getvalue()


CSV_HEADER = (
    "#separator:Comma",
    "#html:true",
    "#notetype:Basic",
    f"#columns:{','.join(CSV_COLUMNS)}",
    f"#guid column:{CSV_COLUMNS.index('GUID') + 1}",
    f"#deck column:{CSV_COLUMNS.index('Deck') + 1}",
    f"#tags column:{CSV_COLUMNS.index('Tags') + 1}",
)


# A cell a spreadsheet would run as a formula. Our cells never start with one by
# construction (HTML cells start with '<', GUIDs with 'd2a', decks with the root deck's
# name, tags with a letter or digit); prefixing a quote would show in Anki, so a cell
# that breaks the rule is a bug to stop, not text to rewrite.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class UnsafeCsvCell(ValueError):
    """A CSV cell starts like a spreadsheet formula."""


def csv_bytes(rows: Sequence[Sequence[str]]) -> bytes:
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_START):
                raise UnsafeCsvCell(f"CSV cell would start a spreadsheet formula: {cell[:30]!r}")
    out = io.StringIO()
    out.write("\n".join(CSV_HEADER) + "\n")
    # Every cell quoted: Anki reads an unquoted first cell starting with '#' as a header.
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
