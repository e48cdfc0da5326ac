"""``deck2anki validate``: every problem of the decks, and what the release record says.

A run is planned (which files, which stamps, what the engine is asked), each file goes
through the engine (and the cache, at its one seam), and the checks that need every
file at once close it: slugs shared by two decks, stamped companies with no deck left,
and cards that git has at the merge base and that are gone now.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from .. import cache as result_cache
from ..engine import DeckInfo, FileResult, History, Job, discover, no_decks
from ..files import MAX_DECK_BYTES, ReadError, read_capped
from ..identity import notetype_key
from ..problems import InvalidInput, Level, Position, Problem
from ..progress import Progress
from ..release import changes, git, guard
from ..release.stamps import Stamps, build_time

V = TypeVar("V")


@dataclass(frozen=True)
class Request:
    """What a command asks of a run."""

    paths: Sequence[Path]
    stamps_path: Path | None = None  # the release record to check against
    forget: Iterable[str] = ()  # stamps to disregard (cards removed before release)
    use_git: bool = False  # also guard against cards gone since the merge base
    package: bool = False  # also write each company's files (into the build's staging)
    now: int | None = None  # the build time, if not now


@dataclass(frozen=True)
class Plan:
    """A run, planned: its files, the engine's job, and what planning found."""

    files: list[Path]
    job: Job
    stamps_path: Path | None  # None: no readable record to check against
    recorded: Stamps  # as read, before any --forget
    whole_folder: bool  # the decks folder itself was named: cross-file guards apply
    notetype_hashes: dict[str, str]
    stale_types: list[str]
    problems: list[Problem]


@dataclass
class Validation:
    decks: list[DeckInfo]
    problems: list[Problem]
    stale: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be checked, and why
    stamps: Stamps = field(default_factory=Stamps)  # as read, before any --forget
    results: list[FileResult] = field(default_factory=list)
    git_checked: bool = False  # the git history guard was asked (it may have said why not)
    notetype_hashes: Mapping[str, str] = field(default_factory=dict)  # ours, by key

    # Merged from the files' results when asked (stamp asks; a build does not: merging
    # 100,000 notes' entries cost its serial end a tenth of a second).
    @functools.cached_property
    def hashes(self) -> dict[str, str]:
        """Every note's and note type's content hash, by key."""
        return _merged(self.notetype_hashes, (r.hashes for r in self.results))

    @functools.cached_property
    def notetypes(self) -> dict[str, str]:
        """Each note's note type key, by note key."""
        return _merged({}, (r.notetypes for r in self.results))

    @functools.cached_property
    def clozes(self) -> dict[str, list[int]]:
        """Each cloze note's deletions, by note key."""
        return _merged({}, (r.clozes for r in self.results))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level is Level.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level is Level.WARNING]


def _merged(first: Mapping[str, V], others: Iterable[Mapping[str, V]]) -> dict[str, V]:
    merged = dict(first)
    for other in others:
        merged.update(other)
    return merged


def plan(request: Request, read: Stamps | None = None) -> Plan:
    """Find the files and read the release record; ``read`` is the record if the caller
    has read it already."""
    from ..render.notetypes import NOTETYPES

    files = discover(request.paths)
    problems: list[Problem] = []
    if not files:
        where = ", ".join(str(p) for p in request.paths)
        problems.append(no_decks(Path(where)))
    stamps_path = request.stamps_path
    whole_folder = stamps_path is not None and any(
        p.is_dir() and p.resolve() == stamps_path.parent.resolve() for p in request.paths)
    recorded = stamps = Stamps()
    if stamps_path is not None:
        try:
            recorded = read if read is not None else Stamps.read(stamps_path)
        except InvalidInput as exc:
            problems += exc.problems
            stamps_path = None
        stamps = recorded.without(request.forget)
    type_hashes = guard.notetype_hashes()
    sde = build_time()
    fallback = sde if sde is not None else (
        request.now if request.now is not None else int(time.time()))
    known = stamps_path is not None and stamps_path.is_file()
    stale_types = stamps.stale(type_hashes)
    notetype_mods = {nt.id: stamps.mod_for(key, type_hashes[key], fallback)
                     for nt in NOTETYPES for key in [notetype_key(nt.key)]}
    history = History(stamps, stamps_path if known else None, fallback, sde, notetype_mods,
                      bool(stale_types))
    job = Job(history, request.package, with_cards=request.use_git and whole_folder)
    return Plan(files, job, stamps_path, recorded, whole_folder, type_hashes, stale_types,
                problems)


