"""New cards for ``deck2anki import``: notes we do not know, written as YAML cards that
keep their GUID and note type, appended to their company's deck (made if missing)."""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from pathlib import Path

from ..check import schema
from ..files import MAX_DECK_BYTES, ReadError, read_capped
from ..foreign import KeptNoteType, Template, safe_css, safe_template
from ..identity import split_key
from ..importing.fields import lost_markup
from ..importing.package import Export, ExportedNoteType
from ..importing.plan import NewCard, Outcome, roles
from ..load.edit import Splice, add_entry, after_entry, apply, place_card, scalar
from ..load.parse import load_text
from ..load.positions import LoadedFile
from ..markup import CLOZE_RE
from ..media import MAX_IMAGE_BYTES, image_type
from ..problems import InvalidInput, Level, Position, Problem
from ..release.stamps import Stamps
from .scaffold import ScaffoldError, find_schema, slugify

SOURCE_KEY = "anki"
_OUR_TAGS = re.compile(r"^(company|kind)::|^status::retired$")


def slug_or(text: str, fallback: str) -> str:
    """``text`` as a slug; ``fallback`` when it has no letter or digit a slug can keep
    (a name in Japanese, say)."""
    try:
        return slugify(text)
    except ScaffoldError:
        return fallback


def original(path: Path) -> str:
    try:
        return read_capped(path, MAX_DECK_BYTES, what="deck").decode("utf-8")
    except (ReadError, UnicodeDecodeError) as exc:
        raise InvalidInput([Problem(path, Position(1, 1), f"cannot read the deck ({exc}); "
                                    "fix it first", "import")]) from exc


def _card_id(card: NewCard, taken: set[str]) -> str:
    plain = CLOZE_RE.sub(lambda m: m.group(2), card.front)
    words = re.sub(r"[*_`\[\]()\\{}:]+", " ", plain).split()[:6]
    base = slug_or(" ".join(words), "imported")
    card_id = unique(base[:48].rstrip("-") or "imported", taken)
    taken.add(card_id)
    return card_id


def unique(base: str, taken: Collection[str]) -> str:
    """``base``, or ``base-2``, ``base-3``...: the first name ``taken`` does not hold."""
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


@functools.cache
def _tag_pattern() -> str:
    """The schema's own pattern for a tag: what an imported tag is respelled to pass."""
    return str(schema.load_schema()["$defs"]["tag"]["pattern"])


def _tags(card: NewCard, path: Path, outcome: Outcome) -> list[str]:
    kept = []
    for tag in card.tags:
        if _OUR_TAGS.search(tag):
            continue
        fixed = re.sub(r"[^A-Za-z0-9_:-]+", "-", tag).strip("-:")[:100]
        if not re.search(_tag_pattern(), fixed):
            outcome.warnings.append(Problem(path, Position(1, 1), f"note {card.note.guid!r}: "
                                            f"tag {tag!r} dropped; tags are letters, digits, "
                                            "'_', '-' and '::'", "import-dropped",
                                            Level.WARNING))
            continue
        if fixed != tag:
            outcome.warnings.append(Problem(path, Position(1, 1), f"note {card.note.guid!r}: "
                                            f"tag {tag!r} kept as {fixed!r}; tags are letters, "
                                            "digits, '_', '-' and '::'", "import-dropped",
                                            Level.WARNING))
        kept.append(fixed)
    return sorted(set(kept))


def _image(card: NewCard, export: Export, deck_dir: Path, slug: str,
           outcome: Outcome) -> tuple[str, str] | None:
    if card.image is None:
        return None
    name, alt = card.image
    data = export.media.get(name)
    if data is None or len(data) > MAX_IMAGE_BYTES or image_type(data) is None:
        outcome.warnings.append(Problem(deck_dir, Position(1, 1), f"note {card.note.guid!r}: "
                                        f"image {name!r} dropped: missing, over 1 MiB, or not "
                                        "PNG, JPEG, GIF or WebP", "import-dropped",
                                        Level.WARNING))
        return None
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).stem).strip("-.") or "image"
    relative = f"images/{slug}/{stem[:80]}.{image_type(data)}"
    target = deck_dir / relative
    if target.exists() and target.read_bytes() != data:
        relative = f"images/{slug}/{stem[:60]}-{card.note.guid.encode().hex()[:12]}." \
                   f"{image_type(data)}"
        target = deck_dir / relative
    outcome.files[target] = data
    return relative, alt or name


