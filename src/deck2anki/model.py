"""Turn schema-valid deck data into frozen domain objects, with the semantic checks
the schema cannot express (unique ids, known sources, real cloze deletions, rounds)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .foreign import CLOZE as CLOZE_KIND
from .foreign import KeptNoteType, kept_notetypes
from .identity import BASIC_NOTETYPE_ID, CLOZE_NOTETYPE_ID, unfit_deck_name
from .markup import CLOZE_RE, PROBLEM_TRIGGERS
from .markup import problems as markup_problems
from .media import Image, ImageError, load_image
from .problems import Level, Position, Problem

# Rich-text fields: checked by the markup gates, rendered as Markdown.
TEXT_FIELDS = ("front", "back", "cloze", "context", "name", "length", "interviewers",
               "assesses", "quote", "bad", "good")
_TEXT_SET = frozenset(TEXT_FIELDS)
# Problems the markup gates would disarm silently: errors, except HTML shown as text.
MARKUP_WARNINGS = frozenset({"raw-html", "markdown-image", "cloze-typo"})
DECK_ROOT = "AI PM Interview Prep"


class Where(Protocol):
    """Where each property of one card starts (the loader knows; the model only asks)."""

    def at(self, name: str) -> Position | None: ...


class Item(Where, Protocol):
    @property
    def start(self) -> Position: ...


class Document(Protocol):
    """A parsed deck file as the model sees it: plain data, and positions on request."""

    @property
    def path(self) -> Path: ...
    @property
    def data(self) -> Any: ...
    def position(self, path: Sequence[str | int], *, key: bool = False) -> Position: ...
    def items(self, path: Sequence[str | int]) -> Sequence[Item]: ...
    def where(self, path: Sequence[str | int]) -> Item: ...


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    file: str | None = None
    # Where its properties are written; looked up only when a problem is reported.
    where: Item | None = field(default=None, compare=False, repr=False)

    @property
    def position(self) -> Position:
        return _at(self.where, "title")

    @property
    def file_position(self) -> Position:
        return _at(self.where, "file")


def _at(where: Item | None, name: str) -> Position:
    """Where property ``name`` starts; where its mapping starts if it is absent."""
    if where is None:
        return Position(1, 1)
    found = where.at(name)
    return found if found is not None else where.start


@dataclass(frozen=True)
class Card:
    """One card of any kind; fields a kind does not use stay empty."""

    id: str
    kind: str
    source: Source
    tags: tuple[str, ...] = ()
    context: str | None = None
    retired: bool = False
    front: str | None = None
    back: str | None = None
    cloze: str | None = None
    number: int | None = None
    name: str | None = None
    length: str | None = None
    interviewers: str | None = None
    assesses: str | None = None
    steps: tuple[str, ...] = ()
    quote: str | None = None
    bad: str | None = None
    good: str | None = None
    image: Image | None = None
    guid: str | None = None  # kept from an imported note; ours derive from slug and id
    notetype: KeptNoteType | None = None  # the imported note's own type; None: ours
    fields: tuple[tuple[str, str], ...] = ()  # its type's other fields: name, text
    # Where the card and each property's value start, for problems about one field;
    # looked up only when a problem is reported (most cards have none).
    where: Item | None = field(default=None, compare=False, repr=False)

    @property
    def position(self) -> Position:
        return self.where.start if self.where is not None else Position(1, 1)

    def at(self, name: str) -> Position:
        """Where property ``name`` (or ``steps[i]``) starts; the card's start if absent."""
        found = self.where.at(name) if self.where is not None else None
        return found if found is not None else self.position

    @property
    def is_cloze(self) -> bool:
        return self.cloze is not None

    def cloze_ordinals(self) -> list[int]:
        return list(self._ordinals)

    @property
    def _ordinals(self) -> tuple[int, ...]:
        # Asked by the summary, the release record and the guard: found once per card,
        # kept as functools.cached_property would keep it, without the lock it takes on
        # every first look before Python 3.12 (which cost more than the search).
        found: tuple[int, ...] | None = self.__dict__.get("_found_ordinals")
        if found is None:
            found = tuple(sorted({int(n) for n, _, _ in CLOZE_RE.findall(self.cloze or "")}))
            self.__dict__["_found_ordinals"] = found
        return found

    @property
    def anki_cards(self) -> int:
        """How many cards Anki makes of this note: one per cloze number, else one."""
        return len(self._ordinals) if self.is_cloze else 1


