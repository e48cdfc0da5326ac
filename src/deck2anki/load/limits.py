"""What a deck file may hold, whichever way it is read (these caps only stop files
crafted to hurt), and the characters we refuse in its values."""

from __future__ import annotations

import math
import os
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

# A process's main thread runs on the stack the system sizes (ulimit -s: 8 MiB on Linux
# and macOS); with at least this much, a parse bounded to a few hundred levels (1 MiB of
# stack at most, tests/test_fast_load.py) needs no thread of its own (they cost a build
# 5% of its time, in start-up and hand-over).
MAIN_STACK_MIN = 4 * 1024 * 1024

# Bidirectional embeddings, overrides and isolates: invisible, they show the text around
# them in another order than it is written, so a card would read otherwise than the file
# its reviewer approved. (The marks U+200E and U+200F, which right-to-left text needs,
# reorder nothing and are welcome.)
_BIDI_CHARS = tuple(map(chr, (*range(0x202A, 0x202F), *range(0x2066, 0x206A))))
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Control characters we refuse in values even when written as escapes ("\x1f" is
# Anki's field separator: it would break the package), and the bidirectional ones.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def may_reorder(text: str) -> bool:
    """Whether ``text`` holds a bidirectional control (str.find, at C speed; ASCII text
    is known clean at once)."""
    return not text.isascii() and any(char in text for char in _BIDI_CHARS)


def refused(char: str) -> str:
    """What is wrong with ``char``, a character :data:`CONTROL` finds, and the fix."""
    if char in _BIDI_CHARS:
        return (f"invisible bidirectional control U+{ord(char):04X} shows the text around it "
                "in another order than it is written; delete it")
    return f"control character U+{ord(char):04X} in this value; delete it (Anki would break on it)"


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


def on_main_stack() -> bool:
    """Whether this thread runs on the process's main stack, and that stack has at least
    :data:`MAIN_STACK_MIN` bytes: the interpreter's main thread (the process's first,
    as ``python`` starts it), in a process not forked off another thread (the child runs
    on that thread's stack), under a stack limit that says so."""
    return (not _forked_off_a_thread and threading.current_thread() is threading.main_thread()
            and _stack_limit() >= MAIN_STACK_MIN)


def _stack_limit() -> float:
    # Read on every call (a system call): on Linux the main stack follows a limit lowered
    # or raised after start.
    try:
        import resource
    except ImportError:  # Windows: no limit to read, so no size to count on
        return 0
    soft = resource.getrlimit(resource.RLIMIT_STACK)[0]
    return math.inf if soft == resource.RLIM_INFINITY else soft


# The thread that forks is the child's one thread and keeps its identity; a child whose
# main thread is not its parent's was forked off a thread (a hook of the child alone,
# so no other thread's fork can race with it).
_main_ident = threading.main_thread().ident
_forked_off_a_thread = False


def _after_fork_in_child() -> None:
    global _main_ident, _forked_off_a_thread
    ident = threading.get_ident()
    _forked_off_a_thread = _forked_off_a_thread or ident != _main_ident
    _main_ident = ident


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
