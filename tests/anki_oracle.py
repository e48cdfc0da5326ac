"""What real Anki does with our files, through the calls the desktop app uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anki.collection import (
    Collection,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
    ImportCsvRequest,
)

TEMPLATE_ERROR_MARK = "templates/errors.html"


@dataclass(frozen=True)
class ImportLog:
    new: int
    updated: int
    duplicate: int
    conflicting: int
    found: int


def _log(log: Any) -> ImportLog:
    return ImportLog(len(log.new), len(log.updated), len(log.duplicate), len(log.conflicting),
                     log.found_notes)


def import_apkg(col: Collection, path: Path) -> ImportLog:
    """Import with the options the desktop dialog presets on a fresh profile."""
    presets = col._backend.get_import_anki_package_presets()
    assert presets == ImportAnkiPackageOptions()  # defaults: update notes only "if newer"
    request = ImportAnkiPackageRequest(package_path=str(path), options=presets)
    return _log(col.import_anki_package(request).log)


def import_csv(col: Collection, path: Path) -> ImportLog:
    metadata = col.get_csv_metadata(path=str(path), delimiter=None)
    # The note type comes from a column of each row (Basic or Cloze), not a fallback:
    # an unknown #notetype silently becomes Basic.
    assert metadata.WhichOneof("notetype") == "notetype_column"
    log = _log(col.import_csv(ImportCsvRequest(path=str(path), metadata=metadata)).log)
    types = {col.get_note(n).note_type()["name"] for n in col.find_notes("")}
    assert types <= {"Basic", "Cloze", "deck2anki Q/A", "deck2anki Cloze"}, types
    return log


def note_id_by_guid(col: Collection, guid: str) -> int:
    nid = col.db.scalar("select id from notes where guid = ?", guid)
    assert nid, f"no note with guid {guid!r}"
    return int(nid)


def scheduling(col: Collection) -> dict[int, tuple[Any, ...]]:
    """Everything a learner's review history is made of, per card."""
    rows = col.db.all("select id, did, type, queue, due, ivl, factor, reps, lapses, left "
                      "from cards order by id")
    return {row[0]: tuple(row[1:]) for row in rows}


def rendered(col: Collection) -> list[tuple[int, str, str]]:
    """Every card's question and answer HTML, as Anki renders them."""
    out = []
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        out.append((cid, card.question(), card.answer()))
    return out
