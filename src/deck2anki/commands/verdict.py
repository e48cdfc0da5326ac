"""``deck2anki validate``'s whole answer, given back while nothing it depends on changed.

An editor runs validate on every save, mostly over decks it has seen. The answer (the
problems, the notes, how many decks and notes) depends on deck2anki itself (code,
schema, libraries), the arguments and the working folder, the listing of each folder
named, the bytes of each deck file, the images the decks name, ``stamps.json``,
``SOURCE_DATE_EPOCH``, git's HEAD, main branches and replace refs (for the history
guard; ``GIT_*`` variables too) and the clock (only for stamps dated in the future).

:func:`run` checks in full and keeps the answer of a run whose every deck file is valid,
printed in every format, with a hash of all of those taken before the run. While the
hash holds, and no stamp has come within a day of now, :func:`recall` gives it back
without loading any check, nor typing, dataclasses or the problem reporters: a cached
run reads its files, asks git once and prints.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path

from .. import records
from ..files import MAX_DECK_BYTES, ReadError, read_capped, write_bytes
from ..release import git

TYPE_CHECKING = False  # not typing's: a recalled run does without importing it
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from .validate import Validation

FORMAT = 1
# An answer with more problems than this is not kept: printing it in every format costs
# more than a per-file cached run.
MAX_KEPT_PROBLEMS = 1000


class Answer:
    """What validate prints: its notes (as lines), its problems as :func:`render` lines
    in a format (None: no such format), and the counts its verdict line needs."""

    __slots__ = ("deck_notes", "decks", "errors", "notes", "problems", "render")

    def __init__(self, notes: list[str], render: Callable[[str, bool], list[str] | None],
                 problems: int, errors: int, decks: int, deck_notes: int) -> None:
        self.notes = notes
        self.render = render
        self.problems = problems
        self.errors = errors
        self.decks = decks
        self.deck_notes = deck_notes


def recall(paths: Sequence[Path], *, use_git: bool) -> Answer | None:
    """The answer kept for ``validate PATHS`` if everything it depends on is as it was."""
    try:
        raw: Any = records.read_record(_record(paths, use_git))
        if raw["format"] != FORMAT or int(time.time()) < raw["quiet_from"]:
            return None
        stamps = Path(raw["stamps"])
        # A larger stamps file is another one: the size kept is the cap to read it with.
        found = inputs(paths, stamps, raw["files"], raw["stamps_size"])
        if found is None or found[0] != raw["inputs"]:
            return None
        if raw["git"] is not None:
            seen = git.snapshot(stamps.parent)
            if seen is None or seen.key != raw["git"]:
                return None
        if not images_stand(raw["images"]):
            return None
        renders: dict[str, list[str]] = raw["renders"]
        return Answer(raw["notes"], lambda fmt, strict: renders.get(f"{fmt}:{int(strict)}"),
                      raw["problems"], raw["errors"], raw["decks"], raw["deck_notes"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no record, or one we cannot read: run


def run(paths: Sequence[Path], *, use_git: bool, use_cache: bool,
        progress: Callable[[str], None] | None = None) -> Answer:
    """Validate ``paths`` in full (against the stamps.json of the first one's folder); with
    ``use_cache``, keep the answer for :func:`recall`."""
    from ..engine import discover
    from ..problems import Level, printable
    from ..release.stamps import MAX_STAMPS_BYTES, STAMPS_FILE
    from ..report.problems import render
    from .validate import validate

    stamps = (paths[0] if paths[0].is_dir() else paths[0].parent) / STAMPS_FILE
    files = [str(p) for p in discover(paths)]
    # Taken before the run, so that a change while it runs shows as a change next time.
    before = inputs(paths, stamps, files, MAX_STAMPS_BYTES) if use_cache else None
    seen = git.snapshot(stamps.parent) if use_cache and use_git else None
    result = validate(paths, stamps, use_git=use_git, use_cache=use_cache, progress=progress)
    problems = result.problems
    answer = Answer([printable(f"note: {note}") for note in result.notes],
                    lambda fmt, strict: render(problems, fmt, strict=strict), len(problems),
                    sum(p.level is Level.ERROR for p in problems), len(result.decks),
                    sum(d.notes for d in result.decks))
    if before is not None:
        _keep(_record(paths, use_git), result, answer, (files, stamps, before), seen)
    return answer


def _record(paths: Sequence[Path], use_git: bool) -> Path:
    place = json.dumps([os.getcwd(), [str(p) for p in paths], use_git])
    name = f"verdict-{hashlib.sha256(place.encode()).hexdigest()[:24]}.json"
    return records.cache_dir() / name


def inputs(paths: Sequence[Path], stamps: Path, files: Sequence[str],
            stamps_cap: int) -> tuple[str, int, list[str]] | None:
    """A hash of what the answer depends on, less images and git (checked on their own),
    the size of the stamps file and the hash of each file; None if one cannot be read
    (the run says why), or the working folder is gone."""
    env = sorted((k, v) for k, v in os.environ.items()
                 if k.startswith("GIT_") or k == "SOURCE_DATE_EPOCH")
    try:
        digest = hashlib.sha256(repr([
            FORMAT, records.code_fingerprint(), os.getcwd(), env, str(stamps),
            [(str(p), os.path.realpath(p)) for p in [*paths, stamps]],
            [_listing(p) for p in paths], files]).encode())
        each = [hashlib.sha256(read_capped(Path(file), MAX_DECK_BYTES,
                                           what="the deck file")).hexdigest()
                for file in files]
        data = (read_capped(stamps, stamps_cap, what="the stamps file")
                if os.path.lexists(stamps) else b"\0no stamps file")
    except (OSError, ReadError):
        return None
    digest.update("".join(each).encode())
    digest.update(data)
    return digest.hexdigest(), len(data), each


def _listing(path: Path) -> list[tuple[str, bool, bool]]:
    """A folder's every entry and what it is: which of them are decks is the run's to
    say, and any change to them changes this."""
    try:
        with os.scandir(path) as entries:
            return sorted((e.name, e.is_file(), e.is_dir()) for e in entries)
    except OSError:  # a file, or nothing: named files are hashed by content
        return []


def images_stand(images: dict[str, dict[str, str]]) -> bool:
    """Every image each deck names is still the one checked (as the per-file cache asks)."""
    if not any(images.values()):
        return True
    from ..media import load_image

    return all(load_image(Path(deck).parent, image, "", "").digest == digest
               for deck, named in images.items() for image, digest in named.items())


def _keep(record: Path, result: Validation, answer: Answer,
          read: tuple[list[str], Path, tuple[str, int, list[str]]],
          seen: git.Snapshot | None) -> None:
    """Keep ``answer`` under what was ``read`` before the run (the deck files, the stamps
    file, and :func:`inputs` of them) if it is an answer that can be given again."""
    files, stamps, inputs = read
    from ..release.guard import FUTURE_SLACK
    from ..report.problems import FORMATS

    if ([str(r.path) for r in result.results] != files
            or any(r.info is None or r.failed for r in result.results)
            or any(p.code == "future-stamp" for p in result.problems)
            or (result.git_checked and seen is None)
            or answer.problems > MAX_KEPT_PROBLEMS):
        return  # an invalid file's images are not known; a future stamp's problem ages
    latest = max((e.mod for e in result.stamps.entries.values()), default=0)
    data = {
        "format": FORMAT, "inputs": inputs[0], "stamps": str(stamps), "stamps_size": inputs[1],
        "files": files, "git": seen.key if result.git_checked and seen is not None else None,
        # Until then, a stamp could still be in the future (a clock set back, say).
        "quiet_from": latest - FUTURE_SLACK,
        "images": {str(r.path): r.images for r in result.results},
        "renders": {f"{fmt}:{int(strict)}": answer.render(fmt, strict)
                    for fmt in FORMATS for strict in (False, True)},
        "notes": answer.notes, "problems": answer.problems, "errors": answer.errors,
        "decks": answer.decks, "deck_notes": answer.deck_notes}
    with contextlib.suppress(OSError, TypeError, ValueError):  # a read-only cache folder
        write_bytes(record, json.dumps(data).encode("utf-8"))  # costs only speed
