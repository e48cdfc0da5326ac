"""Print a card diff for review (text), a release changelog (markdown) or tools (json).

Each format is one reporter in ``REPORTERS``: ``(diff, base revision) -> text``.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from ..identity import card_key
from ..release.changes import CardDiff

Reporter = Callable[[CardDiff, str], str]


def _json(diff: CardDiff, base: str) -> str:
    return json.dumps({"base": base,
                       "added": [card_key(s, c) for s, c in diff.added],
                       "changed": {card_key(s, c): f for s, c, f in diff.changed},
                       "retired": [card_key(s, c) for s, c in diff.retired],
                       "removed": [card_key(s, c) for s, c in diff.removed],
                       "switched": [card_key(s, c) for s, c in diff.switched]},
                      indent=2) + "\n"


def _markdown(diff: CardDiff, base: str) -> str:
    lines = [f"## Card changes since `{base[:12]}`", ""]
    sections = (("Added", [f"`{card_key(s, c)}`" for s, c in diff.added]),
                ("Changed", [f"`{card_key(s, c)}` ({', '.join(f)})"
                             for s, c, f in diff.changed]),
                ("Retired (safe to delete in Anki: `tag:status::retired`)",
                 [f"`{card_key(s, c)}`" for s, c in diff.retired]),
                ("Removed (learners keep these)",
                 [f"`{card_key(s, c)}`" for s, c in diff.removed]))
    for title, items in sections:
        if items:
            lines += [f"### {title}", "", *[f"- {item}" for item in items], ""]
    if diff.empty:
        lines.append("No card changed.")
    return "\n".join(lines).rstrip() + "\n"


def _text(diff: CardDiff, base: str) -> str:
    lines = [f"+ {card_key(s, c)}" for s, c in diff.added]
    lines += [f"~ {card_key(s, c)}: {', '.join(f)}" for s, c, f in diff.changed]
    lines += [f"R {card_key(s, c)}: retired" for s, c in diff.retired]
    lines += [f"- {card_key(s, c)}: REMOVED (retire it instead)" for s, c in diff.removed]
    lines += [f"! {card_key(s, c)}: SWITCHED between Q/A and cloze (use a new id, retire "
              "this one)" for s, c in diff.switched]
    summary = (f"{len(diff.added)} added, {len(diff.changed)} changed, {len(diff.retired)} "
               f"retired, {len(diff.removed)} removed since {base[:12]}")
    return "\n".join([*lines, summary]) + "\n"


REPORTERS: dict[str, Reporter] = {"text": _text, "markdown": _markdown, "json": _json}
FORMATS = tuple(REPORTERS)


def render(diff: CardDiff, fmt: str, base: str) -> str:
    """The diff in format ``fmt`` (one of :data:`FORMATS`)."""
    return REPORTERS[fmt](diff, base)
