"""``deck2anki coverage``: which facts of each source no card teaches yet."""

from __future__ import annotations

from pathlib import Path

from ..check.coverage import SourceCoverage
from ..check.coverage import coverage as source_coverage
from ..engine import discover, no_decks, valid_decks
from ..problems import InvalidInput


def coverage(decks_dir: Path) -> list[SourceCoverage]:
    """The coverage of every source the decks cite; :class:`InvalidInput` if the folder
    has no deck or a deck is invalid (validate first)."""
    if not discover([decks_dir]):
        raise InvalidInput([no_decks(decks_dir)])
    return source_coverage(valid_decks(decks_dir), decks_dir)
