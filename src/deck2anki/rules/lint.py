"""Style: what the schema allows but a good deck avoids."""

from __future__ import annotations

from .base import E, Rule, W, cards

RULES = (
    Rule("duplicate-front", E, "lint",
         "two cards of one company ask the same question: one is answered from memory of the other",
         cards("""
             - id: rounds
               kind: fact
               source: article
               front: "At Acme: how many interview rounds are there?"
               back: Four.
         """),
         cards("""
             - id: rounds-onsite
               kind: fact
               source: article
               front: At Acme, how many interview rounds are on site?
               back: Three.
         """), "card"),
    Rule("empty-list-item", E, "lint",
         "a line that is only a list marker (`-`, `*`, `1.`): Anki shows an empty bullet",
         cards("""
             - id: interview-steps
               kind: fact
               source: article
               front: At Acme, what are the interview's steps?
               back: |
                 - Phone screen
                 -
                 - Onsite
         """),
         cards("""
             - id: interview-steps
               kind: fact
               source: article
               front: At Acme, what are the interview's steps?
               back: |
                 - Phone screen
                 - Onsite
         """), "card"),
    Rule("empty-side", E, "lint",
         "a question or answer that renders no text (a lone `-`, a link with no words): blank",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: "[](https://example.com/berlin)"
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: "[Berlin](https://example.com/berlin)"
         """), "card"),
    Rule("long-answer", W, "lint",
         "an answer over 300 characters tests more than one fact: split it, or move detail out",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based, and why there?
               back: >-
                 Berlin, in the old brewery by the river, since the founders moved there
                 from Munich in 1999 because rents were low, the talent pool was deep and
                 the city gave them a grant; the office now hosts four hundred people in
                 product, engineering, design and sales, and a second site is planned for
                 Hamburg next year.
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based, and why there?
               back: Berlin, for low rents and a deep talent pool.
               context: The founders moved there from Munich in 1999.
         """), "card"),
    Rule("near-duplicate-front", W, "lint",
         "two questions at least 92 % alike (with the same numbers): make the difference explicit",
         cards("""
             - id: product-sense-length
               kind: fact
               source: article
               front: At Acme, how long is the product sense round?
               back: 45 minutes.
             - id: product-sense-lengths
               kind: fact
               source: article
               front: At Acme, how long are the product sense rounds?
               back: 45 minutes each.
         """),
         cards("""
             - id: product-sense-length
               kind: fact
               source: article
               front: At Acme, how long is the product sense round?
               back: 45 minutes.
             - id: product-sense-interviewer
               kind: fact
               source: article
               front: At Acme, who runs the product sense round?
               back: A group product manager.
         """), "card"),
    Rule("reserved-tag", E, "lint",
         "a tag in `company::`, `kind::` or `status::`, the namespaces deck2anki sets itself",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
               tags: [kind::fact]
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
               tags: [topic::culture]
         """), "card"),
    Rule("round-gap", W, "lint",
         "a company's live round numbers skip one (1, then 3): a round is missing",
         cards("""
             - id: recruiter-screen
               kind: round
               source: article
               number: 1
               name: Recruiter screen
             - id: product-sense
               kind: round
               source: article
               number: 3
               name: Product sense
         """),
         cards("""
             - id: recruiter-screen
               kind: round
               source: article
               number: 1
               name: Recruiter screen
             - id: product-sense
               kind: round
               source: article
               number: 2
               name: Product sense
         """), "card"),
    Rule("stub-id", W, "lint",
         "an id `deck2anki add` made up (`new-fact-3`): rename it before release; stamp refuses it",
         cards("""
             - id: new-fact-2
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
    Rule("todo-text", W, "lint",
         "a TODO placeholder left in a card or cited source: finish it first; stamp refuses it",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: TODO
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
         """), "card"),
    Rule("unknown-tag-namespace", W, "lint",
         "a tag outside the known namespaces (`topic::`): write it as `topic::<name>`",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
               tags: [culture]
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
               tags: [topic::culture]
         """), "card"),
)
