"""The build, step by step: find -> load -> validate -> model -> render -> stamp -> write.

Every step's problems are collected before anything is written, so an invalid deck
never leaves a file in the output folder. The CLI only parses options and prints.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import markup
from .check import schema
from .check.lints import lint
from .files import MAX_DECK_BYTES, ReadError, collector_paused, read_capped
from .identity import card_key, deck_id, notetype_key
from .model import Deck, build_deck, check_slugs
from .problems import InvalidInput, Level, Position, Problem
from .release import changes, guard
from .release import git as history
from .release.guard import note_hashes, note_notetypes, notetype_hashes
from .release.stamps import STAMPS_FILE, Stamps, build_time
from .render.csv import csv_rows
from .render.notes import RenderedDeck, render_deck
from .render.notetypes import NOTETYPES

DECK_SUFFIXES = (".yaml", ".yml")


def discover(paths: Iterable[Path]) -> list[Path]:
    """Deck files named by ``paths``: files as given, folders' own *.yaml/*.yml files.

    Folders are not searched recursively: decks sit side by side, and other YAML in
    subfolders (images, fixtures) is not a deck.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in DECK_SUFFIXES
                                and p.is_file()))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def _load_deck(path: Path) -> tuple[Any, Deck | None, list[Problem]]:
    """Load, schema-check and model one file: its data (if it parsed), the deck (if
    valid) and its problems so far."""
    from .load.parse import load_file  # PyYAML: only when a file is read

    try:
        loaded = load_file(path)
    except InvalidInput as exc:
        return None, None, exc.problems
    problems = schema.validate(loaded)
    if problems:
        return loaded.data, None, problems
    deck, problems = build_deck(loaded)
    return loaded.data, deck, problems


def load_decks(files: Sequence[Path],
               datas: dict[Path, Any] | None = None) -> tuple[list[Deck], list[Problem]]:
    """Every deck that is valid, and every problem of the others.

    ``datas``, if given, receives the parsed YAML of every file that parsed.
    """
    decks: list[Deck] = []
    problems: list[Problem] = []
    for path in files:
        data, deck, deck_problems = _load_deck(path)
        if datas is not None and data is not None:
            datas[path] = data
        problems.extend(deck_problems)
        if deck is not None:
            decks.append(deck)
    problems.extend(check_slugs(decks))
    problems.extend(lint(decks))
    return decks, sorted(problems)


@dataclass(frozen=True)
class DeckInfo:
    """What the rest of a run needs to know of one valid deck (small, and picklable)."""

    path: Path
    company: str
    slug: str
    deck_name: str
    slug_position: Position
    kinds: Mapping[str, int]
    notes: int
    cards: int

    @classmethod
    def of(cls, rendered: RenderedDeck) -> DeckInfo:
        deck = rendered.deck
        kinds = Counter(n.card.kind for n in rendered.notes)
        return cls(deck.path, deck.company, deck.slug, deck.deck_name, deck.slug_position,
                   dict(sorted(kinds.items())), len(rendered.notes),
                   sum(n.card.anki_cards for n in rendered.notes))


@dataclass
class FileResult:
    """One deck file, checked (and for a build, packaged): a worker's whole answer."""

    path: Path
    problems: list[Problem]
    info: DeckInfo | None = None  # None: the file is not a valid deck
    hashes: dict[str, str] = field(default_factory=dict)  # note key -> content hash
    notetypes: dict[str, str] = field(default_factory=dict)  # note key -> note type key
    stale: list[str] = field(default_factory=list)
    cards: tuple[str, dict[str, Any]] | None = None  # for the git guard: slug, raw cards
    outputs: dict[str, bytes] = field(default_factory=dict)  # file name -> bytes
    images: dict[str, str] = field(default_factory=dict)  # image path -> content hash
    timed: bool = False  # its bytes depend on the build time (unstamped content)

    @property
    def failed(self) -> bool:
        return any(p.level is Level.ERROR for p in self.problems)


