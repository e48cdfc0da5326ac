"""The semantic checks of one deck that a schema cannot express."""

from __future__ import annotations

from .base import EXAMPLE_IMAGE, E, Rule, cards, deck

RULES = (
    Rule("company-name", E, "model",
         "`::`, a line break, a tab or an edge space in a company name: Anki files cards apart",
         deck("""
             company: Acme::Europe
             slug: acme
             sources:
               article: {title: Acme PM interview guide}
             cards: []
         """),
         deck("""
             company: Acme Europe
             slug: acme
             sources:
               article: {title: Acme PM interview guide}
             cards: []
         """), "deck"),
    Rule("duplicate-id", E, "model",
         "two cards of one company share an id: each learner's review history hangs on its id",
         cards("""
             - id: round-count
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
    Rule("duplicate-round", E, "model",
         "two live round cards of one company have the same number: one of them is wrong",
         cards("""
             - id: recruiter-screen
               kind: round
               source: article
               number: 1
               name: Recruiter screen
             - id: product-sense
               kind: round
               source: article
               number: 1
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
    Rule("image", E, "model",
         "an image is missing, outside the deck's folder, over 1 MiB, or not PNG, JPEG, GIF, WebP",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
               image: {file: images/no-such-map.png, alt: A map of Berlin}
         """),
         cards(f"""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
               image: {{file: {EXAMPLE_IMAGE}, alt: A map of Berlin}}
         """), "card"),
    Rule("unknown-source", E, "model",
         "a card cites a source key that is not in the deck's `sources`",
         cards("""
             - id: headquarters
               kind: fact
               source: blog
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
)
