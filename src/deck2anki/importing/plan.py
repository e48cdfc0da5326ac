"""What importing an Anki export would do to the decks, decided before anything is written.

Two kinds of note come back. A note whose GUID is one of our cards' is a learner's copy:
a property they changed (their note is newer than the card's stamp, and its text differs
from ours in more than markup) is written back into the YAML in place. A note with a
GUID we do not know is a card to add, with its GUID and its note type kept, so that
people who already hold it get our build as an update of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import markup
from ..identity import BASIC_NOTETYPE_ID, CLOZE_NOTETYPE_ID, card_key
from ..model import MARKUP_WARNINGS, Card, Deck
from ..problems import Level, Position, Problem
from ..render.notes import RenderedNote, render_note
from .fields import GENERATED_FIELDS, outside, parts, parts_of_answer
from .html import Converted, cloze_to_markdown, to_markdown
from .package import Export, ExportedNote

MAX_TEXT = 4000  # the schema's maxLength of a text
OUR_NOTETYPES = frozenset({BASIC_NOTETYPE_ID, CLOZE_NOTETYPE_ID})
# Properties a learner may clear in Anki: the card stays whole without them.
OPTIONAL = frozenset({"context", "back", "quote", "length", "interviewers", "assesses"})


@dataclass(frozen=True)
class Edit:
    """One property of one of our cards, as the learner left it (None: they cleared it)."""

    deck: Deck
    card: Card
    name: str  # front, back, steps[2]...
    before: str | None
    after: str | None
    note: ExportedNote


@dataclass(frozen=True)
class NewCard:
    """A note we do not know, as a card of the deck ``slug``."""

    note: ExportedNote
    front: str  # front, or the cloze text
    back: str | None
    cloze: bool
    tags: tuple[str, ...]
    image: tuple[str, str] | None  # media file name, alt text
    ours: bool = False  # a note made in Anki under one of our note types: it keeps ours
    others: tuple[tuple[str, str], ...] = ()  # its note type's other fields: name, text


@dataclass
class Outcome:
    """What an import did (or, with ``--dry-run``, would do)."""

    edits: list[Edit] = field(default_factory=list)
    added: list[tuple[Path, str, NewCard]] = field(default_factory=list)  # file, id, card
    warnings: list[Problem] = field(default_factory=list)
    files: dict[Path, bytes] = field(default_factory=dict)
    where: dict[str, Position] = field(default_factory=dict)  # new card's GUID -> its start
    unchanged: int = 0
    older: int = 0


@dataclass
class Decisions:
    edits: list[Edit] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    unchanged: int = 0
    older: int = 0  # notes older than our card: the learner holds an earlier release


def _warn(path: Path, position: Position, note: ExportedNote, message: str,
          code: str = "import-dropped", card: str | None = None) -> Problem:
    """A warning about ``note``, named by our card's key where it is one of ours."""
    who = f"card {card} (note {note.guid!r})" if card else f"note {note.guid!r}"
    return Problem(path, position, f"{who}: {message}", code, Level.WARNING)


def _optional(card: Card, name: str) -> bool:
    """Whether the card stays whole without property ``name`` (a Q/A card needs its back)."""
    return name in OPTIONAL and not (name == "back" and not card.is_cloze)


def _warn_card(deck: Deck, card: Card, position: Position, note: ExportedNote, message: str,
               code: str = "import-dropped") -> Problem:
    return _warn(deck.path, position, note, message, code, card_key(deck.slug, card.id))


def _convert(html: str, cloze: bool) -> Converted:
    return cloze_to_markdown(html) if cloze else to_markdown(html)


def _unusable(text: str, cloze: bool) -> str | None:
    """Why card text converted from a note cannot be a card's (a problem validate would
    call an error: template braces shown as text, Anki media tags...), or None."""
    if len(text) > MAX_TEXT:
        return f"too long for a card: {len(text)} characters, at most {MAX_TEXT}"
    for code, message in markup.problems(text, is_cloze=cloze):
        if code not in MARKUP_WARNINGS:
            return f"{code}: {message.split(';')[0]}"
    return None


def _rendered(text: str, cloze: bool) -> str:
    return markup.cloze(text) if cloze else markup.rich(text)


def _current(card: Card, name: str) -> str | None:
    key, _, index = name.partition("[")
    if index:
        steps = card.steps
        number = int(index.rstrip("]"))
        return steps[number] if number < len(steps) else None
    value = getattr(card, key, None)
    return value if isinstance(value, str) else None


def learner_edits(note: ExportedNote, ours: RenderedNote, deck: Deck, stamp: int | None,
                  out: Decisions) -> None:
    """Record what the learner changed in their copy ``note`` of our card."""
    card = ours.card
    if stamp is not None and note.mod <= stamp:
        out.older += note.mod < stamp
        out.unchanged += note.mod == stamp
        return
    if note.notetype_id != ours.notetype.id or len(note.fields) != len(ours.fields):
        out.warnings.append(_warn_card(deck, card, card.position, note,
                                  "its note type is not the one this card ships with; edit "
                                  "the card by hand"))
        return
    _not_card_text(note, ours, deck, out)
    theirs, mine = parts(card, ours.notetype, note.fields), parts(card, ours.notetype,
                                                                   ours.fields)
    edits = 0
    for name in sorted(set(theirs) | set(mine)):
        if theirs.get(name) == mine.get(name):
            continue
        edit = _edit(note, deck, card, name, theirs.get(name), out)
        if edit is not None:
            out.edits.append(edit)
            edits += 1
    out.unchanged += edits == 0


