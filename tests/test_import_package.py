"""read_export: every format Anki writes comes back as the same notes, note types and media,
and every hostile file is refused with one line before Anki sees it, leaving nothing behind.

Fixtures are made by the real Anki engine (and genanki); hostile files are made by hand,
small and fast: a 2 GiB bomb is 2 MB of repeated deflate blocks.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import struct
import sys
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import genanki
import pytest
import zstandard
from anki import import_export_pb2
from anki.collection import Collection, ExportAnkiPackageOptions

from deck2anki.importing import unzip
from deck2anki.importing.package import ExportError, read_export
from deck2anki.importing.unzip import is_safe_media_name

MiB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
MP3 = b"ID3\x03\x00" + bytes(32)
STORED, DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED


@dataclass(frozen=True)
class Source:
    """Exports of one Anki collection, and what was in it."""

    new: Path
    legacy: Path
    colpkg: Path
    notes: dict[str, tuple[tuple[str, ...], tuple[str, ...], str, int, int]]
    notetypes: dict[int, tuple[Any, ...]]  # name, kind, fields, templates, css, mod


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    folder = tmp_path_factory.mktemp("source")
    col = Collection(str(folder / "source.anki2"))
    col.media.write_data("pic.png", PNG)
    col.media.write_data("tune.mp3", MP3)
    col.media.write_data("unused.png", PNG + b"!")
    basic, cloze = col.models.by_name("Basic"), col.models.by_name("Cloze")
    assert basic and cloze
    basic["css"] += "\n.front { color: teal; }"  # an edited type: a mod that is not 0
    col.models.update_dict(basic)
    rows = [
        (basic, "Top::Sub", ['Hello <img src="pic.png">', "World [sound:tune.mp3]"], ["geo"]),
        (cloze, "Other", ["{{c1::Paris}} and {{c2::Rome}}", ""], ["lvl::1", "x"]),
        # What a stranger's field may point at: our own temporary files beside Anki's media.
        (basic, "Top", ['<img src="../export.apkg">', '<img src="../package.sqlite">'], []),
    ]
    for notetype, deck, fields, tags in rows:
        note = col.new_note(notetype)
        for index, text in enumerate(fields):
            note.fields[index] = text
        note.tags = tags
        col.add_note(note, col.decks.id(deck))
    notes, types = {}, {}
    for nid in sorted(col.find_notes("")):  # note-id order, as read_export keeps it
        note = col.get_note(nid)
        deck = col.decks.name(col.get_card(note.card_ids()[0]).did)
        notes[note.guid] = (tuple(note.fields), tuple(note.tags), deck, note.mid, note.mod)
        nt = note.note_type()
        types[nt["id"]] = (nt["name"], nt["type"], tuple(f["name"] for f in nt["flds"]),
                           tuple((t["name"], t["qfmt"], t["afmt"]) for t in nt["tmpls"]),
                           nt["css"], nt["mod"])
    paths = {}
    for name, legacy in (("new", False), ("legacy", True)):
        paths[name] = folder / f"{name}.apkg"
        col.export_anki_package(out_path=str(paths[name]), limit=None, options=(
            ExportAnkiPackageOptions(with_scheduling=True, with_deck_configs=False,
                                     with_media=True, legacy=legacy)))
    col.export_collection_package(str(folder / "all.colpkg"), include_media=True, legacy=False)
    return Source(paths["new"], paths["legacy"], folder / "all.colpkg", notes, types)


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder of this test alone (Python's and Anki's), to see it left empty."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


@pytest.mark.parametrize("kind", ["new", "legacy", "colpkg"])
def test_anki_exports_come_back_whole(source: Source, kind: str, scratch: Path) -> None:
    export = read_export(getattr(source, kind))
    got = {n.guid: (n.fields, n.tags, n.deck, n.notetype_id, n.mod) for n in export.notes}
    assert got == source.notes
    assert [n.guid for n in export.notes] == list(source.notes)
    assert {i: (t.name, t.kind, t.fields, t.templates, t.css, t.mod)
            for i, t in export.notetypes.items()} == source.notetypes
    assert any("teal" in t.css and t.mod > 0 for t in export.notetypes.values())
    # Only referenced files, and never a reference that climbs out of the media folder.
    assert dict(export.media) == {"pic.png": PNG, "tune.mp3": MP3}
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("kind", ["new", "colpkg"])
def test_the_dummy_collection_is_never_read(source: Source, kind: str, tmp_path: Path) -> None:
    """Current exports carry an old-format collection.anki2 whose one note says to update
    Anki: the reader follows `meta` to collection.anki21b, as Anki does."""
    package = getattr(source, kind)
    with zipfile.ZipFile(package) as archive:
        (tmp_path / "dummy.db").write_bytes(archive.read("collection.anki2"))
    db = sqlite3.connect(tmp_path / "dummy.db")
    ((dummy_guid, dummy_text),) = db.execute("SELECT guid, flds FROM notes").fetchall()
    db.close()
    assert "update" in dummy_text.lower()
    export = read_export(package)
    assert dummy_guid not in {n.guid for n in export.notes}
    assert not any("update" in field.lower() for n in export.notes for field in n.fields)


def test_a_genanki_package_comes_back_whole(tmp_path: Path, scratch: Path) -> None:
    (tmp_path / "pic.png").write_bytes(PNG)
    model = genanki.Model(
        1607392319, "Gen Q/A", fields=[{"name": "Question"}, {"name": "Answer"}],
        templates=[{"name": "Card 1", "qfmt": "{{Question}}", "afmt": "{{Answer}}"}],
        css=".card { color: red; }")
    deck = genanki.Deck(2059400110, "Gen::Deck")
    deck.add_note(genanki.Note(model=model, fields=['Q <img src="pic.png">', "A & B"],
                               guid="gen-guid-1", tags=["t1"]))
    package = tmp_path / "gen.apkg"
    genanki.Package(deck, media_files=[str(tmp_path / "pic.png")]).write_to_file(str(package))
    with zipfile.ZipFile(package) as archive:
        (tmp_path / "gen.db").write_bytes(archive.read("collection.anki2"))
    db = sqlite3.connect(tmp_path / "gen.db")
    ((mod,),) = db.execute("SELECT mod FROM notes").fetchall()
    (models,) = db.execute("SELECT models FROM col").fetchone()
    db.close()
    genanki_leftovers = set(scratch.iterdir())  # genanki's own temporary files, not ours

    export = read_export(package)
    (note,) = export.notes
    assert (note.guid, note.fields, note.tags, note.deck, note.notetype_id, note.mod) == (
        "gen-guid-1", ('Q <img src="pic.png">', "A & B"), ("t1",), "Gen::Deck", 1607392319, mod)
    notetype = export.notetypes[1607392319]
    assert (notetype.name, notetype.kind, notetype.fields, notetype.templates, notetype.css) == (
        "Gen Q/A", 0, ("Question", "Answer"), (("Card 1", "{{Question}}", "{{Answer}}"),),
        ".card { color: red; }")
    assert notetype.mod == json.loads(models)["1607392319"]["mod"]
    assert dict(export.media) == {"pic.png": PNG}
    assert set(scratch.iterdir()) == genanki_leftovers


# --- hostile files ---------------------------------------------------------------------


def _raw_zip(path: Path, entries: list[tuple[str, int, bytes, int]],
             count: int | None = None) -> Path:
    """A zip written by hand: (name, method, data as stored, declared size), so that the
    declared sizes (and the end record's ``count`` of entries) can lie and names repeat."""
    out, directory = bytearray(), bytearray()
    for name, method, data, size in entries:
        encoded, offset = name.encode(), len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0, 0, len(data),
                           size, len(encoded), 0) + encoded + data
        directory += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0, 0,
                                 len(data), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    count = len(entries) if count is None else count
    out += directory + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count,
                                   len(directory), len(out), 0)
    path.write_bytes(bytes(out))
    return path


