"""Semantic checks the schema cannot express."""

from __future__ import annotations

from pathlib import Path

import pytest

from deck2anki.check.slugs import check_slugs
from deck2anki.load.parse import load_text
from deck2anki.model import build_deck

from conftest import MINIMAL

SECOND_CARD = """\
  - id: {id}
    kind: {kind}
    source: {source}
{body}"""


def deck_with(*cards: str, text: str = MINIMAL) -> str:
    return text + "".join(cards)


def codes(text: str) -> list[tuple[str, int, int]]:
    _deck, problems = build_deck(load_text(Path("d.yaml"), text))
    return [(p.code, p.position.line, p.position.column) for p in problems]


def card(id: str = "second", kind: str = "fact", source: str = "article",
         body: str = "    front: At Acme, what?\n    back: That.\n") -> str:
    return SECOND_CARD.format(id=id, kind=kind, source=source, body=body)


def test_valid_deck_has_no_problems() -> None:
    deck, problems = build_deck(load_text(Path("d.yaml"), deck_with(card())))
    assert problems == [] and deck is not None
    assert [c.id for c in deck.cards] == ["first", "second"]
    assert deck.deck_name == "AI PM Interview Prep::Acme"


def test_duplicate_id_points_at_the_second_one() -> None:
    assert codes(deck_with(card(id="first"))) == [("duplicate-id", 12, 9)]


def test_unknown_source() -> None:
    assert codes(deck_with(card(source="book"))) == [("unknown-source", 14, 13)]


def test_cloze_needs_a_complete_deletion() -> None:
    body = '    cloze: "At Acme, {{c1::half"\n'
    assert sorted(codes(deck_with(card(body=body)))) == [
        ("cloze-typo", 15, 12), ("cloze-without-deletion", 15, 12)]


def test_repeated_round_number() -> None:
    body = "    number: 1\n    name: Screen\n    assesses: Basics.\n"
    assert codes(deck_with(card("r1", "round", body=body), card("r2", "round", body=body))) == [
        ("duplicate-round", 21, 13)]


def test_retired_round_frees_its_number() -> None:
    body = "    number: 1\n    name: Screen\n    assesses: Basics.\n"
    assert codes(deck_with(card("r1", "round", body=body + "    retired: true\n"),
                           card("r2", "round", body=body))) == []


def test_two_decks_may_not_share_a_slug_or_a_company() -> None:
    first, _ = build_deck(load_text(Path("a.yaml"), MINIMAL))
    second, _ = build_deck(load_text(Path("b.yaml"), MINIMAL.replace("Acme", "Other")))
    third, _ = build_deck(load_text(Path("c.yaml"), MINIMAL.replace("acme", "acme-two")))
    assert first and second and third
    problems = check_slugs([first, second, third])
    assert [(p.path, p.code, p.position.line) for p in problems] == [
        (Path("b.yaml"), "duplicate-slug", 2), (Path("c.yaml"), "duplicate-company", 1)]


def test_company_name_cannot_nest_decks() -> None:
    assert codes(MINIMAL.replace("company: Acme", "company: Acme::Sub")) == [
        ("company-name", 1, 10)]


@pytest.mark.parametrize("name", ['"Acme\\tCorp"', '"Acme\\nCorp"', '"Acme "', '" Acme"',
                                  '"Acme\\u00a0"', '"Acme\\u2028Corp"'])
def test_company_name_is_a_name_anki_keeps_as_written(name: str) -> None:
    # Anki drops or replaces these in a deck's name: the cards would go to another deck
    # (and, from the CSV, one deck per row).
    assert codes(MINIMAL.replace("company: Acme", f"company: {name}")) == [
        ("company-name", 1, 10)]
    assert codes(MINIMAL.replace("company: Acme", 'company: "Acme Café, Inc."')) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("    front: '[x](javascript:alert(1))'\n    back: b\n", ("unsafe-link", 15, 12)),
        ("    front: q\n    back: See [x](https://xn--a.com/p).\n", ("unsafe-link", 16, 11)),
        ("    front: 'See {{Back}}'\n    back: b\n", ("template-syntax", 15, 12)),
        ("    front: q\n    back: '[sound:evil.mp3]'\n", ("anki-tag", 16, 11)),
        ('    cloze: "{{c1::a}} and {{Front}}"\n', ("template-syntax", 15, 12)),
        ("    front: q\n    back: '<b>bold</b>'\n", ("raw-html", 16, 11)),
    ],
    ids=["js-link", "bad-host", "template", "sound", "template-in-cloze", "raw-html"],
)
def test_text_the_gates_would_change_is_reported_at_its_field(body: str, expected) -> None:
    assert codes(deck_with(card(body=body))) == [expected]


def test_raw_html_is_only_a_warning() -> None:
    body = "    front: q\n    back: '<b>bold</b>'\n"
    deck, problems = build_deck(load_text(Path("d.yaml"), deck_with(card(body=body))))
    assert deck is not None and [p.level.value for p in problems] == ["warning"]


@pytest.mark.parametrize(
    ("cloze", "code"),
    [('"a {{c0::zero}} b {{c1::one}}"', "cloze-number"),
     # Anki gives c501 and up no card of their own (and packs ordinals in 64 bits)
     ('"a {{c501::one}}"', "cloze-number"),
     ('"a {{c100000000000000000000::one}} b {{c1::two}}"', "cloze-number"),
     ('"a {{c1::outer {{c2::inner}} }} b"', "nested-cloze"),
     # a deletion is one inline span: list items or paragraphs inside it break apart
     ('"a\\n- {{c1::first\\n- second}}\\n- third"', "cloze-markup"),
     ('"a {{c1::first\\n\\nsecond}} b"', "cloze-markup"),
     # each side of a marker is rendered alone: emphasis flush against one shows its marks
     ('"a *{{c1::x}}* b"', "cloze-markup"), ('"_{{c1::x}}_ b"', "cloze-markup"),
     ('"a *{{c1::x*}} b"', "cloze-markup")],
    ids=["c0", "c501", "c1e20", "nested", "list-items", "paragraphs", "em-around",
         "underscores-around", "em-across"],
)
def test_cloze_numbering_that_anki_would_mangle(cloze: str, code: str) -> None:
    found = codes(deck_with(card(body=f"    cloze: {cloze}\n")))
    assert (code, 15, 12) in found


