"""The floor: what ``deck2anki build`` writes, by the fastest parts, with no checks.

The reference the performance issue measures ``build`` against. It writes, for every
company, the same ``.apkg`` content (notes, GUIDs, fields, tags, note types, cards, ids,
mods, deck and note type JSON) and the same ``.csv`` bytes as a build, so that what
``build`` costs on top of it is checking, not output. bench/check.py holds it to that:
its packages and ours must hold the same rows and import into real Anki as the same
notes, and its CSVs must be our bytes.

Its parts:

- yaml_rs (a Rust YAML parser straight to data; no node marks, so no positions);
- jsonschema-rs against schema/deck.schema.json;
- deck2anki's own functions that *define* the output: GUIDs (identity), field HTML
  (render, markup), note types, CSV rows and header; the cards go straight from the
  YAML data into the model's ``Card``, past every check of the model;
- each package's collection written into an in-memory SQLite with ``executemany``
  (indexes built after the rows, no VACUUM), zipped at level 1; the CSV written as text;
- two worker processes (one task per company file, the biggest first), since ``build``
  uses both cores; each worker writes its own files, the parent holds none.

What it leaves out is what checking is: lints, the model's semantic checks, the release
guard (the note hashes that find stale stamps), positions, the all-or-nothing write. It
reads the mods from decks/stamps.json and trusts them: content changed since its stamp
would keep its old mod here (a build dates it anew); the benchmark stamps its decks, and
the row comparison would catch a difference. Images and kept note types are not in the
benchmark's decks and the floor refuses them.

    python bench/floor.py DECKS_DIR OUT_DIR [--workers N]
"""

from __future__ import annotations

import argparse
import gc
import io
import itertools
import json
import multiprocessing
import os
import re
import sqlite3
import sys
import tempfile
import time
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# This tree's deck2anki, as run.py's builds use: the output must come from the same code.
sys.path[:0] = [str(HERE), str(ROOT / "src")]

import jsonschema_rs  # noqa: E402
import yaml_rs  # noqa: E402
from collection import (  # noqa: E402  (a sibling module, not a package)
    COL_ROW,
    INDEXES,
    TABLES,
    deck_json,
    decks_text,
    model_json,
    models_text,
)

from deck2anki import markup  # noqa: E402
from deck2anki.identity import card_key, deck_id, notetype_key  # noqa: E402
from deck2anki.model import TEXT_FIELDS, Card, Deck, Source  # noqa: E402
from deck2anki.render.csv import csv_rows  # noqa: E402
from deck2anki.render.notes import RenderedNote, render_deck  # noqa: E402
from deck2anki.write.csv import CSV_HEADER  # noqa: E402

SCHEMA = ROOT / "schema" / "deck.schema.json"
STAMPS = "stamps.json"
# Below this much YAML a second process costs more than it saves (deck2anki's own rule).
PARALLEL_MIN_BYTES = 512 * 1024
# Zip entries can only store dates from 1980 to 2107.
_ZIP_FIRST, _ZIP_LAST = 315532800, 4354819198
_CLOZE_ORDINAL = re.compile(r"{{c(\d+)::.+?}}", re.DOTALL)  # genanki's rule for card ords


class Unsupported(Exception):
    """A deck uses what the benchmark's decks never do (images, kept note types)."""


class Setup:
    """What every file is built with: prepared once, before the workers fork."""

    def __init__(self, decks: Path, out: Path) -> None:
        self.out = out
        self.validator = jsonschema_rs.Draft202012Validator(
            json.loads(SCHEMA.read_text(encoding="utf-8")))
        stamps_path = decks / STAMPS
        stamps: dict[str, Any] = (json.loads(stamps_path.read_bytes())["stamps"]
                                  if stamps_path.is_file() else {})
        self.mods: dict[str, int] = {key: entry["mod"] for key, entry in stamps.items()}
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        self.sde: int | None = int(epoch) if epoch else None
        self.fallback = self.sde if self.sde is not None else int(time.time())


_setup: Setup | None = None


def _card(raw: dict[str, Any], sources: Mapping[str, Source]) -> Card:
    if "image" in raw or "notetype" in raw:
        raise Unsupported(f"card {raw['id']!r}: images and kept note types are not "
                          "benchmarked")
    texts = {name: raw[name] for name in TEXT_FIELDS if name in raw and name != "cloze"}
    return Card(id=raw["id"], kind=raw["kind"], source=sources[raw["source"]],
                tags=tuple(raw.get("tags", ())), retired=raw.get("retired") is True,
                cloze=raw.get("cloze"), number=raw.get("number"),
                steps=tuple(raw.get("steps", ())), guid=raw.get("guid"), **texts)


def _deck(path: Path, data: dict[str, Any]) -> Deck:
    if "notetypes" in data:
        raise Unsupported(f"{path}: kept note types are not benchmarked")
    sources = {key: Source(key, value["title"], value.get("file"))
               for key, value in data["sources"].items()}
    return Deck(path, data["company"], data["slug"], tuple(sources.values()),
                tuple(_card(raw, sources) for raw in data["cards"]))


def _ordinals(note: RenderedNote) -> list[int]:
    if note.notetype.kind != 1:
        return [0]  # our Q/A type has one template
    # A set, iterated as genanki iterates it: card ids follow its order.
    found = {int(n) - 1 for n in _CLOZE_ORDINAL.findall(note.fields[note.notetype.cloze_field])
             if int(n) > 0}
    return list(found) or [0]