@dataclass(frozen=True)
class Deck:
    path: Path
    company: str
    slug: str
    sources: tuple[Source, ...]
    cards: tuple[Card, ...]
    notetypes: tuple[KeptNoteType, ...] = ()  # kept from imported decks (``notetypes:``)
    # Cards were left out (rejected by the schema or the model): checks of the whole
    # deck (gaps in the rounds) would report what is only missing from this view.
    partial: bool = False
    # The file, for positions: looked up only when a problem is reported.
    document: Document | None = field(default=None, compare=False, repr=False)

    def _position(self, path: tuple[str, ...], *, key: bool = False) -> Position:
        if self.document is None:
            return Position(1, 1)
        return self.document.position(path, key=key)

    @property
    def slug_position(self) -> Position:
        return self._position(("slug",))

    @property
    def cards_position(self) -> Position:
        return self._position(("cards",), key=True)

    @property
    def company_position(self) -> Position:
        return self._position(("company",))

    @property
    def deck_name(self) -> str:
        return f"{DECK_ROOT}::{self.company}"


def build_deck(loaded: Document, skip: Collection[int] = ()) -> tuple[Deck, list[Problem]]:
    """Build a deck from schema-checked data; return the problems the schema cannot see.

    ``skip`` names cards the schema rejected: they are left out, and the rest of the deck
    is still checked. The deck is usable only if no problem is an error (``partial`` says
    whether cards were left out).
    """
    data: dict[str, Any] = loaded.data
    sources = {key: Source(key, _text(value, "title"), _text(value, "file") or None,
                           loaded.where(("sources", key)))
               for key, value in data["sources"].items()}
    problems: list[Problem] = []
    company, slug = _text(data, "company"), _text(data, "slug")
    if unfit := unfit_deck_name(company):
        problems.append(Problem(loaded.path, loaded.position(("company",)), unfit,
                                "company-name"))
    kept, found = kept_notetypes(data, loaded, loaded.path, _OURS)
    problems += found
    cards: list[Card] = []
    first_seen: dict[str, int] = {}
    guids: dict[str, str] = {}
    round_owner: dict[int, str] = {}
    items = loaded.items(("cards",))
    for index, raw in enumerate(data["cards"]):
        where = ("cards", index)
        item = items[index]
        if index in skip:
            # Its id still counts: a later card reusing it is a duplicate all the same.
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                first_seen.setdefault(raw["id"], index)
            continue
        card_id = raw["id"]
        # A card's few properties, not every text field a card may have: most cards have
        # five or six, and this loop runs once per card of every build.
        texts = {name: value for name, value in raw.items()
                 if name in _TEXT_SET and isinstance(value, str)}
        steps = _texts(raw, "steps")
        # The text gates need only the card's own text: run them even for a card a check
        # below leaves out, so its text problems show in the same run.
        if not _quiet(texts, steps):
            problems.extend(_text_problems(loaded, index, raw, texts))
        if card_id in first_seen:
            line = loaded.position(("cards", first_seen[card_id], "id")).line
            problems.append(Problem(loaded.path, loaded.position((*where, "id")),
                                    f"duplicate card id {card_id!r} (first used at line {line}); "
                                    "every card needs its own id: pick a new one for this card",
                                    "duplicate-id"))
            continue
        first_seen[card_id] = index
        source = sources.get(raw["source"])
        if source is None:
            problems.append(Problem(loaded.path, loaded.position((*where, "source")),
                                    f"source {raw['source']!r} is not in this deck's sources; "
                                    f"use one of: {', '.join(sorted(sources))}",
                                    "unknown-source"))
            continue
        cloze = texts.pop("cloze", None)
        if cloze is not None and not CLOZE_RE.search(cloze):
            problems.append(Problem(loaded.path, loaded.position((*where, "cloze")),
                                    "cloze text has no deletion; mark the hidden part as "
                                    "{{c1::...}}",
                                    "cloze-without-deletion"))
        image = _image(loaded, index, raw, slug, problems) if "image" in raw else None
        notetype = None
        if _IDENTITY_KEYS.intersection(raw):  # most cards keep neither GUID nor note type
            notetype = kept.get(raw.get("notetype", ""))
            identity = _identity_problems(loaded, index, raw, notetype, guids)
            if identity:
                problems += identity
                continue
        number = raw.get("number")
        cards.append(Card(
            id=card_id, kind=raw["kind"], source=source, tags=_texts(raw, "tags"),
            retired=raw.get("retired") is True, cloze=cloze,
            number=_whole(number),
            steps=steps, image=image, guid=raw.get("guid"), notetype=notetype,
            fields=tuple((raw.get("fields") or {}).items()), where=item, **texts,
        ))
        if raw["kind"] == "round":
            problems += _round_taken(loaded, index, raw, round_owner)
    deck = Deck(loaded.path, company, slug, tuple(sources.values()),
                tuple(cards), notetypes=tuple(kept.values()),
                partial=len(cards) < len(data["cards"]), document=loaded)
    return deck, problems


