"""``deck2anki build``: every deck checked, then each company's ``.apkg`` and ``.csv``.

Each company's files are written, by the process that checked it, into a staging folder
beside the output (never held by the parent); they are moved in only once every deck is
valid and every file is written, all or none, so a failure leaves the output folder
exactly as it was, and the staging folder is removed however the build ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .. import cache as result_cache
from ..check.lints import UNFINISHED
from ..engine import DeckInfo, discover
from ..files import move_all, staging
from ..problems import InvalidInput, Level, Position, Problem
from ..progress import Progress
from ..release.stamps import STAMPS_FILE, Stamps
from ..write.outputs import output_names
from . import rebuild
from .validate import Plan, Request, Validation, conclude, plan


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
    taken = None
    if use_cache and now is None:
        settings = rebuild.options(out_dir, for_release=for_release)
        kept = rebuild.recall(decks_dir, stamps_path, out_dir, settings)
        if kept is not None:
            if progress:
                progress(f"nothing changed since the last build into {out_dir}")
            return _recalled(kept, out_dir)
        taken = rebuild.before(decks_dir, stamps_path, discover([decks_dir]), settings)
    recorded = None
    with contextlib.suppress(InvalidInput):  # a broken stamps file: validate reports it
        recorded = Stamps.read(stamps_path)
    planned = plan(Request([decks_dir], stamps_path, package=True, now=now), read=recorded)
    store = None
    if use_cache and recorded is not None:
        store = result_cache.ResultCache.for_build(planned.job, out_dir)
    if progress:
        progress(f"checking {decks_dir}")
    checked, written = _check_and_write(planned, out_dir, store, progress,
                                        release=stamps_path if for_release else None)
    warnings = checked.warnings
    if store is not None:  # only now: a build that failed leaves the record as it was
        store.save(checked.results)
        if taken is not None:
            rebuild.keep(taken, checked, out_dir, store)
    skipped = tuple(i for i in checked.decks if not i.notes)
    return BuildResult(tuple(written), tuple(checked.stale), tuple(warnings), skipped,
                       store.hits if store is not None else 0)


def _check_and_write(planned: Plan, out_dir: Path, store: result_cache.ResultCache | None,
                     progress: Progress | None, *,
                     release: Path | None) -> tuple[Validation, list[WrittenDeck]]:
    """Check every deck, each written into a staging folder as it is checked, then move
    every company's files into ``out_dir`` at once, or raise and move none. A build for
    release (``release``: its stamps file) also refuses content changed since its stamp."""
    with staging(out_dir) as stage:
        job = replace(planned.job, staging=stage)
        checked = conclude(planned, result_cache.check_files(planned.files, job, store,
                                                             progress))
        # A stub is not a card yet: it would ship "TODO" to learners (stamp refuses it too).
        unfinished = [replace(p, level=Level.ERROR) for p in checked.problems
                      if p.code in UNFINISHED]
        if checked.errors or unfinished:
            raise InvalidInput(checked.errors + unfinished)
        if release is not None and checked.stale:
            raise InvalidInput(_unstamped(checked.problems, checked.stale, release))
        for result in checked.results:
            if result.unwritten is not None:  # a full disk, say: after the decks' problems
                raise result.unwritten
        written: list[WrittenDeck] = []
        moves: dict[Path, Path] = {}
        for result in checked.results:
            info = result.info
            if info is None or not info.notes:
                continue
            moves.update((out_dir / name, staged.path) for name, staged
                         in result.outputs.items())
            written.append(WrittenDeck(info, tuple(out_dir / name
                                                   for name in output_names(info.slug))))
        if progress and moves:
            progress(f"writing {len(moves)} file(s) into {out_dir}")
        move_all(moves)  # every company's files, or none of them
    return checked, written


def _recalled(kept: rebuild.Recalled, out_dir: Path) -> BuildResult:
    """The result of a build with nothing to do: every company's files are up to date."""
    written = tuple(WrittenDeck(info, tuple(out_dir / n for n in output_names(info.slug)))
                    for info in kept.decks if info.notes)
    return BuildResult(written, tuple(kept.stale), tuple(kept.warnings),
                       tuple(info for info in kept.decks if not info.notes), len(written))


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
