"""``deck2anki validate``'s whole answer, recalled while nothing it depends on has changed.

An editor runs validate on every save, mostly over decks it has seen. The answer (the
problems, the notes, how many decks and notes) depends on deck2anki itself (code,
schema, libraries), the arguments and the working folder, the listing of each folder
named, the bytes of each deck file, the images the decks name, ``stamps.json``,
``SOURCE_DATE_EPOCH``, git's HEAD, main branches and replace refs (for the history
guard; ``GIT_*`` variables too) and the clock (only for stamps dated in the future).

:func:`validate` keeps the answer of a run whose every deck file is valid, with a hash
of all of those taken before the run, in the cache folder. While the hash holds, and
no stamp has come within a day of now, the answer is given back without loading the
checks: a cached run reads its files, asks git once and prints. A run with any other
answer, or with anything unreadable, runs in full (and the per-file cache still helps).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import cache
from ..files import MAX_DECK_BYTES, ReadError, read_capped, write_bytes
from ..problems import Level, Position, Problem
from ..release import git

if TYPE_CHECKING:
    from .validate import Validation

FORMAT = 1


class Verdict(NamedTuple):
    """What validate says: every problem (sorted), notes on what it could not check, and
    how many decks and notes it checked."""

    problems: list[Problem]
    notes: list[str]
    decks: int
    deck_notes: int

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level is Level.ERROR]


def validate(paths: Sequence[Path], stamps_path: Path, *, use_git: bool, use_cache: bool,
             progress: Callable[[str], None] | None = None) -> Verdict:
    """:func:`deck2anki.commands.validate.validate`'s answer, recalled where it can be."""
    record = _record_file(paths, stamps_path, use_git) if use_cache else None
    if record is not None:
        recalled = _recall(record, paths, stamps_path)
        if recalled is not None:
            return recalled
    from ..engine import discover
    from .validate import validate as run

    files = [str(p) for p in discover(paths)]
    # Taken before the run, so that a change while it runs shows as a change next time.
    before = _inputs(paths, stamps_path, files) if record is not None else None
    seen = git.snapshot(stamps_path.parent) if record is not None and use_git else None
    result = run(paths, stamps_path, use_git=use_git, use_cache=use_cache, progress=progress)
    if record is not None and before is not None:
        _keep(record, result, files, before, seen)
    return Verdict(result.problems, result.notes, len(result.decks),
                   sum(d.notes for d in result.decks))


def _record_file(paths: Sequence[Path], stamps_path: Path, use_git: bool) -> Path:
    place = json.dumps([os.getcwd(), [str(p) for p in paths], str(stamps_path), use_git])
    return cache.cache_dir() / f"verdict-{hashlib.sha256(place.encode()).hexdigest()[:24]}.json"


def _inputs(paths: Sequence[Path], stamps_path: Path, files: Sequence[str]) -> str | None:
    """A hash of what the answer depends on, less images and git (checked on their own);
    None if a file cannot be read (the run then says why)."""
    from ..release.stamps import MAX_STAMPS_BYTES

    env = sorted((k, v) for k, v in os.environ.items()
                 if k.startswith("GIT_") or k == "SOURCE_DATE_EPOCH")
    named = [*paths, stamps_path]
    digest = hashlib.sha256(repr([FORMAT, cache.code_fingerprint(), os.getcwd(), env,
                                  [(str(p), os.path.realpath(p)) for p in named],
                                  [_listing(p) for p in paths], files]).encode())
    try:
        for file in files:
            digest.update(hashlib.sha256(read_capped(Path(file), MAX_DECK_BYTES,
                                                     what="the deck file")).digest())
        if os.path.lexists(stamps_path):
            digest.update(read_capped(stamps_path, MAX_STAMPS_BYTES, what="the stamps file"))
        else:
            digest.update(b"\0no stamps file")
    except (OSError, ReadError):
        return None
    return digest.hexdigest()


def _listing(path: Path) -> list[tuple[str, bool, bool]]:
    """A folder's every entry and what it is: which of them are decks is the run's to say,
    and any change to them changes this."""
    try:
        with os.scandir(path) as entries:
            return sorted((e.name, e.is_file(), e.is_dir()) for e in entries)
    except OSError:  # a file, or nothing: named files are hashed by content
        return []


def _recall(record: Path, paths: Sequence[Path], stamps_path: Path) -> Verdict | None:
    try:
        raw = json.loads(record.read_text(encoding="utf-8"))
        if raw["format"] != FORMAT or int(time.time()) < raw["quiet_from"]:
            return None
        if _inputs(paths, stamps_path, raw["files"]) != raw["inputs"]:
            return None
        if raw["git"] is not None:
            seen = git.snapshot(stamps_path.parent)
            if seen is None or seen.key != raw["git"]:
                return None
        if not _images_stand(raw["images"]):
            return None
        problems = [Problem(Path(path), Position(line, column), message, code, Level(level))
                    for path, line, column, message, code, level in raw["problems"]]
        return Verdict(problems, list(raw["notes"]), raw["decks"], raw["deck_notes"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no record, or one we cannot read: run


def _images_stand(images: dict[str, dict[str, str]]) -> bool:
    """Every image each deck names is still the one checked (as the per-file cache asks)."""
    if not any(images.values()):
        return True
    from ..media import load_image

    return all(load_image(Path(deck).parent, image, "", "").digest == digest
               for deck, named in images.items() for image, digest in named.items())


def _keep(record: Path, result: Validation, files: list[str], inputs: str,
          seen: git.Snapshot | None) -> None:
    """Record ``result`` under ``inputs`` if it is an answer that can be given again."""
    from ..release.guard import FUTURE_SLACK

    checked = [str(r.path) for r in result.results]
    if (checked != files or any(r.info is None or r.failed for r in result.results)
            or any(p.code == "future-stamp" for p in result.problems)
            or (result.git_checked and seen is None)):
        return  # an invalid file's images are not known; a future stamp's problem ages
    latest = max((e.mod for e in result.stamps.entries.values()), default=0)
    data: dict[str, Any] = {
        "format": FORMAT, "inputs": inputs, "files": files,
        "git": seen.key if result.git_checked and seen is not None else None,
        # Until then, a stamp could still be in the future (a clock set back, say).
        "quiet_from": latest - FUTURE_SLACK,
        "images": {str(r.path): r.images for r in result.results},
        "problems": [[str(p.path), p.position.line, p.position.column, p.message, p.code,
                      p.level.value] for p in result.problems],
        "notes": result.notes, "decks": len(result.decks),
        "deck_notes": sum(d.notes for d in result.decks)}
    with contextlib.suppress(OSError, TypeError, ValueError):  # a read-only cache folder
        write_bytes(record, json.dumps(data).encode("utf-8"))  # costs only speed
