"""Commands that check decks and explain problems: validate, coverage, rules."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..problems import printable
from ..report.problems import FORMATS
from .base import EXIT_INVALID, decks_option, exit_with


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("-q", "--quiet", is_flag=True,
              help="Print only problems: no verdict line, no notes.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1 on any).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True,
              help="text: path:line:col lines; json: one array; github: annotations that "
                   "show on a pull request's lines; sarif: a SARIF 2.1.0 log for GitHub "
                   "code scanning (upload it with github/codeql-action/upload-sarif).")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="Check everything again. Without it, a run whose files, images, stamps, "
                   "git HEAD and main branch and deck2anki are all as they were prints what "
                   "it printed then; otherwise a file unchanged since the last run (with the "
                   "same stamps and deck2anki) reports its recorded problems.")
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
    from .quick import NO_DECKS
    from .quick import validate as run

    if not paths and not Path("decks").is_dir():
        raise click.UsageError(NO_DECKS)
    code = run(paths, quiet=quiet, strict=strict, fmt=fmt, no_cache=no_cache, say=click.echo)
    if code:
        sys.exit(code)


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


@click.command()
@decks_option("Folder holding the deck files; their articles and fact lists are in its "
              "sources/ folder.")
@click.option("--strict", is_flag=True, help="Exit 1 on any gap, not only on errors (for CI).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="How to print the gaps, as for validate.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the gaps: no summary lines.")
def coverage(decks_dir: Path, strict: bool, fmt: str, quiet: bool) -> None:
    """Show which facts of each source no card teaches yet, and what cards state that
    their source does not.

    \b
    Each article a deck cites (its source's `file`) sits in decks/sources/, with a
    fact list beside it (<article>.facts.yaml): every fact with its line and the ids
    of the cards that teach it. Reported, at their lines:
      uncovered-fact   a listed fact no live card teaches: the gap to fill
      unlisted-card    a card that teaches no listed fact
      unlisted-line    a line of the article that is neither a fact nor set aside
      missing-number   a number on a fact's line that none of its cards states
      invented-number  a number on a card that its article never states
    Exits 1 if a fact list is broken (or, with --strict, on any gap).
    """
    from ..commands.coverage import coverage as run_coverage
    from ..problems import InvalidInput
    from ..report.problems import render

    try:
        sources = run_coverage(decks_dir)
    except InvalidInput as exc:
        exit_with(exc.problems, "coverage needs valid decks: fix these problems first")
    problems = sorted(p for source in sources for p in source.problems)
    if problems or fmt in ("json", "sarif"):
        for line in render(problems, fmt, strict=strict):
            click.echo(line)
    if not quiet:
        for source in sources:
            slugs = ", ".join(source.slugs)
            if not source.listed:
                click.echo(printable(f"{source.article} ({slugs}): no fact list"), err=True)
                continue
            click.echo(printable(
                f"{source.article} ({slugs}): {source.covered} of {source.facts} facts "
                f"taught by {source.cards} live cards"), err=True)
    errors = [p for p in problems if strict or p.level.value == "error"]
    if errors:
        click.echo(f"{len(errors)} problem(s) to fix", err=True)
        sys.exit(EXIT_INVALID)