def conclude(planned: Plan, results: list[FileResult], *, remember: bool = False) -> Validation:
    """The checks across files, once every file has its result; with ``remember``, the
    git guard answers from its record (in the cache folder) when git's state is as
    recorded."""
    from ..check.slugs import check_slugs

    problems = list(planned.problems)
    infos = [r.info for r in results if r.info is not None]
    for result in results:
        problems += result.problems
    problems += check_slugs(infos)
    problems += guard.across_decks(infos, itertools.chain(
        planned.notetype_hashes, *(r.hashes for r in results)))
    validation = Validation(infos, problems, stamps=planned.recorded, results=results,
                            notetype_hashes=planned.notetype_hashes)
    stamps_path = planned.stamps_path
    if stamps_path is None or any(r.failed for r in results) or validation.errors:
        validation.problems.sort()
        return validation
    history = planned.job.history
    if history.guarded:
        problems += guard.future(history.stamps, stamps_path, int(time.time()))
        validation.stale = sorted(planned.stale_types
                                  + [key for r in results for key in r.stale])
        if planned.whole_folder:
            problems += guard.orphaned((i.slug for i in infos), history.stamps, stamps_path)
    else:
        validation.stale = sorted(validation.hashes)
        if planned.whole_folder:
            problems.append(Problem(stamps_path, Position(1, 1), "no stamps file: every card "
                                    "ships stamped with the build time, which overwrites "
                                    "learners' own edits on every release; run "
                                    "`deck2anki stamp` and commit it", "no-stamps",
                                    Level.WARNING))
    if planned.job.with_cards:
        validation.git_checked = True
        problems += _git_removals(stamps_path.parent, results,
                                  frozenset(history.stamps.entries), validation.notes, remember)
    validation.problems.sort()
    return validation


def validate(paths: Sequence[Path], stamps_path: Path | None = None,
             forget: Iterable[str] = (), *, use_git: bool = False, use_cache: bool = False,
             progress: Progress | None = None) -> Validation:
    """Load and check ``paths``; with ``stamps_path``, also against the release history.

    ``forget`` names stamps to disregard (cards removed before they were ever released).
    With ``use_git``, cards present at the merge base with the main branch that are
    gone now are errors too; if git history is not available the result's ``notes``
    say so. With ``use_cache``, files unchanged since an earlier run are not checked
    again (see :mod:`deck2anki.cache`).
    """
    planned = plan(Request(paths, stamps_path, tuple(forget), use_git=use_git))
    store = None
    if use_cache and planned.stamps_path is not None:
        store = result_cache.ResultCache.for_validate(planned.job, planned.stamps_path)
    results = result_cache.check_files(planned.files, planned.job, store, progress)
    if store is not None:
        store.save(results)
    return conclude(planned, results, remember=use_cache)


