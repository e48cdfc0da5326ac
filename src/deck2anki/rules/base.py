"""The shape of a rule, and the helpers the stage modules write their examples with."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from ..problems import Level

# Where a problem is found, in the order a deck goes through the checks. A file that does
# not parse stops there; past that, a card the schema rejects is left out of the later
# stages and every other card goes through all of them, so one run reports everything.
STAGES = (
    "file",  # finding and reading the file: encoding, size, the file system
    "yaml",  # parsing: syntax, duplicate keys, characters, nesting, aliases
    "schema",  # deck.schema.json and its x-codes
    "model",  # semantic checks of one deck the schema cannot express
    "text",  # the card text gates: markup that would be dropped or disarmed
    "lint",  # style: what the schema allows but a good deck avoids
    "release",  # stamps.json, the git history guard, checks across decks
    "coverage",  # `deck2anki coverage`: the decks against their articles' fact lists
    "import",  # `deck2anki import`: an Anki export read back into the decks
)
# How a rule's examples are given.
EXAMPLES = (
    "card",  # card entries, appended under ``cards:`` of BASE_DECK
    "deck",  # a whole deck file
    "prose",  # words: it takes stamps.json, git history, several files or the file system
)

# A minimal clean deck: it validates without a problem, and ends with its ``cards:`` list
# so that a "card" example's entries can be appended to it.
BASE_DECK = """\
company: Acme
slug: acme
sources:
  article:
    title: Acme PM interview guide
cards:
  - id: round-count
    kind: fact
    source: article
    front: At Acme, how many interview rounds are there?
    back: Four.
"""
# The one file beside the deck that examples may cite: a PNG image, relative to the
# deck's folder (where BASE_DECK and "deck" examples are checked).
EXAMPLE_IMAGE = "images/acme.png"


@dataclass(frozen=True)
class Rule:
    """One problem code: what it catches, and how to fix it."""

    code: str  # e.g. "duplicate-id", as printed after each problem's level
    level: Level  # the level it is reported at by default
    stage: str  # one of STAGES
    summary: str  # one line: what is wrong and why it matters
    bad: str  # a failing example
    good: str  # the passing example: the fix
    example: str  # one of EXAMPLES: how bad and good are given

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"rule {self.code!r}: unknown stage {self.stage!r}")
        if self.example not in EXAMPLES:
            raise ValueError(f"rule {self.code!r}: unknown example kind {self.example!r}")

    def deck_file(self, *, good: bool) -> str:
        """The whole deck file of the good or bad example ("card" and "deck" rules)."""
        text = self.good if good else self.bad
        if self.example == "card":
            return BASE_DECK + text + "\n"
        if self.example == "deck":
            return text + "\n"
        raise ValueError(f"rule {self.code!r} is described in prose: it has no deck file")


def yaml_text(text: str, indent: str = "") -> str:
    """An example written indented in this file, as it is in a deck."""
    return textwrap.indent(textwrap.dedent(text).strip("\n"), indent)


def cards(text: str) -> str:
    """Card entries as they sit under ``cards:`` (a 2-space list indent)."""
    return yaml_text(text, "  ")


E, W = Level.ERROR, Level.WARNING

# A clean deck with no cards yet (deck examples differ from it in one place).
EMPTY_DECK = """
company: Acme
slug: acme
sources:
  article: {title: Acme PM interview guide}
cards: []
"""


def deck(text: str = EMPTY_DECK) -> str:
    return yaml_text(text)
