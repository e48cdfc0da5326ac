"""An Anki export's zip, checked with the standard library and zstandard before Anki sees it.

The file comes from anyone, and Anki's importer trusts it more than we do: it would
inflate a zip bomb onto the disk and follow the names in the media map. So every
member is streamed here first, under caps, decoded the way Anki would decode it, and
counted by the bytes that really come out, never by the sizes the zip declares.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from copy import copy
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO, cast

if TYPE_CHECKING:
    from types import ModuleType

MiB = 1024 * 1024
MAX_ENTRIES = 50_000  # a zip member per media file: a huge media-heavy deck has ~20 000
MAX_DIRECTORY_BYTES = 8 * MiB  # ~160 bytes per entry: what zipfile holds in memory
MAX_COLLECTION_BYTES = 512 * MiB  # 100 000 cards are ~60 MB of SQLite
MAX_MEDIA_FILE_BYTES = 100 * MiB  # a long video; Anki's own sync refuses past 100 MB
MAX_MEDIA_MAP_BYTES = 16 * MiB  # 50 000 names of up to 255 bytes
MAX_META_BYTES = 64 * 1024  # a protobuf with one number in it
MAX_TOTAL_BYTES = 1024 * MiB
CHUNK = 256 * 1024

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
COLLECTIONS = ("collection.anki21b", "collection.anki21", "collection.anki2")
INSTALL = "install it with: pip install 'deck2anki[import]'"
REEXPORT = "export it again from Anki with File > Export"

# What some OS refuses in a file name or reads as a path (Windows' list is the longest;
# ':' is also a drive letter or an NTFS stream), plus control characters. With no
# separator left, only "." and ".." still climb out of a folder.
_UNSAFE_CHAR = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_WINDOWS_DEVICE = re.compile(r"(con|prn|aux|nul|com\d|lpt\d)(\..*)?", re.IGNORECASE)


class ExportError(Exception):
    """One line for the user: 'what is wrong; how to fix' (no path prefix; the caller adds
    `FILE: `)."""


def need(module: str) -> ModuleType:
    """An optional dependency of `deck2anki import`, or the one line that says how to get it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ExportError(f"reading Anki exports needs the {module} package; {INSTALL}") from err


def is_safe_media_name(name: str) -> bool:
    """A bare file name that stays in the folder it is written to, on every OS."""
    return bool(name) and name not in (".", "..") and not _UNSAFE_CHAR.search(name) \
        and not _WINDOWS_DEVICE.fullmatch(name) and len(name.encode("utf-8")) <= 255


def quoted(text: str) -> str:
    """A name from the file, escaped and short enough for a one-line message."""
    return repr(text) if len(text) <= 80 else f"{text[:80]!r}..."


def copy_capped(source: Path, target: Path) -> None:
    """Copy the export, so that what is checked is what Anki reads even if the file changes."""
    try:
        if not source.is_file():  # a FIFO would block forever, a device never end
            raise ExportError("cannot read it (not a file); give the path of an .apkg or "
                              ".colpkg file exported from Anki")
        with source.open("rb") as src, target.open("wb") as dst:
            copied = 0
            while chunk := src.read(MiB):
                copied += len(chunk)
                if copied > MAX_TOTAL_BYTES + MAX_DIRECTORY_BYTES:
                    raise ExportError(f"the export is larger than {_size(MAX_TOTAL_BYTES)}; "
                                      "export a smaller deck, or fewer media files")
                dst.write(chunk)
    except OSError as err:
        raise ExportError(f"cannot read it ({err.strerror or err}); check the path and "
                          "that it is a file you can read") from err


def check_archive(package: Path, collection_copy: Path) -> None:
    """Refuse what Anki should never see; write the collection Anki would read, decoded, to
    ``collection_copy`` for the SQLite checks."""
    _check_directory(package)
    try:
        archive = zipfile.ZipFile(package)
    except Exception as err:  # zipfile has many ways of saying "not a zip"; all mean that
        raise ExportError(f"not an Anki export (not a zip file); {REEXPORT}") from err
    with archive:
        infos = _check_members(archive)
        latest, collection = _version(archive)
        budget = _Budget()
        media = _media_map(archive, latest, budget)
        for info in infos:
            if info.filename in ("meta", "media"):
                continue
            decode = latest and (info.filename == collection or info.filename in media)
            cap = MAX_COLLECTION_BYTES if info.filename in COLLECTIONS else MAX_MEDIA_FILE_BYTES
            sink = collection_copy.open("wb") if info.filename == collection else None
            try:
                for chunk in _decoded(archive, info, decode, budget.member(info.filename, cap)):
                    if sink:
                        sink.write(chunk)
            finally:
                if sink:
                    sink.close()