@pytest.mark.parametrize(("cloze", "code", "said"), [
    ('"a {{c01::x}} b {{c1::y}}"', "cloze-number", "c01: write its number without a "
     "leading zero, as c1"),  # Anki reads c01 as c1: not "no deletion", not template syntax
    ('"a {{c1:: }} b"', "empty-text", "c1 hides only whitespace"),
    ('"a {{c1::x::}} b"', "empty-text", "c1 has an empty text or hint"),
    ('"a {{c1::::hint}} b"', "empty-text", "c1 has an empty text or hint"),
    ('"a {{c0501::x}} b {{c1::y}}"', "cloze-number", "c0501: Anki makes cloze cards for c1 "
     "to c500 only"),  # a leading zero, but no number to drop it to
    ('"a {{c1:::Madrid}} b"', "cloze-typo", "'{{c1:::Madrid}}' has a third ':', which Anki "
     "shows"),
], ids=["leading-zero", "blank", "empty-hint", "empty-text", "past-500", "three-colons"])
def test_deletions_anki_reads_otherwise_than_written(cloze: str, code: str, said: str) -> None:
    _, problems = build_deck(load_text(Path("d.yaml"),
                                       deck_with(card(body=f"    cloze: {cloze}\n"))))
    assert [(p.code, p.message.startswith(said)) for p in problems] == [(code, True)]


def test_cloze_numbers_up_to_500_are_cards() -> None:
    assert codes(deck_with(card(body='    cloze: "a {{c500::x}} b {{c1::y}}"\n'))) == []


def test_a_round_number_written_as_a_whole_float_is_that_round() -> None:
    """YAML reads "2.0" as a float and JSON Schema (and so the editor) calls it 2: the
    round is round 2, never "round None"."""
    from deck2anki.check import schema
    from deck2anki.render.notes import render_deck

    body = "    number: 2.0\n    name: Screen\n"
    loaded = load_text(Path("d.yaml"), deck_with(card(kind="round", body=body)))
    assert schema.check(loaded)[0] == []
    deck, problems = build_deck(loaded)
    assert problems == [] and deck.cards[1].number == 2
    note = render_deck(deck).notes[1]
    assert "round 2:" in note.fields[0] and "None" not in "".join(note.fields)


def test_a_kept_note_type_id_written_as_a_whole_float_is_that_id() -> None:
    from deck2anki.check import schema

    kept = ("notetypes:\n  mine:\n    id: 1382232460.0\n    name: Mine\n    kind: standard\n"
            "    fields: [Front, Back]\n    front: Front\n    back: Back\n    templates:\n"
            "      - {name: Card 1, front: '{{Front}}', back: '{{Back}}'}\n    css: ''\n")
    loaded = load_text(Path("d.yaml"), MINIMAL.replace("cards:\n", kept + "cards:\n", 1))
    assert schema.check(loaded)[0] == []
    deck, problems = build_deck(loaded)
    assert problems == [] and type(deck.notetypes[0].id) is int


def test_a_deletion_may_run_across_a_line_of_text() -> None:
    assert codes(deck_with(card(body='    cloze: "a {{c1::first\\nsecond}} b\\n- x"\n'))) == []


@pytest.mark.parametrize("cloze", ["{{c1::*x*}} y", "2*3 = {{c1::6}} and 4*5",
                                   "*a* {{c1::b}} *c*", "snake_case {{c1::x}} other_thing",
                                   # emphasis that opens or closes with bold or a link
                                   "***Acme*** is in {{c1::Berlin}}.",
                                   "*[Acme](https://acme.com) rules* in {{c1::Paris}}.",
                                   "*see **this*** in {{c1::Rome}}."])
def test_emphasis_clear_of_the_markers_is_fine(cloze: str) -> None:
    assert codes(deck_with(card(body=f"    cloze: '{cloze}'\n"))) == []


def test_a_card_that_merges_another_is_placed_at_its_own_keys() -> None:
    """A merge ("<<: *base") puts the anchored card's entries before the card's own when
    the data is built; a problem with the card's own key is at that key's line."""
    text = ("company: Acme\nslug: acme\nsources:\n  article: {title: Acme guide}\ncards:\n"
            "  - &base\n    id: a\n    kind: fact\n    source: article\n"
            "    front: At Acme, what is first?\n    back: The first answer.\n"
            "  - <<: *base\n    front: At Acme, what is second?\n    id: a\n"
            "    back: 'x {{y}}'\n")
    assert sorted(codes(text)) == [("duplicate-id", 14, 9), ("template-syntax", 15, 11)]


def test_a_deletion_followed_by_a_third_brace_is_told_how_anki_ends_it() -> None:
    _, problems = build_deck(load_text(Path("d.yaml"), deck_with(card(
        body="    cloze: 'f(x) = {{c1::{a}}} here'\n"))))
    assert [p.code for p in problems] == ["cloze-typo"]
    assert problems[0].message.endswith("remove that brace ({{c1::{a}}), or if the text ends "
                                        "with one, put a space before the closing '}}' "
                                        "({{c1::{a} }})")
