"""Skip companies whose output is already up to date: a content-hash build cache.

A company's ``.apkg`` and ``.csv`` are a function of its deck file, the images it
names, ``stamps.json``, ``SOURCE_DATE_EPOCH`` and deck2anki itself (its code, schema
and libraries). The cache keeps a hash of those inputs and of the files it wrote, in
the user's cache folder (``$DECK2ANKI_CACHE_DIR``, else ``$XDG_CACHE_HOME/deck2anki``,
else ``~/.cache/deck2anki``), one file per output folder: the output folder holds
only what learners download. When all of them still match, the
company's recorded result (summary, warnings) stands in for a new build and its files
are left as they are: byte-identical to a clean build, because they are the bytes a
clean build wrote.

Outputs stamped with the build time (content not yet in ``stamps.json``, without
``SOURCE_DATE_EPOCH``) differ from build to build, so they are never reused.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .pipeline import DeckInfo, FileResult
from .problems import Level, Position, Problem
from .stamps import Stamps, build_time
from .writers import write_bytes

FORMAT = 1
# What the bytes depend on besides our own code: a new version of these may write them
# differently.
_LIBRARIES = ("genanki", "markdown_it", "nh3", "yaml", "jsonschema", "jsonschema_rs")


def cache_dir() -> Path:
    if os.environ.get("DECK2ANKI_CACHE_DIR"):
        return Path(os.environ["DECK2ANKI_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "deck2anki"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.cache
def code_fingerprint() -> str:
    """A hash of deck2anki's source and schema and of the installed libraries' versions."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")) + sorted(package.rglob("*.json")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    from .schema import schema_path

    digest.update(schema_path().read_bytes())
    for name in _LIBRARIES:
        # Where the library lives and when it was installed, without importing it.
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin) if spec and spec.origin else None
        stat = origin.stat() if origin and origin.exists() else None
        digest.update(f"{name}:{origin}:{stat.st_size if stat else 0}:"
                      f"{stat.st_mtime_ns if stat else 0}".encode())
    return digest.hexdigest()


def _stamps_digest(stamps: Stamps, slug: str) -> str:
    return stamps.digest(slug)


def _problem_json(problem: Problem) -> list[Any]:
    return [str(problem.path), problem.position.line, problem.position.column,
            problem.message, problem.code, problem.level.value]


def _problem(raw: list[Any]) -> Problem:
    path, line, column, message, code, level = raw
    return Problem(Path(path), Position(line, column), message, code, Level(level))


def _info_json(info: DeckInfo) -> dict[str, Any]:
    return {"path": str(info.path), "company": info.company, "slug": info.slug,
            "deck_name": info.deck_name,
            "slug_position": [info.slug_position.line, info.slug_position.column],
            "kinds": dict(info.kinds), "notes": info.notes, "cards": info.cards}


def _info(raw: dict[str, Any]) -> DeckInfo:
    return DeckInfo(Path(raw["path"]), raw["company"], raw["slug"], raw["deck_name"],
                    Position(*raw["slug_position"]), raw["kinds"], raw["notes"], raw["cards"])


@dataclass
class BuildCache:
    out_dir: Path
    file: Path  # where this output folder's record lives
    inputs: str  # hash of what every company shares: code, note type stamps, the epoch
    stamps: Stamps
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[Path, str] = field(default_factory=dict)  # this run's deck file hashes
    hits: int = 0

    @classmethod
    def open(cls, out_dir: Path, stamps: Stamps) -> BuildCache:
        shared = hashlib.sha256(code_fingerprint().encode())
        shared.update(f"\0sde={build_time()}\0".encode())
        # Note type stamps concern every company; a card's stamp only its own company.
        shared.update(_stamps_digest(stamps, "notetype").encode())
        name = _sha256(str(out_dir.resolve()).encode())[:24] + ".json"
        cache = cls(out_dir, cache_dir() / name, shared.hexdigest(), stamps)
        try:
            raw = json.loads(cache.file.read_text(encoding="utf-8"))
            if raw.get("format") == FORMAT and raw.get("inputs") == cache.inputs:
                cache.entries = dict(raw["files"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # no cache, or one we cannot read: build everything
        return cache

    def _key(self, path: Path) -> str:
        key = self.keys.get(path)
        if key is None:
            key = self.keys[path] = _sha256(path.read_bytes())
        return key

    def lookup(self, path: Path) -> FileResult | None:
        """The recorded result of ``path`` if nothing it depends on has changed."""
        entry = self.entries.get(str(path))
        try:
            if entry is None or entry["key"] != self._key(path):
                return None
            if entry["stamps"] != _stamps_digest(self.stamps, entry["info"]["slug"]):
                return None
            for image, digest in entry["images"].items():
                if _sha256((path.parent / image).read_bytes()) != digest:
                    return None
            for name, digest in entry["outputs"].items():
                if _sha256((self.out_dir / name).read_bytes()) != digest:
                    return None
            result = FileResult(path, [_problem(p) for p in entry["problems"]],
                                _info(entry["info"]), stale=list(entry["stale"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        self.hits += 1
        return result

    def save(self, results: Sequence[FileResult]) -> None:
        """Record every company this build wrote (or found up to date)."""
        files: dict[str, Any] = {}
        for result in results:
            if result.info is None or result.timed or not result.info.notes:
                continue
            entry = self.entries.get(str(result.path)) if not result.outputs else {
                "key": self._key(result.path),
                "stamps": _stamps_digest(self.stamps, result.info.slug),
                "images": result.images,
                "outputs": {name: _sha256(data) for name, data in result.outputs.items()},
                "problems": [_problem_json(p) for p in result.problems],
                "info": _info_json(result.info),
                "stale": result.stale,
            }
            if entry is not None:
                files[str(result.path)] = entry
        text = json.dumps({"format": FORMAT, "inputs": self.inputs, "files": files},
                          sort_keys=True, separators=(",", ":"))
        # A read-only home or cache folder costs only speed: the next build does the work.
        with contextlib.suppress(OSError):
            write_bytes(self.file, text.encode("utf-8"))