@dataclass(frozen=True)
class Job:
    """What every file of one run is checked against (sent once to each worker)."""

    stamps: Stamps | None = None  # None: no release history to check
    stamps_path: Path | None = None
    package: bool = False  # also render the .apkg and .csv bytes
    fallback: int = 0  # the stamp of unstamped content
    sde: int | None = None
    notetype_mods: Mapping[int, int] = field(default_factory=dict)
    with_cards: bool = False  # return the raw cards, for the git guard
    types_stale: bool = False  # a note type's stamp is stale: it ships with the fallback


def check_file(path: Path, job: Job) -> FileResult:
    """Load, validate, model, lint, render and (for a build) package one deck file."""
    with collector_paused():
        return _check_file(path, job)


def _check_file(path: Path, job: Job) -> FileResult:
    data, deck, problems = _load_deck(path)
    cards = history.cards_of(data) if job.with_cards and data is not None else None
    if deck is None:
        return FileResult(path, problems, cards=cards)
    problems += lint([deck])
    rendered = render_deck(deck)
    result = FileResult(path, problems, DeckInfo.of(rendered), note_hashes(rendered),
                        note_notetypes([rendered]), cards=cards)
    if job.stamps is not None and job.stamps_path is not None:
        found, result.stale = guard.check_deck(rendered, result.hashes, result.notetypes,
                                               job.stamps, job.stamps_path)
        problems += found
    if job.package and rendered.notes and not result.failed:
        stamps = job.stamps or Stamps()
        note_mods = {key: stamps.mod_for(key, digest, job.fallback)
                     for key, digest in result.hashes.items()}
        # Without stamps.json every note ships with the build time (and is stale); with
        # it, only content changed since its stamp does, unless the epoch is fixed.
        result.timed = job.stamps is None or (job.sde is None and (bool(result.stale)
                                                                   or job.types_stale))
        result.outputs = _package(rendered, note_mods, job)
    result.images = {n.card.image.source: n.card.image.digest
                     for n in rendered.notes if n.card.image}
    result.problems = sorted(problems)
    return result


def _package(rendered: RenderedDeck, note_mods: Mapping[str, int],
             job: Job) -> dict[str, bytes]:
    deck = rendered.deck
    mods = {n.guid: note_mods[card_key(deck.slug, n.card.id)] for n in rendered.notes}
    notetype_mods = {nt.id: job.notetype_mods[nt.id] for nt in rendered.notetypes}
    # Without SOURCE_DATE_EPOCH the newest stamp dates the package, so it stays reproducible.
    timestamp = (job.sde if job.sde is not None
                 else max([*mods.values(), *notetype_mods.values()]))
    # Anki desktop shows the description as HTML in a web view: escape what YAML gave.
    titles = "; ".join(markup.plain(s.title) for s in deck.sources)
    description = (f"{markup.plain(deck.company)} AI PM interview prep, built by deck2anki "
                   f"from: {titles}. Cards tagged status::retired are withdrawn: you may "
                   "delete them.")
    from .write import apkg, csv  # sqlite3, zipfile and genanki: only a build needs them

    package = apkg.apkg_bytes(deck_id(deck.deck_name), deck.deck_name, description,
                         rendered.notes, rendered.notetypes, mods, notetype_mods, timestamp)
    apkg_name, csv_name = output_names(deck.slug)
    return {apkg_name: package, csv_name: csv.csv_bytes(csv_rows(deck, rendered.notes))}


def output_names(slug: str) -> tuple[str, str]:
    """The package and the CSV a company's build writes."""
    return f"{slug}.apkg", f"{slug}.csv"


# Below this much YAML, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 512 * 1024
_job = Job()


def _start_worker(job: Job) -> None:
    global _job
    _job = job


def _check_in_worker(path: Path) -> FileResult:
    return check_file(path, _job)


def _warm_up(job: Job) -> None:
    """Import and prepare, once, what every worker needs, so forked workers inherit it
    instead of each paying for it (about 0.3 s of imports and schema compiling)."""
    from .load import parse  # noqa: F401  (imported for the workers)

    schema.warm_up()
    markup.warm_up()
    if job.package:
        import genanki  # noqa: F401

        from .write import apkg  # noqa: F401


