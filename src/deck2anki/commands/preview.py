"""``deck2anki preview``: a static HTML page of every card, as Anki renders it; with a
base revision, only the cards a pull request adds, changes, retires or renames."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..engine import discover, no_decks, valid_decks
from ..files import write_all
from ..problems import InvalidInput
from ..progress import Progress, Tally
from ..release import changes, git
from ..render.notes import RenderedDeck, render_deck

# The names of the files the last preview wrote, so that the next one removes those it
# no longer writes (a deleted deck's page, a replaced image) and nothing else: --out
# may name a folder that holds other files.
MANIFEST = ".deck2anki-preview"


@dataclass(frozen=True)
class Preview:
    index: Path
    decks: int  # companies with a page
    cards: int  # notes shown
    base: str | None = None  # --changed: the revision compared with


def preview(decks_dir: Path, out_dir: Path, changed_since: str | None = None,
            progress: Progress | None = None) -> Preview:
    """Write the HTML preview; with ``changed_since`` ("" for the merge base with main),
    only the cards changed since that revision. ``progress`` is told what is being done.

    Raises :class:`InvalidInput` if the folder has no deck or a deck is invalid, and
    :class:`git.NoHistory` if ``changed_since`` cannot be compared with.
    """
    from ..write.preview import preview_files

    if not discover([decks_dir]):
        raise InvalidInput([no_decks(decks_dir)])
    datas: dict[Path, Any] = {}
    decks = valid_decks(decks_dir, datas, progress)
    tally = Tally(progress, "rendering notes", sum(len(d.cards) for d in decks))
    rendered = []
    for deck in decks:
        rendered.append(render_deck(deck))
        tally.add(len(deck.cards))
    base = None
    if changed_since is not None:
        repo = git.repository(decks_dir)
        base = git.base(repo, changed_since)
        if progress:
            progress(f"comparing with {base[:12]}")
        diff = changes.compare(git.cards_at(repo, base, decks_dir), git.cards_now(datas))
        rendered = _only(rendered, _touched(diff))
    title = f"changed since {base[:12]}" if base else ""
    files = preview_files(rendered, out_dir, title, progress)
    if progress:
        progress(f"writing {len(files)} file(s) into {out_dir}")
    _replace(out_dir, files)
    return Preview(out_dir / "index.html", len(rendered),
                   sum(len(r.notes) for r in rendered), base)


def _touched(diff: changes.CardDiff) -> set[tuple[str, str]]:
    """The cards a reviewer should see: everything but the removed (which have no
    text left to show; diff and validate report them)."""
    return ({*diff.added, *diff.retired, *((s, c) for s, c, _ in diff.changed),
             *((s, new) for s, _, new in diff.renamed)})


def _only(decks: list[RenderedDeck], keep: set[tuple[str, str]]) -> list[RenderedDeck]:
    kept = [replace(r, notes=tuple(n for n in r.notes if (r.deck.slug, n.card.id) in keep))
            for r in decks]
    return [r for r in kept if r.notes]


def _replace(out_dir: Path, files: dict[Path, bytes]) -> None:
    """Write the preview all or nothing, then remove what the last one wrote that this
    one does not: no stale page survives."""
    manifest = out_dir / MANIFEST
    before = set()
    if manifest.is_file():
        names = manifest.read_text(encoding="utf-8", errors="replace").splitlines()
        # Only plain names in this folder: a doctored list must not reach elsewhere.
        before = {n for n in names if n and "/" not in n and "\\" not in n
                  and n not in (".", "..", MANIFEST)}
    names = sorted(path.name for path in files)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_all({**files, manifest: "".join(f"{n}\n" for n in names).encode("utf-8")})
    for name in sorted(before - set(names)):
        stale = out_dir / name
        if stale.is_file() and not stale.is_symlink():
            stale.unlink()
