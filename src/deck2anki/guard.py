"""The release guard: what ``stamps.json`` (the record of what was stamped for release)
says about the decks as they are now.

Learners keep every note they ever imported, forever: Anki never deletes on import. So
a card that disappears from YAML, a renamed id or slug, or a card switched between
question/answer and cloze does not go away for them; it is orphaned or silently stops
updating. These are errors with a fix hint. Content changed without a new stamp is a
warning: it still ships, but ``deck2anki stamp`` should record it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from .model import Card, Deck, card_key, split_key
from .problems import Level, Position, Problem
from .render import NOTETYPES, NoteType, RenderedDeck
from .stamps import Stamps, keys_and_hashes


def note_key(deck: Deck, card_id: str) -> str:
    return card_key(deck.slug, card_id)


def notetype_key(notetype: NoteType) -> str:
    return f"notetype/{notetype.key}"


def current_hashes(rendered: Iterable[RenderedDeck]) -> dict[str, str]:
    """The content hash of every note and note type the decks would ship."""
    items: list[tuple[str, Mapping[str, object]]] = [
        (notetype_key(nt), nt.identity()) for nt in NOTETYPES]
    for r in rendered:
        items.extend((note_key(r.deck, n.card.id), n.identity()) for n in r.notes)
    return keys_and_hashes(items)


def note_notetypes(rendered: Iterable[RenderedDeck]) -> dict[str, str]:
    return {note_key(r.deck, n.card.id): n.notetype.key for r in rendered for n in r.notes}


def check(rendered: Sequence[RenderedDeck], hashes: Mapping[str, str], stamps: Stamps,
          stamps_path: Path, *, whole_folder: bool) -> tuple[list[Problem], list[str]]:
    """Problems the release history reveals, and the keys whose stamps are stale.

    ``hashes`` is :func:`current_hashes` of ``rendered``, computed once by the caller.
    ``whole_folder`` says every deck beside the stamps file was loaded, so a slug with
    stamps but no deck is a deck that was renamed or deleted.
    """
    cards: dict[str, tuple[Deck, Card]] = {
        note_key(r.deck, n.card.id): (r.deck, n.card) for r in rendered for n in r.notes}
    problems = list(_type_switches(stamps, cards, note_notetypes(rendered)))
    problems += _removed(rendered, stamps, stamps_path, whole_folder)
    stale = stamps.stale(hashes)
    for key in stale:
        if key in cards:  # note types have no line in a deck; the build summary names them
            deck, card = cards[key]
            problems.append(Problem(deck.path, card.position,
                                    f"card {card.id!r} is new or changed since {stamps_path} "
                                    "was written; run `deck2anki stamp` and commit the file",
                                    "stale-stamp", Level.WARNING))
    return problems, stale


def _type_switches(stamps: Stamps, cards: Mapping[str, tuple[Deck, Card]],
                   notetypes: Mapping[str, str]) -> Iterable[Problem]:
    for key in stamps.notetype_changes(notetypes):
        deck, card = cards[key]
        was, now = (("a cloze", "a question/answer") if stamps.entries[key].notetype == "cloze"
                    else ("a question/answer", "a cloze"))
        yield Problem(deck.path, card.position,
                      f"card {card.id!r} was stamped as {was} card and is now {now} card; "
                      "Anki cannot change a note's type on import and would skip every "
                      "update: give it a new id and retire the old card", "notetype-change")


def _removed(rendered: Sequence[RenderedDeck], stamps: Stamps, stamps_path: Path,
             whole_folder: bool) -> Iterable[Problem]:
    decks = {r.deck.slug: r for r in rendered}
    for key in sorted(stamps.entries):
        slug, card_id = split_key(key)
        if slug == "notetype":
            continue
        if slug in decks:
            r = decks[slug]
            if not any(n.card.id == card_id for n in r.notes):
                yield Problem(r.deck.path, r.deck.cards_position,
                              f"card {card_id!r} is in {stamps_path} but no longer in this "
                              "deck: learners keep it forever. Restore it with `retired: true` "
                              "instead of deleting or renaming it (never released? run "
                              f"`deck2anki stamp --forget {key}`)", "removed-card")
        elif whole_folder:
            yield Problem(stamps_path, Position(1, 1),
                          f"{key!r} is stamped but no deck has the slug {slug!r}: a renamed "
                          "slug or deleted deck orphans learners' notes. Restore the deck or "
                          f"its slug (never released? `deck2anki stamp --forget {key}`)",
                          "removed-card")
