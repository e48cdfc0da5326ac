"""Where deck2anki keeps its records, and the hash of the code that wrote them.

Every cached run asks both before anything else (:mod:`deck2anki.cache` for a file's
result, :mod:`deck2anki.commands.verdict` for a whole validate), so this module loads
nothing it can do without: no typing, no dataclasses, no platformdirs on Linux.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path

from .files import ReadError, read_capped, write_bytes

TYPE_CHECKING = False  # not typing's: see above
if TYPE_CHECKING:
    from typing import Any

# What the bytes depend on besides our own code: a new version of these may write them
# differently.
_LIBRARIES = ("genanki", "markdown_it", "nh3", "yaml", "jsonschema", "jsonschema_rs")


MAX_RECORD_BYTES = 256 * 1024 * 1024  # a record of 500,000 notes is a fraction of this


def read_record(path: Path) -> object:
    """A record's JSON; ValueError if it is none we wrote. A regular file only: a FIFO
    put in the cache folder must not hang a run, which then does the work instead."""
    try:
        return json.loads(read_capped(path, MAX_RECORD_BYTES, what="the record"))
    except ReadError as exc:
        raise ValueError(str(exc)) from exc


def cache_dir() -> Path:
    if os.environ.get("DECK2ANKI_CACHE_DIR"):
        return Path(os.environ["DECK2ANKI_CACHE_DIR"])
    found = _linux_cache_dir()
    if found is not None:
        return found
    import platformdirs  # honours XDG_CACHE_HOME on Linux; Library/Caches, AppData elsewhere

    return Path(platformdirs.user_cache_dir("deck2anki", appauthor=False))


def _linux_cache_dir() -> Path | None:
    """platformdirs' answer where the XDG rules leave no doubt (tested to agree), without
    importing it: on Linux that import (tempfile, shutil, random) costs more than a run
    served from the cache. None: ask platformdirs."""
    env = os.environ
    if sys.platform != "linux" or hasattr(sys, "getandroidapilevel") or (
            env.get("ANDROID_DATA") == "/data" and env.get("ANDROID_ROOT") == "/system"):
        return None
    xdg, home = env.get("XDG_CACHE_HOME", ""), env.get("HOME", "")
    if xdg.startswith("/"):
        return Path(xdg, "deck2anki")
    if xdg or not home.startswith("/"):
        return None  # a relative XDG_CACHE_HOME or HOME: platformdirs' versions differ
    return Path(f"{home.rstrip('/')}/.cache", "deck2anki")


@functools.cache
def code_fingerprint() -> str:
    """A hash of deck2anki's source and schema and of the installed libraries' versions.

    Every cached run needs it, and computing it reads every source file and imports the
    schema checker (with the model behind it): more than all the rest of a cached run.
    So it is recorded against what Python itself trusts to reuse compiled code, each
    source file's size and modification time, with each folder's (adding or removing a
    file changes it) and the schema file's; while those stand, so does the hash.
    """
    package = os.path.dirname(os.path.abspath(__file__))
    sources, stats = _sources(package)
    libraries = _libraries()
    signature = _sha256(repr((sys.version, package, stats, libraries)).encode())
    record = cache_dir() / f"code-{_sha256(package.encode())[:24]}.json"
    try:
        raw: Any = read_record(record)
        if raw["signature"] == signature and raw["schema_stat"] == _stat(raw["schema"]):
            return str(raw["fingerprint"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no record, or one we cannot read: hash the files
    from .check.schema import schema_path  # packaged beside the code, or in the checkout

    schema = str(schema_path())
    schema_stat = _stat(schema)  # before reading: a change while we read shows next time
    digest = hashlib.sha256(sys.version.encode())
    for relative in sources:
        digest.update(relative.encode() + b"\0")
        with open(os.path.join(package, relative), "rb") as source:
            digest.update(source.read())
    with open(schema, "rb") as source:
        digest.update(source.read())
    digest.update(libraries.encode())
    fingerprint = digest.hexdigest()
    text = json.dumps({"signature": signature, "schema": schema, "schema_stat": schema_stat,
                       "fingerprint": fingerprint})
    with contextlib.suppress(OSError):  # a read-only cache folder costs only speed
        write_bytes(record, text.encode("utf-8"))
    return fingerprint


def _stat(path: str) -> list[int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def _sources(package: str) -> tuple[list[str], list[tuple[str, list[int] | None]]]:
    """Every ``*.py`` under ``package``, relative (with /) and sorted; and the stat of
    each of them and of each folder. os, not pathlib: Path objects cost milliseconds."""
    found: list[str] = []
    stats = []
    for folder, subfolders, names in os.walk(package):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        relative = os.path.relpath(folder, package).replace(os.sep, "/")
        stats.append((relative + "/", _stat(folder)))
        found += [name if relative == "." else f"{relative}/{name}"
                  for name in names if name.endswith(".py")]
    found.sort()
    stats += [(name, _stat(os.path.join(package, name))) for name in found]
    return found, stats


def _libraries() -> str:
    """Where each library lives and when it was installed, without importing it."""
    found = []
    for name in _LIBRARIES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec and spec.origin else None
        stat = _stat(origin) if origin else None
        found.append(f"{name}:{Path(origin) if origin else None}:{stat[0] if stat else 0}:"
                     f"{stat[1] if stat else 0}")
    return "".join(found)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
