"""A build whose every input is as the last build into the same folder left it.

A build's result (which companies were written, the warnings, the stale notes) and its
files depend on what :func:`deck2anki.commands.verdict.inputs` hashes (deck2anki itself,
the folder's listing and deck files, ``stamps.json``, ``SOURCE_DATE_EPOCH``, the working
folder), on the images the decks name, on the build's options (the output folder, a
release build or not, SQLite's and zlib's versions, which write the files) and on the
clock only through stamps dated in the future.

:func:`keep` records, after a build that wrote or reused every company's files, a hash of
those inputs taken before it ran and a hash of each file now in the output folder.
While both hold, :func:`recall` gives the result back: the no-op rebuild hashes its
inputs and outputs and reads neither the stamps nor any deck, where the per-file cache
(:mod:`deck2anki.cache`) would parse all of ``stamps.json`` to check each company's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import records
from ..cache import (
    MAX_OUTPUT_BYTES,
    info_from_json,
    info_json,
    output_digest,
    problem_from_json,
    problem_json,
)
from ..engine import DeckInfo, FileResult
from ..files import ReadError, read_capped, write_bytes
from ..problems import Problem
from ..release.stamps import MAX_STAMPS_BYTES, Stamps
from .verdict import images_stand, inputs

FORMAT = 1


class Recalled:
    """What the last build found: its decks (those written, those with no cards yet),
    its warnings and the notes stamped with the build time."""

    __slots__ = ("decks", "stale", "warnings")

    def __init__(self, decks: list[DeckInfo], warnings: list[Problem],
                 stale: list[str]) -> None:
        self.decks = decks
        self.warnings = warnings
        self.stale = stale


class Before:
    """The inputs of a build, hashed before it ran: a change while it runs shows next time."""

    __slots__ = ("files", "inputs", "options", "record", "stamps", "stamps_size")

    def __init__(self, record: Path, stamps: Path, files: list[str], options: str,
                 found: tuple[str, int]) -> None:
        self.record = record
        self.stamps = stamps
        self.files = files
        self.options = options
        self.inputs, self.stamps_size = found


def options(out_dir: Path, *, for_release: bool) -> str:
    """What of the build's settings its result depends on, beside the inputs."""
    import sqlite3
    import zlib

    return json.dumps([os.path.realpath(out_dir), for_release, sqlite3.sqlite_version,
                       zlib.ZLIB_RUNTIME_VERSION])


def recall(decks_dir: Path, stamps: Path, out_dir: Path, settings: str) -> Recalled | None:
    """The last build's result if nothing it depends on has changed, and its files in
    ``out_dir`` are the ones it left there; None to build."""
    try:
        raw = json.loads(_record(decks_dir, settings).read_text(encoding="utf-8"))
        if raw["format"] != FORMAT or int(time.time()) < raw["quiet_from"]:
            return None
        found = inputs([decks_dir], stamps, raw["files"], raw["stamps_size"])
        if found is None or found[0] != raw["inputs"]:
            return None
        if not images_stand(raw["images"]):
            return None
        for name, (size, digest) in raw["outputs"].items():
            if output_digest(out_dir / name, size) != digest:
                return None
        return Recalled([info_from_json(i) for i in raw["decks"]],
                        [problem_from_json(p) for p in raw["warnings"]], list(raw["stale"]))
    except (OSError, ReadError, ValueError, KeyError, TypeError):
        return None  # no record, or one we cannot read: build


def before(decks_dir: Path, stamps: Path, files: Sequence[Path], settings: str) -> Before | None:
    """The build's inputs as they are now; None if one cannot be read (the build says why)."""
    names = [str(p) for p in files]
    found = inputs([decks_dir], stamps, names, MAX_STAMPS_BYTES)
    if found is None:
        return None
    return Before(_record(decks_dir, settings), stamps, names, settings, found)


def keep(taken: Before, results: Sequence[FileResult], recorded: Stamps,
         out_dir: Path, warnings: Sequence[Problem], stale: Sequence[str]) -> None:
    """Record the result of a build that just wrote (or reused) every company's files,
    if another build from the same inputs would give the same result and bytes."""
    from ..release.guard import FUTURE_SLACK
    from ..write.outputs import output_names

    if ([str(r.path) for r in results] != taken.files
            or any(r.info is None or r.failed or r.timed for r in results)
            or any(p.code == "future-stamp" for p in warnings)):
        return  # outputs stamped with the build time differ every build; a warning ages
    decks = [r.info for r in results if r.info is not None]
    # What this build wrote: another build into the same folder may have moved its own
    # files in since, and they are no result of these inputs.
    ours = {name: staged.sha256 for r in results for name, staged in r.outputs.items()}
    written: dict[str, list[Any]] = {}
    try:
        for info in decks:
            for name in output_names(info.slug) if info.notes else ():
                out = read_capped(out_dir / name, MAX_OUTPUT_BYTES, what="the output file")
                written[name] = [len(out), hashlib.sha256(out).hexdigest()]
                if ours.get(name, written[name][1]) != written[name][1]:
                    return
    except ReadError:
        return  # changed under us: the next build checks it in full
    latest = max((e.mod for e in recorded.entries.values()), default=0)
    record = {"format": FORMAT, "inputs": taken.inputs, "stamps_size": taken.stamps_size,
            "files": taken.files, "quiet_from": latest - FUTURE_SLACK,
            "images": {str(r.path): r.images for r in results}, "outputs": written,
            "decks": [info_json(i) for i in decks],
            "warnings": [problem_json(p) for p in warnings], "stale": list(stale)}
    with contextlib.suppress(OSError, TypeError, ValueError):  # a read-only cache folder
        write_bytes(taken.record, json.dumps(record).encode("utf-8"))  # costs only speed


def _record(decks_dir: Path, settings: str) -> Path:
    place = json.dumps([os.getcwd(), str(decks_dir), settings])
    name = f"build-{hashlib.sha256(place.encode()).hexdigest()[:24]}.json"
    return records.cache_dir() / name
