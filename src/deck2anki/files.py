"""Reading files named by untrusted input: regular files only, size-capped, one open."""

from __future__ import annotations

import os
import stat
from pathlib import Path


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
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ReadError(f"{what} is not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ReadError(f"{what} is over the {limit}-byte limit; shrink or split it",
                        too_large=True)
    return data
