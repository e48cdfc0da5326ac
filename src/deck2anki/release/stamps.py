"""When did each note's content last change? The stamps file remembers.

Real Anki updates a learner's note on import only when the package's note ``mod`` is
strictly newer than theirs, and a learner's own edit stamps their note with the time of
that edit. So each note must carry the time its content last changed: not the build
time (every release would overwrite learners' edits) and not a constant (fixes would
never arrive). The same holds for note types.

``decks/stamps.json`` is committed with the decks and maps every note and note type to
the hash of its rendered content and the time that content was stamped. A build reads
it and never writes it, so a build of a clean checkout leaves the checkout clean.
``deck2anki stamp`` records new and changed content; content that changed without a new
stamp is still shipped, stamped with the build time (``SOURCE_DATE_EPOCH`` or now) but
never earlier than one second after its previous stamp, so the change always reaches
learners, and the build warns that the file is stale.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import msgspec
import orjson

from ..files import ReadError, collector_paused, read_capped
from ..identity import split_key
from ..problems import InvalidInput, Position, Problem

STAMPS_FILE = "stamps.json"
FORMAT = 1
MAX_STAMPS_BYTES = 64 * 1024 * 1024  # about 500,000 notes; a cap on hostile files only
MAX_EPOCH = 253402300799  # 9999-12-31: later times are mistakes, and overflow SQLite dates


# The canonical form every stamp's hash was taken of: json.dumps with these options.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(identity: Mapping[str, object]) -> str:
    """The SHA-256 of ``identity``'s canonical JSON (sorted keys, no spaces, UTF-8).

    ``identity`` holds text, integers, booleans, None, lists, tuples and mappings (never
    a float: orjson writes NaN as null). For those orjson writes the same bytes as
    ``_CANONICAL`` (tests/test_stamps.py holds it) in less time, and a build hashes
    every note. What orjson refuses (a lone surrogate, an integer past 64 bits, a key
    that is no text) takes the json module's way, which fails or hashes as ever.
    """
    try:
        canonical = orjson.dumps(identity, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        canonical = _CANONICAL.encode(identity).encode("utf-8")
    return hashlib.sha256(canonical).hexdigest()


class Entry(msgspec.Struct, frozen=True, gc=False):
    # A struct msgspec fills straight from the file, typed and range-checked in C: a
    # release history holds one per card, read on every run. (gc=False: text and
    # numbers only, never a cycle, so the collector need not track 100,000 of them.)
    hash: str
    mod: Annotated[int, msgspec.Meta(ge=0, le=MAX_EPOCH)]
    notetype: str | None = None  # notes only: Anki cannot move a note to another type
    # Cloze notes: the deletions (c1, c2, ...) learners hold a card of; Anki never deletes
    # a card, so each must stay in the text.
    cloze: tuple[Annotated[int, msgspec.Meta(gt=0)], ...] | None = None


class _File(msgspec.Struct):
    format: int
    stamps: dict[str, Entry]
    companies: dict[str, str] = {}


_DECODER = msgspec.json.Decoder(_File)


@dataclass
class Stamps:
    """Stamps keyed by ``notetype/<key>`` or ``<slug>/<card id>``."""

    entries: dict[str, Entry] = field(default_factory=dict)
    # Each company's display name when it was stamped: every note shows it (its label),
    # so a new name would rewrite every note of the company.
    companies: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Stamps:
        """The stamps in ``path``; none if it does not exist. Anything else that is not a
        readable stamps file (a folder, a FIFO, damaged JSON) is a problem, never "none":
        an empty record would ship every card with the build time."""
        if not path.exists() and not path.is_symlink():
            return cls()
        try:
            data = read_capped(path, MAX_STAMPS_BYTES, what="the stamps file")
        except ReadError as exc:
            raise InvalidInput([Problem(path, Position(1, 1), f"{exc}; it must be the JSON "
                                        "file `deck2anki stamp` writes (restore it from git)",
                                        "stamps")]) from exc
        with collector_paused():  # 100,000 stamps are as many objects, and no cycle
            # msgspec reads and checks a well-formed file in a third of the time. What it
            # refuses (damage, but also an integer past 64 bits, NaN, a lone surrogate)
            # the json module reads again, for the verdict and the message: a file
            # deck2anki wrote must read back, and a damaged one be placed as ever.
            with contextlib.suppress(msgspec.MsgspecError, RecursionError):  # deep nesting
                read = _DECODER.decode(data)
                if read.format == FORMAT:
                    return _with_keys_checked(path, cls(read.stamps, read.companies))
            try:
                return _with_keys_checked(path, cls._parsed(json.loads(data.decode("utf-8"))))
            except json.JSONDecodeError as exc:
                raise _broken(path, Position(exc.lineno, exc.colno), exc.msg) from exc
            except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
                raise _broken(path, Position(1, 1), str(exc)) from exc
            except RecursionError as exc:  # json nests by recursion: "[[[[..." thousands deep
                raise _broken(path, Position(1, 1), "nested too deep") from exc

    @classmethod
    def _parsed(cls, raw: Any) -> Stamps:
        if not isinstance(raw, dict):
            raise ValueError("it is no JSON object, as `deck2anki stamp` writes")
        if raw.get("format") != FORMAT:
            raise ValueError(f"unknown format {raw.get('format')!r}")
        entries = {key: _entry(value) for key, value in raw["stamps"].items()}
        companies = raw.get("companies", {})
        if not isinstance(companies, dict) or not all(
                type(k) is str and type(v) is str for k, v in companies.items()):
            raise ValueError("companies must map slugs to names")
        return cls(entries, companies)

    def dumps(self) -> str:
        body = {
            "format": FORMAT,
            "about": "When each note's content last changed. Written by `deck2anki stamp`; "
                     "commit it with the decks. Never edit by hand.",
            "companies": dict(sorted(self.companies.items())),
            "stamps": {key: _entry_json(e) for key, e in sorted(self.entries.items())},
        }
        if not self.companies:
            del body["companies"]
        return json.dumps(body, indent=2, ensure_ascii=False) + "\n"

    def mod_for(self, key: str, digest: str, fallback: int) -> int:
        """The stamp a shipped item gets: its recorded one, or a fresh one newer than it."""
        entry = self.entries.get(key)
        if entry is None:
            return fallback
        if entry.hash == digest:
            return entry.mod
        return max(fallback, entry.mod + 1)

    def digest(self, slug: str) -> str:
        """A hash of company ``slug``'s stamps (``NOTETYPE_SLUG`` for the note types')."""
        return self._digests.get(slug, "")

    @functools.cached_property
    def _digests(self) -> dict[str, str]:
        hashers: dict[str, Any] = {}
        for key in self._keys:
            slug, card_id = split_key(key)
            entry = self.entries[key]
            hasher = hashers.get(slug) or hashers.setdefault(slug, hashlib.sha256())
            hasher.update(f"{card_id}\0{entry.hash}\0{entry.mod}\0{entry.notetype}"
                          f"\0{entry.cloze}\n".encode())
        for slug, name in self.companies.items():
            hasher = hashers.get(slug) or hashers.setdefault(slug, hashlib.sha256())
            hasher.update(f"company\0{name}\n".encode())
        return {slug: hasher.hexdigest() for slug, hasher in hashers.items()}

    def card_ids(self, slug: str) -> set[str]:
        """The ids of the stamped cards of company ``slug``."""
        if "/" in slug:
            return set()  # no key's slug holds one: the first '/' ends it
        keys, start = self._keys, len(slug) + 1
        # Every key with the prefix "<slug>/" sorts from it to "<slug>0" ("0" follows "/").
        return {key[start:] for key in
                keys[bisect.bisect_left(keys, slug + "/"):bisect.bisect_left(keys, slug + "0")]}

    def slugs(self) -> set[str]:
        """Every company with a stamp (and ``notetype``)."""
        keys, found, at = self._keys, set(), 0
        while at < len(keys):
            slug, slash, _ = keys[at].partition("/")
            found.add(slug)
            at = bisect.bisect_left(keys, slug + "0", at) if slash else at + 1
        return found

    @functools.cached_property
    def _keys(self) -> list[str]:
        # Asked for each of many companies, by the workers of a build and the parent: one
        # sort (linear, as the file is written sorted) makes each company's stamps a slice
        # found by bisection, where grouping every key by its slug cost each process 0.1 s.
        return sorted(self.entries)

    def without(self, keys: Iterable[str]) -> Stamps:
        """These stamps less ``keys``; a key without '/' drops a whole slug."""
        drop = set(keys)
        if not drop:
            return self
        return Stamps({k: e for k, e in self.entries.items()
                       if k not in drop and split_key(k)[0] not in drop},
                      {slug: name for slug, name in self.companies.items() if slug not in drop})

    def stale(self, current: Mapping[str, str]) -> list[str]:
        """Keys whose content is new or changed since their stamp."""
        return sorted(k for k, digest in current.items()
                      if k not in self.entries or self.entries[k].hash != digest)

    def updated(self, current: Mapping[str, str], now: int,
                notetypes: Mapping[str, str] | None = None,
                clozes: Mapping[str, Sequence[int]] | None = None) -> Stamps:
        """``current`` stamped: unchanged keep theirs, new/changed get ``now``.

        Entries not in ``current`` are kept: a stamped card that vanished is still in
        learners' collections, and the guard keeps reporting it until it is restored
        or explicitly forgotten.
        """
        types, deletions = notetypes or {}, clozes or {}
        entries = dict(self.entries)
        entries.update({key: Entry(digest, self.mod_for(key, digest, now), types.get(key),
                                   tuple(deletions[key]) if key in deletions else None)
                        for key, digest in current.items()})
        return Stamps(entries, self.companies)

    def named(self, companies: Mapping[str, str]) -> Stamps:
        """These stamps with ``companies`` (slug -> display name) recorded too."""
        return Stamps(self.entries, {**self.companies, **companies})

    def brought_back(self, now: int, slack: int) -> tuple[Stamps, list[str]]:
        """These stamps with every one later than ``now + slack`` set to ``now``."""
        late = sorted(k for k, e in self.entries.items() if e.mod > now + slack)
        if not late:
            return self, []
        entries = dict(self.entries)
        entries.update({k: msgspec.structs.replace(self.entries[k], mod=now) for k in late})
        return Stamps(entries, self.companies), late

    def notetype_changes(self, notetypes: Mapping[str, str]) -> list[str]:
        """Keys of notes whose released note type differs from the one they render to now."""
        return sorted(key for key, notetype in notetypes.items()
                      if (entry := self.entries.get(key)) is not None
                      and entry.notetype is not None and entry.notetype != notetype)


def _entry(value: Any) -> Entry:
    mod, digest, notetype = value["mod"], value["hash"], value.get("notetype")
    cloze = value.get("cloze")
    if type(mod) is not int or not 0 <= mod <= MAX_EPOCH:
        raise ValueError(f"mod must be a whole number of seconds, got {mod!r}")
    if type(digest) is not str or not (notetype is None or type(notetype) is str):
        raise ValueError("hash and notetype must be text")
    if cloze is not None and (type(cloze) is not list
                              or not all(type(n) is int and n > 0 for n in cloze)):
        raise ValueError(f"cloze must list the deletion numbers, got {cloze!r}")
    return Entry(digest, mod, notetype, None if cloze is None else tuple(cloze))


def _entry_json(entry: Entry) -> dict[str, object]:
    body: dict[str, object] = {"hash": entry.hash, "mod": entry.mod}
    if entry.notetype is not None:
        body["notetype"] = entry.notetype
    if entry.cloze is not None:
        body["cloze"] = list(entry.cloze)
    return body


class BadEpoch(ValueError):
    """SOURCE_DATE_EPOCH is set but is not a whole number of seconds."""


# A key is "<slug>/<card id>", neither part empty: searched in all keys joined, one a
# line, at C speed (a key with a line break shows as a line without "/").
_BAD_KEY = re.compile(r"^(?:[^/\n]*|/.*|.*/)$", re.MULTILINE)


def _with_keys_checked(path: Path, stamps: Stamps) -> Stamps:
    bad = _BAD_KEY.search("\n".join(stamps.entries)) if stamps.entries else None
    if bad is not None:
        raise _broken(path, Position(1, 1), f"the key {bad.group()!r} is not "
                      "'<slug>/<card id>'")
    return stamps


def _broken(path: Path, position: Position, why: str) -> InvalidInput:
    return InvalidInput([Problem(path, position, f"stamps file is damaged ({why}); restore it "
                                 "from git (`git checkout -- <file>`), do not edit it by hand",
                                 "stamps")])


def build_time(env: Mapping[str, str] | None = None) -> int | None:
    """``SOURCE_DATE_EPOCH`` if set (the reproducible-builds convention), else None."""
    value = (env if env is not None else os.environ).get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    # str.isdigit() accepts '²' and other digits int() refuses: match ASCII ones only.
    if not re.fullmatch(r"[0-9]{1,12}", value) or int(value) > MAX_EPOCH:
        raise BadEpoch(f"SOURCE_DATE_EPOCH must be a whole number of seconds up to "
                       f"{MAX_EPOCH} (year 9999), got {value!r}")
    return int(value)


def keys_and_hashes(items: Iterable[tuple[str, Mapping[str, object]]]) -> dict[str, str]:
    return {key: content_hash(identity) for key, identity in items}
