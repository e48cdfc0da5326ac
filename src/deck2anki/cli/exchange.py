"""Commands that bring Anki back into the decks: import."""

from __future__ import annotations

import re
from pathlib import Path

import click

from ..problems import printable
from .base import decks_option, exit_with


def _slug(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and (len(value) > 64
                              or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", value)):
        raise click.BadParameter(f"{value!r} is not a slug: lowercase letters and digits "
                                 "joined by single hyphens, at most 64, e.g. acme-corp")
    return value


@click.command(name="import")
@click.argument("export_file", metavar="FILE",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@decks_option("Folder holding the deck files (made if missing).", must_exist=False)
@click.option("--company", metavar="SLUG", callback=_slug,
              help="Add notes this repository does not know to the deck of SLUG (created if "
                   "missing). Default: the slug of each note's Anki deck name.")
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
def import_command(export_file: Path, decks_dir: Path, company: str | None,
                   dry_run: bool) -> None:
    """Bring an Anki export (FILE: .apkg or .colpkg, current or legacy format) back into
    the YAML decks. Needs the optional Anki engine: pip install "deck2anki[import]".

    \b
    A note of one of our cards that you edited in Anki (newer than the card's stamp):
      the properties you changed are rewritten in its deck, converted back from
      Anki's HTML to card text; every other byte of the file stays as it was.
    A note this repository does not know (your own deck, a shared one):
      added to decks/<slug>.yaml as a fact (or cloze) card that keeps the note's
      GUID and note type, so people who already hold it get our build as an update.

    Formatting that card text cannot hold (colours, underline, script) is dropped,
    with a warning naming the note. Importing the same file twice changes nothing.

    \b
    Examples:
      deck2anki import ~/Desktop/Pinterest.apkg --dry-run    see what would change
      deck2anki import ~/Desktop/Pinterest.apkg              then: deck2anki diff
      deck2anki import shared.apkg --company acme            into decks/acme.yaml
    """
    from ..commands.import_anki import plan, write
    from ..importing.package import ExportError
    from ..problems import InvalidInput, Position, Problem

    try:
        outcome = plan(export_file, decks_dir, company)
    except ExportError as exc:
        exit_with([Problem(export_file, Position(1, 1), str(exc), "import")])
    except InvalidInput as exc:
        exit_with(exc.problems)
    for warning in outcome.warnings:
        click.echo(warning.format(), err=True)
    for edit in outcome.edits:
        where = edit.card.at(edit.name.partition("[")[0])
        click.echo(printable(f"{edit.deck.path}:{where.line}:{where.column}: "
                             f"{'cleared' if edit.after is None else 'changed'} "
                             f"{edit.deck.slug}/{edit.card.id} {edit.name}"))
        if edit.before is not None:
            click.echo(printable(f"  - {edit.before}"))
        if edit.after is not None:
            click.echo(printable(f"  + {edit.after}"))
    for path, card_id, card in outcome.added:
        at = outcome.where[card.note.guid]
        click.echo(printable(f"{path}:{at.line}:{at.column}: added {card_id} (note "
                             f"{card.note.guid!r}): {card.front}"))
    media = sum(1 for p in outcome.files if p.suffix not in (".yaml", ".yml"))
    summary = (f"{len(outcome.edits)} change(s), {len(outcome.added)} card(s) added, "
               f"{media} image(s), {outcome.unchanged} note(s) unchanged, {outcome.older} "
               "older than the decks")
    if dry_run:
        click.echo(f"import (dry run, nothing written): {summary}")
        return
    write(outcome)
    then = ("; review with `deck2anki diff`, then `deck2anki stamp`" if outcome.files
            else "")
    click.echo(f"import: {summary}{then}")