class _Budget:
    """Bytes out of the archive so far, against the per-member and the total caps."""

    def __init__(self) -> None:
        self.total = 0

    def member(self, name: str, cap: int) -> _Counter:
        return _Counter(self, name, cap)


class _Counter:
    def __init__(self, budget: _Budget, name: str, cap: int) -> None:
        self.budget, self.name, self.cap, self.count = budget, name, cap, 0

    def add(self, size: int) -> None:
        self.count += size
        self.budget.total += size
        if self.count > self.cap:
            raise ExportError(f"member {quoted(self.name)} unpacks to more than {_size(self.cap)} "
                              f"(a zip bomb?); {REEXPORT}")
        if self.budget.total > MAX_TOTAL_BYTES:
            raise ExportError(f"it unpacks to more than {_size(MAX_TOTAL_BYTES)} (a zip bomb?); "
                              "export a smaller deck, or fewer media files")


def _size(count: int) -> str:
    return f"{count // MiB} MiB" if count >= MiB else f"{count} bytes"


def _check_directory(package: Path) -> None:
    """Read the zip's directory size from its end record ourselves: zipfile would load a
    directory of millions of entries into memory before we could count them."""
    with package.open("rb") as file:
        end = file.seek(0, 2)
        tail_start = max(0, end - 22 - 65535)
        file.seek(tail_start)
        tail = file.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return  # zipfile says "not a zip" in its own words
        *_, entries, directory, _, _ = struct.unpack("<4s4H2LH", tail[at:at + 22])
        if entries == 0xFFFF or directory == 0xFFFFFFFF:  # zip64: sizes in another record
            entries, directory = _zip64_sizes(file, tail_start + at) or (entries, directory)
    if entries > MAX_ENTRIES or directory > MAX_DIRECTORY_BYTES:
        raise ExportError(f"the zip lists more files than an Anki export has (over "
                          f"{MAX_ENTRIES}, or a directory over {_size(MAX_DIRECTORY_BYTES)}); "
                          f"{REEXPORT}")


def _zip64_sizes(file: BinaryIO, end_record: int) -> tuple[int, int] | None:
    """Entries and directory size from the zip64 end record, which zipfile prefers when
    there is one; without it, zipfile believes the 32-bit fields, and so do we."""
    file.seek(max(0, end_record - 20))
    locator = file.read(20)
    if len(locator) < 20 or locator[:4] != b"PK\x06\x07":
        return None
    file.seek(struct.unpack("<4sLQL", locator)[2])
    record = file.read(56)
    if len(record) < 56 or record[:4] != b"PK\x06\x06":
        return None
    _, _, _, _, _, _, _, entries, directory, _ = struct.unpack("<4sQ2H2L4Q", record)
    return int(entries), int(directory)


def _check_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if len(infos) > MAX_ENTRIES:
        raise ExportError(f"the zip holds more than {MAX_ENTRIES} files, more than an Anki "
                          f"export has; {REEXPORT}")
    if len(set(names)) != len(names):
        # Python and Anki's Rust zip reader may pick different copies of a doubled name.
        raise ExportError(f"the zip holds two files of the same name; {REEXPORT}")
    for info in infos:
        if info.flag_bits & 0x1:
            raise ExportError(f"member {quoted(info.filename)} is encrypted; {REEXPORT}")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ExportError(f"member {quoted(info.filename)} uses a compression Anki does not "
                              f"write; {REEXPORT}")
    if not any(name in names for name in COLLECTIONS):
        raise ExportError("not an Anki export (no collection.anki21b, collection.anki21 or "
                          f"collection.anki2 inside); {REEXPORT}")
    return infos


def _version(archive: zipfile.ZipFile) -> tuple[bool, str]:
    """Whether the package is in the zstd format, and which collection Anki reads: it
    follows ``meta`` (so a newer package's dummy ``collection.anki2`` is never read)."""
    names = set(archive.namelist())
    if "meta" not in names:
        return False, "collection.anki21" if "collection.anki21" in names else "collection.anki2"
    pb = need("anki.import_export_pb2")
    data = _read_small(archive, archive.getinfo("meta"), False, MAX_META_BYTES, _Budget())
    try:
        version = pb.PackageMetadata.FromString(data).version
    except Exception as err:  # protobuf's DecodeError; any failure means the same here
        raise ExportError(f"corrupt package (unreadable meta); {REEXPORT}") from err
    latest = version == pb.PackageMetadata.VERSION_LATEST
    if version not in (1, 2) and not latest:
        raise ExportError("made by a newer Anki than this reader knows; update the anki "
                          "package (pip install -U anki), or export with 'Support older "
                          "Anki versions' ticked")
    collection = COLLECTIONS[3 - version]
    if collection not in names:
        raise ExportError(f"not an Anki export (no {collection} inside); {REEXPORT}")
    return latest, collection


