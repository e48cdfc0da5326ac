"""What a change adds, changes, retires and removes, card by card."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..identity import card_key
from ..problems import Level, Position, Problem

Cards = dict[str, dict[str, dict[str, Any]]]  # slug -> id -> the card's YAML mapping


@dataclass
class CardDiff:
    added: list[tuple[str, str]] = field(default_factory=list)
    changed: list[tuple[str, str, list[str]]] = field(default_factory=list)
    retired: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    # Q/A <-> cloze under one id: Anki skips every update of such a note ("conflicting").
    switched: list[tuple[str, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.retired or self.removed)

    @property
    def breaking(self) -> list[tuple[str, str]]:
        return self.removed + self.switched


def compare(before: Cards, after: Cards) -> CardDiff:
    diff = CardDiff()
    for slug in sorted(set(before) | set(after)):
        old, new = before.get(slug, {}), after.get(slug, {})
        for card_id in sorted(set(old) | set(new)):
            if card_id not in old:
                diff.added.append((slug, card_id))
            elif card_id not in new:
                diff.removed.append((slug, card_id))
            elif old[card_id] != new[card_id]:
                fields = sorted(k for k in set(old[card_id]) | set(new[card_id])
                                if old[card_id].get(k) != new[card_id].get(k))
                if new[card_id].get("retired") and not old[card_id].get("retired"):
                    diff.retired.append((slug, card_id))
                else:
                    diff.changed.append((slug, card_id, fields))
                if ("cloze" in old[card_id]) != ("cloze" in new[card_id]):
                    diff.switched.append((slug, card_id))
    return diff


def removal_problems(diff: CardDiff, base: str, paths: Mapping[str, Path],
                     skip: frozenset[str] = frozenset()) -> list[Problem]:
    """One error per card that existed at ``base`` and is gone now."""
    problems = []
    for slug, card_id in diff.removed:
        if card_key(slug, card_id) in skip:
            continue
        where = paths.get(slug, Path(f"decks/{slug}.yaml"))
        problems.append(Problem(where, Position(1, 1),
                                f"card {slug}/{card_id} exists at {base[:12]} but is gone "
                                "now: learners keep it forever. Restore it with "
                                "`retired: true` instead of deleting or renaming it",
                                "removed-card", Level.ERROR))
    return problems