def check_files(files: Sequence[Path], job: Job, *, workers: int | None = None,
                progress: Progress | None = None) -> list[FileResult]:
    """:func:`check_file` for each file, in order; on several cores when it pays.

    Companies are independent, so each file is one task; a file's bytes do not depend
    on which process made them.
    """
    cores = workers if workers is not None else (os.cpu_count() or 1)
    size = sum(p.stat().st_size for p in files if p.is_file())
    count = min(cores, len(files))

    def told(done: int, path: Path) -> None:
        if progress:
            progress(f"checked {done}/{len(files)}: {path}")

    if count < 2 or size < PARALLEL_MIN_BYTES:
        results = []
        for path in files:
            results.append(check_file(path, job))
            told(len(results), path)
        return results
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _warm_up(job)
    # fork where there is one: workers start in milliseconds, with everything imported.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    # Biggest first, so no core is left with one large file at the end.
    order = sorted(range(len(files)), key=lambda i: -files[i].stat().st_size
                   if files[i].is_file() else 0)
    done: dict[int, FileResult] = {}
    with ProcessPoolExecutor(count, mp_context=context, initializer=_start_worker,
                             initargs=(job,)) as pool:
        for index, result in zip(order, pool.map(_check_in_worker,
                                                 [files[i] for i in order]), strict=True):
            done[index] = result
            told(len(done), files[index])
    return [done[i] for i in range(len(files))]


@dataclass
class Validation:
    decks: list[DeckInfo]
    problems: list[Problem]
    stale: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be checked, and why
    stamps: Stamps = field(default_factory=Stamps)  # as read, before any --forget
    hashes: dict[str, str] = field(default_factory=dict)  # every note and note type
    notetypes: dict[str, str] = field(default_factory=dict)  # note key -> note type key
    results: list[FileResult] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level is Level.ERROR]


def validate(paths: Sequence[Path], stamps_path: Path | None = None,
             forget: Iterable[str] = (), *, use_git: bool = False,
             package: bool = False, now: int | None = None,
             cached: Callable[[Path], FileResult | None] | None = None,
             read: Stamps | None = None, use_cache: bool = False,
             progress: Progress | None = None) -> Validation:
    """Load and check ``paths``; with ``stamps_path``, also against the release history.

    ``forget`` names stamps to disregard (cards removed before they were ever released).
    With ``use_git``, cards present at the merge base with the main branch that are
    gone now are errors too; if git history is not available the result's ``notes``
    say so. With ``package``, each valid file's result carries its output bytes;
    ``cached`` may answer for a file instead of checking it again. ``read`` is the
    stamps file's content if the caller has read it already. With ``use_cache``, files
    unchanged since an earlier run are not checked again (see :mod:`deck2anki.cache`).
    """
    files = discover(paths)
    problems: list[Problem] = []
    if not files:
        where = ", ".join(str(p) for p in paths)
        problems.append(Problem(Path(where), Position(1, 1), "no deck files (*.yaml, *.yml) "
                                "here; pass the folder or files that hold the decks",
                                "no-decks"))
    whole_folder = stamps_path is not None and any(
        p.is_dir() and p.resolve() == stamps_path.parent.resolve() for p in paths)
    recorded = stamps = Stamps()
    if stamps_path is not None:
        try:
            recorded = read if read is not None else Stamps.read(stamps_path)
        except InvalidInput as exc:
            problems += exc.problems
            stamps_path = None
        stamps = recorded.without(forget)
    type_hashes = notetype_hashes()
    sde = build_time()
    fallback = sde if sde is not None else (now if now is not None else int(time.time()))
    history_known = stamps_path is not None and stamps_path.is_file()
    stale_types = stamps.stale(type_hashes)
    job = Job(stamps if history_known else None, stamps_path, package, fallback, sde,
              {nt.id: stamps.mod_for(key, type_hashes[key], fallback)
               for nt in NOTETYPES for key in [notetype_key(nt.key)]},
              with_cards=use_git and whole_folder,
              types_stale=bool(stale_types))
    own_cache = None
    if use_cache and not package and stamps_path is not None:
        from .cache import ResultCache

        own_cache = ResultCache.for_validate(stamps_path, stamps, job.with_cards, history_known)
        cached = own_cache.lookup
    answers = {path: cached(path) for path in files} if cached else {}
    todo = [path for path in files if answers.get(path) is None]
    fresh = dict(zip(todo, check_files(todo, job, progress=progress), strict=True))
    results = [answers.get(path) or fresh[path] for path in files]
    if own_cache is not None:
        own_cache.save(results)
    infos = [r.info for r in results if r.info is not None]
    for result in results:
        problems += result.problems
    problems += check_slugs(infos)
    hashes = dict(type_hashes)
    notetypes: dict[str, str] = {}
    for result in results:
        hashes.update(result.hashes)
        notetypes.update(result.notetypes)
    validation = Validation(infos, problems, [], [], recorded, hashes, notetypes, results)
    if stamps_path is None or any(r.failed for r in results) or validation.errors:
        validation.problems.sort()
        return validation
    notes: list[str] = []
    if history_known:
        validation.stale = sorted(stale_types + [key for r in results for key in r.stale])
        if whole_folder:
            problems += guard.orphaned((i.slug for i in infos), stamps, stamps_path)
    else:
        validation.stale = sorted(hashes)
        if whole_folder:
            problems.append(Problem(stamps_path, Position(1, 1), "no stamps file: every card "
                                    "ships stamped with the build time, which overwrites "
                                    "learners' own edits on every release; run "
                                    "`deck2anki stamp` and commit it", "no-stamps",
                                    Level.WARNING))
    if use_git and whole_folder:
        problems += _git_removals(stamps_path.parent, results, frozenset(stamps.entries), notes)
    validation.notes = notes
    validation.problems.sort()
    return validation


