"""The preview shows what Anki shows, and works in a real browser (Debian's chromium)."""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from deck2anki.cli import main
from deck2anki.commands.build import build
from deck2anki.engine import discover, load_decks
from deck2anki.render.notes import render_deck
from deck2anki.write.preview import render_cards

from anki_oracle import import_apkg
from conftest import DECKS, require_tool

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def _normalized(page: str) -> str:
    page = re.sub(r"^<style>.*?</style>", "", page, flags=re.DOTALL)
    # Anki entity-encodes every non-alphanumeric character of data-cloze; compare values.
    return re.sub(r'data-cloze="([^"]*)"',
                  lambda m: f'data-cloze="{html.escape(html.unescape(m.group(1)))}"', page)


def test_preview_renders_exactly_what_anki_renders(tmp_path: Path, anki_collection) -> None:
    decks, problems = load_decks(discover([DECKS]))
    assert not [p for p in problems if p.level.value == "error"]
    build(DECKS, tmp_path)
    col = anki_collection()
    compared = 0
    for deck in (d for d in decks if d.cards):  # a deck with no cards yet has no package
        import_apkg(col, tmp_path / f"{deck.slug}.apkg")
        for note in render_deck(deck).notes:
            nid = col.db.scalar("select id from notes where guid = ?", note.guid)
            anki_cards = {card.ord: card for card in col.get_note(nid).cards()}
            for preview in render_cards(note):
                anki = anki_cards[max(preview.ordinal - 1, 0)]
                assert _normalized(anki.question()) == _normalized(preview.question)
                assert _normalized(anki.answer()) == _normalized(preview.answer)
                compared += 1
    assert compared == col.card_count()


def chromium() -> str:
    return require_tool("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
                        why="the preview's browser test drives headless Chromium "
                            "(Debian/Ubuntu: sudo apt-get install chromium)")


def browse(url: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chr'}",
                           *extra, url], capture_output=True, text=True, timeout=120,
                          check=True)


@pytest.fixture(scope="module")
def preview_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("preview")
    result = CliRunner().invoke(main, ["preview", "--decks", str(DECKS), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_preview_pages_show_every_card_in_a_browser(preview_dir: Path, tmp_path: Path) -> None:
    decks, _ = load_decks(discover([DECKS]))
    index = browse((preview_dir / "index.html").as_uri(), tmp_path, "--dump-dom").stdout
    for deck in decks:
        assert f'href="{deck.slug}.html"' in index
        expected = sum(len(render_cards(n)) for n in render_deck(deck).notes)
        dom = browse((preview_dir / f"{deck.slug}.html").as_uri(), tmp_path,
                     "--dump-dom").stdout
        assert dom.count('class="d2a-preview-card"') == expected
        assert f"{expected} of {expected} cards" in dom  # the page's script ran under its CSP


def test_kind_filter_and_night_mode_in_a_browser(preview_dir: Path, tmp_path: Path) -> None:
    decks, _ = load_decks(discover([DECKS]))
    deck = next(d for d in decks if d.cards)
    kind = deck.cards[-1].kind  # filter on a kind this deck has, whichever deck it is
    shown = sum(len(render_cards(n)) for n in render_deck(deck).notes
                if n.card.kind == kind)
    url = (preview_dir / f"{deck.slug}.html").as_uri() + f"#kind={kind}&night=1"
    dom = browse(url, tmp_path, "--dump-dom").stdout
    visible = re.findall(r'<article class="d2a-preview-card"(?![^>]*hidden)[^>]*>', dom)
    assert len(visible) == shown and all(f'data-kind="{kind}"' in a for a in visible)
    assert 'class="card d2a-side nightMode"' in dom
    shot = tmp_path / "preview.png"
    browse(url, tmp_path, f"--screenshot={shot}", "--window-size=1280,1600")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000
