"""What every command of the command line shares: options, exit codes, printing,
and the group that turns Ctrl-C and file-system errors into one line.

Exit codes: 0 success, 1 invalid input (or a build that could not be written),
2 usage error (click's own), 130 interrupted by Ctrl-C (nothing was changed).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ..problems import Problem, printable

if TYPE_CHECKING:  # every command loads this module: nothing it only names
    from ..progress import Progress

EXIT_INVALID = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def decks_option(help_text: str = "Folder holding the deck files.", *,
                 must_exist: bool = True) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option("--decks", "decks_dir", type=click.Path(exists=must_exist,
                        file_okay=False, path_type=Path), default=Path("decks"),
                        show_default=True, help=help_text)


def exit_with(problems: Iterable[Problem], verdict: str | None = None) -> NoReturn:
    """Print the problems, then the verdict (last, where a reader's eye lands), and exit 1."""
    for problem in problems:
        click.echo(problem.format(), err=True)
    if verdict:
        click.echo(verdict, err=True)
    sys.exit(EXIT_INVALID)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@contextlib.contextmanager
def progress_shown(verbose: bool = False, quiet: bool = False) -> Iterator[Progress | None]:
    """Where a command's progress goes while its work runs: with ``verbose``, each message
    on a line of its own; where a person watches (stderr a terminal, not CI, not
    ``quiet``), one line of stderr rewritten in place and wiped when the work ends, so
    what is printed after it is as it would be without it; anywhere else, nowhere."""
    if verbose:
        yield lambda message: click.echo(printable(f"  {message}"), err=True)
        return
    if quiet or in_ci() or not sys.stderr.isatty():
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
        click.echo("\r" + text.ljust(self._shown), nl=False, err=True)
        self._shown, self._kind, self._due = len(text), kind, now + self._interval

    def close(self) -> None:
        if self._shown:
            click.echo("\r" + " " * self._shown + "\r", nl=False, err=True)
            self._shown = 0


_interrupted: list[bool] = []


def _on_interrupt(signum: int, frame: object) -> None:
    _interrupted.append(True)
    raise KeyboardInterrupt


class Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        from ..release.stamps import BadEpoch  # light: no YAML, no genanki

        # Ctrl-C may land anywhere, even inside an import, where it surfaces as another
        # error: remember that it came, so any failure after it ends as an interruption.
        previous = signal.signal(signal.SIGINT, _on_interrupt)
        try:
            return super().invoke(ctx)
        except BadEpoch as exc:  # the caller's environment, not the decks: a usage error
            raise click.UsageError(str(exc)) from exc
        except (SystemExit, click.exceptions.Exit, click.ClickException):
            raise
        except BaseException as exc:
            if _interrupted:
                # Files are written all or nothing, so an interrupted run changed none.
                # Leave at once: exit hooks (the worker pool's) would only delay it.
                click.echo("interrupted: nothing was changed", err=True)
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(EXIT_INTERRUPTED)
            if not isinstance(exc, OSError):
                raise
            # A folder we cannot write, a file that vanished, ...
            where = exc.filename or "a file"
            click.echo(printable(f"error: {where}: {exc.strerror or exc}"), err=True)
            ctx.exit(EXIT_INVALID)
        finally:
            signal.signal(signal.SIGINT, previous)