def _not_card_text(note: ExportedNote, ours: RenderedNote, deck: Deck,
                   out: Decisions) -> None:
    """Warn of the learner's edits that hold no card text we can write back: generated
    fields, a kept type's other fields, text outside the answer's parts, tags."""
    card = ours.card
    for index, name in enumerate(ours.notetype.fields):
        if name in GENERATED_FIELDS and note.fields[index] != ours.fields[index]:
            out.warnings.append(_warn_card(deck, card, card.position, note,
                                      f"field {name} is made from the deck, not card text: "
                                      "its edit is not imported; edit the deck instead",
                                      "import-field"))
    if card.notetype is not None:
        shown = {card.notetype.front, card.notetype.back}
        for index, name in enumerate(ours.notetype.fields):
            if name not in shown and note.fields[index] != ours.fields[index]:
                out.warnings.append(_warn_card(deck, card, card.at("fields"), note,
                                               f"field {name}: edit not imported; edit the "
                                               "card's fields by hand", "import-field"))
    if outside(card, ours.notetype, note.fields) != outside(card, ours.notetype, ours.fields):
        out.warnings.append(_warn_card(deck, card, card.position, note,
                                       "text added outside the answer's parts is not "
                                       "imported; add it to the card in its YAML",
                                       "import-field"))
    added = set(note.tags) - set(ours.tags)
    if set(note.tags) != set(ours.tags):
        out.warnings.append(_warn_card(deck, card, card.at("tags"), note,
                                       "tags edit not imported ("
                                       + (f"added {', '.join(sorted(added))}" if added
                                          else "tags removed") + "); edit the card's tags",
                                       "import-field"))


def _edit(note: ExportedNote, deck: Deck, card: Card, name: str, html: str | None,
          out: Decisions) -> Edit | None:
    before = _current(card, name)
    at = card.at(name.partition("[")[0])
    cloze = name == "cloze"
    if name.startswith("steps[") and (before is None or html is None):
        out.warnings.append(_warn_card(deck, card, at, note, "steps were added or removed; not "
                                  "imported: edit the card's steps by hand", "import-field"))
        return None
    if html is None:
        if _optional(card, name) and before is not None:
            return Edit(deck, card, name, before, None, note)
        out.warnings.append(_warn_card(deck, card, at, note,
                                  f"{name} is empty or no longer where the card puts it; "
                                  "not imported: edit the card by hand", "import-field"))
        return None
    converted = _convert(html, cloze)
    text = converted.text
    # Said even when the rest of the text is ours: the learner added what is dropped.
    for dropped in converted.dropped:
        out.warnings.append(_warn_card(deck, card, at, note, f"{name}: {dropped} dropped; our "
                                  "card text cannot hold it"))
    if converted.images:
        out.warnings.append(_warn_card(deck, card, at, note, f"{name}: image dropped; add images "
                                  "to a card in its YAML (image: file, alt)"))
    if before is not None and text.strip() and _rendered(text, cloze) == _rendered(before,
                                                                                   cloze):
        return None  # the same card text: only the markup Anki's editor wrote differs
    if not text.strip():
        if _optional(card, name) and before is not None:
            return Edit(deck, card, name, before, None, note)
        out.warnings.append(_warn_card(deck, card, at, note, f"{name} is empty once "
                                       "converted; not imported: a card needs it",
                                       "import-field"))
        return None
    if cloze and markup.CLOZE_RE.search(text) is None:
        out.warnings.append(_warn_card(deck, card, at, note, "its cloze deletions are gone; not "
                                  "imported: edit the card by hand", "import-field"))
        return None
    why = _unusable(text, cloze)
    if why is not None:
        out.warnings.append(_warn_card(deck, card, at, note, f"{name} not imported ({why}); edit "
                                  "the card by hand", "import-field"))
        return None
    return Edit(deck, card, name, before, text, note)


def older_versions(edits: list[Edit], history: Iterable[Mapping[str, Mapping[str, Any]]],
                   out: Decisions) -> list[Edit]:
    """The edits that are the learner's own: a text equal to what the card said in an
    earlier version (``history``: the cards of each, by slug and id) is an old copy of
    it, which would undo our later fix; it is left out, with a warning."""
    kept = list(edits)
    for cards in history:
        for edit in list(kept):
            raw = cards.get(edit.deck.slug, {}).get(edit.card.id)
            old = _value(raw, edit.name) if isinstance(raw, dict) else None
            cloze = edit.name == "cloze"
            if (edit.after is not None and isinstance(old, str) and old != edit.before
                    and _rendered(old, cloze) == _rendered(edit.after, cloze)):
                kept.remove(edit)
                out.warnings.append(_warn_card(
                    edit.deck, edit.card, edit.card.at(edit.name.partition("[")[0]),
                    edit.note, f"{edit.name} is as an earlier release had it, not an edit: "
                    "not imported (import the latest release in Anki first)", "import-field"))
    return kept


