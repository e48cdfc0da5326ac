"""A static HTML preview of every card, rendered by the note types' own templates.

Each card's question and answer are produced by applying the released templates to the
note's fields (the ``{{Field}}``, ``{{#Field}}...{{/Field}}``, ``{{FrontSide}}`` and
``{{cloze:Text}}`` subset our templates use, with the same cloze markup Anki emits),
and shown with the note type's CSS: what a learner sees, one rendering path. The pages
filter by kind and tag and switch between light and night mode; a Content Security
Policy allows only the page's own script, so card text could not run any even if it
got past the sanitizer.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import chevron

from ..markup import CLOZE_RE
from ..progress import Progress, Tally
from ..render.notes import RenderedDeck, RenderedNote
from ..render.notetypes import CLOZE, CSS

_PLAIN_TAG = re.compile(r"\{\{(?![#/^&!])\s*([^}]+?)\s*\}\}")


def _template(source: str) -> str:
    # Anki inserts field HTML as is; mustache would escape it, so mark every tag raw.
    return _PLAIN_TAG.sub(lambda m: "{{&" + m.group(1).replace(":", "_") + "}}", source)


@dataclass(frozen=True)
class PreviewCard:
    note: RenderedNote
    ordinal: int  # 1-based cloze number; 0 for Q/A notes
    question: str
    answer: str


def render_cards(note: RenderedNote) -> list[PreviewCard]:
    """The question and answer HTML of every card a note makes, as Anki renders them."""
    # The note type's own data: building a genanki model per note would only copy it.
    fields = dict(zip(note.notetype.fields, note.fields, strict=True))
    cloze = note.notetype.kind == CLOZE.kind
    text = note.notetype.fields[note.notetype.cloze_field]
    ordinals = note.card.cloze_ordinals() if cloze else [0]
    cards = []
    for ordinal in ordinals:
        # A type kept from Anki may have several templates: the first shows the card.
        template = note.notetype.templates[0]
        values = dict(fields)
        if cloze:
            values[f"cloze_{text}"] = cloze_side(fields[text], ordinal, answer=False)
        question = chevron.render(_template(template["qfmt"]), values)
        values["FrontSide"] = question
        if cloze:
            values[f"cloze_{text}"] = cloze_side(fields[text], ordinal, answer=True)
        answer = chevron.render(_template(template["afmt"]), values)
        cards.append(PreviewCard(note, ordinal, question, answer))
    return cards


_SCRIPT = """
const cards = [...document.querySelectorAll('.d2a-preview-card')];
const kind = document.getElementById('kind'), tag = document.getElementById('tag');
const count = document.getElementById('count');
function apply() {
  let shown = 0;
  for (const card of cards) {
    const ok = (!kind.value || card.dataset.kind === kind.value) &&
               (!tag.value || card.dataset.tags.split(' ').includes(tag.value));
    card.hidden = !ok; if (ok) shown++;
  }
  count.textContent = shown + ' of ' + cards.length + ' cards';
  const night = document.getElementById('night').checked ? '1' : '';
  location.hash = new URLSearchParams({kind: kind.value, tag: tag.value, night}).toString();
}
function night(on) {
  for (const el of document.querySelectorAll('.card')) el.classList.toggle('nightMode', on);
  document.body.classList.toggle('d2a-night', on);
}
const params = new URLSearchParams(location.hash.slice(1));
kind.value = params.get('kind') || ''; tag.value = params.get('tag') || '';
document.getElementById('night').addEventListener('change',
  e => { night(e.target.checked); apply(); });
if (params.get('night') === '1') { document.getElementById('night').checked = true; night(true); }
kind.addEventListener('change', apply); tag.addEventListener('change', apply); apply();
"""

_PAGE_CSS = """
body { margin: 0; font-family: system-ui, sans-serif; background: #f6f8fa; color: #1f2328; }
body.d2a-night { background: #0d1117; color: #e6edf3; }
header { position: sticky; top: 0; padding: 0.8em 1em; background: inherit;
         border-bottom: 1px solid #d0d7de; display: flex; gap: 1em; flex-wrap: wrap;
         align-items: center; z-index: 1; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 34em), 1fr));
       gap: 1em; padding: 1em; }