def _git_removals(decks_dir: Path, results: Sequence[FileResult], stamped: frozenset[str],
                  notes: list[str], remember: bool) -> list[Problem]:
    """Cards at the git base that are gone now (those in stamps.json are reported there)."""
    now: changes.Cards = {}
    paths: dict[str, Path] = {}
    current: dict[str, tuple[str, git.Parsed | None]] = {}
    for result in results:
        if result.cards is not None:
            slug, cards = result.cards
            now.setdefault(slug, {}).update(cards)
            paths.setdefault(slug, result.path)
        if result.path.parent.resolve() == decks_dir.resolve():
            # A file git still has as it was at the base needs no second parse.
            with contextlib.suppress(OSError, ReadError):
                data = read_capped(result.path, MAX_DECK_BYTES, what="the deck file")
                current[result.path.name] = (git.blob_id(data), result.cards)
    try:
        base, before = _cards_at_base(decks_dir, current, remember)
    except git.NoHistory as exc:
        notes.append(f"git history guard skipped: {exc}; stamps.json still guards every "
                     "stamped card")
        return []
    return changes.removal_problems(changes.compare(before, now), base, paths, skip=stamped)


def _cards_at_base(decks_dir: Path, current: dict[str, tuple[str, git.Parsed | None]],
                   remember: bool) -> tuple[str, changes.Cards]:
    """The merge base with the main branch, and every card of ``decks_dir`` there.

    One git call asks for HEAD, each main branch and the refs that could rewrite
    history; if its answer is the one recorded, so are the merge base and the deck
    files there (commits never change), and the deck files changed since then were
    parsed already: the record (:func:`_record`) answers and nothing else runs.
    """
    seen = git.snapshot(decks_dir)
    if seen is None:  # git could not answer at once: ask step by step, for the reason
        repo = git.repository(decks_dir)
        base = git.default_base(repo)
        return base, git.cards_at(repo, base, decks_dir, current)
    record = _record(seen, decks_dir) if remember else None
    recorded = _read(record[0], record[1]) if record else None
    if recorded is None:
        base = git.merge_base(seen)
        files = git.deck_files(seen.repo, base, decks_dir)
        known: dict[str, git.Parsed | None] = {}
    else:
        base, files, known = recorded
    learned = dict(known)
    before = git.cards_at(seen.repo, base, decks_dir, current, files=files, known=learned)
    if record is not None:
        _write(record, base, files, learned, None if recorded is None else known)
    return base, before


def _record(seen: git.Snapshot, decks_dir: Path) -> tuple[Path, str]:
    """Where the git guard's record for ``decks_dir`` lives, and the key it must hold."""
    import hashlib
    import os

    from .. import records

    place = f"{seen.repo}\0{decks_dir.resolve()}".encode()
    key = hashlib.sha256(seen.key.encode())
    # The parses are deck2anki's; GIT_* variables can point git at other objects or refs.
    key.update(records.code_fingerprint().encode())
    key.update(repr(sorted(i for i in os.environ.items() if i[0].startswith("GIT_"))).encode())
    name = f"git-{hashlib.sha256(place).hexdigest()[:24]}.json"
    return records.cache_dir() / name, key.hexdigest()


def _read(file: Path, key: str) -> tuple[str, dict[str, str],
                                         dict[str, git.Parsed | None]] | None:
    import json

    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
        if raw["key"] != key:
            return None
        known = {blob: None if cards is None else (cards[0], cards[1])
                 for blob, cards in raw["known"].items()}
        return str(raw["base"]), dict(raw["files"]), known
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None  # no record, or one we cannot read: ask git


def _write(record: tuple[Path, str], base: str, files: dict[str, str],
           known: dict[str, git.Parsed | None],
           recorded: dict[str, git.Parsed | None] | None) -> None:
    """Record what git said, unless the record (``recorded``) already holds it all."""
    import json

    from ..files import write_bytes

    # Only the blobs still at the base, and only cards JSON gives back as they are.
    kept = {blob: cards for blob, cards in known.items() if blob in files.values()
            and (cards is None or json.loads(json.dumps(cards[1])) == cards[1])}
    if kept == recorded:
        return
    with contextlib.suppress(OSError, TypeError, ValueError):  # a cache: only speed is lost
        text = json.dumps({"key": record[1], "base": base, "files": files, "known": kept})
        write_bytes(record[0], text.encode("utf-8"))
