"""What deck.schema.json refuses (its x-codes name the codes)."""

from __future__ import annotations

from .base import EXAMPLE_IMAGE, E, Rule, cards, deck

RULES = (
    Rule("bad-good-pair", E, "schema",
         "a script card has `bad` without `good` or the reverse: a BAD-vs-GOOD pair needs both",
         cards("""
             - id: pitch-a-feature
               kind: script
               source: article
               front: At Acme, how do you pitch a feature?
               back: Problem, evidence, ask.
               bad: Walk through the roadmap.
         """),
         cards("""
             - id: pitch-a-feature
               kind: script
               source: article
               front: At Acme, how do you pitch a feature?
               back: Problem, evidence, ask.
               bad: Walk through the roadmap.
               good: Name the user's problem, show the evidence, make one ask.
         """), "card"),
    Rule("cloze-without-deletion", E, "schema",
         "a cloze with no complete `{{c1::...}}` deletion: Anki would make no card of it",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               cloze: Acme is based in Berlin.
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               cloze: Acme is based in {{c1::Berlin}}.
         """), "card"),
    Rule("empty-text", E, "schema",
         "a text, cloze deletion or hint is empty or only whitespace: the card would show a blank",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: " "
               back: Berlin.
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
         """), "card"),
    Rule("fact-shape", E, "schema",
         "a fact card has front and back, or a cloze (and maybe a back): not both, not neither",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
               cloze: Acme is based in {{c1::Berlin}}.
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               cloze: Acme is based in {{c1::Berlin}}.
         """), "card"),
    Rule("id-pattern", E, "schema",
         "an id, slug or source key is not lowercase words joined by hyphens (ids are forever)",
         cards("""
             - id: Acme_HQ
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
         """), "card"),
    Rule("image-path", E, "schema",
         "an image path is absolute, climbs out with `..` or has unusual characters",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
               image: {file: ../secrets.png, alt: A map of Berlin}
         """),
         cards(f"""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
               image: {{file: {EXAMPLE_IMAGE}, alt: A map of Berlin}}
         """), "card"),
    Rule("missing-property", E, "schema",
         "a required property is missing (company, slug, a card's id or kind, a signal's back...)",
         cards("""
             - id: valued-most
               kind: signal
               source: article
               front: What does Acme's hiring committee value most?
         """),
         cards("""
             - id: valued-most
               kind: signal
               source: article
               front: What does Acme's hiring committee value most?
               back: Evidence of shipped impact.
         """), "card"),
    Rule("no-source", E, "schema",
         "a card does not name its source: every card must be checkable against its article",
         cards("""
             - id: headquarters
               kind: fact
               front: Where is Acme based?
               back: Berlin.
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
         """), "card"),
    Rule("not-allowed", E, "schema",
         "a value outside the short list the format allows for that property (other than kind)",
         "a property whose schema lists its allowed values (an `enum`), set to another value",
         "one of the values the error message lists", "prose"),
    Rule("out-of-range", E, "schema",
         "a round number outside 1..20: rounds are counted from 1",
         cards("""
             - id: recruiter-screen
               kind: round
               source: article
               number: 0
               name: Recruiter screen
         """),
         cards("""
             - id: recruiter-screen
               kind: round
               source: article
               number: 1
               name: Recruiter screen
         """), "card"),
    Rule("reserved-slug", E, "schema",
         "the slug `notetype`: stamps.json keys the note types with it, so its cards would clash",
         deck("""
             company: Notetype Inc
             slug: notetype
             sources:
               article: {title: Notetype PM interview guide}
             cards: []
         """),
         deck("""
             company: Notetype Inc
             slug: notetype-inc
             sources:
               article: {title: Notetype PM interview guide}
             cards: []
         """), "deck"),
    Rule("repeated-item", E, "schema",
         "a list names the same item twice (a tag): remove the repeat",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
               tags: [topic::culture, topic::culture]
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
               tags: [topic::culture]
         """), "card"),
    Rule("schema", E, "schema",
         "a value breaks a schema rule that has no code of its own (in the validator's words)",
         "a deck checked against a schema keyword newer than this deck2anki's messages",
         "every keyword of schema/deck.schema.json maps to a code of its own (its x-codes), "
         "so this shows only while a new keyword lacks one", "prose"),
    Rule("tag-pattern", E, "schema",
         "a tag with spaces or characters Anki tags cannot hold: letters, digits, `_`, `-`, `::`",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
               tags: [company culture]
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
               tags: [topic::culture]
         """), "card"),
    Rule("too-few", E, "schema",
         "a script's `steps` has fewer than 2 items: a one-step skeleton belongs in `back`",
         cards("""
             - id: pitch-a-feature
               kind: script
               source: article
               front: At Acme, how do you pitch a feature?
               back: Problem, evidence, ask.
               steps: [Name the problem]
         """),
         cards("""
             - id: pitch-a-feature
               kind: script
               source: article
               front: At Acme, how do you pitch a feature?
               back: Problem, evidence, ask.
               steps: [Name the problem, Show the evidence, Make one ask]
         """), "card"),
    Rule("too-long", E, "schema",
         "over a length cap: an id, slug or tag (64, 100), an image path (200), a text (4,000)",
         cards("""
             - id: what-the-hiring-manager-said-about-product-sense-in-the-q3-debrief
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
         """),
         cards("""
             - id: q3-debrief-product-sense
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
         """), "card"),
    Rule("unknown-kind", E, "schema",
         "`kind` is not fact, round, signal or script, so the card has no way to be rendered",
         cards("""
             - id: headquarters
               kind: trivia
               source: article
               front: Where is Acme based?
               back: Berlin.
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
         """), "card"),
    Rule("unknown-property", E, "schema",
         "a property the deck format does not have, often a typo: it would be silently ignored",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
               note: The founders moved there from Munich.
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
               context: The founders moved there from Munich.
         """), "card"),
    Rule("wrong-type", E, "schema",
         "a value of the wrong type (text for a number, a list for text, a date): YAML guessed",
         cards("""
             - id: recruiter-screen
               kind: round
               source: article
               number: one
               name: Recruiter screen
         """),
         cards("""
             - id: recruiter-screen
               kind: round
               source: article
               number: 1
               name: Recruiter screen
         """), "card"),
)
