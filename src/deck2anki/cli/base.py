"""What every command of the command line shares: options, exit codes, printing,
and the group that turns Ctrl-C and file-system errors into one line.

Exit codes: 0 success, 1 invalid input (or a build that could not be written),
2 usage error (click's own), 130 interrupted by Ctrl-C (nothing was changed).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn

import click

from ..problems import Problem, printable

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


def progress_to_stderr(verbose: bool, quiet: bool = False) -> Callable[[str], None] | None:
    """Progress goes to stderr, only where a person watches (or when asked)."""
    if verbose or (not quiet and sys.stderr.isatty() and not in_ci()):
        return lambda message: click.echo(printable(f"  {message}"), err=True)
    return None


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
