"""What a deck file may hold, whichever way it is read (these caps only stop files
crafted to hurt), and the characters we refuse in its values."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import TypeVar

from ..files import MAX_DECK_BYTES

MAX_FILE_BYTES = MAX_DECK_BYTES
MAX_NODES = 200_000  # counted with aliases expanded, so "billion laughs" stops here
MAX_DEPTH = 32
MAX_ALIASES = 1_000  # a deck has no need for many; each use is counted

T = TypeVar("T")
# Parsers that recurse in native code (libyaml's composer, about 300 bytes a level;
# yaml_rs's) run on a thread with this much stack, whoever calls us: macOS gives
# secondary threads 512 KiB, musl 128 KiB, and a deep file must fail, not crash.
BIG_STACK = 16 * 1024 * 1024

# Control characters we refuse in values even when written as escapes ("\x1f" is
# Anki's field separator: it would break the package).
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def may_hide_controls(text: str) -> bool:
    """Whether a value of ``text`` could hold a control character the file's own
    characters do not show: only through an escape ("\\x1f") or a raw NEL/CR that YAML
    folds. Without those, scanning every value would find nothing."""
    return "\\" in text or "\x85" in text or "\r" in text


def on_big_stack(work: Callable[[], T]) -> T:
    """``work()``, run on a thread of its own with :data:`BIG_STACK` bytes of stack."""
    outcome: list[T | BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # handed to the caller's thread as it is
            outcome.append(exc)

    previous = threading.stack_size(BIG_STACK)
    try:
        worker = threading.Thread(target=run, name="deck2anki-parse")
        worker.start()
    finally:
        threading.stack_size(previous)
    worker.join()
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]