.d2a-preview-card { border: 1px solid #d0d7de; border-radius: 8px; overflow: hidden; }
.d2a-preview-card h2 { margin: 0; padding: 0.4em 0.8em; font-size: 0.8em;
                       font-family: ui-monospace, monospace; border-bottom: 1px solid #d0d7de; }
.d2a-side { padding: 0.6em 0.2em; }
.d2a-side + .d2a-side { border-top: 2px dashed #d0d7de; }
a { color: #0969da; }
"""


def _csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return (f"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
            f"script-src 'sha256-{digest}'")


def _page(title: str, body: str, script: str = "") -> str:
    csp = _csp(script) if script else "default-src 'none'; style-src 'unsafe-inline'"
    script_tag = f"<script>{script}</script>" if script else ""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
            f"<title>{html.escape(title)}</title><style>{_PAGE_CSS}{CSS}</style></head>"
            f"<body>{body}{script_tag}</body></html>\n")


def deck_page(rendered: RenderedDeck, cards: Sequence[PreviewCard]) -> str:
    deck = rendered.deck
    blocks = []
    kinds: set[str] = set()
    tags: set[str] = set()
    for card in cards:
        note = card.note
        kinds.add(note.card.kind)
        tags.update(note.tags)
        suffix = f" (c{card.ordinal})" if card.ordinal else ""
        blocks.append(
            f'<article class="d2a-preview-card" id="{note.card.id}-{card.ordinal}" '
            f'data-kind="{note.card.kind}" data-tags="{html.escape(" ".join(note.tags))}">'
            f"<h2>{html.escape(deck.slug)}/{html.escape(note.card.id)}{suffix}</h2>"
            f'<div class="card d2a-side">{card.question}</div>'
            f'<div class="card d2a-side">{card.answer}</div></article>')
    kind_options = "".join(f'<option value="{k}">{k}</option>' for k in sorted(kinds))
    tag_options = "".join(f'<option value="{html.escape(t)}">{html.escape(t)}</option>'
                          for t in sorted(tags))
    header = (f"<header><strong>{html.escape(deck.deck_name)}</strong>"
              f'<label>Kind <select id="kind"><option value="">all</option>{kind_options}'
              f'</select></label><label>Tag <select id="tag"><option value="">all</option>'
              f"{tag_options}</select></label>"
              f'<label><input type="checkbox" id="night"> Night mode</label>'
              f'<span id="count">{len(blocks)} cards</span>'
              f'<a href="index.html">All decks</a></header>')
    return _page(deck.deck_name, header + "<main>" + "".join(blocks) + "</main>", _SCRIPT)


def index_page(decks: Sequence[RenderedDeck], counts: Mapping[str, int],
               subtitle: str = "") -> str:
    items = "".join(
        f'<li><a href="{r.deck.slug}.html">{html.escape(r.deck.company)}</a>: '
        f"{len(r.notes)} notes, {counts[r.deck.slug]} cards</li>" for r in decks)
    title = "deck2anki preview" + (f": {subtitle}" if subtitle else "")
    body = f"<ul>{items}</ul>" if items else "<p>No card to show.</p>"
    return _page(title, f"<main><section><h1>{html.escape(title)}</h1>{body}"
                 "</section></main>")


def preview_files(decks: Sequence[RenderedDeck], out_dir: Path, subtitle: str = "",
                  progress: Progress | None = None) -> dict[Path, bytes]:
    """Every file of the preview: an index, one page per company, and the images;
    ``subtitle`` says what the cards shown are (e.g. "changed since abc123");
    ``progress`` is told how many notes have their cards rendered."""
    files: dict[Path, bytes] = {}
    counts: dict[str, int] = {}
    tally = Tally(progress, "rendering pages", sum(len(r.notes) for r in decks))
    for rendered in decks:
        cards: list[PreviewCard] = []
        for note in rendered.notes:
            cards += render_cards(note)
            tally.add()
        counts[rendered.deck.slug] = len(cards)
        files[out_dir / f"{rendered.deck.slug}.html"] = deck_page(rendered, cards).encode()
        for note in rendered.notes:
            if note.card.image:
                files[out_dir / note.card.image.name] = note.card.image.data
    files[out_dir / "index.html"] = index_page(decks, counts, subtitle).encode("utf-8")
    files[out_dir / "cards.json"] = json.dumps(counts, sort_keys=True).encode("utf-8")
    return files


def cloze_side(text: str, ordinal: int, *, answer: bool) -> str:
    """What Anki's ``{{cloze:Text}}`` shows for card ``ordinal`` (same spans and data)."""

    def replace(match: re.Match[str]) -> str:
        number, hidden, hint = int(match.group(1)), match.group(2), match.group(3)
        if number != ordinal:
            return f'<span class="cloze-inactive" data-ordinal="{number}">{hidden}</span>'
        if answer:
            return f'<span class="cloze" data-ordinal="{number}">{hidden}</span>'
        data = html.escape(hidden, quote=True)
        return (f'<span class="cloze" data-cloze="{data}" data-ordinal="{number}">'
                f'[{hint or "..."}]</span>')

    return CLOZE_RE.sub(replace, text)
