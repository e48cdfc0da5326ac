"""Parsing YAML: syntax, duplicate keys, characters, nesting, aliases."""

from __future__ import annotations

from .base import E, Rule, cards, deck

RULES = (
    Rule("bad-character", E, "yaml",
         "a control character YAML forbids, Anki breaks on or that reorders text, even as an "
         "escape (`\\x1f`)",
         deck(r"""
             company: "Acme\x1f"
             slug: acme
             sources:
               article: {title: Acme PM interview guide}
             cards: []
         """),
         deck(), "deck"),
    Rule("duplicate-key", E, "yaml",
         "the same key twice in one mapping: YAML silently keeps only the last value",
         deck("""
             company: Acme
             slug: acme
             company: Acme Europe
             sources:
               article: {title: Acme PM interview guide}
             cards: []
         """),
         deck(), "deck"),
    Rule("empty", E, "yaml",
         "the file holds no YAML, or `sources` is empty: a deck needs its sources and cards",
         "# Acme: cards to come", deck(), "deck"),
    Rule("not-a-mapping", E, "yaml",
         "the document is a list or a single value, not a mapping of company, slug, sources, cards",
         deck("""
             - company: Acme
               slug: acme
         """),
         deck(), "deck"),
    Rule("number-spelling", E, "yaml",
         "a whole number with a leading 0, `0x`, `:` or `_`: YAML reads `010` as 8, `1:30` as 90",
         cards("""
             - id: onsite
               kind: round
               source: article
               number: 01
               name: Onsite loop
         """),
         cards("""
             - id: onsite
               kind: round
               source: article
               number: 1
               name: Onsite loop
         """), "card"),
    Rule("too-deep", E, "yaml",
         "nesting deeper than 32 levels: no deck needs it, and it is how parsers are crashed",
         deck("""
             company: Acme
             slug: acme
             sources:
               article: {title: Acme PM interview guide}
             cards: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
         """),
         deck(), "deck"),
    Rule("too-many-aliases", E, "yaml",
         "over 1,000 alias uses (`*name`): the billion-laughs pattern; write the cards out plainly",
         "a card anchored once (&card) and repeated as *card more than 1,000 times",
         "every card written out in full, without anchors (&) and aliases (*)", "prose"),
    Rule("yaml-syntax", E, "yaml",
         "not valid YAML (tab indent, unquoted ': ', unclosed quote, unknown tag): nothing is read",
         deck("""
             company: Acme: the company
             slug: acme
             sources:
               article: {title: Acme PM interview guide}
             cards: []
         """),
         deck("""
             company: "Acme: the company"
             slug: acme
             sources:
               article: {title: Acme PM interview guide}
             cards: []
         """), "deck"),
)
