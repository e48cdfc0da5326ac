"""``deck2anki build``: every deck checked, then each company's ``.apkg`` and ``.csv``.

Nothing is written unless every deck is valid, and every file is in memory before the
first one is replaced, so a failure leaves the output folder exactly as it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .. import cache as result_cache
from ..check.lints import UNFINISHED
from ..engine import DeckInfo, Progress
from ..files import write_all
from ..problems import InvalidInput, Level, Position, Problem
from ..release.stamps import STAMPS_FILE, Stamps
from ..write.outputs import output_names
from .validate import Request, conclude, plan


@dataclass(frozen=True)
class WrittenDeck:
    deck: DeckInfo
    files: tuple[Path, ...]

    @property
    def kinds(self) -> Mapping[str, int]:
        return self.deck.kinds

    @property
    def notes(self) -> int:
        return self.deck.notes

    @property
    def cards(self) -> int:
        return self.deck.cards


@dataclass(frozen=True)
class BuildResult:
    written: tuple[WrittenDeck, ...]
    stale: tuple[str, ...]
    warnings: tuple[Problem, ...]
    skipped: tuple[DeckInfo, ...] = ()  # decks with no cards yet
    reused: int = 0  # companies whose files were already up to date


def build(decks_dir: Path, out_dir: Path, *, now: int | None = None,
          progress: Progress | None = None, use_cache: bool = True,
          for_release: bool = False) -> BuildResult:
    """Validate every deck, then write ``<slug>.apkg`` and ``<slug>.csv`` for each.

    Raises :class:`InvalidInput` before writing anything if any deck has an error, and,
    ``for_release``, if any content changed since its stamp (or nothing is stamped). A
    company whose deck, images, stamps and deck2anki are unchanged since the last
    build into ``out_dir`` (and whose files there are untouched) is not built again.
    """
    stamps_path = decks_dir / STAMPS_FILE
    recorded = None
    with contextlib.suppress(InvalidInput):  # a broken stamps file: validate reports it
        recorded = Stamps.read(stamps_path)
    planned = plan(Request([decks_dir], stamps_path, package=True, now=now), read=recorded)
    store = None
    if use_cache and recorded is not None:
        store = result_cache.ResultCache.for_build(planned.job, out_dir)
    if progress:
        progress(f"checking {decks_dir}")
    checked = conclude(planned, result_cache.check_files(planned.files, planned.job, store,
                                                         progress))
    # A stub is not a card yet: it would ship "TODO" to learners (stamp refuses it too).
    unfinished = [replace(p, level=Level.ERROR) for p in checked.problems
                  if p.code in UNFINISHED]
    if checked.errors or unfinished:
        raise InvalidInput(checked.errors + unfinished)
    if for_release and checked.stale:
        raise InvalidInput(_unstamped(checked.problems, checked.stale, stamps_path))
    written: list[WrittenDeck] = []
    outputs: dict[Path, bytes] = {}
    for result in checked.results:
        info = result.info
        if info is None or not info.notes:
            continue
        outputs.update((out_dir / name, data) for name, data in result.outputs.items())
        written.append(WrittenDeck(info, tuple(out_dir / name
                                               for name in output_names(info.slug))))
    if progress and outputs:
        progress(f"writing {len(outputs)} file(s) into {out_dir}")
    write_all(outputs)  # every company's files, or none of them
    if store is not None:  # only now: a build that failed leaves the record as it was
        store.save(checked.results)
    warnings = [p for p in checked.problems if p.level is Level.WARNING]
    skipped = tuple(i for i in checked.decks if not i.notes)
    return BuildResult(tuple(written), tuple(checked.stale), tuple(warnings), skipped,
                       store.hits if store is not None else 0)


def _unstamped(problems: Sequence[Problem], stale: Sequence[str],
               stamps_path: Path) -> list[Problem]:
    """The stale-stamp warnings as errors, and what to run: a release must not stamp."""
    found = [replace(p, level=Level.ERROR) for p in problems
             if p.code in ("stale-stamp", "no-stamps")]
    found.append(Problem(stamps_path, Position(1, 1), f"{len(stale)} note(s) or note "
                         "type(s) changed since their stamp, and a release build never "
                         "stamps; run `deck2anki stamp` and commit decks/stamps.json, then "
                         "build again", "stale-stamp"))
    return found
