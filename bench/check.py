"""Hold the floor to its word: its files must be what ``deck2anki build`` writes.

Two checks, each of which a floor that skipped work would fail:

- rows: every package of both folders opened as SQLite: the same tables and indexes,
  the same ``col`` row (deck and note type JSON byte for byte), the same notes (id,
  GUID, note type, mod, tags, fields) and cards (id, note, deck, ordinal, mod...); the
  same zip entries; and every CSV the same bytes. Only the database files' layout may
  differ (deck2anki vacuums, the floor need not), so this is cheap and runs on every
  company;
- Anki: the packages imported into fresh collections of real Anki (the ``anki``
  package, as the desktop app imports): the same notes (GUID, note type name, fields,
  tags), note types (fields, templates, CSS) and number of cards per deck, and every
  note new. This is slow, so it takes every company or a sample of them.

    python bench/check.py FLOOR_DIR OURS_DIR [--sample N]

prints the differences and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import zipfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Each table's rows in a fixed order: the check does not depend on how a file is laid out.
QUERIES = {
    "schema": "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name",
    "col": "SELECT * FROM col",
    "notes": "SELECT * FROM notes ORDER BY id",
    "cards": "SELECT * FROM cards ORDER BY id",
    "revlog": "SELECT * FROM revlog ORDER BY id",
    "graves": "SELECT * FROM graves ORDER BY oid",
}
SHOWN = 3  # differences listed per file; the rest are counted


def _outputs(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.suffix in (".apkg", ".csv")}


def _tables(package: Path) -> tuple[dict[str, bytes], dict[str, list[tuple[Any, ...]]]]:
    """A package's zip entries other than the database, and the database's rows."""
    with zipfile.ZipFile(package) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    database = entries.pop("collection.anki2", b"")
    with tempfile.TemporaryDirectory(prefix="check-") as tmp:
        # Connection.deserialize() is 3.11+; before it, the database goes through a file.
        path = Path(tmp) / "collection.anki2"
        if sys.version_info < (3, 11):
            path.write_bytes(database)
        conn = sqlite3.connect(":memory:" if sys.version_info >= (3, 11) else path)
        try:
            if sys.version_info >= (3, 11):
                conn.deserialize(database)
            return entries, {name: _rows(conn, query) for name, query in QUERIES.items()}
        finally:
            conn.close()


def _rows(conn: sqlite3.Connection, query: str) -> list[tuple[Any, ...]]:
    try:
        return conn.execute(query).fetchall()
    except sqlite3.Error as exc:  # a table missing is a difference to show, not a crash
        return [(f"sqlite: {exc}",)]


def _first_difference(name: str, ours: Sequence[Any], floor: Sequence[Any]) -> str:
    if len(ours) != len(floor):
        return f"{name}: {len(floor)} rows in the floor's, {len(ours)} in ours"
    for index, (mine, theirs) in enumerate(zip(ours, floor, strict=True)):
        if mine != theirs:
            return f"{name} row {index}: floor {str(theirs)[:300]!r} != ours {str(mine)[:300]!r}"
    return ""


def compare_rows(floor: Path, ours: Path) -> list[str]:
    """Every difference between the floor's files and ours (none: the floor is honest)."""
    names = _outputs(ours)
    if not names:
        return [f"{ours}: no .apkg or .csv to compare"]
    problems = [f"{name}: only in {where}" for where, extra in
                (("the floor's", _outputs(floor) - names), ("ours", names - _outputs(floor)))
                for name in sorted(extra)]
    for name in sorted(names & _outputs(floor)):
        found: list[str] = []
        if name.endswith(".csv"):
            mine, theirs = (ours / name).read_bytes(), (floor / name).read_bytes()
            if mine != theirs:
                found.append(_first_difference("line", mine.splitlines(), theirs.splitlines())
                             or "the bytes differ")
        else:
            my_entries, my_rows = _tables(ours / name)
            their_entries, their_rows = _tables(floor / name)
            if my_entries != their_entries:
                found.append(f"zip entries: floor {sorted(their_entries)} != ours "
                             f"{sorted(my_entries)} (or their bytes differ)")
            found += [d for table in QUERIES
                      if (d := _first_difference(table, my_rows[table], their_rows[table]))]
        problems += [f"{name}: {d}" for d in found[:SHOWN]]
    return problems


