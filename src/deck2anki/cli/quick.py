"""The command line without click, for the command an editor runs on every save.

``deck2anki validate`` with plain arguments (existing paths, ``-q``, ``--strict``,
``--format F``, ``--no-cache``) is answered here without importing click, whose import
alone costs about twice a bare interpreter's start. Anything else (help, a usage
error, another command, an option spelled any other way) goes to the click
application, which stays the one definition of the command line: both run the same
:func:`validate` and print alike. What every command shares and needs no click
(exit codes, Ctrl-C and file-system errors, progress) lives here too.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

# Not typing's: a recalled validate (commands.verdict) does without importing it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any, Protocol

    class Echo(Protocol):
        """How a line is printed: click.echo, or :func:`echo` where click is not loaded."""

        def __call__(self, message: str, *, err: bool = ...) -> Any: ...

EXIT_INVALID = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
NO_DECKS = ("no decks/ folder here; run from the repository root or pass the deck files or "
            "folders to check")


def echo(message: str, *, err: bool = False) -> None:
    """click.echo for a line of text, which is all a command prints: the same bytes."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # pythonw: nowhere to print, as click.echo
        return
    out = f"{message}\n"
    if "\x1b" in out and not stream.isatty():  # as click, which strips ANSI styles then
        import re

        out = re.sub(r"\033\[[;?0-9]*[a-zA-Z]", "", out)
    stream.write(out)
    stream.flush()


_interrupted: list[bool] = []


def _on_interrupt(signum: int, frame: object) -> None:
    _interrupted.append(True)
    raise KeyboardInterrupt


@contextmanager
def interruptible() -> Iterator[None]:
    """Ctrl-C may land anywhere, even inside an import, where it surfaces as another
    error: remember that it came, so any failure after it ends as an interruption."""
    previous = signal.signal(signal.SIGINT, _on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def failed(exc: BaseException, say: Echo) -> bool:
    """Say what a command's failure means: True if it was a file-system error (the run
    then exits 1), False if it is no failure of ours to explain (re-raise it). After
    Ctrl-C the process ends here, with 130."""
    if _interrupted:
        # Files are written all or nothing, so an interrupted run changed none.
        # Leave at once: exit hooks (the worker pool's) would only delay it.
        say("interrupted: nothing was changed", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)
    if not isinstance(exc, OSError):
        return False
    # A folder we cannot write, a file that vanished, ...
    from ..problems import printable

    say(printable(f"error: {exc.filename or 'a file'}: {exc.strerror or exc}"), err=True)
    return True


def validate(paths: Sequence[Path], *, quiet: bool, strict: bool, fmt: str, no_cache: bool,
             say: Echo = echo) -> int | None:
    """The body of ``deck2anki validate``: check (or recall), print, and the exit code;
    None, having done nothing, if ``fmt`` is no format (click says so)."""
    from ..commands import verdict

    targets = list(paths) or [Path("decks")]
    answer = None if no_cache else verdict.recall(targets, use_git=True)
    lines = answer.render(fmt, strict) if answer is not None else None
    if answer is None or lines is None:
        from ..report.problems import FORMATS

        if fmt not in FORMATS:
            return None
        from .status import progress_shown

        with progress_shown(quiet=quiet) as progress:
            answer = verdict.run(targets, use_git=True, use_cache=not no_cache,
                                 progress=progress)
        lines = answer.render(fmt, strict) or []
    for note in [] if quiet else answer.notes:
        say(note, err=True)
    if answer.problems or fmt in ("json", "sarif"):
        for line in lines:
            say(line)
    errors = answer.problems if strict else answer.errors
    warnings = answer.problems - errors
    if errors:
        if not quiet:
            say(f"{errors} error(s), {warnings} warning(s)", err=True)
        return EXIT_INVALID
    if not quiet:
        status = f"{warnings} warning(s)" if warnings else "no problems"
        say(f"{answer.decks} deck(s), {answer.deck_notes} notes: {status}", err=True)
    return 0


class Plain:
    """The arguments of a ``validate`` that click would read just as :func:`plain` does
    (a ``--format`` that is no format is found out later, by :func:`validate`)."""

    __slots__ = ("fmt", "no_cache", "paths", "quiet", "strict")

    def __init__(self, paths: list[Path], quiet: bool, strict: bool, fmt: str,
                 no_cache: bool) -> None:
        self.paths, self.quiet, self.strict = paths, quiet, strict
        self.fmt, self.no_cache = fmt, no_cache


_FLAGS = {"-q": "quiet", "--quiet": "quiet", "--strict": "strict", "--no-cache": "no_cache"}


def plain(argv: Sequence[str]) -> Plain | None:
    """``argv`` as :class:`Plain`, or None where click has more to say (or its own way)."""
    if (not argv or argv[0] != "validate" or "_DECK2ANKI_COMPLETE" in os.environ
            or not all(_utf8(s) for s in (sys.stdout, sys.stderr))):
        return None
    paths: list[Path] = []
    flags: set[str] = set()
    fmt = "text"
    words = iter(argv[1:])
    for word in words:
        if word in _FLAGS:
            flags.add(_FLAGS[word])
        elif word == "--format" or word.startswith("--format="):
            value = word[len("--format="):] if "=" in word else next(words, None)
            if value is None:
                return None
            fmt = value
        elif word.startswith("-") or not _readable(word):
            return None  # help, "--", a typo, a missing path: click explains
        else:
            paths.append(Path(word))
    if not paths and not Path("decks").is_dir():
        return None  # click says NO_DECKS, with the command's usage
    return Plain(paths, "quiet" in flags, "strict" in flags, fmt, "no_cache" in flags)


def _readable(word: str) -> bool:
    """What click.Path(exists=True) accepts: a path that exists and can be read."""
    try:
        os.stat(word)
    except (OSError, ValueError):
        return False
    return os.access(word, os.R_OK)


def _utf8(stream: Any) -> bool:
    # click re-wraps a stream it finds misconfigured (ASCII); leave such a case to it.
    encoding = getattr(stream, "encoding", None) or ""
    return stream is None or encoding.lower().replace("-", "").replace("_", "") == "utf8"


def validate_quickly(argv: Sequence[str]) -> bool:
    """Run ``argv`` if it is a plain validate (exiting 1 on errors); False: it is not."""
    found = plain(argv)
    if found is None:
        return False
    with interruptible():
        try:
            code = validate(found.paths, quiet=found.quiet, strict=found.strict,
                            fmt=found.fmt, no_cache=found.no_cache)
        except SystemExit:
            raise
        except BaseException as exc:
            from ..release.stamps import BadEpoch

            if isinstance(exc, BadEpoch):
                return False  # raised before anything ran or printed: click says it
            if not failed(exc, echo):
                raise
            code = EXIT_INVALID
    if code is None:
        return False  # --format names no format: click says so, with the choices
    if code:
        sys.exit(code)
    return True
