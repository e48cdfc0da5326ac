"""The engine: one deck file in, everything there is to know about it out.

``check_file`` loads, schema-checks, models, lints and renders one file, asks the release
history about it and, for a build, writes its package and CSV into the build's staging
folder (so the bytes never travel back to the parent process). It keeps
nothing between calls and knows no cache: :mod:`deck2anki.cache` wraps
:func:`check_files` at one seam. Files are independent, so :func:`check_files` spreads
them over worker processes when they are big enough to pay for it.
"""

from __future__ import annotations

import gc
import os
import signal
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .files import StagedFile, Staging, collector_paused
from .identity import kept_notetype_key
from .problems import InvalidInput, Level, Position, Problem
from .release.stamps import Stamps

if TYPE_CHECKING:  # the checks themselves are imported where a file is checked
    from .model import Deck
    from .release import git
    from .render.notes import RenderedDeck

if TYPE_CHECKING:
    from .load.positions import LoadedFile
    from .progress import Progress

DECK_SUFFIXES = (".yaml", ".yml")


def discover(paths: Iterable[Path]) -> list[Path]:
    """Deck files named by ``paths``: files as given, folders' own *.yaml/*.yml files.

    Folders are not searched recursively: decks sit side by side, and other YAML in
    subfolders (images, fixtures) is not a deck. A deck's name that is no regular file (a
    folder, a FIFO, a broken link) is found too, so that reading it says what is wrong;
    only hidden ones are passed over (Emacs's lock on a deck is the link ".#acme.yaml").
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in DECK_SUFFIXES
                                and (p.is_file() or not p.name.startswith("."))))
        else:
            found.append(path)
    # One file named twice ("decks" and "decks/../decks/acme.yaml") is one deck, not two
    # that share a slug: the first name given stands for it.
    unique: dict[Path, Path] = {}
    for path in found:
        try:
            unique.setdefault(path.resolve(), path)
        except (OSError, RuntimeError):  # a link loop: reading it says what is wrong
            unique.setdefault(path, path)
    return list(unique.values())


def no_decks(where: Path) -> Problem:
    """The problem of a run given no deck file: nothing was checked, which is no pass."""
    return Problem(where, Position(1, 1), "no deck files (*.yaml, *.yml) here; point the "
                   "command at the folder that holds the decks", "no-decks")


def load_deck(path: Path, text: str | None = None) -> tuple[Any, Deck | None, list[Problem]]:
    """Load, schema-check, model and (if it has errors) lint one file (or ``text``, as if
    it were the file's): its data (if it parsed), the deck (if valid) and its problems.

    A file stops only at a parse error. Past the schema, every card the schema accepts
    is still modelled and linted, so one run reports the problems of every stage.
    """
    return _load_deck(path, text)[1:]


def _load_deck(path: Path, text: str | None) -> tuple[str | None, Any, Deck | None,
                                                      list[Problem]]:
    """:func:`load_deck`, with the hash of the bytes read first (None: none were)."""
    from .load.parse import load_file, load_text  # PyYAML: only when a file is read

    try:
        loaded = load_file(path) if text is None else load_text(path, text)
    except InvalidInput as exc:
        return None, None, None, exc.problems
    data, deck, problems = _check_loaded(loaded)
    if problems and loaded.text is not None:
        # Read the fast way: every message is to be the reference's, so a file with
        # something to say is checked again from the data PyYAML reads.
        return (loaded.digest, *_check_loaded(load_text(path, loaded.text, quick=False)))
    return loaded.digest, data, deck, problems


def _check_loaded(loaded: LoadedFile) -> tuple[Any, Deck | None, list[Problem]]:
    from .check import schema
    from .check.lints import lint
    from .model import build_deck

    problems, damage = schema.check(loaded)
    if damage.whole:
        return loaded.data, None, problems
    deck, found = build_deck(loaded, skip=damage.cards)
    # The schema and the model both see some text problems: say each once.
    seen = {(p.position, p.code) for p in problems}
    problems += [p for p in found if (p.position, p.code) not in seen]
    if any(p.level is Level.ERROR for p in problems):
        # The deck will not be used, but what the lints say of its other cards is news.
        return loaded.data, None, sorted(problems + lint([deck]))
    return loaded.data, deck, problems


def load_decks(files: Sequence[Path], datas: dict[Path, Any] | None = None,
               progress: Progress | None = None) -> tuple[list[Deck], list[Problem]]:
    """Every deck that is valid, and every problem of the others.

    ``datas``, if given, receives the parsed YAML of every file that parsed.
    """
    from .check.lints import lint
    from .check.slugs import check_slugs

    decks: list[Deck] = []
    problems: list[Problem] = []
    from .progress import Tally

    tally = Tally(progress, "loading deck files", len(files))
    for path in files:
        data, deck, deck_problems = load_deck(path)
        tally.add()
        if datas is not None and data is not None:
            datas[path] = data
        problems.extend(deck_problems)
        if deck is not None:
            decks.append(deck)
    problems.extend(check_slugs(decks))
    problems.extend(lint(decks))
    return decks, sorted(problems)


def valid_decks(decks_dir: Path, datas: dict[Path, Any] | None = None,
                progress: Progress | None = None) -> list[Deck]:
    """Every deck of ``decks_dir``; raise :class:`InvalidInput` if any has an error."""
    decks, problems = load_decks(discover([decks_dir]), datas, progress)
    errors = [p for p in problems if p.level is Level.ERROR]
    if errors:
        raise InvalidInput(errors)
    return decks


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
    # For the checks across decks: the GUIDs cards kept from Anki (GUID -> card id), and
    # the note types kept (id -> what Anki matches them by).
    kept_guids: Mapping[str, str] = field(default_factory=dict)
    kept_types: Mapping[int, str] = field(default_factory=dict)

    @classmethod
    def of(cls, rendered: RenderedDeck) -> DeckInfo:
        from .release import guard

        deck = rendered.deck
        kinds = Counter(n.card.kind for n in rendered.notes)
        shapes = guard.kept_shapes(deck)
        return cls(deck.path, deck.company, deck.slug, deck.deck_name, deck.slug_position,
                   dict(sorted(kinds.items())), len(rendered.notes),
                   sum(n.anki_cards for n in rendered.notes),
                   {n.card.guid: n.card.id for n in rendered.notes if n.card.guid},
                   {nt.id: shapes[kept_notetype_key(deck.slug, nt.key)]
                    for nt in deck.notetypes})


@dataclass(frozen=True)
class History:
    """What the release record says for this run: the same for every file."""

    stamps: Stamps = field(default_factory=Stamps)  # as recorded, less --forget
    path: Path | None = None  # the stamps file; None: no record to guard against
    fallback: int = 0  # the stamp of content changed since its stamp (or never stamped)
    sde: int | None = None  # SOURCE_DATE_EPOCH: dates the package instead of the stamps
    notetype_mods: Mapping[int, int] = field(default_factory=dict)  # note type id -> mod
    types_stale: bool = False  # a note type changed since its stamp

    @property
    def guarded(self) -> bool:
        return self.path is not None


@dataclass(frozen=True)
class Job:
    """What every file of one run is checked against (sent once to each worker)."""

    history: History = field(default_factory=History)
    package: bool = False  # also write the .apkg and .csv, into ``staging``
    staging: Staging | None = None
    with_cards: bool = False  # return the raw cards, for the git guard


@dataclass(frozen=True)
class FileResult:
    """One deck file, checked (and for a build, packaged): a worker's whole answer."""

    path: Path
    problems: list[Problem]
    info: DeckInfo | None = None  # None: the file is not a valid deck
    hashes: dict[str, str] = field(default_factory=dict)  # note key -> content hash
    notetypes: dict[str, str] = field(default_factory=dict)  # note key -> note type key
    clozes: dict[str, list[int]] = field(default_factory=dict)  # note key -> deletions
    stale: list[str] = field(default_factory=list)  # note keys changed since their stamp
    cards: git.Parsed | None = None  # for the git guard: slug, raw cards
    outputs: dict[str, StagedFile] = field(default_factory=dict)  # file name -> written
    unwritten: OSError | None = None  # why its outputs could not be written
    images: dict[str, str] = field(default_factory=dict)  # image path -> content hash
    timed: bool = False  # its bytes depend on the build time (unstamped content)
    digest: str | None = None  # the SHA-256 of the deck bytes it is the result of

    @property
    def failed(self) -> bool:
        return any(p.level is Level.ERROR for p in self.problems)


def check_file(path: Path, job: Job) -> FileResult:
    """Load, validate, model, lint, render and (for a build) package one deck file."""
    with collector_paused():
        return _check_file(path, job)


def _check_file(path: Path, job: Job) -> FileResult:
    from .check.lints import lint
    from .release import git, guard
    from .render.notes import render_deck

    digest, data, deck, problems = _load_deck(path, None)
    cards = git.cards_of(data) if job.with_cards and data is not None else None
    if deck is None:
        return FileResult(path, problems, cards=cards, digest=digest)
    problems += lint([deck])
    rendered = render_deck(deck)
    hashes, notetypes = guard.note_hashes(rendered), guard.note_notetypes([rendered])
    kept = guard.kept_notetype_hashes(rendered.deck)
    stale: list[str] = []
    history = job.history
    if history.guarded and history.path is not None:
        found, stale = guard.check_deck(rendered, hashes, notetypes, history.stamps,
                                        history.path)
        kept_found, kept_stale = guard.check_kept(rendered.deck, kept, history.stamps,
                                                  history.path)
        problems += found + kept_found
        stale += kept_stale
    outputs: dict[str, StagedFile] = {}
    unwritten = None
    timed = False
    failed = any(p.level is Level.ERROR for p in problems)
    if job.package and rendered.notes and not failed:
        # Without stamps.json every note ships with the build time (and is stale); with
        # it, only content changed since its stamp does, unless the epoch is fixed.
        timed = not history.guarded or (history.sde is None
                                        and (bool(stale) or history.types_stale))
        if job.staging is None:
            raise ValueError("a package needs a staging folder to be written into")
        try:
            outputs = {name: job.staging.write(name, data) for name, data
                       in _package(rendered, hashes, kept, history).items()}
        except OSError as exc:  # a full disk: told once every deck's problems are known
            unwritten = exc
    images = {n.card.image.source: n.card.image.digest for n in rendered.notes if n.card.image}
    return FileResult(path, sorted(problems), DeckInfo.of(rendered), {**hashes, **kept},
                      {**notetypes, **guard.kept_shapes(rendered.deck)},
                      guard.note_clozes(rendered), stale, cards, outputs, unwritten, images,
                      timed, digest)


def _package(rendered: RenderedDeck, hashes: Mapping[str, str], kept: Mapping[str, str],
             history: History) -> dict[str, bytes]:
    from .write.outputs import Mods, deck_outputs  # sqlite3, zipfile: only a build

    def mod(key: str, digest: str) -> int:
        return history.stamps.mod_for(key, digest, history.fallback)

    notes = {key: mod(key, digest) for key, digest in hashes.items()}
    slug = rendered.deck.slug
    types = {**history.notetype_mods,
             **{nt.id: mod(key, kept[key]) for nt in rendered.deck.notetypes
                for key in [kept_notetype_key(slug, nt.key)]}}
    return deck_outputs(rendered, Mods(notes, types, history.sde))


# Below this much YAML, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 512 * 1024
_job = Job()


def _start_worker(job: Job) -> None:
    global _job
    _job = job
    # Ctrl-C reaches the whole process group: the parent stops the workers; a worker
    # that took it itself would print its own traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _check_in_worker(path: Path) -> FileResult:
    return check_file(path, _job)


def _warm_up(job: Job) -> None:
    """Import and prepare, once, what every worker needs, so forked workers inherit it
    instead of each paying for it (about 0.3 s of imports and schema compiling)."""
    from . import markup
    from .check import schema
    from .load import parse  # noqa: F401  (imported for the workers)

    schema.warm_up()
    markup.warm_up()
    if job.package:
        from .write import apkg, outputs  # noqa: F401  (outputs: imported for the workers)

        apkg.warm_up()


def _pool(context: Any, count: int, job: Job) -> Any:
    """Worker processes that ignore Ctrl-C from their first instant (it reaches the
    whole process group; the parent stops them), so none prints a traceback of its own."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return context.Pool(count, initializer=_start_worker, initargs=(job,))
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited across fork
    try:
        return context.Pool(count, initializer=_start_worker, initargs=(job,))
    finally:
        signal.signal(signal.SIGINT, previous)


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

    _warm_up(job)
    # fork where there is one: workers start in milliseconds, with everything imported.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    # Biggest first, so no core is left with one large file at the end.
    order = sorted(range(len(files)), key=lambda i: -files[i].stat().st_size
                   if files[i].is_file() else 0)
    done: dict[int, FileResult] = {}
    # What exists now (the stamps, the imports) is never garbage: frozen, the workers'
    # collections leave its pages shared, and the parent's skip it. The parent only
    # gathers results, which hold no cycles: its collector would rescan them all.
    gc.freeze()
    try:
        # multiprocessing's pool, not concurrent.futures': on Ctrl-C it can stop its
        # workers at once (terminate) instead of waiting for every running company.
        pool = _pool(context, count, job)
        try:
            with collector_paused():
                for index, result in zip(order, pool.imap(
                        _check_in_worker, [files[i] for i in order]), strict=True):
                    done[index] = result
                    told(len(done), files[index])
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.close()
            pool.join()
    finally:
        gc.unfreeze()  # a library's caller collects as before, whatever happened here
    return [done[i] for i in range(len(files))]
