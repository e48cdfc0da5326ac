"""Checks across decks: two decks may share neither a slug nor an Anki deck."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from ..identity import deck_key
from ..problems import Position, Problem


class Named(Protocol):
    """What :func:`check_slugs` needs of a deck (a :class:`Deck`, or a summary of one)."""

    @property
    def path(self) -> Path: ...
    @property
    def slug(self) -> str: ...
    @property
    def deck_name(self) -> str: ...
    @property
    def slug_position(self) -> Position: ...


def check_slugs(decks: Iterable[Named]) -> list[Problem]:
    """Slugs name output files and note identities, and company names name Anki decks:
    two decks may share neither."""
    problems = []
    for attribute, what in (("slug", "slug"), ("deck_name", "company name")):
        seen: dict[str, Named] = {}
        for deck in decks:
            value = getattr(deck, attribute)
            # Anki files "Zoom" and "zoom " (or NFC and NFD) in one deck.
            other = seen.setdefault(deck_key(value) if attribute == "deck_name" else value,
                                    deck)
            if other is deck:
                continue
            if value == getattr(other, attribute):
                message = f"{what} {value!r} is already used by {other.path}"
            else:
                message = (f"{what} {value!r} is the same Anki deck as "
                           f"{getattr(other, attribute)!r} of {other.path} (Anki ignores "
                           "case, Unicode normalization and extra spaces in deck names)")
            position = deck.slug_position if attribute == "slug" else Position(1, 1)
            problems.append(Problem(deck.path, position,
                                    f"{message}; give each company its own {what}",
                                    "duplicate-slug" if attribute == "slug"
                                    else "duplicate-company"))
    return problems
