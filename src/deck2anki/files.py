"""Reading files named by untrusted input (regular files only, size-capped, one open),
and pausing the cycle collector around bulk work."""

from __future__ import annotations

import contextlib
import gc
import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

# A deck of a few hundred cards is ~100 KB; this cap only stops files crafted to hurt.
MAX_DECK_BYTES = 2 * 1024 * 1024


class ReadError(Exception):
    """The file cannot be used; the message says why."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


def read_capped(path: Path, limit: int, *, what: str) -> bytes:
    """Read a regular file of at most ``limit`` bytes, checking the file actually read.

    One open file descriptor for the type check, the size check and the read, so the
    file cannot be swapped or grown between them; a FIFO or device never blocks us.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError as exc:
        raise ReadError(f"{what} does not exist; check the path") from exc
    except OSError as exc:
        raise ReadError(f"{what} cannot be read: {exc.strerror}") from exc
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ReadError(f"{what} is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise ReadError(f"{what} is not a regular file")
        with os.fdopen(fd, "rb") as handle:
            fd = -1  # the handle closes it now
            data = handle.read(limit + 1)
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > limit:
        raise ReadError(f"{what} is over the {limit}-byte limit; shrink or split it",
                        too_large=True)
    return data


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    # Loading and rendering a deck allocate many objects and few garbage cycles; the
    # cycle collector would rescan the growing node tree again and again (a 250 KB deck
    # composes 5x faster without it, and builds 10% faster).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it into place only on success."""
    import tempfile  # not at the top: most commands never write

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_all(files: Mapping[Path, bytes]) -> None:
    """Write every file or none: a release is all old or all new, never a mix.

    Every new file is written in full beside its target first (a full disk stops us
    there, with no target touched); only then are they moved into place, each old one
    kept (a hard link) until all moves are done, so a failure midway puts them back.
    An ``OSError`` names the file it was about, never a temporary one.
    """
    seen: dict[Path, Path] = {}
    for target in files:
        if target.exists() and not target.is_file():
            raise IsADirectoryError(21, "is in the way: not a file; move it aside", str(target))
        other = seen.setdefault(target.resolve(), target)
        if other != target:  # one file named twice: its old bytes could not be put back
            raise ValueError(f"{other} and {target} are one file")
    staged: dict[Path, Path] = {}
    kept: dict[Path, Path] = {}
    moved: list[Path] = []
    current = next(iter(files), Path("."))
    try:
        for current, data in files.items():
            staged[current] = _stage(current, data)
        for current, new in staged.items():
            if current.exists():
                kept[current] = _keep(current)
            os.replace(new, current)
            moved.append(current)
    except BaseException as exc:  # an error, or Ctrl-C between two moves
        for target in moved:  # put back what was there, remove what was not
            with contextlib.suppress(OSError):
                if target in kept:
                    os.replace(kept[target], target)
                else:
                    target.unlink()
        if isinstance(exc, OSError):
            raise OSError(exc.errno, exc.strerror, str(current)) from exc
        raise
    finally:
        for path in [*staged.values(), *kept.values()]:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)


def _stage(target: Path, data: bytes) -> Path:
    import tempfile  # not at the top: most commands never write

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(path, 0o644)
    except OSError:
        path.unlink(missing_ok=True)
        raise
    return path


def _keep(target: Path) -> Path:
    """A second name for ``target``'s current file, to put it back if we must."""
    import shutil

    backup = target.with_name(f".{target.name}.{os.getpid()}.old")
    backup.unlink(missing_ok=True)
    try:
        os.link(target, backup)
    except OSError:  # a file system without hard links
        shutil.copyfile(target, backup)
    return backup
