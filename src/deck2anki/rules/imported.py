"""Cards and note types kept from Anki (``guid``, ``notetype``, ``notetypes:``), and what
``deck2anki import`` reports."""

from __future__ import annotations

from .base import E, Rule, W, cards, deck

# A deck with one note type kept from Anki, as `deck2anki import` writes it; examples
# differ from it in one place.
_KEPT = """
company: Acme
slug: acme
sources:
  anki: {{title: Anki deck Acme}}
notetypes:
  basic:
    id: 1607392319
    name: Basic
    kind: standard
    fields: [Front, Back]
    front: Front
    back: Back
    templates:
      - name: Card 1
        front: "{front}"
        back: '{{{{FrontSide}}}}<hr id="answer">{{{{Back}}}}'
    css: "{css}"
cards:
  - id: headquarters
    kind: fact
    source: anki
    notetype: {notetype}
    guid: "b2Xk#9q!Lm"
    front: Where is Acme based?
    back: Berlin.
"""


def _kept(front: str = "{{Front}}", css: str = ".card { color: black; }",
          notetype: str = "basic") -> str:
    return deck(_KEPT.format(front=front, css=css, notetype=notetype))


RULES = (
    Rule("guid-pattern", E, "schema",
         "a kept GUID has spaces or characters Anki never writes in one",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               guid: "b2Xk 9q"
               front: Where is Acme based?
               back: Berlin.
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               guid: "b2Xk#9q!Lm"
               front: Where is Acme based?
               back: Berlin.
         """), "card"),
    Rule("duplicate-guid", E, "model",
         "two cards would be one note in Anki: a kept GUID repeats, or equals another card's",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               guid: "b2Xk#9q!Lm"
               front: Where is Acme based?
               back: Berlin.
             - id: founded
               kind: fact
               source: article
               guid: "b2Xk#9q!Lm"
               front: When was Acme founded?
               back: In 2011.
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               guid: "b2Xk#9q!Lm"
               front: Where is Acme based?
               back: Berlin.
         """), "card"),
    Rule("notetype-field", E, "model",
         "a kept note type does not fit its cards: an unknown field, or a card of another form",
         _kept(front="{{Question}}"), _kept(), "deck"),
    Rule("unknown-notetype", E, "model",
         "a card names a note type the deck's `notetypes:` does not have",
         _kept(notetype="basic-reversed"), _kept(), "deck"),
    Rule("unsafe-notetype", E, "model",
         "a kept note type's template or CSS would run script or fetch something in Anki",
         _kept(front="{{Front}}<img src=x onerror=alert(1)>"), _kept(), "deck"),
    Rule("import", E, "import",
         "import refused a file (no Anki export, damaged, a zip bomb) or a change: nothing written",
         "`deck2anki import notes.zip` where notes.zip holds no Anki collection",
         "export again from Anki (File > Export, Anki Deck Package) and import that file",
         "prose"),
    Rule("import-dropped", W, "import",
         "an imported note held what card text cannot (colour, underline, script): left out",
         "a note whose back is `<font color=red>Berlin</font><script>...</script>`",
         "the card says `Berlin`; add emphasis with **bold** or *italic* if it matters",
         "prose"),
    Rule("import-field", W, "import",
         "an edit made in Anki cannot go back into the YAML (say, of a generated field)",
         "a learner edited the Source line of a card, or deleted a cloze's deletions",
         "the card's text is edited in its YAML file, then built and imported again",
         "prose"),
)
