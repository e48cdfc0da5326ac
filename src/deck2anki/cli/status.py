"""Where a command's progress goes while its work runs, without click: the plain
``validate`` (cli.quick) shows it as the click commands do."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from time import monotonic

from ..problems import printable

# Not typing's: a recalled validate (commands.verdict) does without importing it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..progress import Progress


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _write(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


@contextlib.contextmanager
def progress_shown(verbose: bool = False, quiet: bool = False) -> Iterator[Progress | None]:
    """Where a command's progress goes while its work runs: with ``verbose``, each message
    on a line of its own; where a person watches (stderr a terminal, not CI, not
    ``quiet``), one line of stderr rewritten in place and wiped when the work ends, so
    what is printed after it is as it would be without it; anywhere else, nowhere."""
    if verbose:
        yield lambda message: _write(printable(f"  {message}") + "\n")
        return
    if quiet or in_ci() or sys.stderr is None or not sys.stderr.isatty():
        yield None
        return
    from ..progress import INTERVAL

    line = StatusLine(_columns() - 1, INTERVAL)  # the last column would wrap on some terminals
    try:
        yield line
    finally:
        line.close()


def _columns() -> int:
    try:
        columns = os.get_terminal_size(sys.stderr.fileno()).columns
    except (AttributeError, ValueError, OSError):  # stderr replaced, or no real terminal
        columns = 0
    return columns or 80  # a pseudo-terminal nobody sized says 0


_COUNT = re.compile(r"(\d+)/(\d+)")


class StatusLine:
    """A line on a terminal that each message overwrites. Counts of one kind of work
    ("checked 3/200: ...") show at most every ``interval`` seconds, however often they
    come, but a new kind of work, or one finished, shows at once: the line never lags
    behind a phase that is taking long."""

    def __init__(self, width: int, interval: float) -> None:
        self._width = max(width, 10)
        self._interval = interval
        self._shown = 0  # characters on the line now
        self._kind = ""
        self._due = 0.0

    def __call__(self, message: str) -> None:
        text = printable(message)[:self._width]
        count = _COUNT.search(text)
        kind = text[:count.start()] if count else text
        finished = count is not None and count[1] == count[2]
        now = monotonic()
        if now < self._due and kind == self._kind and not finished:
            return
        # Spaces, not an escape sequence, wipe what a longer message left: any terminal.
        _write("\r" + text.ljust(self._shown))
        self._shown, self._kind, self._due = len(text), kind, now + self._interval

    def close(self) -> None:
        if self._shown:
            _write("\r" + " " * self._shown + "\r")
            self._shown = 0