def _git_removals(decks_dir: Path, results: Sequence[FileResult], stamped: frozenset[str],
                  notes: list[str]) -> list[Problem]:
    """Cards at the git base that are gone now (those in stamps.json are reported there)."""
    now: changes.Cards = {}
    paths: dict[str, Path] = {}
    current: dict[str, tuple[str, history.Parsed | None]] = {}
    for result in results:
        if result.cards is not None:
            slug, cards = result.cards
            now.setdefault(slug, {}).update(cards)
            paths.setdefault(slug, result.path)
        if result.path.parent.resolve() == decks_dir.resolve():
            # A file git still has as it was at the base needs no second parse.
            with contextlib.suppress(OSError, ReadError):
                data = read_capped(result.path, MAX_DECK_BYTES, what="the deck file")
                current[result.path.name] = (history.blob_id(data), result.cards)
    try:
        repo = history.repository(decks_dir)
        base = history.default_base(repo)
        diff = changes.compare(history.cards_at(repo, base, decks_dir, current), now)
    except history.NoHistory as exc:
        notes.append(f"git history guard skipped: {exc}; stamps.json still guards every "
                     "stamped card")
        return []
    return changes.removal_problems(diff, base, paths, skip=stamped)


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


Progress = Callable[[str], None]


def build(decks_dir: Path, out_dir: Path, *, now: int | None = None,
          progress: Progress | None = None, use_cache: bool = True) -> BuildResult:
    """Validate every deck, then write ``<slug>.apkg`` and ``<slug>.csv`` for each.

    Raises :class:`InvalidInput` before writing anything if any deck has an error. A
    company whose deck, images, stamps and deck2anki are unchanged since the last
    build into ``out_dir`` (and whose files there are untouched) is not built again.
    """
    from .cache import ResultCache
    from .files import write_bytes

    stamps_path = decks_dir / STAMPS_FILE
    cache = recorded = None
    with contextlib.suppress(InvalidInput):  # a broken stamps file: validate reports it
        recorded = Stamps.read(stamps_path)
        cache = ResultCache.for_build(out_dir, recorded) if use_cache else None
    if progress:
        progress(f"checking {decks_dir}")
    checked = validate([decks_dir], stamps_path, package=True, now=now,
                       cached=cache.lookup if cache else None, read=recorded,
                       progress=progress)
    if checked.errors:
        raise InvalidInput(checked.errors)
    # Everything is in memory before the first file is replaced: a failure while
    # rendering leaves the output folder exactly as it was.
    written: list[WrittenDeck] = []
    for result in checked.results:
        info = result.info
        if info is None or not info.notes:
            continue
        files = tuple(out_dir / name for name in output_names(info.slug))
        for name, data in result.outputs.items():
            if progress:
                progress(f"writing {out_dir / name}")
            write_bytes(out_dir / name, data)
        written.append(WrittenDeck(info, files))
    reused = 0
    if cache is not None:
        reused = cache.hits
        cache.save(checked.results)
    warnings = [p for p in checked.problems if p.level is Level.WARNING]
    skipped = tuple(i for i in checked.decks if not i.notes)
    return BuildResult(tuple(written), tuple(checked.stale), tuple(warnings), skipped, reused)


