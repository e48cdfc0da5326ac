"""``deck2anki import``: an Anki export back into the decks, every other byte kept.

Nothing is written until every deck file that would change has been rebuilt in memory,
edited in place, and checked like any deck (schema, model): then all files are written
at once, or none. A file the decks cannot take stops the import with one line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from ..engine import load_deck, valid_decks
from ..files import write_all
from ..identity import card_key
from ..importing.package import read_export
from ..importing.plan import (
    Decisions,
    NewCard,
    Outcome,
    find_ours,
    learner_edits,
    new_card,
    older_versions,
)
from ..load.edit import EditError, Splice, apply, remove, set_item, set_value
from ..load.parse import load_text
from ..media import MAX_IMAGE_BYTES
from ..model import Deck
from ..problems import InvalidInput, Level, Position, Problem
from ..release import git
from ..release.changes import Cards
from ..release.stamps import STAMPS_FILE, Stamps
from .import_new import add_cards, original, slug_or


def _fail(path: Path, message: str, code: str = "import") -> InvalidInput:
    return InvalidInput([Problem(path, Position(1, 1), message, code)])


# How far back a learner's copy is recognised as an earlier release.
HISTORY_DEPTH = 30


def _history(decks_dir: Path) -> Iterator[Cards]:
    """The cards of each earlier version of the decks, newest first (none without git)."""
    try:
        repo = git.repository(decks_dir)
        commits = git.revisions(repo, decks_dir, HISTORY_DEPTH)
    except git.NoHistory:
        return
    for commit in commits:
        yield git.cards_at(repo, commit, decks_dir)


def _stamp(stamps: Stamps, slug: str, card_id: str) -> int | None:
    entry = stamps.entries.get(card_key(slug, card_id))
    return entry.mod if entry is not None else None


def plan(export_path: Path, decks_dir: Path, company: str | None = None) -> Outcome:
    """Everything importing ``export_path`` into ``decks_dir`` would change, checked."""
    if company is not None and slug_or(company, "") != company:
        like = slug_or(company, "acme")
        raise _fail(export_path, f"--company {company!r} is not a slug; give one like {like!r}")
    export = read_export(export_path)
    # Every deck must be valid (a first deck makes the folder).
    decks = {deck.path: deck for deck in valid_decks(decks_dir)} if decks_dir.exists() else {}
    stamps_path = decks_dir / STAMPS_FILE
    stamps = Stamps.read(stamps_path) if stamps_path.is_file() else Stamps()
    ours = find_ours({str(p): d for p, d in decks.items()})
    decided = Decisions()
    new: dict[str, list[NewCard]] = {}
    for note in export.notes:
        if note.guid in ours:
            deck, rendered = ours[note.guid]
            learner_edits(note, rendered, deck, _stamp(stamps, deck.slug, rendered.card.id),
                          decided)
            continue
        card = new_card(note, export, export_path, decided)
        if card is not None:
            slug = company or slug_or(note.deck.split("::")[-1], "imported")
            new.setdefault(slug, []).append(card)
    if decided.edits:
        decided.edits = older_versions(decided.edits, _history(decks_dir), decided)
    outcome = Outcome(edits=decided.edits, warnings=decided.warnings,
                      unchanged=decided.unchanged, older=decided.older)
    _write_edits(outcome, decks)
    by_slug = {deck.slug: path for path, deck in decks.items()}
    for slug, cards in new.items():
        target = by_slug.get(slug, decks_dir / f"{slug}.yaml")
        if target not in by_slug.values() and target.exists():
            raise _fail(target, f"the cards of {slug!r} would go here, but it is no valid "
                        "deck; move it aside or give --company another slug", "import")
        add_cards(outcome, export, target, slug, cards, stamps)
    _check(outcome)
    _point_at_new_cards(outcome)
    return outcome


def _point_at_new_cards(outcome: Outcome) -> None:
    """Move the warnings about notes that became new cards to where each card starts."""
    for index, warning in enumerate(outcome.warnings):
        if warning.position != Position(1, 1):
            continue
        for path, _card_id, card in outcome.added:
            if warning.message.startswith(f"note {card.note.guid!r}:"):
                outcome.warnings[index] = replace(warning, path=path,
                                                  position=outcome.where[card.note.guid])
                break


def _write_edits(outcome: Outcome, decks: dict[Path, Deck]) -> None:
    for path in decks:
        edits = [e for e in outcome.edits if e.deck.path == path]
        if not edits:
            continue
        text = original(path)
        loaded = load_text(path, text)
        index = {card.get("id"): i for i, card in enumerate(loaded.data["cards"])
                 if isinstance(card, dict)}
        splices: list[Splice] = []
        for edit in list(edits):
            where: tuple[str | int, ...] = ("cards", index[edit.card.id])
            name, _, number = edit.name.partition("[")
            try:
                if edit.after is None:
                    splices.append(remove(text, loaded, where, name))
                elif number:
                    splices.append(set_item(text, loaded, (*where, name),
                                            int(number.rstrip("]")), edit.after))
                else:
                    splices.append(set_value(text, loaded, where, name, edit.after))
            except EditError as exc:
                outcome.warnings.append(Problem(path, edit.card.at(name), f"card "
                                                f"{edit.card.id!r}: {edit.name} not imported: "
                                                f"{exc}", "import-field", Level.WARNING))
                outcome.edits.remove(edit)
        if splices:
            outcome.files[path] = apply(text, splices).encode("utf-8")


def _check(outcome: Outcome) -> None:
    """Every file the import would write is a valid deck, or the import stops."""
    for path, data in outcome.files.items():
        if path.suffix not in (".yaml", ".yml"):
            continue
        problems = _checked_as_written(path, data.decode("utf-8"), outcome.files)
        errors = [p for p in problems if p.level is Level.ERROR]
        if errors:
            first = errors[0]
            raise InvalidInput([Problem(path, first.position, "the imported text would make "
                                        f"this deck invalid ({first.code}: {first.message})",
                                        "import")])


def _checked_as_written(path: Path, text: str, files: dict[Path, bytes]) -> list[Problem]:
    """The deck's problems once written: checked in a scratch folder that holds it and
    its images (the new ones from ``files``), as they would be beside it."""
    import tempfile

    loaded = load_text(path, text)
    with tempfile.TemporaryDirectory(prefix="deck2anki-import-") as scratch:
        root = Path(scratch)
        for card in loaded.data.get("cards") or []:
            image = card.get("image") if isinstance(card, dict) else None
            name = image.get("file") if isinstance(image, dict) else None
            if not isinstance(name, str):
                continue
            source = path.parent / name
            data = files.get(source)
            if data is None and source.is_file() and not source.is_symlink():
                data = source.read_bytes()[:MAX_IMAGE_BYTES + 1]
            if data is not None and ".." not in Path(name).parts:
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_bytes(data)
        _, _, problems = load_deck(root / path.name, text)
    return [replace(p, path=path) for p in problems]


def write(outcome: Outcome) -> None:
    write_all(outcome.files)
