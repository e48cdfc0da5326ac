"""Command line: parse options, call a command (deck2anki.commands), print. No logic here.

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

from . import __version__
from .problems import Problem, printable
from .report.changes import FORMATS as DIFF_FORMATS
from .report.problems import FORMATS

EXIT_INVALID = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def decks_option(help_text: str = "Folder holding the deck files.", *,
                 must_exist: bool = True) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option("--decks", "decks_dir", type=click.Path(exists=must_exist,
                        file_okay=False, path_type=Path), default=Path("decks"),
                        show_default=True, help=help_text)


def _exit_with(problems: Iterable[Problem]) -> NoReturn:
    for problem in problems:
        click.echo(problem.format(), err=True)
    sys.exit(EXIT_INVALID)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _progress(verbose: bool, quiet: bool = False) -> Callable[[str], None] | None:
    """Progress goes to stderr, only where a person watches (or when asked)."""
    if verbose or (not quiet and sys.stderr.isatty() and not _in_ci()):
        return lambda message: click.echo(printable(f"  {message}"), err=True)
    return None


_interrupted: list[bool] = []


def _on_interrupt(signum: int, frame: object) -> None:
    _interrupted.append(True)
    raise KeyboardInterrupt


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        from .release.stamps import BadEpoch  # light: no YAML, no genanki

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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]},
             invoke_without_command=True)
@click.version_option(__version__, "-V", "--version", prog_name="deck2anki")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Compile YAML interview-prep decks into Anki packages (.apkg) and CSVs.

    \b
    Typical use, from the repository's root:
      deck2anki add pinterest fact  append a card stub to decks/pinterest.yaml
      deck2anki validate            check every deck in decks/, with file:line:col problems
      deck2anki stamp               record changed cards in decks/stamps.json (commit it)
      deck2anki preview             see every card as Anki shows it: preview/index.html
      deck2anki diff                what this branch adds, changes and removes, card by card
      deck2anki build               write dist/<company>.apkg and dist/<company>.csv
      deck2anki rules CODE          what a problem code means, with examples
      deck2anki new "Acme Corp"     start a new company's deck: decks/acme-corp.yaml

    Exit codes: 0 ok, 1 invalid input, 2 usage error, 130 interrupted (nothing changed).
    """
    if ctx.invoked_subcommand is None:  # bare `deck2anki`: what it can do, not an error
        click.echo(ctx.get_help())


@main.command()
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
    from .commands.build import build as run_build
    from .problems import InvalidInput

    try:
        # A build meant for release (in CI, or dated by SOURCE_DATE_EPOCH) refuses
        # unstamped changes: the next release would stamp them again, later, and
        # overwrite every learner edit made in between.
        for_release = _in_ci() or bool(os.environ.get("SOURCE_DATE_EPOCH", "").strip())
        result = run_build(decks_dir, out_dir, progress=_progress(verbose, quiet),
                           use_cache=not no_cache, for_release=for_release)
    except InvalidInput as exc:
        click.echo(f"build failed: {len(exc.problems)} problem(s); nothing was written",
                   err=True)
        _exit_with(exc.problems)
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


@main.command()
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
    from .commands.validate import validate as run_validate
    from .release.stamps import STAMPS_FILE
    from .report.problems import render

    if not paths and not Path("decks").is_dir():
        raise click.UsageError("no decks/ folder here; run from the repository root or pass "
                               "the deck files or folders to check")
    targets = list(paths) or [Path("decks")]
    stamps_dir = targets[0] if targets[0].is_dir() else targets[0].parent
    result = run_validate(targets, stamps_dir / STAMPS_FILE, use_git=True,
                          use_cache=not no_cache,
                          progress=_progress(False, quiet))
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


@main.command()
@decks_option("Folder holding the deck files and stamps.json.")
@click.option("--check", is_flag=True,
              help="Change nothing; exit 1 if stamps.json is out of date (for CI).")
@click.option("--forget", "forget", multiple=True, metavar="SLUG/ID",
              help="Drop the stamp of a card that was removed before it was ever released.")
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
    from .commands import stamp as stamping
    from .problems import InvalidInput

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
        click.echo("stamps.json was not changed: fix these problems first", err=True)
        _exit_with(exc.problems)
    forgotten = f", forgot {', '.join(forget)}" if forget else ""
    click.echo(printable(f"{path}: {len(changed)} new or changed stamp(s){forgotten}"
                         if changed else f"{path}: up to date{forgotten}"))


