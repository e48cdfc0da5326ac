"""The click application: every command, its options and its help.

Exit codes: 0 success, 1 invalid input (or a build that could not be written),
2 usage error (click's own), 130 interrupted by Ctrl-C (nothing was changed).
"""

from __future__ import annotations

import click

from .. import __version__
from .authoring import add, new, preview, schema_command
from .base import Group
from .checking import coverage, list_rules, validate
from .exchange import import_command
from .release import build, diff, stamp


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]},
             invoke_without_command=True)
@click.version_option(__version__, "-V", "--version", prog_name="deck2anki")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Compile YAML interview-prep decks into Anki packages (.apkg) and CSVs.

    \b
    A pull request, from the repository's root:
      deck2anki coverage            facts of the sources no card teaches yet
      deck2anki add pinterest fact  add a card stub to decks/pinterest.yaml
      deck2anki validate            every problem of every deck, as file:line:col
      deck2anki preview --changed   see your cards as Anki shows them: preview/index.html
      deck2anki diff                what this branch adds, changes and removes, card by card
      deck2anki stamp               record changed cards in decks/stamps.json (commit it)
      deck2anki build               write dist/<company>.apkg and dist/<company>.csv
      deck2anki rules CODE          what a problem code means, with examples
      deck2anki new "Acme Corp"     start a new company's deck: decks/acme-corp.yaml
      deck2anki import FILE.apkg    bring edits made in Anki (or a whole deck) back

    Exit codes: 0 ok, 1 invalid input, 2 usage error, 130 interrupted (nothing changed).
    """
    if ctx.invoked_subcommand is None:  # bare `deck2anki`: what it can do, not an error
        click.echo(ctx.get_help())


for _command in (build, validate, stamp, diff, preview, list_rules, new, add, schema_command,
                 coverage, import_command):
    main.add_command(_command)