def _collection(deck: Deck, notes: Sequence[RenderedNote], setup: Setup) -> tuple[bytes, int]:
    """The collection database's bytes and the package's timestamp."""
    note_mods = [setup.mods.get(card_key(deck.slug, n.card.id), setup.fallback) for n in notes]
    used = {n.notetype.id: n.notetype for n in notes}
    types = {nt_id: setup.mods.get(notetype_key(nt.key), setup.fallback)
             for nt_id, nt in used.items()}
    timestamp = setup.sde if setup.sde is not None else max([*note_mods, *types.values()])
    did = deck_id(deck.deck_name)
    ids = itertools.count(timestamp * 1000 + (did % 1000) * 1_000_000)
    note_rows: list[tuple[object, ...]] = []
    card_rows: list[tuple[object, ...]] = []
    for note, mod in zip(notes, note_mods, strict=True):
        note_id = next(ids)
        note_rows.append((note_id, note.guid, note.notetype.id, mod, -1,
                          " " + " ".join(note.tags) + " ", "\x1f".join(note.fields),
                          note.fields[0], 0, 0, ""))
        card_rows.extend((next(ids), note_id, did, ordinal, mod, -1, 0, 0, 0, 0, 0, 0, 0, 0,
                          0, 0, 0, "") for ordinal in _ordinals(note))
    titles = "; ".join(markup.plain(s.title) for s in deck.sources)
    description = (f"{markup.plain(deck.company)} AI PM interview prep, built by deck2anki "
                   f"from: {titles}. Cards tagged status::retired are withdrawn: you may "
                   "delete them.")
    parts = deck.deck_name.split("::")
    parents = ["::".join(parts[:i]) for i in range(1, len(parts))]
    tmp = tempfile.TemporaryDirectory(prefix="floor-")
    # Connection.serialize() is 3.11+; before it, the database goes through a file.
    path = ":memory:" if sys.version_info >= (3, 11) else f"{tmp.name}/collection.anki2"
    conn = sqlite3.connect(path)
    try:
        conn.executescript(TABLES + COL_ROW)
        (default_decks,) = conn.execute("SELECT decks FROM col").fetchone()
        decks = [deck_json(deck_id(name), name) for name in parents]
        models = {str(nt_id): model_json(nt, did, types[nt_id]) for nt_id, nt in used.items()}
        conn.execute("UPDATE col SET models = ?, decks = ?", (
            models_text(models),
            decks_text(default_decks, [*decks, deck_json(did, deck.deck_name, description)])))
        conn.executemany("INSERT INTO notes VALUES (?,?,?,?,?,?,?,?,?,?,?)", note_rows)
        conn.executemany("INSERT INTO cards VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         card_rows)
        conn.executescript(INDEXES)
        conn.commit()
        if path == ":memory:":
            return bytes(conn.serialize()), timestamp
        conn.close()
        return Path(path).read_bytes(), timestamp
    finally:
        conn.close()
        tmp.cleanup()


def _zip(collection: bytes, timestamp: int) -> bytes:
    """The package as deck2anki zips it: fixed dates and attributes, level 1."""
    date_time = time.gmtime(min(max(timestamp, _ZIP_FIRST), _ZIP_LAST))[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in (("collection.anki2", collection), ("media", b"{}")):
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compresslevel=1)
    return buffer.getvalue()


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


def _csv(deck: Deck, notes: Sequence[RenderedNote]) -> bytes:
    """csv.writer's QUOTE_ALL bytes, written as text: every cell quoted, quotes doubled."""
    lines = [*CSV_HEADER, *(",".join(map(_quoted, row)) for row in csv_rows(deck, notes))]
    return ("\n".join(lines) + "\n").encode("utf-8")


def build_one(path: Path) -> int:
    """Write one company's ``.apkg`` and ``.csv``; the number of notes written."""
    setup = _setup
    assert setup is not None
    data = yaml_rs.loads(path.read_text(encoding="utf-8"))
    setup.validator.validate(data)  # an object at the top: the schema says so
    assert isinstance(data, dict)
    deck = _deck(path, data)
    if not deck.cards:
        return 0  # a build writes nothing for a deck without cards
    notes = render_deck(deck).notes
    collection, timestamp = _collection(deck, notes, setup)
    (setup.out / f"{deck.slug}.apkg").write_bytes(_zip(collection, timestamp))
    (setup.out / f"{deck.slug}.csv").write_bytes(_csv(deck, notes))
    return len(notes)


def build_all(decks: Path, out: Path, workers: int) -> int:
    global _setup
    out.mkdir(parents=True, exist_ok=True)
    _setup = Setup(decks, out)
    files = sorted((p for p in decks.iterdir() if p.suffix in (".yaml", ".yml")),
                   key=lambda p: -p.stat().st_size)  # biggest first: no core idles at the end
    size = sum(p.stat().st_size for p in files)
    count = min(workers, len(files))
    if count < 2 or size < PARALLEL_MIN_BYTES:
        return sum(build_one(path) for path in files)
    markup.warm_up()  # imported once, inherited by the forked workers
    gc.freeze()  # what exists now is never collected: forked pages stay shared
    with multiprocessing.get_context("fork").Pool(count) as pool:
        return sum(pool.imap_unordered(build_one, files, chunksize=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("decks", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    # No cycles worth collecting in a run this short: the collector only costs time
    # (deck2anki pauses it while loading, for the same reason).
    gc.disable()
    try:
        build_all(args.decks, args.out, args.workers)
    except Unsupported as exc:
        raise SystemExit(f"floor: {exc}") from exc


if __name__ == "__main__":
    main()