def _round_taken(loaded: Document, index: int, raw: dict[str, Any],
                 round_owner: dict[int, str]) -> list[Problem]:
    """A round's number taken by an earlier round (``round_owner``: number -> card id)."""
    if "number" not in raw or raw.get("retired", False):
        return []
    owner = round_owner.setdefault(raw["number"], raw["id"])
    if owner == raw["id"]:
        return []
    return [Problem(loaded.path, loaded.position(("cards", index, "number")),
                    f"round {raw['number']} is already card {owner!r}; each round number "
                    "appears once per company (retire the old card if this one replaces it)",
                    "duplicate-round")]


def _image(loaded: Document, index: int, raw: dict[str, Any], slug: str,
           problems: list[Problem]) -> Image | None:
    try:
        return load_image(loaded.path.parent, raw["image"]["file"], raw["image"]["alt"], slug)
    except ImageError as exc:
        problems.append(Problem(loaded.path, loaded.position(("cards", index, "image", "file")),
                                str(exc), "image"))
        return None


# What makes a card's identity worth checking: without them it is ours, by slug and id.
_IDENTITY_KEYS = frozenset({"guid", "notetype", "fields"})
_OURS = {BASIC_NOTETYPE_ID: "deck2anki Q/A", CLOZE_NOTETYPE_ID: "deck2anki Cloze"}


