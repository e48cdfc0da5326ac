"""What every command of the command line shares: options, exit codes, printing,
and the group that turns Ctrl-C and file-system errors into one line.

Exit codes: 0 success, 1 invalid input (or a build that could not be written),
2 usage error (click's own), 130 interrupted by Ctrl-C (nothing was changed).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn

import click

from ..problems import Problem
from .quick import EXIT_INVALID, failed, interruptible
from .status import in_ci, progress_shown

__all__ = ["EXIT_INVALID", "Group", "decks_option", "exit_with", "in_ci", "progress_shown"]


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


class Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        from ..release.stamps import BadEpoch  # light: no YAML, no genanki

        with interruptible():
            try:
                return super().invoke(ctx)
            except BadEpoch as exc:  # the caller's environment, not the decks: a usage error
                raise click.UsageError(str(exc)) from exc
            except (SystemExit, click.exceptions.Exit, click.ClickException):
                raise
            except BaseException as exc:
                if not failed(exc, click.echo):
                    raise
                ctx.exit(EXIT_INVALID)
