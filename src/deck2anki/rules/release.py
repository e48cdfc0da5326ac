"""The release record: stamps.json, the git history guard, checks across decks."""

from __future__ import annotations

from .base import E, Rule, W

RULES = (
    Rule("duplicate-company", E, "release",
         "two decks have the same company name, so their cards would share one Anki deck",
         "decks/acme.yaml and decks/acme-eu.yaml both say `company: Acme`",
         "decks/acme-eu.yaml says `company: Acme Europe`", "prose"),
    Rule("duplicate-slug", E, "release",
         "two decks have the same slug, which names the output files and every note's identity",
         "decks/acme.yaml and decks/acme-eu.yaml both say `slug: acme`",
         "decks/acme-eu.yaml says `slug: acme-eu` (before its first release)", "prose"),
    Rule("forget", E, "release",
         "`stamp --forget` names a card still in the decks, or a key with no stamp",
         "`deck2anki stamp --forget acme/headquarters` while that card is still in the deck",
         "`deck2anki stamp --forget acme/draft-card` for a card deleted before it was released",
         "prose"),
    Rule("no-stamps", W, "release",
         "the decks folder has no stamps.json: every release would overwrite learners' own edits",
         "`deck2anki validate decks/` where decks/stamps.json does not exist",
         "run `deck2anki stamp` once and commit decks/stamps.json", "prose"),
    Rule("notetype-change", E, "release",
         "a released card switched between question/answer and cloze: Anki would skip its updates",
         "card acme/headquarters, released with front and back, now has a cloze instead",
         "the cloze gets a new id (headquarters-cloze) and headquarters gets `retired: true`",
         "prose"),
    Rule("removed-card", E, "release",
         "a released card (in stamps.json or on the main branch) is gone: learners keep it forever",
         "card acme/headquarters is in stamps.json (or on main) but deleted or renamed in the deck",
         "the card stays in the deck with `retired: true`", "prose"),
    Rule("stale-stamp", W, "release",
         "a card is new or changed since stamps.json was written: it ships with the build time",
         "the back of acme/headquarters edited after the last `deck2anki stamp`",
         "run `deck2anki stamp` and commit decks/stamps.json with the edit", "prose"),
    Rule("stamps", E, "release",
         "stamps.json is damaged (invalid JSON, unknown format, bad entries): restore it from git",
         "decks/stamps.json edited by hand, or left with merge-conflict markers",
         "decks/stamps.json restored from git, then `deck2anki stamp` run again", "prose"),
)
