"""Reading files named by untrusted input (regular files only, size-capped, one open),
and pausing the cycle collector around bulk work."""

from __future__ import annotations

import contextlib
import gc
import os
import stat
from collections.abc import Iterator
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