def _value(raw: Mapping[str, Any], name: str) -> object:
    key, _, index = name.partition("[")
    value = raw.get(key)
    if index and isinstance(value, list):
        number = int(index.rstrip("]"))
        return value[number] if number < len(value) else None
    return value


def new_card(note: ExportedNote, export: Export, path: Path, out: Decisions) -> NewCard | None:
    """The card a note we do not know becomes, or None (with a warning) if it cannot."""
    notetype = export.notetypes[note.notetype_id]
    cloze = notetype.kind == 1
    ours = note.notetype_id in OUR_NOTETYPES
    front_index, back_index = (0, 1) if ours else roles(notetype.fields, notetype.templates,
                                                        cloze)
    if front_index is None:
        out.warnings.append(_warn(path, Position(1, 1), note,
                                  f"note type {notetype.name!r} shows no field on the "
                                  "question side; not imported", "import-field"))
        return None
    front = _convert(note.fields[front_index], cloze)
    back_html = note.fields[back_index] if back_index is not None else None
    if ours and back_html is not None and not cloze:
        back_html = parts_of_answer(back_html)
    back = _convert(back_html, False) if back_html is not None else None
    images = [*front.images, *(back.images if back else ())]
    for part in (front, back):
        for dropped in part.dropped if part else ():
            out.warnings.append(_warn(path, Position(1, 1), note, f"{dropped} dropped; our "
                                      "card text cannot hold it"))
    others = _other_fields(note, notetype.fields, (front_index, back_index), ours, path, out)
    if len(images) > 1:
        out.warnings.append(_warn(path, Position(1, 1), note, "only its first image is kept; "
                                  "a card shows one"))
    if not front.text.strip() or (cloze and markup.CLOZE_RE.search(front.text) is None):
        out.warnings.append(_warn(path, Position(1, 1), note, "its question is empty once "
                                  "converted; not imported", "import-field"))
        return None
    if not cloze and not (back and back.text.strip()):
        out.warnings.append(_warn(path, Position(1, 1), note, "its answer is empty once "
                                  "converted (nothing, or only an image or a sound); not "
                                  "imported: write the card by hand", "import-field"))
        return None
    why = _unusable(front.text, cloze) or (_unusable(back.text, False) if back else None)
    if why is not None:
        out.warnings.append(_warn(path, Position(1, 1), note, f"not imported ({why}); add "
                                  "it by hand", "import-field"))
        return None
    image = (images[0].src, images[0].alt) if images else None
    return NewCard(note, front.text, back.text if back and back.text.strip() else None, cloze,
                   note.tags, image, ours, others)


def _other_fields(note: ExportedNote, names: tuple[str, ...], used: tuple[int | None, ...],
                  ours: bool, path: Path, out: Decisions) -> tuple[tuple[str, str], ...]:
    """The note's fields beyond its front and back, as card text: kept, so that the
    build gives their holders the note whole (a note under one of our note types has
    none of its own: those fields are made from the deck)."""
    kept = []
    for index, value in enumerate(note.fields):
        if index in used or not value.strip():
            continue
        if ours:
            if names[index] not in GENERATED_FIELDS:
                out.warnings.append(_warn(path, Position(1, 1), note, f"field {names[index]} "
                                          "not kept; add what matters to the back by hand"))
            continue
        converted = to_markdown(value)
        for dropped in converted.dropped:
            out.warnings.append(_warn(path, Position(1, 1), note, f"{names[index]}: {dropped} "
                                      "dropped; our card text cannot hold it"))
        if converted.text.strip():
            kept.append((names[index], converted.text))
    return tuple(kept)


def roles(fields: tuple[str, ...], templates: tuple[tuple[str, str, str], ...],
          cloze: bool) -> tuple[int | None, int | None]:
    """Which field is the question (or cloze text) and which the answer: for a cloze
    type the field its first template deletes from; else the first field the question
    side shows. The answer is the first other field."""
    from ..foreign import field_references

    question = list(field_references(templates[0][1])) if templates else []
    front = None
    for name in question:
        if name in fields and (not cloze or f"cloze:{name}" in
                               templates[0][1].replace(" ", "")):
            front = fields.index(name)
            break
    if front is None and fields and not cloze:
        front = 0
    back = next((i for i in range(len(fields)) if i != front), None)
    return front, back


def find_ours(decks: Mapping[str, Deck]) -> dict[str, tuple[Deck, RenderedNote]]:
    """GUID -> the deck and rendered note of every card of ``decks``."""
    found: dict[str, tuple[Deck, RenderedNote]] = {}
    for deck in decks.values():
        for card in deck.cards:
            note = render_note(deck, card)
            found[note.guid] = (deck, note)
    return found