def stamp(decks_dir: Path, *, now: int | None = None,
          forget: Iterable[str] = ()) -> tuple[list[str], Path]:
    """Record the current content of every note; return the keys that got a new stamp."""
    stamps_path = decks_dir / STAMPS_FILE
    checked = validate([decks_dir], stamps_path, forget)
    if checked.errors:
        raise InvalidInput(checked.errors)
    stamps = checked.stamps
    hashes = checked.hashes
    # Forgetting is for cards that vanished before release. Forgetting a live card would
    # re-stamp it as new (overwriting learners' edits) and hide a Q/A-cloze switch.
    def live(key: str) -> bool:
        return key in hashes or any(k.startswith(f"{key}/") for k in hashes)

    misused = [key for key in forget
               if live(key) or len(stamps.without([key]).entries) == len(stamps.entries)]
    if misused:
        raise InvalidInput([Problem(stamps_path, Position(1, 1),
                                    f"cannot forget {key!r}: "
                                    + ("it is in the decks; only the stamps of removed cards "
                                       "or decks can be forgotten" if live(key)
                                       else "it has no stamp"), "forget")
                            for key in misused])
    # A stub is not content yet: stamping it would make its generated id final.
    stubs = [replace(p, level=Level.ERROR) for p in checked.problems
             if p.code in ("todo-text", "stub-id")]
    if stubs:
        raise InvalidInput(stubs)
    from .files import write_bytes

    stamps = stamps.without(forget)
    changed = stamps.stale(hashes)
    updated = stamps.updated(hashes, now if now is not None else int(time.time()),
                             checked.notetypes)
    if updated.dumps() != (stamps_path.read_text(encoding="utf-8")
                           if stamps_path.is_file() else None):
        write_bytes(stamps_path, updated.dumps().encode("utf-8"))
    return changed, stamps_path


def _valid_decks(decks_dir: Path, datas: dict[Path, Any] | None = None) -> list[Deck]:
    decks, problems = load_decks(discover([decks_dir]), datas)
    errors = [p for p in problems if p.level is Level.ERROR]
    if errors:
        raise InvalidInput(errors)
    return decks


def diff(decks_dir: Path, base: str | None = None) -> tuple[changes.CardDiff, str]:
    """Cards added, changed and removed since ``base`` (default: the merge base with main).

    Raises :class:`history.NoHistory` without git history, :class:`InvalidInput` if a
    deck in the working tree is invalid.
    """
    repo = history.repository(decks_dir)
    revision = history.resolve(repo, base) if base else history.default_base(repo)
    before = history.cards_at(repo, revision, decks_dir)
    datas: dict[Path, Any] = {}
    _valid_decks(decks_dir, datas)
    return changes.compare(before, history.cards_now(datas)), revision


def preview(decks_dir: Path, out_dir: Path) -> list[Deck]:
    """Write the HTML preview of every deck; raise :class:`InvalidInput` if one is invalid."""
    from .files import write_bytes
    from .write.preview import preview_files

    decks = _valid_decks(decks_dir)
    for path, data in preview_files([render_deck(d) for d in decks], out_dir).items():
        write_bytes(path, data)
    return decks
