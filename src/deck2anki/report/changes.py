"""Print a card diff for review (text), a release changelog (markdown) or tools (json).

Each format is one reporter in ``REPORTERS``: ``(diff, base revision) -> text``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..identity import card_key
from ..release.changes import CardDiff, one_line, question

Reporter = Callable[[CardDiff, str], str]


def _asks(diff: CardDiff, slug: str, card_id: str) -> str:
    return question(diff.card(slug, card_id))


def _json(diff: CardDiff, base: str) -> str:
    def entry(slug: str, card_id: str, **more: Any) -> dict[str, Any]:
        return {"card": card_key(slug, card_id), "question": _asks(diff, slug, card_id),
                **more}

    return json.dumps({"base": base,
                       "added": [entry(s, c) for s, c in diff.added],
                       "changed": [entry(s, c, fields=f) for s, c, f in diff.changed],
                       "retired": [entry(s, c) for s, c in diff.retired],
                       "removed": [entry(s, c) for s, c in diff.removed],
                       "renamed": [entry(s, new, was=card_key(s, old))
                                   for s, old, new in diff.renamed],
                       "switched": [entry(s, c) for s, c in diff.switched]},
                      indent=2, ensure_ascii=False) + "\n"


def _markdown(diff: CardDiff, base: str) -> str:
    def item(slug: str, card_id: str, extra: str = "") -> str:
        return f"`{card_key(slug, card_id)}`{extra}: {_asks(diff, slug, card_id)}"

    lines = [f"## Card changes since `{base[:12]}`", ""]
    sections = (("Added", [item(s, c) for s, c in diff.added]),
                ("Changed", [item(s, c, f" ({', '.join(f)})") for s, c, f in diff.changed]),
                ("Retired (safe to delete in Anki: `tag:status::retired`)",
                 [item(s, c) for s, c in diff.retired]),
                ("Removed (learners keep these)", [item(s, c) for s, c in diff.removed]),
                ("Renamed (a new note for Anki: keep the old id)",
                 [item(s, new, f" (was `{old}`)") for s, old, new in diff.renamed]),
                ("Switched between Q/A and cloze (Anki skips their updates)",
                 [item(s, c) for s, c in diff.switched]))
    for title, items in sections:
        if items:
            lines += [f"### {title}", "", *[f"- {entry}" for entry in items], ""]
    if diff.empty:
        lines.append("No card changed.")
    return "\n".join(lines).rstrip() + "\n"


def _field_lines(diff: CardDiff, slug: str, card_id: str, fields: list[str]) -> list[str]:
    """Each changed field, as it was and as it is, for a reviewer to read."""
    old = diff.before.get(slug, {}).get(card_id, {})
    new = diff.after.get(slug, {}).get(card_id, {})
    lines = []
    for name in fields:
        for sign, card in (("-", old), ("+", new)):
            if name in card:
                lines.append(f"    {sign} {name}: {one_line(str(card[name]), 100)}")
    return lines


def _text(diff: CardDiff, base: str) -> str:
    def line(sign: str, slug: str, card_id: str, note: str = "") -> str:
        return f"{sign} {card_key(slug, card_id)}{note}  \"{_asks(diff, slug, card_id)}\""

    lines = [line("+", s, c) for s, c in diff.added]
    for slug, card_id, fields in diff.changed:
        lines.append(line("~", slug, card_id, f" ({', '.join(fields)})"))
        lines += _field_lines(diff, slug, card_id, fields)
    lines += [line("R", s, c, " retired") for s, c in diff.retired]
    lines += [line("-", s, c, " REMOVED (retire it instead)") for s, c in diff.removed]
    lines += [line(">", s, new, f" RENAMED from {old} (same content; keep the old id)")
              for s, old, new in diff.renamed]
    lines += [line("!", s, c, " SWITCHED between Q/A and cloze (use a new id, retire "
                   "this one)") for s, c in diff.switched]
    summary = (f"{len(diff.added)} added, {len(diff.changed)} changed, {len(diff.retired)} "
               f"retired, {len(diff.removed)} removed, {len(diff.renamed)} renamed since "
               f"{base[:12]}")
    return "\n".join([*lines, summary]) + "\n"


REPORTERS: dict[str, Reporter] = {"text": _text, "markdown": _markdown, "json": _json}
FORMATS = tuple(REPORTERS)


def render(diff: CardDiff, fmt: str, base: str) -> str:
    """The diff in format ``fmt`` (one of :data:`FORMATS`)."""
    return REPORTERS[fmt](diff, base)
