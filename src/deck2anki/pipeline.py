"""The build, step by step: find -> load -> validate -> model -> render -> stamp -> write.

Every step's problems are collected before anything is written, so an invalid deck
never leaves a file in the output folder. The CLI only parses options and prints.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import history, markup, schema
from .guard import check as guard_check
from .guard import current_hashes, note_key, note_notetypes, notetype_key
from .lints import lint
from .loader import load_file
from .model import Deck, build_deck, check_slugs
from .problems import InvalidInput, Level, Position, Problem
from .render import RenderedDeck, csv_rows, render_deck
from .stamps import STAMPS_FILE, Stamps, build_time
from .writers import apkg_bytes, csv_bytes, write_bytes

DECK_SUFFIXES = (".yaml", ".yml")


def discover(paths: Iterable[Path]) -> list[Path]:
    """Deck files named by ``paths``: files as given, folders' own *.yaml/*.yml files.

    Folders are not searched recursively: decks sit side by side, and other YAML in
    subfolders (images, fixtures) is not a deck.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in DECK_SUFFIXES
                                and p.is_file()))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def load_decks(files: Sequence[Path],
               datas: dict[Path, Any] | None = None) -> tuple[list[Deck], list[Problem]]:
    """Every deck that is valid, and every problem of the others.

    ``datas``, if given, receives the parsed YAML of every file that parsed.
    """
    decks: list[Deck] = []
    problems: list[Problem] = []
    for path in files:
        try:
            loaded = load_file(path)
        except InvalidInput as exc:
            problems.extend(exc.problems)
            continue
        if datas is not None:
            datas[path] = loaded.data
        schema_problems = schema.validate(loaded)
        if schema_problems:
            problems.extend(schema_problems)
            continue
        deck, deck_problems = build_deck(loaded)
        problems.extend(deck_problems)
        if deck is not None:
            decks.append(deck)
    problems.extend(check_slugs(decks))
    problems.extend(lint(decks))
    return decks, sorted(problems)


@dataclass
class Validation:
    decks: list[RenderedDeck]
    problems: list[Problem]
    stale: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be checked, and why
    stamps: Stamps = field(default_factory=Stamps)  # as read, before any --forget
    hashes: dict[str, str] = field(default_factory=dict)  # current_hashes(decks)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level is Level.ERROR]


def validate(paths: Sequence[Path], stamps_path: Path | None = None,
             forget: Iterable[str] = (), *, use_git: bool = False) -> Validation:
    """Load and check ``paths``; with ``stamps_path``, also against the release history.

    ``forget`` names stamps to disregard (cards removed before they were ever released).
    With ``use_git``, cards present at the merge base with the main branch that are
    gone now are errors too; if git history is not available the
    result's ``notes`` say so.
    """
    files = discover(paths)
    datas: dict[Path, Any] = {}
    decks, problems = load_decks(files, datas)
    if not files:
        where = ", ".join(str(p) for p in paths)
        problems.append(Problem(Path(where), Position(1, 1), "no deck files (*.yaml, *.yml) "
                                "here; pass the folder or files that hold the decks",
                                "no-decks"))
    rendered = [render_deck(d) for d in decks]
    if stamps_path is None or any(p.level is Level.ERROR for p in problems):
        return Validation(rendered, problems)
    whole_folder = any(p.is_dir() and p.resolve() == stamps_path.parent.resolve()
                       for p in paths)
    notes: list[str] = []
    hashes = current_hashes(rendered)
    if stamps_path.is_file():
        try:
            recorded = Stamps.read(stamps_path)
        except InvalidInput as exc:
            return Validation(rendered, sorted(problems + exc.problems))
        stamps = recorded.without(forget)
        found, stale = guard_check(rendered, hashes, stamps, stamps_path,
                                   whole_folder=whole_folder)
        problems += found
    else:
        recorded = stamps = Stamps()
        stale = sorted(hashes)
        if whole_folder:
            problems.append(Problem(stamps_path, Position(1, 1), "no stamps file: every card "
                                    "ships stamped with the build time, which overwrites "
                                    "learners' own edits on every release; run "
                                    "`deck2anki stamp` and commit it", "no-stamps",
                                    Level.WARNING))
    if use_git and whole_folder:
        problems += _git_removals(stamps_path.parent, datas, frozenset(stamps.entries), notes)
    return Validation(rendered, sorted(problems), stale, notes, recorded, hashes)


