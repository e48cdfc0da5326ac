"""``deck2anki stamp``: record in stamps.json when each note's content last changed."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from ..check.lints import UNFINISHED
from ..files import write_bytes
from ..identity import card_key, split_key
from ..problems import InvalidInput, Level, Position, Problem
from ..release import git
from ..release.guard import FUTURE_SLACK
from ..release.stamps import STAMPS_FILE, Stamps
from .validate import Validation, validate


def stamp(decks_dir: Path, *, now: int | None = None, forget: Iterable[str] = (),
          renamed: Iterable[str] = ()) -> tuple[list[str], Path]:
    """Record the current content of every note; return the keys that got a new stamp.

    ``renamed`` names companies whose new display name is accepted, knowing that every
    note of theirs then updates over learners' own edits.
    """
    stamps_path = decks_dir / STAMPS_FILE
    _refuse_released(decks_dir, stamps_path, forget)
    checked = validate([decks_dir], stamps_path, forget)
    changed, updated = _updated(checked, stamps_path, now, forget, renamed)
    if updated.dumps() != _current(stamps_path):
        write_bytes(stamps_path, updated.dumps().encode("utf-8"))
    return changed, stamps_path


@dataclass(frozen=True)
class Check:
    """What `deck2anki stamp --check` finds, changing nothing."""

    warnings: list[Problem]
    stale: int  # notes and note types changed since their stamp
    out_of_date: bool  # stamps.json would change all the same (an older record)


def check(decks_dir: Path, forget: Iterable[str] = ()) -> Check:
    """Is stamps.json current? :class:`InvalidInput` if the decks have errors."""
    stamps_path = decks_dir / STAMPS_FILE
    _refuse_released(decks_dir, stamps_path, forget)
    checked = validate([decks_dir], stamps_path, forget)
    if checked.errors:
        raise InvalidInput(checked.errors)
    warnings = checked.warnings
    # With no content changed, `stamp` may still rewrite the file: a record from an
    # older deck2anki lacks what the guards need (company names, cloze deletions), and
    # without it they stay silent.
    out_of_date = not checked.stale and (
        _updated(checked, stamps_path, None, forget, ())[1].dumps() != _current(stamps_path))
    return Check(warnings, len(checked.stale), out_of_date)


def _refuse_released(decks_dir: Path, stamps_path: Path, forget: Iterable[str]) -> None:
    """Forgetting is for cards that never left the branch. One that exists on the main
    branch (at the merge base) may be on learners' machines: its stamp stays, and the
    way out is to restore it (or retire it), never to forget it."""
    keys = list(forget)
    if not keys:
        return
    try:
        repo = git.repository(decks_dir)
        base = git.default_base(repo)
        released = git.cards_at(repo, base, decks_dir)
    except git.NoHistory:
        return  # no history to ask: stamps.json alone decides
    known = {card_key(slug, card_id) for slug, cards in released.items() for card_id in cards}
    misused = [key for key in keys if key in known or key in released]
    if misused:
        raise InvalidInput([Problem(
            stamps_path, Position(1, 1),
            f"cannot forget {key!r}: it exists on the main branch (at {base[:12]}), so "
            "learners may already hold it and its stamp must stay; if it is gone from the "
            "deck, restore it under that id (edit its text freely, or set "
            "`retired: true`)", "forget") for key in misused])


def _current(stamps_path: Path) -> str | None:
    return stamps_path.read_text(encoding="utf-8") if stamps_path.is_file() else None


def _updated(checked: Validation, stamps_path: Path, now: int | None,
             forget: Iterable[str], renamed: Iterable[str]) -> tuple[list[str], Stamps]:
    """The keys that get a new stamp, and what the stamps file should hold."""
    slugs = {info.path: info.slug for info in checked.decks}
    accepted = set(renamed)
    errors = [p for p in checked.errors if p.code != "future-stamp"  # stamp mends those
              and not (p.code == "company-rename" and slugs.get(p.path) in accepted)]
    pending = {slugs.get(p.path) for p in checked.errors if p.code == "company-rename"}
    known = set(slugs.values())
    errors += [Problem(stamps_path, Position(1, 1), f"cannot accept a rename of {slug!r}: "
                       + ("its company name is the one stamped; nothing to accept"
                          if slug in known else "no deck has that slug; give a deck's slug"),
                       "company-rename")
               for slug in sorted(accepted - pending)]
    if errors:
        raise InvalidInput(errors)
    now = now if now is not None else int(time.time())
    stamps, late = checked.stamps.brought_back(now, FUTURE_SLACK)
    hashes = checked.hashes

    # Forgetting is for cards that vanished before release. Forgetting a live card would
    # re-stamp it as new (overwriting learners' edits) and hide a Q/A-cloze switch.
    def live(key: str) -> bool:
        return key in hashes or any(split_key(k)[0] == key for k in hashes)

    misused = [key for key in forget
               if live(key) or len(stamps.without([key]).entries) == len(stamps.entries)]
    if misused:
        raise InvalidInput([Problem(stamps_path, Position(1, 1),
                                    f"cannot forget {key!r}: "
                                    + ("it is in the decks; only the stamps of removed cards "
                                       "or decks can be forgotten" if live(key)
                                       else "it has no stamp; name a card as slug/id (e.g. "
                                       "acme/headquarters) or a whole deck by its slug, as "
                                       "stamps.json keys them"), "forget")
                            for key in misused])
    # A stub is not content yet: stamping it would make its generated id final.
    stubs = [replace(p, level=Level.ERROR) for p in checked.problems if p.code in UNFINISHED]
    if stubs:
        raise InvalidInput(stubs)
    stamps = stamps.without(forget)
    changed = sorted({*stamps.stale(hashes), *(k for k in late if k in hashes)})
    updated = stamps.updated(hashes, now, checked.notetypes, checked.clozes).named(
        {info.slug: info.company for info in checked.decks})
    return changed, updated