def _kept_type(nt: ExportedNoteType, taken: dict[str, int], path: Path,
               outcome: Outcome) -> tuple[str, KeptNoteType]:
    cloze = nt.kind == 1
    front, back = roles(nt.fields, nt.templates, cloze)
    key = next((k for k, i in taken.items() if i == nt.id), None)
    new = key is None
    if key is None:
        key = unique(slug_or(nt.name, "notetype")[:56], taken)
        taken[key] = nt.id
    # Kept as the sanitizer writes them (validate requires exactly that, so what a
    # reviewer reads is what ships); the note type learners hold then updates to one
    # that differs in spelling at most, unless something unsafe had to go.
    templates = tuple(Template(name, _template(q), _template(a)) for name, q, a in nt.templates)
    css = safe_css(nt.css)
    if not new:
        return key, _kept(nt, key, front, back, templates, css)
    if css != nt.css or any(lost_markup(q, t.front) or lost_markup(a, t.back)
                            for (_, q, a), t in zip(nt.templates, templates, strict=True)):
        outcome.warnings.append(Problem(path, Position(1, 1), f"note type {nt.name!r}: script, "
                                        "media, fields inside tags or unsafe styles dropped "
                                        "from its templates or CSS", "import-dropped",
                                        Level.WARNING))
    return key, _kept(nt, key, front, back, templates, css)


# Names Anki fills with plain text it inserts as HTML (a deck's, a note type's): a kept
# template may not show them (see foreign.SPECIAL_NAMES).
_RAW_NAMES = re.compile(r"\{\{\s*(?:[^{}:]*:)*\s*(?:Deck|Subdeck|Type|Card)\s*\}\}")


def _template(html: str) -> str:
    return safe_template(_RAW_NAMES.sub("", html))


def _kept(nt: ExportedNoteType, key: str, front: int | None, back: int | None,
          templates: tuple[Template, ...], css: str) -> KeptNoteType:
    return KeptNoteType(key, nt.id, nt.name, nt.kind, nt.fields, nt.fields[front or 0],
                        nt.fields[back] if back is not None else None, templates, css)


def quoted(value: str) -> str:
    """``value`` as one double-quoted YAML line that reads back exactly (YAML's own
    escapes for line breaks, NEL, the Unicode separators and control characters)."""
    return scalar(value, '"', 0, block=False)


def _notetype_yaml(nt: KeptNoteType, indent: int) -> str:
    pad, data = " " * indent, nt.as_data()
    lines = [f"{pad}{nt.key}:", f"{pad}  id: {nt.id}", f"{pad}  name: {quoted(nt.name)}",
             f"{pad}  kind: {data['kind']}",
             f"{pad}  fields: [{', '.join(quoted(f) for f in nt.fields)}]",
             f"{pad}  front: {quoted(nt.front)}"]
    if nt.back is not None:
        lines.append(f"{pad}  back: {quoted(nt.back)}")
    lines.append(f"{pad}  templates:")
    for template in nt.templates:
        lines += [f"{pad}    - name: {quoted(template.name)}",
                  f"{pad}      front: {quoted(template.front)}",
                  f"{pad}      back: {quoted(template.back)}"]
    lines.append(f"{pad}  css: {quoted(nt.css)}")
    return "\n".join(lines) + "\n"


