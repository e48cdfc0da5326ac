"""Commands that check decks and explain problems: validate, rules."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..problems import printable
from ..report.problems import FORMATS
from .base import EXIT_INVALID, progress_to_stderr


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("-q", "--quiet", is_flag=True,
              help="Print only problems: no verdict line, no notes.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1 on any).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True,
              help="text: path:line:col lines; json: one array; github: annotations that "
                   "show on a pull request's lines.")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="Check every file again. Without it, a file unchanged since the last "
                   "run (with the same stamps and deck2anki) reports its recorded problems; "
                   "checks across files and the git guard always run.")
def validate(paths: tuple[Path, ...], quiet: bool, strict: bool, fmt: str,
             no_cache: bool) -> None:
    """Check deck files (default: decks/) and print each problem as path:line:col.

    \b
    Checks the schema, duplicate ids, unknown sources, cloze deletions, round numbers,
    unsafe or Anki-special text, images, and the release history in stamps.json:
    a stamped card that was deleted or renamed, or switched between Q/A and cloze, is
    an error; a card changed since its stamp is a warning. In a git checkout, a card
    that exists on the main branch (at the merge base) and is gone now is an error too.
    Exits 1 on any error.
    """
    from ..commands.validate import validate as run_validate
    from ..release.stamps import STAMPS_FILE
    from ..report.problems import render

    if not paths and not Path("decks").is_dir():
        raise click.UsageError("no decks/ folder here; run from the repository root or pass "
                               "the deck files or folders to check")
    targets = list(paths) or [Path("decks")]
    stamps_dir = targets[0] if targets[0].is_dir() else targets[0].parent
    result = run_validate(targets, stamps_dir / STAMPS_FILE, use_git=True,
                          use_cache=not no_cache,
                          progress=progress_to_stderr(False, quiet))
    for note in [] if quiet else result.notes:
        click.echo(printable(f"note: {note}"), err=True)
    if result.problems or fmt == "json":
        for line in render(result.problems, fmt, strict=strict):
            click.echo(line)
    errors = len(result.problems) if strict else len(result.errors)
    warnings = len(result.problems) - errors
    if errors:
        click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)
        sys.exit(EXIT_INVALID)
    if not quiet:
        notes = sum(d.notes for d in result.decks)
        status = f"{warnings} warning(s)" if warnings else "no problems"
        click.echo(f"{len(result.decks)} deck(s), {notes} notes: {status}", err=True)


@click.command(name="rules")
@click.argument("codes", nargs=-1, metavar="[CODE]...")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text",
              show_default=True,
              help="text: each rule with a failing and a passing example; markdown: the "
                   "README's table of codes.")
def list_rules(codes: tuple[str, ...], fmt: str) -> None:
    """List deck2anki's problem codes: level, what each catches, and how to fix it.

    \b
    Examples:
      deck2anki rules                    every code, with a failing and a passing example
      deck2anki rules duplicate-id       what one code in validate's output means
      deck2anki rules --format markdown  the table in README.md
    """
    from ..commands.rules import listing

    try:
        click.echo(listing(codes, fmt), nl=False)
    except KeyError as exc:
        raise click.UsageError(exc.args[0]) from exc
