"""Coverage (`deck2anki coverage`): the decks against their articles and fact lists."""

from __future__ import annotations

from .base import E, Rule, W

RULES = (
    Rule("fact-list", E, "coverage",
         "a fact list is not `{source, not_deck_material, labels, facts}`, or a fact cites a blank"
         " line",
         "a fact entry with `lien: 3` instead of `line: 3`",
         "`- {line: 3, fact: The first round lasts 45 minutes, cards: [first-round]}`",
         "prose"),
    Rule("invented-number", W, "coverage",
         "a card states a number its article never states: a claim the source cannot back",
         "`back: 60 minutes.` on a card whose article only ever says 45 minutes",
         "`back: 45 minutes.`, the article's own figure", "prose"),
    Rule("missing-number", W, "coverage",
         "a number on a fact's line of the article that none of that line's cards states",
         "line 3 says 'five rounds in 45 minutes each'; its cards mention only the five",
         "a card of line 3 states the 45 minutes too; or a 'Q3' that only labels a scene is "
         "listed under `labels`", "prose"),
    Rule("no-fact-list", W, "coverage",
         "an article the decks cite has no fact list beside it, so its coverage is unknown",
         "decks/sources/acme.txt with no decks/sources/acme.facts.yaml",
         "decks/sources/acme.facts.yaml lists each fact of acme.txt with its line and cards",
         "prose"),
    Rule("no-source-file", W, "coverage",
         "a source's `file` is not in the decks folder's sources/, so no card can be checked",
         "`file: acme.txt` while decks/sources/acme.txt does not exist",
         "the article saved as decks/sources/acme.txt (UTF-8 text)", "prose"),
    Rule("uncovered-fact", W, "coverage",
         "a listed fact of the article that no live card teaches: a gap to fill",
         "`- {line: 7, fact: Round two is a case study, cards: []}`",
         "a card that teaches it, its id listed: `cards: [round-two-case]`", "prose"),
    Rule("unknown-fact-card", E, "coverage",
         "a fact list names a card that does not cite its article, or is retired",
         "`cards: [frist-round]` (misspelt), or the id of a retired card",
         "`cards: [first-round]`, the live card that teaches the fact", "prose"),
    Rule("unlisted-card", W, "coverage",
         "a live card teaches no fact of its article's fact list: untraceable to its source",
         "a new card `salary-bands` whose id no fact of the list names",
         "the fact it teaches, with its line, listed with `cards: [salary-bands]`", "prose"),
    Rule("unlisted-line", W, "coverage",
         "a line of the article that is neither a listed fact nor set aside as no material",
         "line 12 of the article has no fact and is not under not_deck_material",
         "its facts listed; or `- {lines: [12], why: an advertisement}`", "prose"),
)
