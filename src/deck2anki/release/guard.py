"""The release guard: what ``stamps.json`` (the record of what was stamped for release)
says about the decks as they are now.

Learners keep every note they ever imported, forever: Anki never deletes on import. So
a card that disappears from YAML, a renamed id or slug, or a card switched between
question/answer and cloze does not go away for them; it is orphaned or silently stops
updating. These are errors with a fix hint. Content changed without a new stamp is a
warning: it still ships, but ``deck2anki stamp`` should record it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..identity import (
    NOTETYPE_SLUG,
    card_key,
    kept_notetype_key,
    note_guid,
    notetype_key,
    split_key,
)
from ..problems import Level, Position, Problem
from .changes import renamed_message
from .stamps import Stamps, content_hash, keys_and_hashes

if TYPE_CHECKING:  # what a deck is: the checks across decks need none of it
    from ..model import Card, Deck
    from ..render.notes import RenderedDeck


def notetype_hashes() -> dict[str, str]:
    """The content hash of every note type (the same for every deck)."""
    from ..render.notetypes import NOTETYPES

    return keys_and_hashes((notetype_key(nt.key), nt.identity()) for nt in NOTETYPES)


def kept_notetype_hashes(deck: Deck) -> dict[str, str]:
    """The content hash of every note type a deck keeps from Anki, by its stamps key."""
    from ..render.notetypes import NoteType

    return keys_and_hashes((kept_notetype_key(deck.slug, nt.key),
                            NoteType.kept(deck.slug, nt).identity()) for nt in deck.notetypes)


def kept_shapes(deck: Deck) -> dict[str, str]:
    """What Anki matches a kept note type by (id, kind, field and template names), by
    its stamps key: recorded with its stamp, and never to change after."""
    return {kept_notetype_key(deck.slug, nt.key): json.dumps(
        [nt.id, nt.kind, list(nt.fields), [t.name for t in nt.templates]], ensure_ascii=False)
        for nt in deck.notetypes}


def check_kept(deck: Deck, hashes: Mapping[str, str], stamps: Stamps,
               stamps_path: Path) -> tuple[list[Problem], list[str]]:
    """Kept note types changed since their stamp. A new id, kind, field or template name
    is an error: every holder's notes of that type would stop updating (Anki logs them
    "conflicting"). Other changes ship dated now, a warning like a card's."""
    stale = stamps.stale(hashes)
    where = {kept_notetype_key(deck.slug, nt.key): nt for nt in deck.notetypes}
    problems = []
    for key, shape in kept_shapes(deck).items():
        entry = stamps.entries.get(key)
        if entry is not None and entry.notetype is not None and entry.notetype != shape:
            problems.append(Problem(
                deck.path, where[key].position,
                f"note type {where[key].key!r} changed its id, kind, fields or templates "
                f"since it was stamped (was {entry.notetype}): Anki would skip every update "
                "of its notes for the learners who hold them; put them back as they were",
                "notetype-change"))
    problems += [Problem(deck.path, where[key].position,
                         f"note type {where[key].key!r} is new or changed since {stamps_path} "
                         "was written; run `deck2anki stamp` and commit the file",
                         "stale-stamp", Level.WARNING) for key in stale]
    return problems, stale


class KeptIdentity(Protocol):
    """What :func:`across_decks` needs of a deck (the engine's summary of one)."""

    @property
    def path(self) -> Path: ...
    @property
    def slug(self) -> str: ...
    @property
    def kept_guids(self) -> Mapping[str, str]: ...
    @property
    def kept_types(self) -> Mapping[int, str]: ...


