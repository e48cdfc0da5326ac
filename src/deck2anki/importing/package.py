"""An Anki export (.apkg in any of its formats, .colpkg) read back into plain data.

The reading is Anki's own: the file is imported into a fresh collection in a temporary
folder, which is what the desktop app does, so every format Anki reads is read the same
way. Anki is not hardened against hostile files, so the zip is checked first
(``unzip``) and the collection it would read is checked with SQLite, read-only.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .unzip import (
    MAX_MEDIA_FILE_BYTES,
    REEXPORT,
    ExportError,
    check_archive,
    copy_capped,
    is_safe_media_name,
    need,
    quoted,
)

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.dbproxy import DBProxy

__all__ = ["Export", "ExportError", "ExportedNote", "ExportedNoteType", "read_export"]

MAX_NOTES = 200_000  # twice the largest deck we build; more is no deck but a collection
MAX_FIELD_BYTES = 1024 * 1024  # Anki's own editor slows to a crawl far below this
CHECK_SECONDS = 120  # SQLite's checks of a 512 MiB collection take a few seconds
FIELD_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class ExportedNoteType:
    id: int
    name: str
    kind: int  # 0 standard, 1 cloze (Anki's type)
    fields: tuple[str, ...]  # field names in order
    templates: tuple[tuple[str, str, str], ...]  # (name, qfmt, afmt) in order
    css: str
    mod: int  # seconds


@dataclass(frozen=True)
class ExportedNote:
    guid: str
    notetype_id: int
    mod: int  # seconds
    fields: tuple[str, ...]  # HTML as stored
    tags: tuple[str, ...]
    deck: str  # full name of the deck of its first card (lowest ord), '::' separated


@dataclass(frozen=True)
class Export:
    notes: tuple[ExportedNote, ...]  # in note-id order (stable)
    notetypes: Mapping[int, ExportedNoteType]  # only the types some note uses
    media: Mapping[str, bytes]  # file name -> bytes, only files some note's field references


def read_export(path: Path) -> Export:
    """Everything deck2anki needs from an Anki export; ExportError for anything else."""
    need("anki")  # zstandard only where a package is zstd-compressed: unzip asks for it
    with tempfile.TemporaryDirectory(prefix="deck2anki-import-",
                                     ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        package = work / "export.apkg"  # Anki reads our checked copy, not the user's file
        copy_capped(Path(path), package)
        check_archive(package, work / "package.sqlite")
        check_collection(work / "package.sqlite")
        return _import(package, work / "collection.anki2")


def check_collection(database: Path) -> None:
    """The collection Anki would read: a sound SQLite file with Anki's tables, of sane size.

    Anki silently makes an empty collection of a file without its tables, and reads
    whatever rows are there: both are refused here, with the database opened read-only
    and its schema not trusted (a view or trigger named like Anki's tables runs nothing).
    """
    try:
        db = sqlite3.connect(f"{database.as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as err:
        raise ExportError(f"corrupt collection (not an SQLite database); {REEXPORT}") from err
    # Anki's indexes on names sort with this collation; SQLite cannot check them without it.
    db.create_collation("unicase", _unicase)
    deadline = time.monotonic() + CHECK_SECONDS
    db.set_progress_handler(lambda: int(time.monotonic() > deadline), 100_000)
    try:
        db.execute("PRAGMA trusted_schema = OFF")
        if db.execute("PRAGMA quick_check").fetchone() != ("ok",):
            raise ExportError(f"corrupt collection (SQLite finds damage); {REEXPORT}")
        _check_tables(db)
        _check_sizes(db)
    except sqlite3.Error as err:
        raise ExportError(f"corrupt collection ({_one_line(err)}); {REEXPORT}") from err
    finally:
        db.close()


def _unicase(a: str, b: str) -> int:
    a, b = a.casefold(), b.casefold()
    return (a > b) - (a < b)


def _check_tables(db: sqlite3.Connection) -> None:
    rows = db.execute("SELECT name, type, sql FROM sqlite_master "
                      "WHERE name IN ('col', 'notes', 'cards')").fetchall()
    real = {name for name, kind, sql in rows
            if kind == "table" and not str(sql).upper().startswith("CREATE VIRTUAL")}
    missing = sorted({"col", "notes", "cards"} - real)
    if missing:
        raise ExportError(f"corrupt collection (missing tables: {', '.join(missing)}); "
                          f"{REEXPORT}")


def _check_sizes(db: sqlite3.Connection) -> None:
    (count,) = db.execute("SELECT count(*) FROM notes").fetchone()
    if count > MAX_NOTES:
        raise ExportError(f"{count} notes, more than the {MAX_NOTES} a deck may have; "
                          "export one deck, not the whole collection")
    # Only notes whose fields together pass the cap can have a field that does.
    big = db.execute("SELECT guid, flds FROM notes WHERE length(CAST(flds AS BLOB)) > ?",
                     (MAX_FIELD_BYTES,))
    for guid, flds in big:
        text = flds.decode("utf-8", "replace") if isinstance(flds, bytes) else str(flds)
        if any(len(field.encode("utf-8")) > MAX_FIELD_BYTES
               for field in text.split(FIELD_SEPARATOR)):
            raise ExportError(f"huge field in note {quoted(str(guid))} (over 1 MiB); shorten it in "
                              "Anki or move its content into a media file, and export again")


def _import(package: Path, collection: Path) -> Export:
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    col = None
    try:
        col = Collection(str(collection))
        placeholder = _clear_stock_notetypes(col)
        col.import_anki_package(ImportAnkiPackageRequest(
            package_path=str(package), options=ImportAnkiPackageOptions()))
        return _read(col, placeholder)
    except ExportError:
        raise
    except Exception as err:  # anki.errors.* and the backend's own: one line each
        raise ExportError(f"Anki could not read it ({_one_line(err)}); {REEXPORT}") from err
    finally:
        if col is not None:
            col.close(downgrade=False)


def _clear_stock_notetypes(col: Collection) -> int:
    """Leave the fresh collection one note type, under a name no export uses: Anki renames
    an imported type whose name is taken ("Basic" becomes "Basic+") and bumps its mod."""
    from anki.models import NotetypeId

    keep, *stock = (NotetypeId(entry.id) for entry in col.models.all_names_and_ids())
    for notetype in stock:
        col.models.remove(notetype)
    placeholder = col.models.get(keep)
    if placeholder is None:
        raise ExportError(f"Anki could not make a collection to import into; {REEXPORT}")
    placeholder["name"] = f"deck2anki placeholder {uuid.uuid4().hex}"
    col.models.update_dict(placeholder)
    return int(keep)


def _read(col: Collection, placeholder: int) -> Export:
    notes: list[ExportedNote] = []
    types: dict[int, ExportedNoteType] = {}
    wanted: set[str] = set()
    db = col.db
    if db is None:  # only a closed collection has none
        raise ExportError(f"Anki closed the collection while importing; {REEXPORT}")
    for nid in db.list("SELECT id FROM notes ORDER BY id"):
        note = col.get_note(nid)
        if note.mid == placeholder:  # the export's type had our placeholder's id: not its own
            raise ExportError(f"a note type id clashes with Anki's own; {REEXPORT}")
        if note.mid not in types:
            types[note.mid] = _note_type(note.note_type())
        notes.append(ExportedNote(
            guid=note.guid, notetype_id=int(note.mid), mod=int(note.mod),
            fields=tuple(note.fields), tags=tuple(note.tags), deck=_deck(col, db, nid)))
        # One call per note, not per field: at ~50 µs a call, 200 000 notes add up.
        wanted.update(col.media.files_in_str(note.mid, FIELD_SEPARATOR.join(note.fields)))
    return Export(tuple(notes), MappingProxyType(types),
                  MappingProxyType(_media(Path(col.media.dir()), wanted)))


def _note_type(raw: dict[str, Any] | None) -> ExportedNoteType:
    if raw is None:
        raise ExportError(f"a note uses a note type the export lacks; {REEXPORT}")
    return ExportedNoteType(
        id=int(raw["id"]), name=str(raw["name"]), kind=int(raw["type"]),
        fields=tuple(str(field["name"]) for field in raw["flds"]),
        templates=tuple((str(t["name"]), str(t["qfmt"]), str(t["afmt"]))
                        for t in raw["tmpls"]),
        css=str(raw["css"]), mod=int(raw["mod"]))


def _deck(col: Collection, db: DBProxy, nid: int) -> str:
    """The deck of the note's first card; a card in a filtered deck counts in its home deck.
    A note without cards has no deck: ""."""
    did = db.scalar("SELECT CASE WHEN odid THEN odid ELSE did END FROM cards "
                    "WHERE nid = ? ORDER BY ord LIMIT 1", nid)
    return "" if did is None else col.decks.name(did)


def _media(folder: Path, wanted: set[str]) -> dict[str, bytes]:
    """The referenced files Anki unpacked. A field's reference is text a stranger wrote
    (``<img src="../../x">``), so only names both safe and really in the folder are read."""
    present = {entry.name for entry in folder.iterdir()
               if entry.is_file() and not entry.is_symlink()} if folder.is_dir() else set()
    media = {}
    for name in sorted(wanted & present):
        if is_safe_media_name(name):
            with (folder / name).open("rb") as file:
                data = file.read(MAX_MEDIA_FILE_BYTES + 1)
            if len(data) > MAX_MEDIA_FILE_BYTES:
                raise ExportError(f"media file {quoted(name)} is over 100 MiB; {REEXPORT}")
            media[name] = data
    return media


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."