def _media_map(archive: zipfile.ZipFile, latest: bool, budget: _Budget) -> dict[str, str]:
    """Zip member -> media file name, refusing any name that could leave the media folder."""
    if "media" not in archive.namelist():
        return {}
    data = _read_small(archive, archive.getinfo("media"), latest, MAX_MEDIA_MAP_BYTES, budget)
    pb = need("anki.import_export_pb2") if latest else None
    try:
        if pb:
            entries = pb.MediaEntries.FromString(data).entries
            media = {str(e.legacy_zip_filename if e.HasField("legacy_zip_filename") else i):
                     e.name for i, e in enumerate(entries)}
        else:
            media = _legacy_map(json.loads(data or b"{}"))
    except Exception as err:  # JSON's or protobuf's decode errors: the same to the user
        raise ExportError(f"corrupt package (unreadable media list); {REEXPORT}") from err
    for name in media.values():
        if not is_safe_media_name(name):
            raise ExportError(f"unsafe media file name {quoted(name)} (a path, not a file name); "
                              "remove that file from the deck in Anki and export again")
    return media


def _legacy_map(parsed: Any) -> dict[str, str]:
    if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
        raise ValueError("not a JSON object of names")
    return {str(key): value for key, value in parsed.items()}


def _read_small(archive: zipfile.ZipFile, info: zipfile.ZipInfo, decode: bool, cap: int,
                budget: _Budget) -> bytes:
    return b"".join(_decoded(archive, info, decode, budget.member(info.filename, cap)))


def _decoded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, zstd: bool,
             counter: _Counter) -> Iterator[bytes]:
    """The member's bytes as Anki reads them, counted as they come; stops at the cap."""
    chunks = _inflated(archive, info)
    if zstd:
        # zstd's input counts too, on a budget of its own: skippable frames make no output,
        # so a bomb of them would never reach the output's cap, only take forever.
        chunks = _unzstd(_counted(chunks, _Budget().member(info.filename, counter.cap)),
                         info.filename)
    try:
        for chunk in chunks:
            counter.add(len(chunk))
            yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError) as err:
        raise ExportError(f"corrupt package (member {quoted(info.filename)} is damaged); "
                          f"{REEXPORT}") from err


def _counted(chunks: Iterator[bytes], counter: _Counter) -> Iterator[bytes]:
    for chunk in chunks:
        counter.add(len(chunk))
        yield chunk


def _inflated(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Inflate the member's raw data ourselves: zipfile stops at the declared size, but a
    zip reader that believes the data (as Anki's may) does not, so the data is what counts."""
    raw_info = copy(info)
    raw_info.compress_type = zipfile.ZIP_STORED
    raw_info.file_size = info.compress_size
    raw_info.CRC = None  # type: ignore[assignment]  # the CRC is of the inflated bytes
    with archive.open(raw_info) as raw:
        if info.compress_type == zipfile.ZIP_STORED:
            while chunk := raw.read(CHUNK):
                yield chunk
            return
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        while not inflater.eof:
            data = inflater.unconsumed_tail or raw.read(CHUNK)
            if out := inflater.decompress(data, CHUNK):  # never more than CHUNK at once
                yield out
            elif not data:
                raise EOFError("deflate data ends early")


class _Chunks:
    """A file-like view of chunks, for zstandard's streaming reader."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._rest = chunks, b""

    def read(self, size: int = -1) -> bytes:
        if not self._rest:
            self._rest = next(self._chunks, b"")
        size = len(self._rest) if size < 0 else size
        out, self._rest = self._rest[:size], self._rest[size:]
        return out


def _unzstd(chunks: Iterator[bytes], name: str) -> Iterator[bytes]:
    zstandard = need("zstandard")
    first = next(chunks, b"")
    if not first.startswith(ZSTD_MAGIC):
        raise ExportError(f"corrupt package (member {quoted(name)} is not zstd-compressed, as "
                          f"Anki's current format has it); {REEXPORT}")
    # Anki's zstd decoder reads every frame, so a bomb in a second frame counts too.
    source = _Chunks(_prepend(first, chunks))
    reader = zstandard.ZstdDecompressor(max_window_size=128 * MiB).stream_reader(
        cast(IO[bytes], source), read_across_frames=True)
    try:
        while out := reader.read(CHUNK):
            yield out
    except zstandard.ZstdError as err:
        raise ExportError(f"corrupt package (member {quoted(name)} is damaged); "
                          f"{REEXPORT}") from err


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest
