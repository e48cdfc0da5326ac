"""Commands that make and guard a release: build, stamp, diff."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..problems import printable
from ..report.changes import FORMATS as DIFF_FORMATS
from .base import EXIT_INVALID, decks_option, exit_with, in_ci, progress_shown


@click.command()
@decks_option("Folder holding the deck files (*.yaml) and stamps.json.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("dist"), show_default=True, help="Folder to write packages into.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but problems.")
@click.option("-v", "--verbose", is_flag=True, help="Print each step as it happens.")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="Build every company even if its files are up to date (records live "
                   "in $DECK2ANKI_CACHE_DIR, else your platform's cache folder, e.g. "
                   "~/.cache/deck2anki on Linux).")
def build(decks_dir: Path, out_dir: Path, quiet: bool, verbose: bool, no_cache: bool) -> None:
    """Validate every deck, then write one .apkg and one .csv per company.

    Nothing is written if any deck is invalid. Each note carries the time its content
    last changed (from decks/stamps.json), so importing a new release into Anki updates
    edited cards in place and keeps learners' own edits and review history.
    Set SOURCE_DATE_EPOCH for byte-identical rebuilds. A build meant for release (CI
    set, or SOURCE_DATE_EPOCH) refuses content changed since its stamp: run
    `deck2anki stamp` and commit decks/stamps.json first.

    A company whose deck, images and stamps are unchanged since the last build into
    the same folder is not built again: its files stay as they are, byte-identical to
    a clean build (content not yet stamped ships with the build time, so it is rebuilt
    every time unless SOURCE_DATE_EPOCH is set). Large decks are built on every core.
    """
    from ..commands.build import build as run_build
    from ..problems import InvalidInput

    try:
        # A build meant for release (in CI, or dated by SOURCE_DATE_EPOCH) refuses
        # unstamped changes: the next release would stamp them again, later, and
        # overwrite every learner edit made in between.
        for_release = in_ci() or bool(os.environ.get("SOURCE_DATE_EPOCH", "").strip())
        with progress_shown(verbose, quiet) as progress:
            result = run_build(decks_dir, out_dir, progress=progress,
                               use_cache=not no_cache, for_release=for_release)
    except InvalidInput as exc:
        exit_with(exc.problems, None if quiet else
                  f"build failed: {len(exc.problems)} problem(s); nothing was written")
    for problem in result.warnings:
        click.echo(problem.format(), err=True)
    if quiet:
        return
    for deck in result.written:
        kinds = ", ".join(f"{n} {kind}" for kind, n in deck.kinds.items())
        files = ", ".join(str(p) for p in deck.files)
        click.echo(printable(f"{deck.deck.company}: {deck.notes} notes ({kinds}), "
                             f"{deck.cards} cards -> {files}"))
    for empty in result.skipped:
        click.echo(printable(f"{empty.company}: no cards yet, nothing written ({empty.path})"))
    total = sum(d.notes for d in result.written)
    reused = f" ({result.reused} already up to date)" if result.reused else ""
    click.echo(f"built {len(result.written)} companies, {total} notes{reused}")
    if result.stale:
        click.echo(f"warning: {len(result.stale)} note(s) or note type(s) changed since "
                   "stamps.json was written; they ship stamped with the build time. Run "
                   "`deck2anki stamp` and commit decks/stamps.json.", err=True)


@click.command()
@decks_option("Folder holding the deck files and stamps.json.")
@click.option("--check", is_flag=True,
              help="Change nothing; exit 1 if stamps.json is out of date (for CI).")
@click.option("--forget", "forget", multiple=True, metavar="SLUG/ID",
              help="Drop the stamp of a card (or, given a slug, a deck) that was removed "
                   "before it ever reached the main branch; refused for one that did. The "
                   "run stamps every other change as usual.")
@click.option("--rename-company", "renamed", multiple=True, metavar="SLUG",
              help="Accept a company's new display name: every note of it then updates "
                   "over learners' own edits, and new cards go to a new Anki deck.")
def stamp(decks_dir: Path, check: bool, forget: tuple[str, ...],
          renamed: tuple[str, ...]) -> None:
    """Record in stamps.json when each card's content last changed.

    Run it after editing cards and commit decks/stamps.json with them: the stamp is
    what makes Anki apply your change on a learner's next import (and only your change).
    Stamps of cards that vanished are kept, so validate goes on reporting them.
    """
    from ..commands import stamp as stamping
    from ..problems import InvalidInput

    if check and renamed:
        raise click.UsageError("--rename-company changes stamps.json; run it without --check")
    try:
        if check:
            found = stamping.check(decks_dir, forget)
            for problem in found.warnings:
                click.echo(problem.format(), err=True)
            if found.stale or found.out_of_date:
                click.echo(f"{found.stale} stamp(s) out of date" if found.stale else
                           "stamps.json lacks what the guards need (company names, cloze "
                           "deletions)", nl=False, err=True)
                click.echo(": run `deck2anki stamp` and commit decks/stamps.json", err=True)
            sys.exit(EXIT_INVALID if found.stale or found.out_of_date else 0)
        changed, path = stamping.stamp(decks_dir, forget=forget, renamed=renamed)
    except InvalidInput as exc:
        exit_with(exc.problems, "stamps.json was not changed: fix these problems first")
    forgotten = f", forgot {', '.join(forget)}" if forget else ""
    click.echo(printable(f"{path}: {len(changed)} new or changed stamp(s){forgotten}"
                         if changed else f"{path}: up to date{forgotten}"))


@click.command()
@click.argument("base", required=False)
@decks_option()
@click.option("--format", "fmt", type=click.Choice(DIFF_FORMATS),
              default="text", show_default=True,
              help="text for review, markdown for a release changelog, json for tools.")
def diff(base: str | None, decks_dir: Path, fmt: str) -> None:
    """List cards added, changed, retired, removed and renamed since BASE, each with
    what it asks; a changed card shows each changed field as it was (-) and is (+).

    BASE is any git revision; by default the merge base of HEAD with the main branch,
    which is what a pull request changes. The working tree is compared, uncommitted
    edits included. A card gone under one id and back with the same content under
    another is a rename. Exits 1 if a card was removed or renamed (learners keep the
    old note forever: keep the id, or set `retired: true`), 2 if there is no git
    history to compare with.

    \b
    Examples:
      deck2anki diff                      what this branch changes
      deck2anki diff v1.2.0 --format markdown > CHANGELOG-cards.md
    """
    from ..commands.diff import diff as run_diff
    from ..problems import InvalidInput
    from ..release import git
    from ..report.changes import render as render_changes

    try:
        changes, revision = run_diff(decks_dir, base)
    except git.NoHistory as exc:
        raise click.UsageError(f"cannot compare with git history: {exc}") from exc
    except InvalidInput as exc:
        exit_with(exc.problems)
    click.echo(render_changes(changes, fmt, revision), nl=False)
    if changes.breaking:
        click.echo(f"{len(changes.breaking)} card(s) removed, renamed or switched between "
                   "Q/A and cloze: learners would keep orphaned or frozen notes; restore "
                   "them under their old ids (retire with `retired: true`, put a Q/A-cloze "
                   "switch under a new id)", err=True)
        sys.exit(EXIT_INVALID)