def across_decks(decks: Sequence[KeptIdentity], card_keys: Iterable[str]) -> list[Problem]:
    """One collection holds every company's notes: a kept GUID may be no other card's
    (kept, or derived from a slug and id), and a note type id kept by two decks must be
    the same note type in both (Anki would otherwise copy it and skip updates)."""
    if not any(deck.kept_guids or deck.kept_types for deck in decks):
        return []
    owners: dict[str, str] = {note_guid(*split_key(key)): key for key in card_keys
                              if split_key(key)[0] != NOTETYPE_SLUG}
    problems = []
    for deck in decks:
        for guid, card_id in deck.kept_guids.items():
            mine = card_key(deck.slug, card_id)
            other = owners.setdefault(guid, mine)
            if other != mine:
                problems.append(Problem(deck.path, Position(1, 1),
                                        f"card {mine}'s GUID {guid!r} is also card {other}'s: "
                                        "Anki would take the two for one note; give each card "
                                        "its own", "duplicate-guid"))
    shapes: dict[int, tuple[str, KeptIdentity]] = {}
    for deck in decks:
        for type_id, shape in deck.kept_types.items():
            seen, first = shapes.setdefault(type_id, (shape, deck))
            if seen != shape:
                problems.append(Problem(deck.path, Position(1, 1),
                                        f"note type id {type_id} is kept by {first.path} too, "
                                        "with other fields or templates; keep one note type "
                                        "per id", "notetype-field"))
    return problems


def note_hashes(rendered: RenderedDeck) -> dict[str, str]:
    """The content hash of every note one deck would ship."""
    return keys_and_hashes(zip(rendered.keys, (n.identity() for n in rendered.notes),
                               strict=True))


def note_notetypes(rendered: Iterable[RenderedDeck]) -> dict[str, str]:
    return {key: n.notetype.key for r in rendered for key, n in zip(r.keys, r.notes, strict=True)}


def note_clozes(rendered: RenderedDeck) -> dict[str, list[int]]:
    """The deletion numbers of every cloze note: each is a card learners may hold."""
    return {key: n.card.cloze_ordinals()
            for key, n in zip(rendered.keys, rendered.notes, strict=True) if n.card.is_cloze}


def check_deck(rendered: RenderedDeck, hashes: Mapping[str, str],
               notetypes: Mapping[str, str], stamps: Stamps,
               stamps_path: Path) -> tuple[list[Problem], list[str]]:
    """What the release history says about one deck, and its notes whose stamps are stale.

    ``hashes`` and ``notetypes`` are the deck's :func:`note_hashes` and
    :func:`note_notetypes`, computed once by the caller.
    """
    deck = rendered.deck
    cards = dict(zip(rendered.keys, (n.card for n in rendered.notes), strict=True))
    problems = []
    for key in stamps.notetype_changes(notetypes):
        card = cards[key]
        was, now = (("a cloze", "a question/answer") if stamps.entries[key].notetype == "cloze"
                    else ("a question/answer", "a cloze"))
        problems.append(Problem(
            deck.path, card.position,
            f"card {card.id!r} was stamped as {was} card and is now {now} card; Anki "
            "cannot change a note's type on import and would skip every update: give it a "
            "new id and retire the old card", "notetype-change"))
    problems += _dropped_deletions(rendered, stamps)
    named = stamps.companies.get(deck.slug)
    if named is not None and named != deck.company:
        problems.append(Problem(
            deck.path, deck.company_position,
            f"company renamed from {named!r} to {deck.company!r} since it was stamped: every "
            "card shows the name, so each of its notes would update and overwrite learners' "
            f"own edits, and Anki would file new cards under a new deck; keep {named!r}, or "
            f"accept that with `deck2anki stamp --rename-company {deck.slug}`",
            "company-rename"))
    gone = sorted(stamps.card_ids(deck.slug) - {n.card.id for n in rendered.notes})
    renamed = _renamed(rendered, stamps, gone) if gone else {}
    for card_id in gone:
        key = card_key(deck.slug, card_id)
        if card_id in renamed:
            card = renamed[card_id]
            problems.append(Problem(deck.path, card.at("id"), renamed_message(
                card_id, card.id, stamps_path.name), "removed-card"))
            continue
        problems.append(Problem(
            deck.path, deck.cards_position,
            f"card {card_id!r} is in {stamps_path} but no longer in this deck: learners "
            "keep it forever. Restore it with `retired: true` instead of deleting or "
            f"renaming it (never on the main branch? `deck2anki stamp --forget {key}`)",
            "removed-card"))
    stale = stamps.stale(hashes)
    misnamed = {card_key(deck.slug, card.id) for card in renamed.values()}
    for key in stale:
        if key in misnamed:
            continue  # its fix is the rename back, not a stamp
        card = cards[key]
        problems.append(Problem(deck.path, card.position,
                                f"card {card.id!r} is new or changed since {stamps_path} "
                                "was written; run `deck2anki stamp` and commit the file",
                                "stale-stamp", Level.WARNING))
    return problems, stale