def _zeros_deflated(size: int) -> bytes:
    """``size`` zero bytes (whole MiBs) as raw deflate, without ever holding them: fully
    flushed blocks are independent, so one compressed MiB repeats."""
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = block.compress(bytes(MiB)) + block.flush(zlib.Z_FULL_FLUSH)
    return one * (size // MiB) + zlib.compressobj(9, zlib.DEFLATED, -15).flush()


def _zeros_zstd(size: int) -> bytes:
    compressor = zstandard.ZstdCompressor().compressobj()
    chunks = [compressor.compress(bytes(MiB)) for _ in range(size // MiB)]
    return b"".join(chunks) + compressor.flush()


def _members(package: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(package) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _new_map(*names: str) -> bytes:
    entries = import_export_pb2.MediaEntries(entries=[
        import_export_pb2.MediaEntries.MediaEntry(name=name, size=len(PNG),
                                                  sha1=hashlib.sha1(PNG).digest())
        for name in names])
    return zstandard.ZstdCompressor().compress(entries.SerializeToString())


def _random(size: int) -> bytes:
    return os.urandom(size)


def _anki_with(tmp_path: Path, field: str, count: int = 1) -> Path:
    """A current-format export of ``count`` Basic notes whose Front is ``field``."""
    col = Collection(str(tmp_path / "hostile.anki2"))
    for _ in range(count):
        note = col.new_note(col.models.by_name("Basic") or {})
        note.fields[0] = field
        col.add_note(note, col.decks.id("Default"))
    out = tmp_path / "hostile.apkg"
    col.export_anki_package(out_path=str(out), limit=None, options=ExportAnkiPackageOptions(
        with_scheduling=False, with_deck_configs=False, with_media=False, legacy=False))
    col.close()
    return out


def _too_many_notes(tmp_path: Path, source: Source) -> Path:
    members = _members(source.legacy)
    db_path = tmp_path / "many.db"
    db_path.write_bytes(members["collection.anki21"])
    db = sqlite3.connect(db_path)
    db.executemany("INSERT INTO notes VALUES (?, ?, 1, 0, 0, '', 'x\x1fy', 'x', 0, 0, '')",
                   ((nid, f"g{nid}") for nid in range(10, 200_011)))
    db.commit()
    db.close()
    members["collection.anki21"] = db_path.read_bytes()
    return _zip(tmp_path / "many.apkg", members)


def _hostile(kind: str, tmp_path: Path, source: Source) -> Path:  # noqa: C901 - a table
    out = tmp_path / "hostile.apkg"
    new, legacy = _members(source.new), _members(source.legacy)
    # The legacy export's collection and meta, for hand-written zips to add media to.
    frame = [(n, STORED, d, len(d)) for n, d in legacy.items() if n not in ("media", "0", "1")]
    if kind == "not a zip":
        out.write_bytes(_random(4096))
    elif kind == "missing":
        pass
    elif kind == "a folder":
        out.mkdir()
    elif kind == "a FIFO":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs on this OS")
        os.mkfifo(out)
    elif kind == "no collection":
        _zip(out, {"media": b"{}", "0": PNG})
    elif kind == "random collection.anki21b":
        _zip(out, {**new, "collection.anki21b": _random(50_000)})
    elif kind == "random collection.anki21b, zstd":
        _zip(out, {**new, "collection.anki21b": zstandard.ZstdCompressor().compress(
            _random(50_000))})
    elif kind == "Anki's tables, not Anki's columns":
        db = sqlite3.connect(tmp_path / "odd.db")
        db.executescript("CREATE TABLE col (x); CREATE TABLE cards (x); CREATE TABLE notes "
                         "(id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data);")
        db.close()
        _zip(out, {"collection.anki2": (tmp_path / "odd.db").read_bytes(), "media": b"{}"})
    elif kind == "SQLite without notes":
        db = sqlite3.connect(tmp_path / "empty.db")
        db.execute("CREATE TABLE col (id integer)")
        db.close()
        _zip(out, {"collection.anki2": (tmp_path / "empty.db").read_bytes(), "media": b"{}"})
    elif kind in ("legacy ../x.png", "legacy /etc/passwd"):
        _zip(out, {**legacy, "media": json.dumps({"0": kind.split()[1]}).encode(), "0": PNG})
    elif kind in ("new ../x.png", "new /etc/passwd", "new C:evil.png", "new nul\x00.png"):
        _zip(out, {**new, "media": _new_map(kind.split(" ", 1)[1]),
                   "0": zstandard.ZstdCompressor().compress(PNG)})
    elif kind == "deflate bomb":  # 2 GiB of zeros, declared honestly
        big_map = (("media", STORED, b'{"0": "big.png"}', 16),)
        _raw_zip(out, [*frame, *big_map, ("0", DEFLATED, _zeros_deflated(2048 * MiB), 2**31)])
    elif kind == "deflate bomb, lying":  # declares 10 bytes: only streaming counts it
        big_map = (("media", STORED, b'{"0": "big.png"}', 16),)
        _raw_zip(out, [*frame, *big_map, ("0", DEFLATED, _zeros_deflated(2048 * MiB), 10)])
    elif kind == "zstd bomb in a second frame":
        _zip(out, {**new, "media": _new_map("big.png"),
                   "0": zstandard.ZstdCompressor().compress(PNG) + _zeros_zstd(101 * MiB)})
    elif kind == "zstd bomb of skippable frames":  # no output at all: only input counts
        skippable = b"\x50\x2a\x4d\x18" + struct.pack("<L", 0xFFFFFFFF)
        head = zlib.compressobj(9, zlib.DEFLATED, -15)
        data = head.compress(zstandard.ZstdCompressor().compress(PNG) + skippable)
        data += head.flush(zlib.Z_FULL_FLUSH) + _zeros_deflated(2048 * MiB)
        members = [(n, STORED, d, len(d)) for n, d in new.items() if n.startswith(("co", "meta"))]
        _raw_zip(out, [*members, ("media", STORED, _new_map("big.png"), 0),
                       ("0", DEFLATED, data, 2**31)])
    elif kind == "zstd bomb as media map":
        _zip(out, {**new, "media": _zeros_zstd(17 * MiB)})
    elif kind == "too many files":
        _raw_zip(out, [("collection.anki2", STORED, b"", 0)] + [
            (str(i), STORED, b"", 0) for i in range(50_001)])
    elif kind == "too many files, counted as one":  # zipfile reads the directory, not the count
        _raw_zip(out, [("collection.anki2", STORED, b"", 0)] + [
            (str(i), STORED, b"", 0) for i in range(50_001)], count=1)
    elif kind == "a doubled collection":
        _raw_zip(out, [(n, STORED, d, len(d)) for n, d in legacy.items()] + [
            ("collection.anki21", STORED, b"other", 5)])
    elif kind == "huge field":
        return _anki_with(tmp_path, "x" * (MiB + 1))
    elif kind == "too many notes":
        return _too_many_notes(tmp_path, source)
    else:
        raise AssertionError(kind)
    return out


HOSTILE = {
    "not a zip": "not a zip file",
    "missing": "cannot read it",
    "a folder": "cannot read it (not a file)",
    "a FIFO": "cannot read it (not a file)",  # opening one would wait for a writer forever
    "no collection": "no collection.anki21b, collection.anki21 or collection.anki2 inside",
    "random collection.anki21b": "is not zstd-compressed",
    "random collection.anki21b, zstd": "corrupt collection",
    "Anki's tables, not Anki's columns": "Anki could not read it (",
    "SQLite without notes": "corrupt collection (missing tables: cards, notes)",
    "legacy ../x.png": "unsafe media file name '../x.png'",
    "legacy /etc/passwd": "unsafe media file name '/etc/passwd'",
    "new ../x.png": "unsafe media file name '../x.png'",
    "new /etc/passwd": "unsafe media file name '/etc/passwd'",
    "new C:evil.png": "unsafe media file name 'C:evil.png'",
    "new nul\x00.png": r"unsafe media file name 'nul\x00.png'",
    "deflate bomb": "member '0' unpacks to more than 100 MiB",
    "deflate bomb, lying": "member '0' unpacks to more than 100 MiB",
    "zstd bomb in a second frame": "member '0' unpacks to more than 100 MiB",
    "zstd bomb of skippable frames": "member '0' unpacks to more than 100 MiB",
    "zstd bomb as media map": "member 'media' unpacks to more than 16 MiB",
    "too many files": "more files than an Anki export has (over 50000",
    "too many files, counted as one": "the zip holds more than 50000 files",
    "a doubled collection": "two files of the same name",
    "huge field": "huge field in note",
    "too many notes": "200004 notes, more than the 200000",
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_exports_are_refused_in_one_line(kind: str, source: Source, tmp_path: Path,
                                                 scratch: Path) -> None:
    package = _hostile(kind, tmp_path, source)
    with pytest.raises(ExportError) as caught:
        read_export(package)
    message = str(caught.value)
    assert HOSTILE[kind] in message
    assert "\n" not in message and "; " in message and "Traceback" not in message
    assert list(scratch.iterdir()) == []


def test_the_total_is_capped_not_only_each_file(source: Source, tmp_path: Path,
                                               scratch: Path, monkeypatch) -> None:
    """Eleven files, each under its own cap, over the total together. The total is lowered
    from 1 GiB to 64 MiB: the same arithmetic, without inflating a gigabyte."""
    monkeypatch.setattr(unzip, "MAX_TOTAL_BYTES", 64 * MiB)
    frame = [(n, STORED, d, len(d)) for n, d in _members(source.legacy).items()
             if n.startswith(("co", "meta"))]
    names = json.dumps({str(i): f"{i}.png" for i in range(11)}).encode()
    package = _raw_zip(tmp_path / "many.apkg", [*frame, ("media", STORED, names, len(names))] + [
        (str(i), DEFLATED, _zeros_deflated(6 * MiB), 6 * MiB) for i in range(11)])
    with pytest.raises(ExportError, match=r"^it unpacks to more than 64 MiB \(a zip bomb\?\); "):
        read_export(package)
    assert list(scratch.iterdir()) == []


def test_bombs_stay_small_on_disk(source: Source, tmp_path: Path) -> None:
    """The 2 GiB bomb is a 2 MB file: the test itself stays fast and light."""
    assert _hostile("deflate bomb", tmp_path, source).stat().st_size < 4 * MiB


@pytest.mark.parametrize("module", ["anki", "zstandard"])
def test_a_missing_extra_says_how_to_install_it(module: str, monkeypatch: pytest.MonkeyPatch,
                                                source: Source) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    with pytest.raises(ExportError, match=rf"needs the {module} package; install it with: "
                                          r"pip install 'deck2anki\[import\]'"):
        read_export(source.new)


@pytest.mark.parametrize(("name", "safe"), [
    ("pic.png", True), ("café ü.jpg", True), ("a..b.png", True), (".hidden.png", True),
    ("pic[1].png", True), ("a^b.png", True),  # Anki renames these itself, safely
    ("", False), (".", False), ("..", False), ("../x.png", False), ("a/b.png", False),
    ("a\\b.png", False), ("/etc/passwd", False), ("C:x.png", False), ("pic.png:stream", False),
    ("nul\x00.png", False), ("tab\t.png", False), ("CON.png", False), ("lpt1", False),
    ("x" * 252 + ".png", False), ("é" * 127 + ".png", False),
])
def test_media_names_are_bare_file_names_on_every_os(name: str, safe: bool) -> None:
    assert is_safe_media_name(name) is safe
