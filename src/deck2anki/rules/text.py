"""The card text gates: markup that would be dropped or disarmed."""

from __future__ import annotations

from .base import EXAMPLE_IMAGE, E, Rule, W, cards

RULES = (
    Rule("anki-tag", E, "text",
         "Anki media or LaTeX tags (`[sound:...]`, `[latex]`, `[$]`) in card text: shown as text",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin [sound:berlin.mp3]
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
         """), "card"),
    Rule("cloze-markup", E, "text",
         "emphasis, `code` or a link across or flush against a cloze marker; a deletion "
         "across list items",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               cloze: Acme is based in **{{c1::Berlin**}}.
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               cloze: Acme is based in {{c1::**Berlin**}}.
         """), "card"),
    Rule("cloze-number", E, "text",
         "a deletion numbered c0, past c500, or with a leading zero (c01): number them c1 to c500",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               cloze: Acme is based in {{c1::Berlin}} since {{c0::1999}}.
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               cloze: Acme is based in {{c1::Berlin}} since {{c2::1999}}.
         """), "card"),
    Rule("cloze-typo", W, "text",
         "`{c1::x}`, `{{c1:x}}`, `{{C1::x}}`, unclosed or outside `cloze`: shown as text",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               cloze: Acme is based in {{c1::Berlin}} since {c2::1999}.
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               cloze: Acme is based in {{c1::Berlin}} since {{c2::1999}}.
         """), "card"),
    Rule("markdown-image", W, "text",
         "a Markdown image (`![alt](url)`) is not shown: put the picture in the card's `image`",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin ![map](https://example.com/berlin.png)
         """),
         cards(f"""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
               image: {{file: {EXAMPLE_IMAGE}, alt: A map of Berlin}}
         """), "card"),
    Rule("mathjax", E, "text",
         r"MathJax delimiters (`\(` `\)` `\[` `\]`) in rendered text: shown as text, never typeset",
         cards(r"""
             - id: revenue-growth
               kind: fact
               source: article
               front: How fast does Acme's revenue grow?
               back: As \\(n^2\\) in the number of teams.
         """),
         cards("""
             - id: revenue-growth
               kind: fact
               source: article
               front: How fast does Acme's revenue grow?
               back: As n² in the number of teams.
         """), "card"),
    Rule("nested-cloze", E, "text",
         "a cloze deletion inside another: Anki does not support it",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               cloze: Acme is based in {{c1::Berlin, {{c2::Mitte}}}}.
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               cloze: Acme is based in {{c1::Berlin}}, {{c2::Mitte}}.
         """), "card"),
    Rule("raw-html", W, "text",
         "HTML tags in card text are shown as text, not applied: use the Markdown subset",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: <b>Berlin</b>
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: "**Berlin**"
         """), "card"),
    Rule("template-syntax", E, "text",
         "`{{` or `}}` outside a cloze deletion: Anki template syntax, shown as text, not applied",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is {{Company}} based?
               back: Berlin.
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin.
         """), "card"),
    Rule("unsafe-link", E, "text",
         "a link that is not a valid absolute http, https or mailto URL: it would be removed",
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin, see [the map](javascript:alert(1)).
         """),
         cards("""
             - id: headquarters
               kind: fact
               source: article
               front: Where is Acme based?
               back: Berlin, see [the map](https://example.com/berlin).
         """), "card"),
)