@main.command()
@click.argument("base", required=False)
@decks_option()
@click.option("--format", "fmt", type=click.Choice(DIFF_FORMATS),
              default="text", show_default=True,
              help="text for review, markdown for a release changelog, json for tools.")
def diff(base: str | None, decks_dir: Path, fmt: str) -> None:
    """List cards added, changed (with the fields) and removed since BASE.

    BASE is any git revision; by default the merge base of HEAD with the main branch,
    which is what a pull request changes. The working tree is compared, uncommitted
    edits included. Exits 1 if a card was removed or renamed (learners keep the old
    note forever: set `retired: true` instead), 2 if there is no git history to
    compare with.

    \b
    Examples:
      deck2anki diff                      what this branch changes
      deck2anki diff v1.2.0 --format markdown > CHANGELOG-cards.md
    """
    from .commands.diff import diff as run_diff
    from .problems import InvalidInput
    from .release import git
    from .report.changes import render as render_changes

    try:
        changes, revision = run_diff(decks_dir, base)
    except git.NoHistory as exc:
        raise click.UsageError(f"cannot compare with git history: {exc}") from exc
    except InvalidInput as exc:
        _exit_with(exc.problems)
    click.echo(render_changes(changes, fmt, revision), nl=False)
    if changes.breaking:
        click.echo(f"{len(changes.breaking)} card(s) removed, renamed or switched between "
                   "Q/A and cloze: learners would keep orphaned or frozen notes; restore "
                   "them (retire with `retired: true`, add changes under a new id)", err=True)
        sys.exit(EXIT_INVALID)


@main.command()
@decks_option()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("preview"), show_default=True, help="Folder to write the pages into.")
@click.option("--open", "open_browser", is_flag=True,
              help="Then open the index page in your default browser (any OS).")
def preview(decks_dir: Path, out_dir: Path, open_browser: bool) -> None:
    """Write a static HTML preview: index.html and one page per company.

    Every card's front and back as the package's templates and CSS render them, with
    filters by kind and tag and a night-mode switch. Open preview/index.html in a
    browser, or pass --open.
    """
    from .commands.preview import preview as run_preview
    from .problems import InvalidInput

    try:
        decks = run_preview(decks_dir, out_dir)
    except InvalidInput as exc:
        _exit_with(exc.problems)
    index = out_dir / "index.html"
    click.echo(printable(f"preview: {index} ({len(decks)} decks)"))
    if open_browser:
        import webbrowser

        # A file: URI, which every platform's browser launcher accepts (a bare relative
        # path fails on macOS).
        webbrowser.open(index.resolve().as_uri())


@main.command(name="rules")
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
    from .commands.rules import listing

    try:
        click.echo(listing(codes, fmt), nl=False)
    except KeyError as exc:
        raise click.UsageError(exc.args[0]) from exc


@main.command()
@click.argument("company")
@decks_option("Folder for the new deck file.", must_exist=False)
def new(company: str, decks_dir: Path) -> None:
    """Create decks/<slug>.yaml for COMPANY from a template (a valid, empty deck).

    Example: deck2anki new "Acme Corp"  ->  decks/acme-corp.yaml
    """
    from .commands.scaffold import ScaffoldError, new_deck

    try:
        path = new_deck(decks_dir, company)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(printable(f"created {path}: fill in its source, then `deck2anki add "
                         f"{path.stem} fact` to add cards"))


@main.command()
@click.argument("slug")
@click.argument("kind", type=click.Choice(["fact", "round", "signal", "script"]))
@decks_option()
def add(slug: str, kind: str, decks_dir: Path) -> None:
    """Append a KIND card stub with a fresh unique id to the deck of company SLUG.

    The stub's TODO placeholders are reported by validate until you replace them.
    Rename the generated id to a meaningful one before the card is first released.
    """
    from .commands.scaffold import ScaffoldError, add_card
    from .problems import InvalidInput

    try:
        path, card_id, line = add_card(decks_dir, slug, kind)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from exc
    except InvalidInput as exc:  # the deck (or stamps.json) must be valid to extend it
        _exit_with(exc.problems)
    click.echo(printable(f"{path}:{line}:3: added {kind} card {card_id!r}: replace the TODOs "
                         "and give it a meaningful id before it is released"))
