"""Scaffolding: a new deck file from a template, and card stubs with fresh ids.

Stubs are valid YAML and valid decks, with ``TODO`` placeholders that ``validate``
flags (``todo-text``; an error under ``--strict``), so a stub cannot slip into a
release unnoticed. Text is appended, never re-dumped, so comments and layout stay.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from pathlib import Path

from ..check import schema
from ..files import write_bytes
from ..identity import split_key, unfit_deck_name
from ..load.edit import place_card
from ..load.parse import load_file, load_text
from ..model import build_deck
from ..problems import InvalidInput, Level, Position
from ..release.stamps import STAMPS_FILE, Stamps

DECK_TEMPLATE = """\
# yaml-language-server: $schema={schema}
# {company} interview-prep cards for deck2anki (its README's "Deck format" explains each
# field; your editor checks them against the schema above). Add a card stub with
#   deck2anki add {slug} fact      (or round, signal, script)
company: {company_yaml}
slug: "{slug}"
sources:
  article:
    title: "TODO: the source article's title"
    file: TODO-source-file.txt
cards: []
"""

STUBS = {
    "fact": ("    front: \"TODO: At {company}, ...?\"\n"
             "    back: \"TODO: the answer, first and short\"\n"),
    "round": ("    number: {number}\n"
              "    name: \"TODO: the round's name\"\n"
              "    length: \"TODO: e.g. 45 minutes\"\n"
              "    assesses: \"TODO: what the round assesses\"\n"),
    "signal": ("    name: \"TODO: the signal's name\"\n"
               "    front: \"TODO: {company} hiring committee: ...?\"\n"
               "    back: \"TODO: what the committee looks for\"\n"),
    "script": ("    front: \"TODO: At {company}, what is the structure of ...?\"\n"
               "    back: \"TODO: the structure, in one line\"\n"
               "    steps:\n      - \"TODO: first step\"\n      - \"TODO: second step\"\n"),
}


class ScaffoldError(Exception):
    """The scaffolding cannot be done; the message says why."""


def slugify(company: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", company).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    if not slug:
        raise ScaffoldError(f"cannot make a slug from {company!r}; use letters or digits")
    return slug[:64].rstrip("-")


def new_deck(decks_dir: Path, company: str) -> tuple[Path, Path | None]:
    """Write a new company's deck; return it, and the schema file written beside it if
    no schema was there for its modeline to point at."""
    slug = slugify(company)
    path = decks_dir / f"{slug}.yaml"
    if path.exists():
        raise ScaffoldError(f"{path} already exists")
    if any(p.stem == slug for p in decks_dir.glob("*.y*ml")):
        raise ScaffoldError(f"a deck for {slug!r} already exists in {decks_dir}")
    name = company.strip()
    if unfit := unfit_deck_name(name):  # before the template: a line break would break it
        raise ScaffoldError(f"cannot make a deck for {company!r}: {unfit}")
    # A JSON string is a YAML double-quoted scalar: safe for 'Foo: Bar', '2024', 'Yes'...
    schema_file = find_schema(decks_dir) or decks_dir / schema.SCHEMA_NAME
    # Relative to the deck file, so the modeline works wherever the folder is checked out.
    relative = Path(os.path.relpath(schema_file.resolve(), decks_dir.resolve())).as_posix()
    text = DECK_TEMPLATE.format(company=name, company_yaml=json.dumps(name, ensure_ascii=False),
                                slug=slug, schema=relative)
    try:
        loaded = load_text(path, text)  # a name of characters YAML forbids, say
    except InvalidInput as exc:
        raise ScaffoldError(f"cannot make a deck for {company!r}: "
                            f"{exc.problems[0].message}") from exc
    # The deck `new` writes must validate as it is: the schema, then the model's checks.
    problems = schema.validate(loaded) or build_deck(loaded)[1]
    errors = [p for p in problems if p.level is Level.ERROR]
    if errors:
        raise ScaffoldError(f"cannot make a deck for {company!r}: {errors[0].message}")
    written = None
    if not schema_file.is_file():  # outside a checkout that has one: bring our own
        written = write_schema(schema_file)
    write_bytes(path, text.encode("utf-8"))
    return path, written


def find_schema(decks_dir: Path) -> Path | None:
    """The schema a repository keeps for its decks: ``schema/deck.schema.json`` beside
    the decks folder or above it (as in deck2anki's own repository), or a copy in the
    decks folder itself (as ``new`` or ``schema --write`` leave it elsewhere)."""
    start = decks_dir.resolve()
    if (start / schema.SCHEMA_NAME).is_file():
        return start / schema.SCHEMA_NAME
    for folder in (start, *start.parents):
        candidate = folder / "schema" / schema.SCHEMA_NAME
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            break  # the repository's root: a schema above it belongs to someone else
    return None


def schema_text() -> str:
    """This deck2anki's JSON Schema of a deck file."""
    return schema.schema_path().read_text(encoding="utf-8")


def write_schema(given: str | Path) -> Path:
    """Write this deck2anki's schema to ``target`` (a file, or a folder to put
    deck.schema.json in); return the file written.

    Only a new file or an earlier copy of the schema is (over)written: a path that
    holds anything else (a deck, a link, a device) is refused with :class:`ScaffoldError`.
    """
    target = Path(given)
    if target.is_dir() or str(given).endswith(("/", "\\")):  # a folder, maybe still to make
        target = target / schema.SCHEMA_NAME
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise ScaffoldError(f"{target} is not a regular file; give a folder or a new file "
                            "name for the schema")
    if target.exists() and not _is_schema(target):
        raise ScaffoldError(f"{target} exists and is not a deck2anki schema; give another "
                            "path, or remove it first")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(target, schema.schema_path().read_bytes())
    return target


def _is_schema(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(data, dict) and data.get("title") == schema.load_schema().get("title")


def _deck_file(decks_dir: Path, slug: str) -> Path:
    for candidate in sorted(decks_dir.glob("*.y*ml")):
        try:
            data = load_file(candidate).data
        except InvalidInput:
            continue
        if isinstance(data, dict) and data.get("slug") == slug:
            return candidate
    raise ScaffoldError(f"no deck with slug {slug!r} in {decks_dir}; create it with "
                        f"`deck2anki new <company>`")


def add_card(decks_dir: Path, slug: str, kind: str) -> tuple[Path, str, Position]:
    """Add a stub of ``kind`` after the deck's last card of that kind (at the end if it
    has none); return the file, the new id and the stub's line.

    Raises :class:`InvalidInput` if the deck is not valid: fix it before extending it.
    """
    path = _deck_file(decks_dir, slug)
    loaded = load_file(path)
    problems = schema.validate(loaded)
    if problems:
        raise InvalidInput(problems)
    data = loaded.data
    cards = data.get("cards") or []
    used = {c.get("id") for c in cards if isinstance(c, dict)}
    stamps_path = decks_dir / STAMPS_FILE
    if stamps_path.is_file():  # ids of removed cards stay taken: learners still have them
        keys = (split_key(key) for key in Stamps.read(stamps_path).entries)
        used |= {card_id for key_slug, card_id in keys if key_slug == slug}
    number = next(n for n in range(1, len(used) + 2) if f"new-{kind}-{n}" not in used)
    card_id = f"new-{kind}-{number}"
    rounds = [c.get("number", 0) for c in cards
              if isinstance(c, dict) and c.get("kind") == "round"]
    body = STUBS[kind].format(company=data.get("company", slug),
                              number=max(rounds, default=0) + 1)
    sources = data.get("sources") or {"article": None}
    stub = f"  - id: {card_id}\n    kind: {kind}\n    source: {next(iter(sources))}\n{body}"
    original = path.read_bytes().decode("utf-8")  # as is: CRLF stays CRLF
    updated, where = place_card(original, loaded, cards, kind, stub)
    write_bytes(path, updated.encode("utf-8"))
    try:
        load_file(path)
    except InvalidInput as exc:  # the file's layout defeated the insertion: undo it
        write_bytes(path, original.encode("utf-8"))
        raise ScaffoldError(f"could not add a card to {path} ({exc.problems[0].message}); "
                            "add the card by hand") from exc
    return path, card_id, where