def _identity_problems(loaded: Document, index: int, raw: dict[str, Any],
                       notetype: KeptNoteType | None,
                       guids: dict[str, str]) -> list[Problem]:
    """What keeps a card from being the note learners hold: its GUID taken by another
    card, or a note type it cannot fill."""
    where: tuple[str | int, ...] = ("cards", index)
    problems = []
    # Kept GUIDs against each other only: one equal to a GUID derived from a slug and
    # id (of this deck or another) is found across decks (release.guard.across_decks),
    # so the model derives no GUID for the many cards that keep none.
    guid = raw.get("guid")
    other = guids.setdefault(guid, raw["id"]) if guid else raw["id"]
    if other != raw["id"]:
        problems.append(Problem(loaded.path, loaded.position((*where, "guid")),
                                f"GUID {guid!r} is already card {other!r}'s: Anki would take "
                                "the two for one note; give each card its own", "duplicate-guid"))
    if "notetype" not in raw:
        if "fields" in raw:
            problems.append(Problem(loaded.path, loaded.position((*where, "fields"), key=True),
                                    "fields are for cards that keep an imported note type; "
                                    "add notetype, or move the text to front or back",
                                    "notetype-field"))
        return problems
    if notetype is None:
        known = ", ".join(_kept_keys(loaded.data)) or "none"
        return [*problems, Problem(loaded.path, loaded.position((*where, "notetype")),
                                   f"note type {raw['notetype']!r} is not in this deck's "
                                   f"notetypes (valid: {known}); name one of them",
                                   "unknown-notetype")]
    wants_cloze = notetype.kind == CLOZE_KIND
    if wants_cloze != isinstance(raw.get("cloze"), str):
        problems.append(Problem(loaded.path, loaded.position((*where, "notetype")),
                                f"note type {notetype.key!r} is a "
                                f"{'cloze' if wants_cloze else 'question/answer'} type but the "
                                "card is not; write the card in that form", "notetype-field"))
    unplaced: list[str] = [name for name in ("back", "image")
                           if name in raw and notetype.back is None]
    unplaced += ["context"] if "context" in raw else []
    taken = {notetype.front, notetype.back}
    for name in raw.get("fields") or {}:
        if name not in notetype.fields or name in taken:
            problems.append(Problem(loaded.path, loaded.position((*where, "fields", name),
                                                                 key=True),
                                    f"{name!r} is not one of note type {notetype.key!r}'s other "
                                    f"fields; name one of: "
                                    f"{', '.join(f for f in notetype.fields if f not in taken)}",
                                    "notetype-field"))
    if unplaced:
        problems.append(Problem(loaded.path, loaded.position((*where, unplaced[0]), key=True),
                                f"note type {notetype.key!r} has no field for "
                                f"{unplaced[0]!r}; remove it, or give the note type a 'back' "
                                "field", "notetype-field"))
    return problems


def _kept_keys(data: Any) -> list[str]:
    notetypes = data.get("notetypes") if isinstance(data, dict) else None
    return sorted(notetypes) if isinstance(notetypes, dict) else []


def _texts(card: dict[str, Any], key: str) -> tuple[str, ...]:
    """A list of texts of a card the schema may have rejected: only its texts."""
    value = card.get(key)
    if type(value) is not list:
        return ()
    texts = tuple(value)
    try:
        "".join(texts)  # the common case, all texts, checked in one call
    except TypeError:
        return tuple(v for v in texts if isinstance(v, str))
    return texts


def _whole(value: object) -> int | None:
    """A round's number as the schema took it: YAML reads "2.0" as a float, which JSON
    Schema (and every editor that checks the deck) calls the integer 2."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value if type(value) is int else None


def _text(mapping: object, key: str) -> str:
    """A text property of data the schema may have rejected: "" where it is no text."""
    value = mapping.get(key) if isinstance(mapping, dict) else None
    return value if isinstance(value, str) else ""


def _quiet(texts: dict[str, str], steps: tuple[str, ...]) -> bool:
    """Whether no markup gate can react to a card's texts: one look at all of them, as
    most cards hold nothing a gate reacts to (a cloze always has its markers checked)."""
    return ("cloze" not in texts and not PROBLEM_TRIGGERS.search("".join(texts.values()))
            and not PROBLEM_TRIGGERS.search("".join(steps)))


def _text_problems(loaded: Document, index: int, raw: dict[str, Any],
                   texts: dict[str, str] | None = None) -> Iterator[Problem]:
    """The markup gates' problems with the card's texts (``texts``: those of ``raw``'s
    text fields that are text, if the caller has them)."""
    if texts is None:
        texts = {name: value for name in TEXT_FIELDS if isinstance(value := raw.get(name), str)}
    fields: list[tuple[tuple[str | int, ...], str]] = [
        ((name,), texts[name]) for name in TEXT_FIELDS if name in texts]
    listed = raw.get("steps")
    fields += [(("steps", i), step) for i, step in enumerate(listed)
               if isinstance(step, str)] if isinstance(listed, list) else []
    for path, text in fields:
        for code, message in markup_problems(text, is_cloze=path == ("cloze",)):
            level = Level.WARNING if code in MARKUP_WARNINGS else Level.ERROR
            yield Problem(loaded.path, loaded.position(("cards", index, *path)), message, code,
                          level)
