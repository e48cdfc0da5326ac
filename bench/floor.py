"""The floor: the same decks to .apkg + CSV by the fastest parts, with no checks.

This is the pipeline the performance issue measured as a reference: libyaml composes
each file (keeping node marks, the collector paused), jsonschema-rs validates it,
notes and cards go into SQLite with ``executemany`` and indexes built afterwards,
and the package is deflated at level 1. No Markdown, sanitizing, lints, stamps or
release guard: what deck2anki does on top of this is what the ratio measures.

    python bench/floor.py DECKS_DIR OUT_DIR
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import json
import sqlite3
import sys
import tempfile
import zipfile
from pathlib import Path

import jsonschema_rs
import yaml

SCHEMA = Path(__file__).resolve().parents[1] / "schema" / "deck.schema.json"
TABLES = """
CREATE TABLE col (id integer primary key, crt integer, mod integer, scm integer,
  ver integer, dty integer, usn integer, ls integer, conf text, models text, decks text,
  dconf text, tags text);
CREATE TABLE notes (id integer primary key, guid text, mid integer, mod integer,
  usn integer, tags text, flds text, sfld integer, csum integer, flags integer, data text);
CREATE TABLE cards (id integer primary key, nid integer, did integer, ord integer,
  mod integer, usn integer, type integer, queue integer, due integer, ivl integer,
  factor integer, reps integer, lapses integer, left integer, odue integer, odid integer,
  flags integer, data text);
"""
INDEXES = """
CREATE INDEX ix_notes_usn on notes (usn);
CREATE INDEX ix_cards_usn on cards (usn);
CREATE INDEX ix_cards_nid on cards (nid);
CREATE INDEX ix_cards_sched on cards (did, queue, due);
CREATE INDEX ix_notes_csum on notes (csum);
"""
FIELDS = ("front", "back", "cloze", "context", "name", "length", "interviewers",
          "assesses", "quote", "bad", "good")


def _data(node: yaml.Node) -> object:
    if isinstance(node, yaml.MappingNode):
        return {k.value: _data(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_data(item) for item in node.value]
    return node.value if node.tag.endswith(":str") else yaml.safe_load(node.value)


def build_one(path: Path, out: Path, validator: jsonschema_rs.Validator) -> None:
    gc.disable()
    root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    data = _data(root)
    gc.enable()
    validator.validate(data)
    assert isinstance(data, dict)
    notes, cards, rows = [], [], []
    next_id = 1
    for card in data["cards"]:
        fields = [str(card.get(name, "")) for name in FIELDS] + ["; ".join(card.get("steps", []))]
        guid = hashlib.sha256(f"{data['slug']}/{card['id']}".encode()).hexdigest()[:10]
        notes.append((next_id, guid, 1, 0, -1, " ".join(card.get("tags", [])),
                      "\x1f".join(fields), fields[0], 0, 0, ""))
        cards.append((next_id + 1, next_id, 1, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ""))
        rows.append((guid, fields[0] or fields[2], fields[1], data["company"],
                     " ".join(card.get("tags", []))))
        next_id += 2
    with tempfile.TemporaryDirectory() as tmp:
        # Connection.serialize() is 3.11+; before it, the database goes through a file.
        db_path = ":memory:" if sys.version_info >= (3, 11) else f"{tmp}/collection.anki2"
        conn = sqlite3.connect(db_path)
        conn.executescript(TABLES)
        conn.execute("INSERT INTO col VALUES (1,0,0,0,11,0,0,0,'{}','{}','{}','{}','{}')")
        conn.executemany("INSERT INTO notes VALUES (?,?,?,?,?,?,?,?,?,?,?)", notes)
        conn.executemany("INSERT INTO cards VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         cards)
        conn.executescript(INDEXES)
        conn.commit()
        if sys.version_info >= (3, 11):
            database = conn.serialize()
            conn.close()
        else:
            conn.close()
            database = Path(db_path).read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("collection.anki2", database)
        archive.writestr("media", json.dumps({}))
    (out / f"{data['slug']}.apkg").write_bytes(buffer.getvalue())
    text = io.StringIO()
    csv.writer(text, quoting=csv.QUOTE_ALL).writerows(rows)
    (out / f"{data['slug']}.csv").write_text(text.getvalue(), encoding="utf-8")


def main() -> None:
    decks, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text(encoding="utf-8")))
    for path in sorted(decks.glob("*.yaml")):
        build_one(path, out, validator)


if __name__ == "__main__":
    main()