def _git_removals(decks_dir: Path, datas: dict[Path, Any], stamped: frozenset[str],
                  notes: list[str]) -> list[Problem]:
    """Cards at the git base that are gone now (those in stamps.json are reported there)."""
    try:
        repo = history.repository(decks_dir)
        base = history.default_base(repo)
        diff = history.compare(history.cards_at(repo, base, decks_dir),
                               history.cards_now(datas))
    except history.NoHistory as exc:
        notes.append(f"git history guard skipped: {exc}; stamps.json still guards every "
                     "stamped card")
        return []
    paths = {data["slug"]: path for path, data in datas.items()
             if isinstance(data, dict) and isinstance(data.get("slug"), str)}
    return history.removal_problems(diff, base, paths, skip=stamped)


def _deck_id(deck_name: str) -> int:
    # Anki matches decks by name and assigns its own id; a stable id keeps bytes stable.
    digest = hashlib.sha256(f"deck2anki deck {deck_name}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


@dataclass(frozen=True)
class WrittenDeck:
    deck: Deck
    kinds: Mapping[str, int]
    notes: int
    cards: int
    files: tuple[Path, ...]


@dataclass(frozen=True)
class BuildResult:
    written: tuple[WrittenDeck, ...]
    stale: tuple[str, ...]
    warnings: tuple[Problem, ...]
    skipped: tuple[Deck, ...] = ()  # decks with no cards yet


Progress = Callable[[str], None]


def build(decks_dir: Path, out_dir: Path, *, now: int | None = None,
          progress: Progress | None = None) -> BuildResult:
    """Validate every deck, then write ``<slug>.apkg`` and ``<slug>.csv`` for each.

    Raises :class:`InvalidInput` before writing anything if any deck has an error.
    """
    stamps_path = decks_dir / STAMPS_FILE
    checked = validate([decks_dir], stamps_path)
    if checked.errors:
        raise InvalidInput(checked.errors)
    stamps = checked.stamps
    sde = build_time()
    fallback = sde if sde is not None else (now if now is not None else int(time.time()))
    hashes = checked.hashes
    mods = {key: stamps.mod_for(key, digest, fallback) for key, digest in hashes.items()}
    outputs: list[tuple[WrittenDeck, dict[Path, bytes]]] = []
    for rendered in checked.decks:
        if not rendered.notes:
            continue  # a deck just created with `deck2anki new`: nothing to ship yet
        if progress:
            progress(f"rendering {rendered.deck.slug} ({len(rendered.notes)} notes)")
        outputs.append(_render_files(rendered, mods, out_dir, sde))
    # Everything is in memory before the first file is replaced: a failure while
    # rendering leaves the output folder exactly as it was.
    for _summary, files in outputs:
        for path, data in files.items():
            if progress:
                progress(f"writing {path}")
            write_bytes(path, data)
    written = [summary for summary, _ in outputs]
    warnings = [p for p in checked.problems if p.level is Level.WARNING]
    skipped = tuple(r.deck for r in checked.decks if not r.notes)
    return BuildResult(tuple(written), tuple(checked.stale), tuple(warnings), skipped)


def _render_files(rendered: RenderedDeck, mods: Mapping[str, int], out_dir: Path,
                  sde: int | None) -> tuple[WrittenDeck, dict[Path, bytes]]:
    deck = rendered.deck
    note_mods = {n.guid: mods[note_key(deck, n.card.id)] for n in rendered.notes}
    notetype_mods = {nt.id: mods[notetype_key(nt)] for nt in rendered.notetypes}
    # Without SOURCE_DATE_EPOCH the newest stamp dates the package, so it stays reproducible.
    timestamp = sde if sde is not None else max([*note_mods.values(), *notetype_mods.values()])
    # Anki desktop shows the description as HTML in a web view: escape what YAML gave.
    titles = "; ".join(markup.plain(s.title) for s in deck.sources)
    description = (f"{markup.plain(deck.company)} AI PM interview prep, built by deck2anki "
                   f"from: {titles}. Cards tagged status::retired are withdrawn: you may "
                   "delete them.")
    package = apkg_bytes(_deck_id(deck.deck_name), deck.deck_name, description,
                         rendered.notes, rendered.notetypes, note_mods, notetype_mods, timestamp)
    rows = csv_rows(deck, rendered.notes)
    apkg_path = out_dir / f"{deck.slug}.apkg"
    csv_path = out_dir / f"{deck.slug}.csv"
    cards = sum(n.card.anki_cards for n in rendered.notes)
    kinds = Counter(n.card.kind for n in rendered.notes)
    summary = WrittenDeck(deck, dict(sorted(kinds.items())), len(rendered.notes), cards,
                          (apkg_path, csv_path))
    return summary, {apkg_path: package, csv_path: csv_bytes(rows)}


def stamp(decks_dir: Path, *, now: int | None = None,
          forget: Iterable[str] = ()) -> tuple[list[str], Path]:
    """Record the current content of every note; return the keys that got a new stamp."""
    stamps_path = decks_dir / STAMPS_FILE
    checked = validate([decks_dir], stamps_path, forget)
    if checked.errors:
        raise InvalidInput(checked.errors)
    stamps = checked.stamps
    hashes = checked.hashes
    # Forgetting is for cards that vanished before release. Forgetting a live card would
    # re-stamp it as new (overwriting learners' edits) and hide a Q/A-cloze switch.
    def live(key: str) -> bool:
        return key in hashes or any(k.startswith(f"{key}/") for k in hashes)

    misused = [key for key in forget
               if live(key) or len(stamps.without([key]).entries) == len(stamps.entries)]
    if misused:
        raise InvalidInput([Problem(stamps_path, Position(1, 1),
                                    f"cannot forget {key!r}: "
                                    + ("it is in the decks; only the stamps of removed cards "
                                       "or decks can be forgotten" if live(key)
                                       else "it has no stamp"), "forget")
                            for key in misused])
    # A stub is not content yet: stamping it would make its generated id final.
    stubs = [replace(p, level=Level.ERROR) for p in checked.problems
             if p.code in ("todo-text", "stub-id")]
    if stubs:
        raise InvalidInput(stubs)
    stamps = stamps.without(forget)
    changed = stamps.stale(hashes)
    updated = stamps.updated(hashes, now if now is not None else int(time.time()),
                             note_notetypes(checked.decks))
    if updated.dumps() != (stamps_path.read_text(encoding="utf-8")
                           if stamps_path.is_file() else None):
        write_bytes(stamps_path, updated.dumps().encode("utf-8"))
    return changed, stamps_path


def _valid_decks(decks_dir: Path, datas: dict[Path, Any] | None = None) -> list[Deck]:
    decks, problems = load_decks(discover([decks_dir]), datas)
    errors = [p for p in problems if p.level is Level.ERROR]
    if errors:
        raise InvalidInput(errors)
    return decks


def diff(decks_dir: Path, base: str | None = None) -> tuple[history.CardDiff, str]:
    """Cards added, changed and removed since ``base`` (default: the merge base with main).

    Raises :class:`history.NoHistory` without git history, :class:`InvalidInput` if a
    deck in the working tree is invalid.
    """
    repo = history.repository(decks_dir)
    revision = history.resolve(repo, base) if base else history.default_base(repo)
    before = history.cards_at(repo, revision, decks_dir)
    datas: dict[Path, Any] = {}
    _valid_decks(decks_dir, datas)
    return history.compare(before, history.cards_now(datas)), revision


def preview(decks_dir: Path, out_dir: Path) -> list[Deck]:
    """Write the HTML preview of every deck; raise :class:`InvalidInput` if one is invalid."""
    from .preview import preview_files

    decks = _valid_decks(decks_dir)
    for path, data in preview_files([render_deck(d) for d in decks], out_dir).items():
        write_bytes(path, data)
    return decks
