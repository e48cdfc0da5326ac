"""Reading files named by untrusted input (regular files only, size-capped, one open),
writing files all or none, and pausing the cycle collector around bulk work."""

from __future__ import annotations

import contextlib
import gc
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
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
    there, with no target touched); only then are they moved into place by
    :func:`move_all`. An ``OSError`` names the file it was about, never a temporary one.
    """
    _check_targets(files)
    staged: dict[Path, Path] = {}
    try:
        for target, data in files.items():
            staged[target] = _stage(target, data)
        move_all(staged)
    finally:
        for path in staged.values():
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)


def move_all(staged: Mapping[Path, Path]) -> None:
    """Move each staged file (on its target's file system) onto its target, all or none.

    Each old target is kept (a hard link) until all moves are done, so a failure or
    Ctrl-C midway puts them back. An ``OSError`` names the target it was about.
    """
    _check_targets(staged)
    kept: dict[Path, Path] = {}
    moved: list[Path] = []
    current = next(iter(staged), Path("."))
    try:
        for current, new in staged.items():
            current.parent.mkdir(parents=True, exist_ok=True)
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
        for path in kept.values():
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)


def _check_targets(targets: Iterable[Path]) -> None:
    """Stop before any file changes if a target is a folder or named twice."""
    seen: dict[Path, Path] = {}
    for target in targets:
        if target.exists() and not target.is_file():
            raise IsADirectoryError(21, "is in the way: not a file; move it aside", str(target))
        other = seen.setdefault(target.resolve(), target)
        if other != target:  # one file named twice: its old bytes could not be put back
            raise ValueError(f"{other} and {target} are one file")


def _stage(target: Path, data: bytes) -> Path:
    import tempfile  # not at the top: most commands never write

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                    dir=target.parent)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(target)) from exc
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(path, 0o644)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(target)) from exc
    return path


class StagedFile:
    """An output file written in full, waiting in a staging folder to be moved in.

    (Plain classes here: a recalled validate imports this module, and dataclasses
    would cost it more than the rest of its start.)"""

    __slots__ = ("path", "sha256")

    def __init__(self, path: Path, sha256: str) -> None:
        self.path = path
        self.sha256 = sha256

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, StagedFile)
                and (self.path, self.sha256) == (other.path, other.sha256))

    def __hash__(self) -> int:
        return hash((self.path, self.sha256))

    def __repr__(self) -> str:
        return f"StagedFile({self.path!r}, {self.sha256!r})"


class Staging:
    """A hidden folder on the output folder's file system, where the processes of a
    build write its files (and only those: the parent never holds their bytes) until
    :func:`move_all` moves them in, all or none. It is made by the first file written
    (a build with nothing new to write needs no writable output folder)."""

    __slots__ = ("folder", "out_dir")

    def __init__(self, folder: Path, out_dir: Path) -> None:
        self.folder = folder
        self.out_dir = out_dir  # where the files go: errors name them there

    def write(self, name: str, data: bytes) -> StagedFile:
        """Write ``data`` as a file to become ``out_dir / name``."""
        import hashlib
        import tempfile

        try:
            self.folder.mkdir(mode=0o700, exist_ok=True)
            fd, path = tempfile.mkstemp(prefix=f"{name}.", dir=self.folder)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(path, 0o644)
        except OSError as exc:  # the folder is a staging detail: name the file
            raise OSError(exc.errno, exc.strerror, str(self.out_dir / name)) from exc
        return StagedFile(Path(path), hashlib.sha256(data).hexdigest())


STAGING_PREFIX = ".deck2anki-staging-"
# Untouched this long, a leftover of a build whose process is gone is litter; a build
# still running writes into its folder far more often (a process of another container,
# whose pid we cannot see, may share the folder: the age keeps its files safe).
LEFTOVER_AGE = 600


def sweep(folder: Path, *, kept_copies: bool) -> None:
    """Remove what builds killed outright (SIGKILL, a power cut) left in ``folder``:
    staging folders and, with ``kept_copies`` (the output folder), the copies of replaced
    files kept for a rollback, named with their build's pid. Only where the system can
    tell that process is gone (POSIX), and never anything of the user's: only folders
    and files of names (and kinds) of our own making."""
    import re
    import shutil
    import time

    if os.name != "posix":
        return
    ours = re.compile(rf"{re.escape(STAGING_PREFIX)}(\d+)-[0-9a-f]+"
                      + (r"|\..+\.(?:apkg|csv)\.(\d+)\.old" if kept_copies else ""))
    try:
        with os.scandir(folder) as entries:
            found = [(e, m) for e in entries if e.name.startswith(".")
                     and (m := ours.fullmatch(e.name))]
        for entry, match in found:
            info = entry.stat(follow_symlinks=False)
            # A kept copy is a hard link: its mtime is the output's, its ctime when linked.
            age = time.time() - max(info.st_mtime, info.st_ctime)
            staged = match.group(1) is not None
            if (age < LEFTOVER_AGE or not (stat.S_ISDIR if staged else stat.S_ISREG)(info.st_mode)
                    or _running(int(match.group(1) or match.group(2)))):
                continue
            if staged:
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
    except OSError:
        pass  # litter left is only litter: never a reason to fail a build


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal sent: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # someone else's process, or a number we cannot ask about: keep
    return True


@contextlib.contextmanager
def staging(out_dir: Path) -> Iterator[Staging]:
    """A :class:`Staging` for ``out_dir``, removed with whatever is left in it when the
    block ends, however it ends (an error, Ctrl-C): no litter, in any folder.

    The folder is inside ``out_dir``, or, if ``out_dir`` is yet to be made, inside the
    nearest folder above it that exists: on the file system the files will be on, so
    moving them in is a rename.
    """
    import secrets
    import shutil

    place = out_dir
    while not place.is_dir() and place != place.parent:
        place = place.parent
    sweep(place, kept_copies=place == out_dir)
    folder = place / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    try:
        yield Staging(folder, out_dir)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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
