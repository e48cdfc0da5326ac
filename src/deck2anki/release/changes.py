"""What a change adds, changes, retires and removes, card by card."""

from __future__ import annotations

import json
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
    # An id changed, the content did not: (slug, old id, new id). For Anki a new note.
    renamed: list[tuple[str, str, str]] = field(default_factory=list)
    before: Cards = field(default_factory=dict)
    after: Cards = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.retired or self.removed
                    or self.renamed)

    @property
    def breaking(self) -> list[tuple[str, str]]:
        return self.removed + [(s, old) for s, old, _ in self.renamed] + self.switched

    def card(self, slug: str, card_id: str) -> dict[str, Any]:
        """The card as it is now, or as it was if it is gone."""
        return self.after.get(slug, {}).get(card_id) or self.before.get(slug, {}).get(
            card_id) or {}


def question(card: Mapping[str, Any], limit: int = 80) -> str:
    """What a card asks, on one line: its front or cloze, or a round's number and name."""
    text = card.get("front") or card.get("cloze")
    if not isinstance(text, str):
        number, name = card.get("number"), card.get("name")
        text = f"Round {number}: {name}" if number is not None else str(name or "")
    return one_line(text, limit)


def one_line(text: str, limit: int) -> str:
    """``text`` with its whitespace collapsed, cut to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def compare(before: Cards, after: Cards) -> CardDiff:
    diff = CardDiff(before=before, after=after)
    for slug in sorted(set(before) | set(after)):
        old, new = before.get(slug, {}), after.get(slug, {})
        renames = _renames(old, new)
        diff.renamed += [(slug, was, now) for was, now in sorted(renames.items())]
        for card_id in sorted((set(old) | set(new)) - set(renames) - set(renames.values())):
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


def _content(card: Mapping[str, Any]) -> str:
    return json.dumps({k: v for k, v in card.items() if k != "id"}, sort_keys=True, default=str)


def _renames(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, str]:
    """Removed id -> added id, for each card that is gone under one id and back, with
    the very same content, under another."""
    added: dict[str, str] = {}
    for card_id in sorted(set(new) - set(old)):
        added.setdefault(_content(new[card_id]), card_id)
    renames = {}
    for card_id in sorted(set(old) - set(new)):
        match = added.pop(_content(old[card_id]), None)
        if match is not None:
            renames[card_id] = match
    return renames


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
    for slug, was, now in diff.renamed:
        if card_key(slug, was) in skip:
            continue
        where = paths.get(slug, Path(f"decks/{slug}.yaml"))
        problems.append(Problem(where, Position(1, 1), renamed_message(was, now, base[:12]),
                                "removed-card", Level.ERROR))
    return problems


def renamed_message(was: str, now: str, where: str) -> str:
    """What to do about a card renamed after it reached learners."""
    return (f"card {now!r} is card {was!r} (in {where}) renamed, with the same content: "
            "for Anki a new id is a new note, so learners would study it from scratch "
            f"and keep {was!r} orphaned. Keep the id: rename {now!r} back to {was!r} "
            "(its text can change freely under the old id)")
