"""Commands for writing cards: new, add, preview."""

from __future__ import annotations

from pathlib import Path

import click

from ..problems import printable
from .base import decks_option, exit_with, progress_shown


@click.command()
@click.argument("company")
@decks_option("Folder for the new deck file.", must_exist=False)
def new(company: str, decks_dir: Path) -> None:
    """Create decks/<slug>.yaml for COMPANY from a template (a valid, empty deck).

    Its first line tells YAML editors (VS Code's YAML extension, JetBrains IDEs) where
    the schema is, relative to the deck file: schema/deck.schema.json of the repository
    if it has one, else a copy written beside the deck (refresh it after upgrading
    deck2anki with `deck2anki schema --write DECKS_FOLDER`).

    Example: deck2anki new "Acme Corp"  ->  decks/acme-corp.yaml
    """
    from ..commands.scaffold import ScaffoldError, new_deck

    try:
        path, schema_file = new_deck(decks_dir, company)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from exc
    if schema_file is not None:
        click.echo(printable(f"wrote {schema_file}: the schema your editor checks the deck "
                             "against"))
    where = "" if decks_dir == Path("decks") else f" --decks {decks_dir}"
    click.echo(printable(f"created {path}: fill in its source, then `deck2anki add "
                         f"{path.stem} fact{where}` to add cards"))


@click.command(name="schema")
@click.option("--write", "target", type=click.Path(), default=None,
              metavar="PATH",
              help="Write the schema to PATH (a file, or a folder to put deck.schema.json "
                   "in) instead of printing it.")
def schema_command(target: str | None) -> None:
    """Print the JSON Schema of a deck file (or write it with --write).

    Editors use it to complete and check deck files as you type; `deck2anki new`
    points each new deck's first line at it. After upgrading deck2anki, write it
    again where your decks' modelines point.

    \b
    Examples:
      deck2anki schema --write decks/     decks/deck.schema.json, for decks made by `new`
      deck2anki schema > deck.schema.json
    """
    from ..commands.scaffold import ScaffoldError, schema_text, write_schema

    if target is None:
        click.echo(schema_text(), nl=False)
        return
    try:
        written = write_schema(target)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(printable(f"wrote {written}"))


@click.command()
@click.argument("slug")
@click.argument("kind", type=click.Choice(["fact", "round", "signal", "script"]))
@decks_option()
def add(slug: str, kind: str, decks_dir: Path) -> None:
    """Add a KIND card stub with a fresh unique id to the deck of company SLUG, after
    the deck's last card of that kind (at the end if it has none), so that pull
    requests adding different kinds of cards do not collide at the end of the file.

    The stub's TODO placeholders are reported by validate until you replace them.
    Rename the generated id to a meaningful one before the card is first released.
    """
    from ..commands.scaffold import ScaffoldError, add_card
    from ..problems import InvalidInput

    try:
        path, card_id, where = add_card(decks_dir, slug, kind)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from exc
    except InvalidInput as exc:  # the deck (or stamps.json) must be valid to extend it
        exit_with(exc.problems)
    click.echo(printable(f"{path}:{where.line}:{where.column}: added {kind} card {card_id!r}: "
                         "replace the TODOs and give it a meaningful id before it is "
                         "released"))


@click.command()
@decks_option()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("preview"), show_default=True, help="Folder to write the pages into.")
@click.option("--changed", "changed", is_flag=False, flag_value="", default=None,
              metavar="[BASE]",
              help="Show only the cards added, changed, retired or renamed since the git "
                   "revision BASE (alone: since the merge base with main, i.e. what a "
                   "pull request changes).")
@click.option("--open", "open_browser", is_flag=True,
              help="Then open the index page in your default browser (any OS).")
@click.option("-q", "--quiet", is_flag=True,
              help="Print nothing but problems (no progress, no summary line).")
def preview(decks_dir: Path, out_dir: Path, changed: str | None, open_browser: bool,
            quiet: bool) -> None:
    """Write a static HTML preview: index.html and one page per company.

    Every card's front and back as the package's templates and CSS render them, with
    filters by kind and tag and a night-mode switch. Open preview/index.html in a
    browser, or pass --open. Pages the last preview wrote and this one does not (a
    company with no changed card, a deleted deck) are removed.

    \b
    Examples:
      deck2anki preview --open         every card, in your browser
      deck2anki preview --changed      only what this branch changes, for review
      deck2anki preview --changed v1   only what changed since the tag v1
    """
    from ..commands.preview import preview as run_preview
    from ..problems import InvalidInput
    from ..release import git

    try:
        with progress_shown(quiet=quiet) as progress:
            shown = run_preview(decks_dir, out_dir, changed, progress)
    except git.NoHistory as exc:
        raise click.UsageError(f"cannot compare with git history: {exc}") from exc
    except InvalidInput as exc:
        exit_with(exc.problems)
    what = f", changed since {shown.base[:12]}" if shown.base else ""
    notes = f"{shown.cards} note{'' if shown.cards == 1 else 's'}"
    decks = f"{shown.decks} deck{'' if shown.decks == 1 else 's'}"
    if not quiet:
        click.echo(printable(f"preview: {shown.index} ({notes} in {decks}{what})"))
    if open_browser:
        import webbrowser

        # A file: URI, which every platform's browser launcher accepts (a bare relative
        # path fails on macOS).
        webbrowser.open(shown.index.resolve().as_uri())