def _imported(packages: Sequence[Path], folder: Path) -> tuple[dict[str, Any], list[str]]:
    """What real Anki holds after importing ``packages`` into a fresh collection."""
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    col = Collection(str(folder / "collection.anki2"))
    problems = []
    try:
        for package in packages:
            request = ImportAnkiPackageRequest(package_path=str(package),
                                               options=ImportAnkiPackageOptions())
            try:
                log = col.import_anki_package(request).log
            except Exception as exc:  # Anki's refusal is the finding, not a crash
                problems.append(f"{package}: real Anki refuses it: {exc}")
                continue
            if log.updated or log.duplicate or log.conflicting or not log.new:
                problems.append(f"{package}: {len(log.new)} new, {len(log.updated)} updated, "
                                f"{len(log.duplicate)} duplicate, {len(log.conflicting)} "
                                "conflicting notes in a fresh collection")
        notes = {}
        for note_id in col.find_notes(""):
            note = col.get_note(note_id)
            notetype = note.note_type()
            assert notetype is not None
            notes[note.guid] = (notetype["name"], tuple(note.fields),
                                tuple(sorted(note.tags)))
        types = {m["name"]: ([f["name"] for f in m["flds"]],
                             [(t["name"], t["qfmt"], t["afmt"]) for t in m["tmpls"]], m["css"])
                 for m in col.models.all() if m["name"] in {n[0] for n in notes.values()}}
        assert col.db is not None
        cards = Counter({col.decks.name(did): count for did, count in
                         col.db.all("SELECT did, count() FROM cards GROUP BY did")})
        return {"notes": notes, "note types": types, "cards per deck": cards}, problems
    finally:
        col.close()


def compare_in_anki(floor: Path, ours: Path, slugs: Sequence[str]) -> list[str]:
    """The differences real Anki sees between the floor's packages and ours."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="deck2anki-check-") as tmp:
        seen = {}
        for who, folder in (("floor", floor), ("ours", ours)):
            (Path(tmp) / who).mkdir()
            seen[who], found = _imported([folder / f"{slug}.apkg" for slug in slugs],
                                         Path(tmp) / who)
            problems += found
    for what, ours_seen in seen["ours"].items():
        floor_seen = seen["floor"][what]
        if not ours_seen:
            problems.append(f"{what}: none in ours")
        wrong = sorted(k for k in ours_seen.keys() | floor_seen.keys()
                       if ours_seen.get(k) != floor_seen.get(k))
        problems += [f"{what} {key!r}: floor {str(floor_seen.get(key))[:300]} != ours "
                     f"{str(ours_seen.get(key))[:300]}" for key in wrong[:SHOWN]]
        if len(wrong) > SHOWN:
            problems.append(f"{what}: {len(wrong) - SHOWN} more differ")
    return problems


def sample(slugs: Sequence[str], count: int | None) -> list[str]:
    """All of ``slugs``, or ``count`` of them spread over the list (first and last too)."""
    ordered = sorted(slugs)
    if count is None or count >= len(ordered):
        return ordered
    step = (len(ordered) - 1) / max(count - 1, 1)
    return sorted({ordered[round(i * step)] for i in range(count)})


def check(floor: Path, ours: Path, anki_sample: int | None = None) -> list[str]:
    """Both checks; the companies imported into Anki: all, or a sample of ``anki_sample``."""
    problems = compare_rows(floor, ours)
    slugs = [p.stem for p in ours.glob("*.apkg") if (floor / p.name).is_file()]
    return problems + compare_in_anki(floor, ours, sample(slugs, anki_sample))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("floor", type=Path, help="the floor's output folder")
    parser.add_argument("ours", type=Path, help="deck2anki build's output folder")
    parser.add_argument("--sample", type=int, help="import only this many companies into Anki")
    args = parser.parse_args()
    problems = check(args.floor, args.ours, args.sample)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        raise SystemExit(f"the floor's files are not ours: {len(problems)} difference(s)")
    print("the floor's files are ours: same rows, same CSV bytes, same notes in Anki")


if __name__ == "__main__":
    main()
