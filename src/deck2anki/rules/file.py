"""Finding and reading a deck file: encoding, size, the file system."""

from __future__ import annotations

from .base import E, Rule

RULES = (
    Rule("encoding", E, "file",
         "the file is not UTF-8, or starts with a byte-order mark: decks are plain UTF-8",
         "decks/acme.yaml saved as Latin-1 ('Zürich' as the byte 0xfc), or as UTF-8 with BOM",
         "decks/acme.yaml saved as UTF-8 without a byte-order mark", "prose"),
    Rule("io", E, "file",
         "the deck file cannot be read: missing, no permission, or not a regular file",
         "decks/acme.yaml is a FIFO, a dangling symlink, or unreadable to the user",
         "decks/acme.yaml is a regular file the user can read", "prose"),
    Rule("no-decks", E, "file",
         "a folder given to validate holds no `*.yaml` or `*.yml` file, so nothing was checked",
         "`deck2anki validate notes/`, where notes/ holds no deck file",
         "`deck2anki validate decks/`, the folder that holds the decks", "prose"),
    Rule("too-large", E, "file",
         "the file is over 2 MiB, or expands past 200,000 YAML nodes: a cap against hostile files",
         "a 3 MB deck file, or a list anchored once and aliased (*list) hundreds of times",
         "decks of a few thousand cards written out plainly (about 100 KB per 300 cards)",
         "prose"),
)