def _card_yaml(card: NewCard, card_id: str, notetype: str, tags: list[str],
               image: tuple[str, str] | None) -> str:
    text = "cloze" if card.cloze else "front"
    lines = [f"  - id: {card_id}", "    kind: fact", f"    source: {SOURCE_KEY}"]
    lines += [f"    notetype: {notetype}"] if notetype else []
    lines += [f"    guid: {quoted(card.note.guid)}", f"    {text}: {scalar(card.front, None, 6)}"]
    if card.back is not None:
        lines.append(f"    back: {scalar(card.back, None, 6)}")
    if image is not None:
        lines += ["    image:", f"      file: {image[0]}", f"      alt: {quoted(image[1])}"]
    if card.others:
        lines.append("    fields:")
        lines += [f"      {quoted(name)}: {scalar(text, None, 8)}" for name, text in card.others]
    if tags:
        lines.append(f"    tags: [{', '.join(tags)}]")
    return "\n".join(lines) + "\n"


def add_cards(outcome: Outcome, export: Export, path: Path, slug: str,
               cards: list[NewCard], stamps: Stamps) -> None:
    """Add ``cards`` to the deck ``slug`` at ``path`` (made if it does not exist)."""
    text = outcome.files[path].decode() if path in outcome.files else (
        original(path) if path.exists() else _new_deck_text(path.parent, slug, cards[0]))
    loaded = load_text(path, text)
    data = loaded.data
    taken_ids = {str(c.get("id")) for c in data.get("cards") or [] if isinstance(c, dict)}
    taken_ids |= {split_key(k)[1] for k in stamps.entries if split_key(k)[0] == slug}
    kept_types = {k: v.get("id") for k, v in (data.get("notetypes") or {}).items()}
    new_types: dict[str, KeptNoteType] = {}
    stubs = []
    for card in cards:
        key = ""
        if not card.ours:  # a note made under one of our note types keeps ours
            known = set(kept_types)
            key, kept = _kept_type(export.notetypes[card.note.notetype_id], kept_types, path,
                                   outcome)
            if key not in known:
                new_types[key] = kept
        card_id = _card_id(card, taken_ids)
        image = _image(card, export, path.parent, slug, outcome)
        stubs.append(_card_yaml(card, card_id, key, _tags(card, path, outcome), image))
        outcome.added.append((path, card_id, card))
    splices = []
    if new_types:
        splices.append(_insert_notetypes(text, loaded, list(new_types.values())))
    if SOURCE_KEY not in (data.get("sources") or {}):
        title = quoted(f"Anki deck {cards[0].note.deck}")
        splices.append(add_entry(text, loaded, ("sources",),
                                 f"{SOURCE_KEY}:\n  title: {title}\n"))
    text = apply(text, splices)
    loaded = load_text(path, text)
    text, first = place_card(text, loaded, loaded.data.get("cards") or [], "fact",
                             "".join(stubs))
    outcome.files[path] = text.encode("utf-8")
    line = first.line  # the stubs follow one another, a card each
    for card, stub in zip(cards, stubs, strict=True):
        outcome.where[card.note.guid] = Position(line, first.column)
        line += stub.count("\n")


def _insert_notetypes(text: str, loaded: LoadedFile, types: list[KeptNoteType]) -> Splice:
    if "notetypes" in loaded.data:
        return add_entry(text, loaded, ("notetypes",),
                         "".join(_notetype_yaml(nt, 0) for nt in types))
    body = "".join(_notetype_yaml(nt, 2) for nt in types)
    # After the sources, before the blank lines and comments that head the cards.
    offset = after_entry(text, loaded, ("sources",))
    return Splice(offset, offset, "notetypes:\n" + body)


def _new_deck_text(decks_dir: Path, slug: str, first: NewCard) -> str:
    import os

    company = first.note.deck.split("::")[-1].strip() or slug
    schema_file = find_schema(decks_dir)
    modeline = ""
    if schema_file is not None:
        relative = Path(os.path.relpath(schema_file.resolve(), decks_dir.resolve()))
        modeline = f"# yaml-language-server: $schema={relative.as_posix()}\n"
    return (f"{modeline}# Brought in from Anki by `deck2anki import`: check every card, and "
            "cite the\n# article its content comes from in `sources`.\n"
            f"company: {quoted(company)}\nslug: {slug}\nsources:\n  {SOURCE_KEY}:\n"
            f"    title: {quoted('Anki deck ' + first.note.deck)}\ncards: []\n")
