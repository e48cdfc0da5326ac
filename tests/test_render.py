"""Rendering: escaped text, stable identity, and the frozen note-type contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from deck2anki.identity import note_guid
from deck2anki.model import Card, Deck, Source
from deck2anki.render.csv import csv_rows
from deck2anki.render.notes import render_note
from deck2anki.render.notetypes import BASIC, BASIC_NOTETYPE_ID, CLOZE, CLOZE_NOTETYPE_ID
from deck2anki.write.apkg import genanki_model

SOURCE = Source("article", "An <Article> & more")
DECK = Deck(Path("d.yaml"), "Acme & Co", "acme", (SOURCE,), ())


def note_for(**fields: object):
    card = Card(id=str(fields.pop("id", "c1")), kind=str(fields.pop("kind", "fact")),
                source=SOURCE, **fields)  # type: ignore[arg-type]
    return render_note(DECK, card)


def test_note_types_are_a_frozen_contract() -> None:
    """Renaming a field or template makes Anki skip every update: never change these."""
    assert BASIC.id == BASIC_NOTETYPE_ID == 1434908760
    assert CLOZE.id == CLOZE_NOTETYPE_ID == 1841641272
    assert [f["name"] for f in genanki_model(BASIC).fields] == [
        "Front", "Back", "Context", "Source", "Label", "CardId"]
    assert [f["name"] for f in genanki_model(CLOZE).fields] == [
        "Text", "Back", "Context", "Source", "Label", "CardId"]
    assert [t["name"] for t in genanki_model(BASIC).templates] == ["Card"]
    assert [t["name"] for t in genanki_model(CLOZE).templates] == ["Cloze"]
    assert genanki_model(BASIC).name == "deck2anki Q/A"
    assert genanki_model(CLOZE).name == "deck2anki Cloze"


def test_text_is_escaped_and_shows_as_written() -> None:
    note = note_for(front="Is 1 < 2 & 3 > 2?", back='<script>alert("x")</script>',
                    context="Line one\nline two")
    front, back, context, source, label, card_ref = note.fields
    assert front == "Is 1 &lt; 2 &amp; 3 &gt; 2?"
    assert "<script" not in back and "&lt;script&gt;" in back
    assert context == "Line one<br>\nline two"
    assert source == "An &lt;Article&gt; &amp; more"
    assert label == "Acme &amp; Co · fact"
    assert card_ref == "acme/c1"


def test_identity_is_company_and_id_only() -> None:
    a = note_for(front="Q?", back="A.")
    b = note_for(front="Another question?", back="Another answer.")
    assert a.guid == b.guid == note_guid("acme", "c1")
    assert note_guid("acme", "c1") != note_guid("other", "c1")
    assert note_for(id="c2", front="Q?", back="A.").guid != a.guid


@pytest.mark.parametrize(("slug", "card_id"), [("acme", "c1"), ("pinterest", "round-4"),
                                               ("zürich-ag", "ünïcode-id"), ("a", "")])
def test_guids_are_what_every_release_shipped(slug: str, card_id: str) -> None:
    import genanki

    # Computed by us since identity moved out of the writer; genanki's value is the
    # contract with learners' collections.
    assert note_guid(slug, card_id) == genanki.guid_for("deck2anki", slug, card_id)


def test_tags_carry_company_kind_and_retirement() -> None:
    note = note_for(front="Q?", back="A.", tags=("topic::pay",), retired=True)
    assert note.tags == ("company::acme", "kind::fact", "status::retired", "topic::pay")
    assert "retired" in note.fields[4]


def test_cloze_uses_the_cloze_type_and_keeps_deletions() -> None:
    note = note_for(cloze="Pay is {{c1::$150k}} & bonus {{c2::15 %::percent}}.")
    assert note.notetype is CLOZE
    assert note.fields[0] == "Pay is {{c1::$150k}} &amp; bonus {{c2::15 %::&#112;ercent}}."


@pytest.mark.parametrize("kind", ["round", "signal", "script"])
def test_kinds_render_their_own_layout(kind: str) -> None:
    extra: dict[str, object] = {
        "round": {"number": 2, "name": "Deep dive", "length": "45 minutes",
                  "interviewers": "the hiring manager", "assesses": "Ownership."},
        "signal": {"name": "Execution risk", "front": "Signal 1?", "back": "Risk."},
        "script": {"front": "Structure?", "back": "Metric first.", "steps": ("a", "b"),
                   "bad": "I <did> it.", "good": "We did X.", "quote": "We launched..."},
    }[kind]
    note = note_for(kind=kind, **extra)
    front, back = note.fields[0], note.fields[1]
    assert front
    if kind == "round":
        assert "round 2" in front and "how long" in front
        assert "Deep dive" in back and "45 minutes" in back and "the hiring manager" in back
    elif kind == "signal":
        assert "Signal: Execution risk" in back
    else:
        assert '<ol class="d2a-steps"><li>a</li><li>b</li></ol>' in back
        assert "I &lt;did&gt; it." in back and "d2a-good" in back and "We launched" in back


def test_csv_has_one_row_per_note_on_anki_s_own_note_types() -> None:
    notes = [note_for(cloze="A {{c1::one}} and {{c2::two::hint}}."),
             note_for(id="c2", front="Q?", back="A.")]
    rows = csv_rows(DECK, notes)
    assert len(rows) == 2  # a cloze stays one note, with its two deletions
    assert len({r[0] for r in rows}) == 2 and not {r[0] for r in rows} & {n.guid for n in notes}
    assert [r[1] for r in rows] == ["Cloze", "Basic"]
    assert "{{c1::one}}" in rows[0][2] and "{{c2::two::&#104;int}}" in rows[0][2]
    assert rows[1][2] == '<div class="d2a-front">Q?</div>'  # the question first, no label
    assert "Source: An &lt;Article&gt; &amp; more" in rows[1][3]
    assert all(r[4] == "AI PM Interview Prep::Acme & Co" for r in rows)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*em* **strong** `code`", "<em>em</em> <strong>strong</strong> <code>code</code>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("[docs](https://example.com)", '<a href="https://example.com">docs</a>'),
        ("[x](javascript:alert(1))", "<a>x</a>"),
        ("<b>bold</b>", "&lt;b&gt;bold&lt;/b&gt;"),
        ("{{Front}} [sound:a.mp3]", "&#123;&#123;Front&#125;&#125; &#91;sound:a.mp3&#93;"),
    ],
    ids=["emphasis", "list", "link", "js-link", "raw-html", "anki-syntax"],
)
def test_rich_text_is_a_safe_markdown_subset(text: str, expected: str) -> None:
    assert render_note(DECK, Card(id="c", kind="fact", source=SOURCE, front=text,
                                  back="b")).fields[0] == expected


def test_cloze_keeps_only_its_own_markers() -> None:
    note = note_for(cloze="A {{c1::*b*::hint}} {{Back}} [latex]x[/latex]")
    assert note.fields[0] == ("A {{c1::<em>b</em>::&#104;int}} &#123;&#123;Back&#125;&#125; "
                              "&#91;latex&#93;x&#91;/latex&#93;")


@pytest.mark.parametrize(("cloze", "expected"), [
    ("{{c1::a}}-{{c2::b}}-{{c3::c}}", "{{c1::a}}-{{c2::b}}-{{c3::c}}"),
    ("{{c1::a}} - {{c2::b}}", "{{c1::a}} - {{c2::b}}"),
    ("{{c1::a}} * {{c2::b}} + c", "{{c1::a}} * {{c2::b}} + c"),
    ("{{c1::a}} 1. {{c2::b}} 2) c", "{{c1::a}} 1. {{c2::b}} 2) c"),
    ("x {{c1::- a}}", "x {{c1::- a}}"),
    ("{{c1::a}}-5 {{c2::b}}", "{{c1::a}}-5 {{c2::b}}"),
], ids=["dash-between", "spaced-dash", "star-plus", "ordered", "in-deletion", "not-a-marker"])
def test_a_list_marker_inside_a_cloze_line_is_a_character(cloze: str, expected: str) -> None:
    """Each piece of a cloze is rendered alone, but only the sentence's line starts may
    open a list: a '-' right after '}}' used to become an empty bullet."""
    rendered = note_for(cloze=cloze).fields[0]
    assert rendered == expected
    assert "<li>" not in rendered


def test_a_cloze_list_at_a_line_start_is_still_a_list() -> None:
    assert note_for(cloze="- {{c1::a}}").fields[0].startswith("<ul>")
    assert "<ul>\n<li>b</li>\n</ul>" in note_for(cloze="{{c1::a}}\n- b").fields[0]


_HOSTS = ["example.com", "xn--a.com", "b.0", "a..b", "[::1]", "münchen.de", "xn--mnchen-3ya.de",
          "ex-.com", "1.2.3.4", "999.1.1.1", "a_b.com", "%41.com", "", "a.b:99999", "a.b:80"]


@given(st.sampled_from(["https", "http", "mailto", "javascript", "ftp"]), st.sampled_from(_HOSTS),
       st.sampled_from(["", "/p", "/a b", "?q=1", "#x", "/%zz"]))
@example("https", "xn--a.com", "/p")  # a host URL parsers reject: the sanitizer drops it
def test_no_link_is_removed_without_a_problem(scheme: str, host: str, path: str) -> None:
    """A link the sanitizer drops is always reported, and one it keeps never is."""
    from deck2anki import markup

    text = f"See [the page]({scheme}://{host}{path})."
    shown = markup.rich(text)
    links = [c for c, _ in markup.problems(text) if c == "unsafe-link"]
    if "<a" in shown:  # markdown read a link: its address survived, or a problem says not
        assert ("href=" in shown) == (not links), (text, shown, links)