# Each pair costs a hash: bounded, so a deck that renamed everything stays fast.
_MAX_RENAME_PAIRS = 20_000


def _renamed(rendered: RenderedDeck, stamps: Stamps, gone: list[str]) -> dict[str, Card]:
    """Stamped ids gone from the deck (``gone``) whose content is back, unchanged, under a
    new id: the new card's note, had it kept the old id, hashes to the old id's stamp."""
    slug = rendered.deck.slug
    new = [n for n in rendered.notes if card_key(slug, n.card.id) not in stamps.entries]
    found: dict[str, Card] = {}
    if len(gone) * len(new) > _MAX_RENAME_PAIRS:
        return {}  # a reshuffle this big is no slip of one id: the generic hint serves
    for card_id in gone:
        stamped = stamps.entries[card_key(slug, card_id)].hash
        for note in new:
            if content_hash(note.identity_as(card_id)) == stamped:
                found[card_id] = note.card
                new.remove(note)
                break
    return found


def _dropped_deletions(rendered: RenderedDeck, stamps: Stamps) -> list[Problem]:
    """Cloze deletions stamped (so learners hold their card) that are gone from the text:
    Anki never deletes that card; it would show "No cloze N found" for good."""
    problems = []
    for key, note in zip(rendered.keys, rendered.notes, strict=True):
        if not note.card.is_cloze:
            continue
        entry = stamps.entries.get(key)
        if entry is None or entry.cloze is None:
            continue
        gone = sorted(set(entry.cloze) - set(note.card.cloze_ordinals()))
        if gone:
            names = ", ".join(f"c{n}" for n in gone)
            problems.append(Problem(
                rendered.deck.path, note.card.at("cloze"),
                f"card {note.card.id!r} no longer has {names}, which learners already study: "
                f"Anki keeps that card and shows \"No cloze {gone[0]} found\" on it; keep "
                f"{{{{c{gone[0]}::...}}}} in the text, or retire this card and add a new one",
                "cloze-removed"))
    return problems


def orphaned(slugs: Iterable[str], stamps: Stamps, stamps_path: Path) -> list[Problem]:
    """Stamps of a slug no deck has: a renamed slug or a deleted deck (whole folder only)."""
    present = set(slugs)
    gone = sorted(stamps.slugs() - present - {NOTETYPE_SLUG})
    return [Problem(stamps_path, Position(1, 1),
                    f"{key!r} is stamped but no deck has the slug {slug!r}: a renamed slug "
                    "or deleted deck orphans learners' notes. Restore the deck or its slug "
                    f"(never released? `deck2anki stamp --forget {key}`)", "removed-card")
            for slug in gone for key in sorted(card_key(slug, i) for i in stamps.card_ids(slug))]


# Clocks drift and time zones confuse: a day ahead is a mistake worth no alarm.
FUTURE_SLACK = 24 * 60 * 60


def future(stamps: Stamps, stamps_path: Path, now: int) -> list[Problem]:
    """Stamps later than now: until that date such a note wins over every learner edit
    (Anki keeps whichever copy is newer), so its own fixes would also never stop winning."""
    late = sorted(key for key, entry in stamps.entries.items()
                  if entry.mod > now + FUTURE_SLACK)
    if not late:
        return []
    first = late[0]
    when = time.strftime("%Y-%m-%d", time.gmtime(stamps.entries[first].mod))
    return [Problem(stamps_path, Position(1, 1),
                    f"{len(late)} stamp(s) lie in the future ({first!r} on {when}): until "
                    "then those notes would overwrite every learner edit; run `deck2anki "
                    "stamp` on a machine whose clock is right to bring them back to now",
                    "future-stamp")]
