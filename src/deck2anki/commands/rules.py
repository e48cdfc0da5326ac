"""``deck2anki rules``: what each problem code means, from the registry."""

from __future__ import annotations

from collections.abc import Sequence

from .. import rules


def listing(codes: Sequence[str] = (), fmt: str = "text") -> str:
    """The rules of ``codes`` (every rule if none) as text, or as the README's table
    (``fmt="markdown"``); KeyError names a code deck2anki does not have."""
    selected = [rules.rule(code) for code in codes] if codes else list(rules.RULES)
    return rules.markdown_table(selected) if fmt == "markdown" else rules.text_listing(selected)
