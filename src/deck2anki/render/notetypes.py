"""The note types we ship: a compatibility contract with every learner's collection.

Anki silently skips all updates to notes of a type whose field or template names
changed. So there is one general field set per type, frozen here, and kind-specific
layout lives in the rendered HTML. Never rename, add or remove a field or template of a
released note type; a changed template or CSS reaches learners only with a newer stamp.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..identity import BASIC_NOTETYPE_ID, CLOZE_NOTETYPE_ID

if TYPE_CHECKING:  # nh3 and the foreign templates: only for a deck that keeps one
    from ..foreign import KeptNoteType

BASIC_FIELDS = ("Front", "Back", "Context", "Source", "Label", "CardId")
CLOZE_FIELDS = ("Text", "Back", "Context", "Source", "Label", "CardId")

_ANSWER_FOOTER = """
{{#Back}}<div class="d2a-back">{{Back}}</div>{{/Back}}
{{#Context}}<div class="d2a-context">{{Context}}</div>{{/Context}}
<div class="d2a-source">Source: {{Source}} <span class="d2a-id">{{CardId}}</span></div>"""

CSS = """\
.card {
  font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 20px;
  line-height: 1.45;
  color: #1f2328;
  background-color: #ffffff;
  text-align: left;
  max-width: 40em;
  margin: 0 auto;
  padding: 0 0.6em;
  overflow-wrap: break-word;
  word-wrap: break-word;
}
.d2a-label { font-size: 0.7em; letter-spacing: 0.04em; text-transform: uppercase; color: #656d76; }
.d2a-front { font-weight: 600; margin: 0.4em 0; }
.d2a-back, .d2a-answer { margin: 0.4em 0; }
.d2a-heading { font-weight: 600; }
.d2a-facts {
  display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 0.8em; margin: 0.4em 0;
}
.d2a-facts dt { color: #656d76; }
.d2a-facts dd { margin: 0; }
.d2a-steps { margin: 0.4em 0; padding-left: 1.4em; }
.d2a-pair { margin: 0.6em 0; }
.d2a-bad, .d2a-good { border-left: 4px solid; padding: 0.2em 0.6em; margin: 0.3em 0; }
.d2a-bad { border-color: #cf222e; background: #ffebe9; }
.d2a-good { border-color: #1a7f37; background: #dafbe1; }
.d2a-tag { font-weight: 700; font-size: 0.75em; margin-right: 0.4em; }
.d2a-quote {
  margin: 0.6em 0; padding-left: 0.8em; border-left: 3px solid #d0d7de; font-style: italic;
}
.d2a-context { margin-top: 0.8em; font-size: 0.85em; color: #424a53; }
.d2a-source { margin-top: 1em; font-size: 0.7em; color: #656d76; }
.d2a-id { font-family: ui-monospace, Menlo, Consolas, monospace; margin-left: 0.4em; }
.cloze { font-weight: 700; color: #0969da; }
.d2a-image { margin: 0.6em 0; }
.d2a-image img { max-width: 100%; height: auto; }
@media (max-width: 480px) { .card { font-size: 18px; padding: 0 0.3em; } }
.nightMode.card, .card.nightMode, .night_mode .card { color: #e6edf3; background-color: #1e1e1e; }
.nightMode .d2a-label, .nightMode .d2a-source, .nightMode .d2a-facts dt,
.night_mode .d2a-label, .night_mode .d2a-source, .night_mode .d2a-facts dt { color: #9198a1; }
.nightMode .d2a-context, .night_mode .d2a-context { color: #c9d1d9; }
.nightMode .d2a-bad, .night_mode .d2a-bad { background: #3c1618; border-color: #f85149; }
.nightMode .d2a-good, .night_mode .d2a-good { background: #12261e; border-color: #3fb950; }
.nightMode .d2a-quote, .night_mode .d2a-quote { border-color: #3d444d; }
.nightMode .cloze, .night_mode .cloze { color: #58a6ff; }
.nightMode a, .night_mode a { color: #58a6ff; }
"""


@dataclass(eq=False)
class NoteType:
    """A note type as released; its ``key`` names it in the stamps file.

    Plain data: genanki (slow to import) is needed only to write a package, so
    ``validate`` never loads it.
    """

    key: str
    id: int
    name: str
    fields: tuple[str, ...]
    templates: tuple[dict[str, str], ...]  # name, qfmt, afmt: Anki's order
    kind: int  # genanki's Model.FRONT_BACK (0) or Model.CLOZE (1)
    css: str = CSS
    cloze_field: int = 0  # where a cloze type's deletions are (the field {{cloze:}} shows)

    def identity(self) -> dict[str, object]:
        """Everything Anki compares when it decides whether a note type changed."""
        return {"name": self.name, "type": self.kind, "fields": list(self.fields),
                "templates": [{k: t[k] for k in ("name", "qfmt", "afmt")}
                              for t in self.templates],
                "css": self.css}

    @classmethod
    def kept(cls, slug: str, notetype: KeptNoteType) -> NoteType:
        """The note type an imported deck keeps, as it ships."""
        from ..foreign import safe_template

        # As the sanitizer writes them: the model let only templates it keeps whole
        # through, and the package carries the sanitizer's own spelling of them.
        return cls(f"{slug}.{notetype.key}", notetype.id, notetype.name, notetype.fields,
                   tuple({"name": t.name, "qfmt": safe_template(t.front),
                          "afmt": safe_template(t.back)} for t in notetype.templates),
                   notetype.kind, notetype.css, notetype.fields.index(notetype.front))


BASIC = NoteType(
    "basic", BASIC_NOTETYPE_ID, "deck2anki Q/A", BASIC_FIELDS,
    ({"name": "Card",
     "qfmt": '<div class="d2a-label">{{Label}}</div>\n<div class="d2a-front">{{Front}}</div>',
     "afmt": "{{FrontSide}}\n<hr id=answer>" + _ANSWER_FOOTER},),
    0)

CLOZE = NoteType(
    "cloze", CLOZE_NOTETYPE_ID, "deck2anki Cloze", CLOZE_FIELDS,
    ({"name": "Cloze",
     "qfmt": '<div class="d2a-label">{{Label}}</div>\n<div class="d2a-front">{{cloze:Text}}</div>',
     "afmt": '<div class="d2a-label">{{Label}}</div>\n<div class="d2a-front">{{cloze:Text}}</div>'
             "\n<hr id=answer>" + _ANSWER_FOOTER},),
    1)

NOTETYPES = (BASIC, CLOZE)
