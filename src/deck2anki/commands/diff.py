"""``deck2anki diff``: cards added, changed, retired and removed since a git revision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..engine import valid_decks
from ..release import changes, git


def diff(decks_dir: Path, base: str | None = None) -> tuple[changes.CardDiff, str]:
    """Cards added, changed and removed since ``base`` (default: the merge base with main).

    Raises :class:`git.NoHistory` without git history, :class:`InvalidInput` if a
    deck in the working tree is invalid.
    """
    repo = git.repository(decks_dir)
    revision = git.base(repo, base)
    before = git.cards_at(repo, revision, decks_dir)
    datas: dict[Path, Any] = {}
    valid_decks(decks_dir, datas)
    return changes.compare(before, git.cards_now(datas)), revision
