"""Skip deck files whose results are already known: a content-hash cache.

The one seam where results are remembered: :func:`check_files` wraps the engine's. A
command opens the record for its kind of run (:meth:`ResultCache.for_build`,
:meth:`ResultCache.for_validate`), hands it to :func:`check_files` and saves it when
the results stand; the engine and everything below it know nothing of it.

A company's ``.apkg`` and ``.csv`` are a function of its deck file, the images it
names, its stamps in ``stamps.json``, ``SOURCE_DATE_EPOCH`` and deck2anki itself (its
code, schema and libraries); what ``validate`` says of the file depends on the same,
less the epoch. The cache keeps a hash of those inputs with the result (and, for a
build, a hash of each file it wrote) in the user's cache folder (:mod:`deck2anki.records`:
``$DECK2ANKI_CACHE_DIR``, else the platform's, ``~/.cache/deck2anki`` or
``$XDG_CACHE_HOME/deck2anki`` on Linux): one record per output folder, one per decks
folder for ``validate``. The output folder holds only what learners download.

When every input still matches, the recorded result stands in for the work: a build
leaves the company's files as they are (byte-identical to a clean build, because they
are the bytes a clean build wrote, which is checked); validate reports the recorded
problems. Checks across files (slugs, removed cards, git history) always run, unless
:mod:`deck2anki.commands.verdict` gives back a whole validate run whose inputs are all
as recorded (:mod:`deck2anki.commands.rebuild` likewise a whole build).

Only valid files are recorded, and never outputs stamped with the build time (content
not yet in ``stamps.json``, without ``SOURCE_DATE_EPOCH``): those differ every build.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .files import MAX_DECK_BYTES, ReadError, read_capped, write_bytes
from .problems import Level, Position, Problem
from .records import cache_dir, code_fingerprint, read_record

if TYPE_CHECKING:  # the engine and the stamps: only for the types of what a run holds
    from .engine import DeckInfo, FileResult, Job
    from .progress import Progress
    from .release.stamps import Stamps

FORMAT = 2  # 2: cloze deletions recorded beside hashes
MAX_OUTPUT_BYTES = 1 << 32  # a cap on what is hashed, not on what a build may write


def check_files(files: Sequence[Path], job: Job, cache: ResultCache | None,
                progress: Progress | None = None) -> list[FileResult]:
    """:func:`deck2anki.engine.check_files`, answering from ``cache`` where it can.

    Without a cache it is the engine's own call; with one, files whose recorded result
    still stands are not checked again. Recording this run's results is the caller's
    :meth:`ResultCache.save`, once they stand: a build only after its files are written.
    """
    from . import engine

    if cache is None:
        return engine.check_files(files, job, progress=progress)
    answers = {path: cache.lookup(path) for path in files}
    todo = [path for path in files if answers[path] is None]
    fresh = dict(zip(todo, engine.check_files(todo, job, progress=progress), strict=True))
    return [answers[path] or fresh[path] for path in files]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def output_digest(path: Path, size: int | None = None) -> str | None:
    """The hash of an output file (of ``size`` bytes, if given); None if it is another
    file now, or no regular file: a FIFO put in its place must not hang the build."""
    try:
        data = read_capped(path, MAX_OUTPUT_BYTES if size is None else size,
                           what="the output file")
    except (OSError, ReadError):
        return None
    return _sha256(data) if size is None or len(data) == size else None


def problem_json(problem: Problem) -> list[Any]:
    return [str(problem.path), problem.position.line, problem.position.column,
            problem.message, problem.code, problem.level.value]


def problem_from_json(raw: list[Any]) -> Problem:
    path, line, column, message, code, level = raw
    return Problem(Path(path), Position(line, column), message, code, Level(level))


def info_json(info: DeckInfo) -> dict[str, Any]:
    return {"path": str(info.path), "company": info.company, "slug": info.slug,
            "deck_name": info.deck_name,
            "slug_position": [info.slug_position.line, info.slug_position.column],
            "kinds": dict(info.kinds), "notes": info.notes, "cards": info.cards}


def info_from_json(raw: dict[str, Any]) -> DeckInfo:
    from .engine import DeckInfo

    return DeckInfo(Path(raw["path"]), raw["company"], raw["slug"], raw["deck_name"],
                    Position(*raw["slug_position"]), raw["kinds"], raw["notes"], raw["cards"])


@dataclass
class ResultCache:
    """Recorded results of deck files, for builds into one folder or for validate."""

    file: Path  # where the record lives
    inputs: str  # hash of what every deck shares: code, note type stamps, options
    stamps: Stamps
    out_dir: Path | None = None  # builds: the folder whose files must still match
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[Path, str] = field(default_factory=dict)  # this run's deck file hashes
    hits: int = 0

    # What every file's result depends on besides the file itself is hashed into the
    # record's ``inputs``; what one file's depends on is checked by :meth:`lookup`.
    @classmethod
    def for_build(cls, job: Job, out_dir: Path) -> ResultCache:
        """The record of builds into ``out_dir``, whose files must still match it."""
        import sqlite3
        import zlib

        # SQLite writes its version into the file and zlib may deflate differently.
        options = (f"sde={job.history.sde}\0sqlite={sqlite3.sqlite_version}"
                   f"\0zlib={zlib.ZLIB_RUNTIME_VERSION}")
        return cls._open(f"build:{out_dir.resolve()}", job.history.stamps, options, out_dir)

    @classmethod
    def for_validate(cls, job: Job, stamps_path: Path) -> ResultCache:
        """The record of checks of the decks beside ``stamps_path``."""
        # Messages name the stamps file as given, so it is part of the inputs.
        options = (f"stamps={stamps_path}\0cards={job.with_cards}"
                   f"\0guard={job.history.guarded}")
        return cls._open(f"validate:{stamps_path.parent.resolve()}", job.history.stamps,
                         options, None)

    @classmethod
    def _open(cls, place: str, stamps: Stamps, options: str,
              out_dir: Path | None) -> ResultCache:
        from .identity import NOTETYPE_SLUG

        shared = hashlib.sha256(code_fingerprint().encode())
        shared.update(f"\0{options}\0".encode())
        # Note type stamps concern every company; a card's stamp only its own company.
        shared.update(stamps.digest(NOTETYPE_SLUG).encode())
        name = _sha256(place.encode())[:24] + ".json"
        cache = cls(cache_dir() / name, shared.hexdigest(), stamps, out_dir)
        try:
            raw: Any = read_record(cache.file)
            if raw.get("format") == FORMAT and raw.get("inputs") == cache.inputs:
                cache.entries = dict(raw["files"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # no record, or one we cannot read: do the work
        return cache

    def _key(self, path: Path) -> str:
        # The same capped, regular-files-only read as the loader: a deck file swapped
        # for a FIFO or /dev/zero must not hang or exhaust a warm run either.
        key = self.keys.get(path)
        if key is None:
            key = self.keys[path] = _sha256(read_capped(path, MAX_DECK_BYTES,
                                                        what="the deck file"))
        return key

    def lookup(self, path: Path) -> FileResult | None:
        """The recorded result of ``path`` if nothing it depends on has changed."""
        from .engine import FileResult

        entry = self.entries.get(str(path))
        try:
            if entry is None or entry["key"] != self._key(path):
                return None
            if entry["stamps"] != self.stamps.digest(entry["info"]["slug"]):
                return None
            for image, digest in entry["images"].items():
                from .media import load_image

                # Every check the model makes (inside the folder, a real image, size).
                if load_image(path.parent, image, "", "").digest != digest:
                    return None
            if self.out_dir is not None:
                for name, digest in entry["outputs"].items():
                    if output_digest(self.out_dir / name) != digest:
                        return None
            cards = entry.get("cards")
            result = FileResult(path, [problem_from_json(p) for p in entry["problems"]],
                                info_from_json(entry["info"]), entry.get("hashes", {}),
                                entry.get("notetypes", {}), entry.get("clozes", {}),
                                list(entry["stale"]), (cards[0], cards[1]) if cards else None,
                                images=dict(entry["images"]))
        except (OSError, ReadError, ValueError, KeyError, TypeError, IndexError):
            return None  # ImageError is a ValueError: the full check will report it
        self.hits += 1
        return result

    def source_of(self, result: FileResult) -> tuple[str | None, dict[str, str]]:
        """What ``result`` is the result of: the hash of the deck bytes it was checked
        from, and the hash of each output file it stands for (None: not known)."""
        if result.digest is not None:  # checked in this run
            return result.digest, {name: staged.sha256 for name, staged
                                   in result.outputs.items()}
        entry = self.entries.get(str(result.path))  # answered from the record
        outputs = entry.get("outputs") if isinstance(entry, dict) else None
        return self.keys.get(result.path), dict(outputs) if isinstance(outputs, dict) else {}

    def save(self, results: Sequence[FileResult]) -> None:
        """Record every deck file of this run that is valid and not time-dependent."""
        files: dict[str, Any] = {}
        for result in results:
            if result.info is None or result.timed or result.failed:
                continue
            if self.out_dir is not None and not result.outputs:
                entry = self.entries.get(str(result.path))  # reused as it was (or empty)
            else:
                entry = {
                    # What the worker read, not what was there before: a file changed
                    # while the run read it must not pair its old bytes with new results.
                    "key": result.digest or self._key(result.path),
                    "stamps": self.stamps.digest(result.info.slug),
                    "images": result.images,
                    "problems": [problem_json(p) for p in result.problems],
                    "info": info_json(result.info),
                    "stale": result.stale,
                }
                if self.out_dir is not None:
                    entry["outputs"] = {name: written.sha256
                                        for name, written in result.outputs.items()}
                else:
                    entry.update(hashes=result.hashes, notetypes=result.notetypes,
                                 clozes=result.clozes,
                                 cards=list(result.cards) if result.cards else None)
            if entry is not None:
                files[str(result.path)] = entry
        if files == self.entries:
            return  # nothing new: leave the record (and the disk) alone
        text = json.dumps({"format": FORMAT, "inputs": self.inputs, "files": files},
                          sort_keys=True, separators=(",", ":"))
        # A read-only home or cache folder costs only speed: the next run does the work.
        with contextlib.suppress(OSError):
            write_bytes(self.file, text.encode("utf-8"))
