"""Anki's collection layout as genanki lays it out, for the floor to write by itself.

deck2anki writes its packages' collection through genanki (``Package.write_to_db``):
this is the same schema, the same ``col`` row (conf, default deck and deck options as
genanki's ``apkg_col.py`` has them, byte for byte) and the same deck and note type JSON,
so the floor's collection holds what ours holds without importing genanki (a quarter of
a second of imports). bench/check.py compares the two databases row by row, so a drift
from genanki (or from deck2anki's use of it) fails the benchmark instead of flattering
the floor.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

# genanki's apkg_schema.py, its tables first and its indexes apart: the floor builds the
# indexes after the rows are in, which is faster and leaves the same schema.
TABLES = """
CREATE TABLE col (
    id              integer primary key,
    crt             integer not null,
    mod             integer not null,
    scm             integer not null,
    ver             integer not null,
    dty             integer not null,
    usn             integer not null,
    ls              integer not null,
    conf            text not null,
    models          text not null,
    decks           text not null,
    dconf           text not null,
    tags            text not null
);
CREATE TABLE notes (
    id              integer primary key,   /* 0 */
    guid            text not null,         /* 1 */
    mid             integer not null,      /* 2 */
    mod             integer not null,      /* 3 */
    usn             integer not null,      /* 4 */
    tags            text not null,         /* 5 */
    flds            text not null,         /* 6 */
    sfld            integer not null,      /* 7 */
    csum            integer not null,      /* 8 */
    flags           integer not null,      /* 9 */
    data            text not null          /* 10 */
);
CREATE TABLE cards (
    id              integer primary key,   /* 0 */
    nid             integer not null,      /* 1 */
    did             integer not null,      /* 2 */
    ord             integer not null,      /* 3 */
    mod             integer not null,      /* 4 */
    usn             integer not null,      /* 5 */
    type            integer not null,      /* 6 */
    queue           integer not null,      /* 7 */
    due             integer not null,      /* 8 */
    ivl             integer not null,      /* 9 */
    factor          integer not null,      /* 10 */
    reps            integer not null,      /* 11 */
    lapses          integer not null,      /* 12 */
    left            integer not null,      /* 13 */
    odue            integer not null,      /* 14 */
    odid            integer not null,      /* 15 */
    flags           integer not null,      /* 16 */
    data            text not null          /* 17 */
);
CREATE TABLE revlog (
    id              integer primary key,
    cid             integer not null,
    usn             integer not null,
    ease            integer not null,
    ivl             integer not null,
    lastIvl         integer not null,
    factor          integer not null,
    time            integer not null,
    type            integer not null
);
CREATE TABLE graves (
    usn             integer not null,
    oid             integer not null,
    type            integer not null
);
"""
INDEXES = """
CREATE INDEX ix_notes_usn on notes (usn);
CREATE INDEX ix_cards_usn on cards (usn);
CREATE INDEX ix_revlog_usn on revlog (usn);
CREATE INDEX ix_cards_nid on cards (nid);
CREATE INDEX ix_cards_sched on cards (did, queue, due);
CREATE INDEX ix_revlog_cid on revlog (cid);
CREATE INDEX ix_notes_csum on notes (csum);
"""
# genanki's apkg_col.py: the collection row, its JSON texts kept as genanki spells them.
COL_ROW = r'''
INSERT INTO col VALUES(
    null,
    1411124400,
    1425279151694,
    1425279151690,
    11,
    0,
    0,
    0,
    '{
        "activeDecks": [
            1
        ],
        "addToCur": true,
        "collapseTime": 1200,
        "curDeck": 1,
        "curModel": "1425279151691",
        "dueCounts": true,
        "estTimes": true,
        "newBury": true,
        "newSpread": 0,
        "nextPos": 1,
        "sortBackwards": false,
        "sortType": "noteFld",
        "timeLim": 0
    }',
    '{}',
    '{
        "1": {
            "collapsed": false,
            "conf": 1,
            "desc": "",
            "dyn": 0,
            "extendNew": 10,
            "extendRev": 50,
            "id": 1,
            "lrnToday": [
                0,
                0
            ],
            "mod": 1425279151,
            "name": "Default",
            "newToday": [
                0,
                0
            ],
            "revToday": [
                0,
                0
            ],
            "timeToday": [
                0,
                0
            ],
            "usn": 0
        }
    }',
    '{
        "1": {
            "autoplay": true,
            "id": 1,
            "lapse": {
                "delays": [
                    10
                ],
                "leechAction": 0,
                "leechFails": 8,
                "minInt": 1,
                "mult": 0
            },
            "maxTaken": 60,
            "mod": 0,
            "name": "Default",
            "new": {
                "bury": true,
                "delays": [
                    1,
                    10
                ],
                "initialFactor": 2500,
                "ints": [
                    1,
                    4,
                    7
                ],
                "order": 1,
                "perDay": 20,
                "separate": true
            },
            "replayq": true,
            "rev": {
                "bury": true,
                "ease4": 1.3,
                "fuzz": 0.05,
                "ivlFct": 1,
                "maxIvl": 36500,
                "minSpace": 1,
                "perDay": 100
            },
            "timer": 0,
            "usn": 0
        }
    }',
    '{}'
);
'''

# genanki.Model's LaTeX defaults, which every note type it writes carries.
LATEX_PRE = ("\\documentclass[12pt]{article}\n\\special{papersize=3in,5in}\n"
             "\\usepackage[utf8]{inputenc}\n\\usepackage{amssymb,amsmath}\n"
             "\\pagestyle{empty}\n\\setlength{\\parindent}{0in}\n\\begin{document}\n")
LATEX_POST = "\\end{document}"
_TAG = re.compile(r"\{\{\s*([#^/!>&{]?)\s*([^}]*?)\s*\}?\}\}")


def required_fields(fields: Sequence[str], question: str) -> list[object]:
    """genanki's ``req`` entry of one template, for templates without sections.

    genanki renders the question with chevron, a field at a time, to see which fields
    show: without sections a template shows exactly the fields it names (``cloze:Text``
    names no field to chevron), so one named field is required ("all") and several are
    alternatives ("any"). Sections would need chevron itself: the floor refuses them.
    """
    shown: set[int] = set()
    for kind, name in _TAG.findall(question):
        if kind in {"#", "^", "/", ">"}:
            raise ValueError(f"the floor does not lay out templates with sections: {question!r}")
        if kind != "!" and name in fields:
            shown.add(fields.index(name))
    if not shown:
        raise ValueError(f"genanki cannot compute the required fields of {question!r}")
    return ["all" if len(shown) == 1 else "any", sorted(shown)]


def model_json(notetype: Any, deck_id: int, mod: int) -> dict[str, object]:
    """genanki's ``Model.to_json`` of one of deck2anki's ``NoteType``s, dated ``mod``."""
    fields = list(notetype.fields)
    return {
        "css": notetype.css, "did": deck_id,
        "flds": [{"name": name, "ord": i, "font": "Liberation Sans", "media": [], "rtl": False,
                  "size": 20, "sticky": False} for i, name in enumerate(fields)],
        "id": str(notetype.id), "latexPost": LATEX_POST, "latexPre": LATEX_PRE,
        "latexsvg": False, "mod": mod, "name": notetype.name,
        "req": [[i, *required_fields(fields, t["qfmt"])]
                for i, t in enumerate(notetype.templates)],
        "sortf": 0, "tags": [],
        "tmpls": [{**t, "ord": i, "bafmt": "", "bqfmt": "", "bfont": "", "bsize": 0, "did": None}
                  for i, t in enumerate(notetype.templates)],
        "type": notetype.kind, "usn": -1, "vers": []}


def deck_json(deck_id: int, name: str, description: str = "") -> dict[str, object]:
    """genanki's ``Deck.to_json``, keys in its order (the decks JSON is not sorted)."""
    return {"collapsed": False, "conf": 1, "desc": description, "dyn": 0, "extendNew": 0,
            "extendRev": 50, "id": deck_id, "lrnToday": [163, 2], "mod": 1425278051,
            "name": name, "newToday": [163, 2], "revToday": [163, 0],
            "timeToday": [163, 23598], "usn": -1}


def models_text(models: dict[str, dict[str, object]]) -> str:
    """The ``models`` column as deck2anki rewrites it (sorted, to date each type)."""
    return json.dumps(models, sort_keys=True)


def decks_text(default: str, decks: Sequence[dict[str, object]]) -> str:
    """The ``decks`` column: genanki's default deck, then each deck in the order written."""
    merged: dict[str, Any] = json.loads(default)
    merged.update((str(deck["id"]), deck) for deck in decks)
    return json.dumps(merged)
