"""A build whose every input is as the last build into the same folder left it.

A build's result (which companies were written, the warnings, the stale notes) and its
files depend on what :func:`deck2anki.commands.verdict.inputs` hashes (deck2anki itself,
the folder's listing and deck files, ``stamps.json``, ``SOURCE_DATE_EPOCH``, the working
folder), on the images the decks name, on the build's options (the output folder, a
release build or not, SQLite's and zlib's versions, which write the files) and on the
clock only through stamps dated in the future.

:func:`keep` records, after a build that wrote (or found up to date) every company's
files, a hash of those inputs taken before it ran and a hash of each file now in the
output folder, only if each result is of the deck bytes hashed then and each file is
the one its result stands for (not another build's, moved in meanwhile). While both
hold, :func:`recall` gives the result back: the no-op rebuild hashes its inputs and
outputs and reads neither the stamps nor any deck, where the per-file cache
(:mod:`deck2anki.cache`) would parse all of ``stamps.json`` to check each company's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import records
from ..cache import (
    MAX_OUTPUT_BYTES,
    ResultCache,
    info_from_json,
    info_json,
    output_digest,
    problem_from_json,
    problem_json,
)
from ..files import ReadError, read_capped, write_bytes
from ..release.stamps import MAX_STAMPS_BYTES
from .verdict import images_stand, inputs

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..engine import DeckInfo
    from ..problems import Problem
    from .validate import Validation

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

    __slots__ = ("digests", "files", "inputs", "record", "stamps_size")

    def __init__(self, record: Path, files: list[str],
                 found: tuple[str, int, list[str]]) -> None:
        self.record = record
        self.files = files
        self.inputs, self.stamps_size, digests = found
        self.digests = dict(zip(files, digests, strict=True))


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
        raw: Any = records.read_record(_record(decks_dir, settings))
        body = raw["body"]
        if (raw["check"] != _check(body) or body["format"] != FORMAT
                or int(time.time()) < body["quiet_from"]):
            return None  # a record damaged, or one a future stamp could still change
        found = inputs([decks_dir], stamps, body["files"], body["stamps_size"])
        if found is None or found[0] != body["inputs"]:
            return None
        if not images_stand(body["images"]):
            return None
        for name, (size, digest) in body["outputs"].items():
            if output_digest(out_dir / name, size) != digest:
                return None
        return Recalled([info_from_json(i) for i in body["decks"]],
                        [problem_from_json(p) for p in body["warnings"]], list(body["stale"]))
    except (OSError, ReadError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no record, or one we cannot read: build


def before(decks_dir: Path, stamps: Path, files: Sequence[Path], settings: str) -> Before | None:
    """The build's inputs as they are now; None if one cannot be read (the build says why)."""
    names = [str(p) for p in files]
    try:
        found = inputs([decks_dir], stamps, names, MAX_STAMPS_BYTES)
        return None if found is None else Before(_record(decks_dir, settings), names, found)
    except OSError:  # the working folder is gone: a build needs no record
        return None


def keep(taken: Before, checked: Validation, out_dir: Path, store: ResultCache) -> None:
    """Record the result of a build that just wrote (or found up to date) every company's
    files, if another build from the same inputs would give the same result and bytes."""
    from ..release.guard import FUTURE_SLACK
    from ..write.outputs import output_names

    results = checked.results
    warnings = checked.warnings
    if ([str(r.path) for r in results] != taken.files
            or any(r.info is None or r.failed or r.timed for r in results)
            or any(p.code == "future-stamp" for p in warnings)):
        return  # outputs stamped with the build time differ every build; a warning ages
    written: dict[str, list[Any]] = {}
    for result in results:
        assert result.info is not None  # none failed
        source, outputs = store.source_of(result)
        if source != taken.digests[str(result.path)]:
            return  # the file changed while the build ran: its result is of other bytes
        for name in output_names(result.info.slug) if result.info.notes else ():
            try:
                data = read_capped(out_dir / name, MAX_OUTPUT_BYTES, what="the output file")
            except ReadError:
                return  # changed under us: the next build checks it in full
            written[name] = [len(data), hashlib.sha256(data).hexdigest()]
            if outputs.get(name) != written[name][1]:
                return  # another build's file, moved in meanwhile
    latest = max((e.mod for e in checked.stamps.entries.values()), default=0)
    body = {"format": FORMAT, "inputs": taken.inputs, "stamps_size": taken.stamps_size,
            "files": taken.files, "quiet_from": latest - FUTURE_SLACK,
            "images": {str(r.path): r.images for r in results}, "outputs": written,
            "decks": [info_json(r.info) for r in results if r.info is not None],
            "warnings": [problem_json(p) for p in warnings], "stale": list(checked.stale)}
    with contextlib.suppress(OSError, TypeError, ValueError):  # a read-only cache folder
        write_bytes(taken.record, json.dumps({"check": _check(body), "body": body}).encode())


def _check(body: Any) -> str:
    """A hash of a record's body: one damaged or edited by hand is not trusted."""
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _record(decks_dir: Path, settings: str) -> Path:
    place = json.dumps([os.getcwd(), str(decks_dir), settings])
    name = f"build-{hashlib.sha256(place.encode()).hexdigest()[:24]}.json"
    return records.cache_dir() / name
