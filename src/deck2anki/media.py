"""Images on cards: confined to the deck's folder, typed by content, size-capped, and
named in the package with the company's slug so they never collide in a collection.

A deck file arrives by pull request, so its ``image.file`` is a path chosen by a
stranger: it may point outside the repository (``..``, absolute paths, symlinks), at a
huge file, or at something that is not an image (an SVG can carry script).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .files import ReadError, read_capped

MAX_IMAGE_BYTES = 1024 * 1024

# Magic numbers of the raster formats every Anki client shows. No SVG: it can run script.
_SIGNATURES: tuple[tuple[str, bytes, int], ...] = (
    ("png", b"\x89PNG\r\n\x1a\n", 0),
    ("jpg", b"\xff\xd8\xff", 0),
    ("gif", b"GIF87a", 0),
    ("gif", b"GIF89a", 0),
    ("webp", b"WEBP", 8),
)


@dataclass(frozen=True)
class Image:
    """An image ready to ship: its bytes and its name inside the package."""

    name: str
    alt: str
    data: bytes
    source: str = ""  # the path the deck gives, relative to its folder

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class ImageError(ValueError):
    """The image cannot be used; the message says why and how to fix it."""


def image_type(data: bytes) -> str | None:
    for kind, magic, offset in _SIGNATURES:
        if data[offset:offset + len(magic)] == magic and (kind != "webp" or
                                                          data.startswith(b"RIFF")):
            return kind
    return None


def load_image(deck_dir: Path, relative: str, alt: str, slug: str) -> Image:
    """Read ``relative`` (from the deck's folder) after every check; raise ImageError."""
    try:
        root = deck_dir.resolve()
        resolved = (deck_dir / relative).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise ImageError(f"image {relative!r} cannot be resolved ({exc}); use a plain file "
                         "in the deck's folder") from exc
    if not resolved.is_relative_to(root):
        raise ImageError(f"image {relative!r} resolves outside the deck's folder (a symlink?); "
                         "put the file itself in the deck's folder")
    try:
        data = read_capped(resolved, MAX_IMAGE_BYTES, what=f"image {relative!r}")
    except ReadError as exc:
        raise ImageError(str(exc)) from exc
    kind = image_type(data)
    if kind is None:
        raise ImageError(f"{relative!r} is not a PNG, JPEG, GIF or WebP image (judged by its "
                         "content, not its name); convert it")
    stem = re.sub(r"[^a-z0-9]+", "-", Path(relative).stem.lower()).strip("-") or "image"
    digest = hashlib.sha256(data).hexdigest()[:10]
    return Image(f"{slug}-{stem[:40]}-{digest}.{kind}", alt, data, relative)
