"""load/edit: values spliced into a deck's text read back as written, every other byte kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from deck2anki.load.edit import EditError, add_entry, apply, remove, scalar, set_item, set_value
from deck2anki.load.parse import load_text

DECK = """\
# a comment that stays
company: Acme
slug: acme
sources:
  article:
    title: Acme article   # trailing comment
cards:
  - id: plain
    kind: fact
    source: article
    front: At Acme, what is plain?
    back: A plain answer.   # kept
  - id: quoted
    kind: fact
    source: article
    front: 'Single: quoted'
    back: "Double \\"quoted\\""
    context: |
      A literal block
      of two lines

  - id: script
    kind: script
    source: article
    front: What are the steps?
    back: Three.
    steps:
      - One
      - "Two"
    tags: [topic::x]
  - id: pictured
    kind: fact
    source: article
    front: What does it show?
    back: A chart.
    image:
      file: images/a.png
      alt: A chart
  # the next section's comment
  - id: last
    kind: fact
    source: article
    front: Last?
    back: Yes.
"""

TEXTS = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"),
                                       blacklist_characters="\ufeff\x85\u2028\u2029"),
                min_size=1, max_size=60).filter(lambda s: s.strip() == s and s.strip())


def _edit(text: str, index: int, name: str, value: str | None) -> str:
    loaded = load_text(Path("acme.yaml"), text)
    splice = (remove(text, loaded, ("cards", index), name) if value is None
              else set_value(text, loaded, ("cards", index), name, value))
    return apply(text, [splice])


@pytest.mark.parametrize(("index", "name"), [(0, "back"), (1, "front"), (1, "back"),
                                             (1, "context"), (0, "context"), (2, "quote"),
                                             (3, "context")])
@settings(max_examples=40, deadline=None)
@given(value=TEXTS | st.just("two\nlines") | st.just("key: value # not a comment"))
def test_a_set_value_reads_back_and_keeps_every_other_line(index: int, name: str,
                                                            value: str) -> None:
    after = _edit(DECK, index, name, value)
    data = yaml.safe_load(after)
    assert data["cards"][index][name] == value
    expected = yaml.safe_load(DECK)
    expected["cards"][index][name] = value
    assert data == expected
    before_lines, after_lines = DECK.splitlines(), after.splitlines()
    assert before_lines[:6] == after_lines[:6]  # comments and everything above untouched
    assert "# kept" in after and "# trailing comment" in after


def test_styles_are_kept_where_yaml_allows() -> None:
    assert scalar("plain words", "", 4) == "plain words"
    assert scalar("it's", "'", 4) == "'it''s'"
    assert scalar("say \"hi\"", '"', 4) == '"say \\"hi\\""'
    assert scalar("a: b", "", 4) == "'a: b'"  # plain cannot hold ': '
    assert scalar("two\nlines", "", 6) == "|-\n      two\n      lines"


def test_remove_takes_the_property_and_its_lines() -> None:
    after = _edit(DECK, 1, "context", None)
    assert "literal block" not in after
    data = yaml.safe_load(after)
    assert "context" not in data["cards"][1] and data["cards"][2]["id"] == "script"


def test_a_list_item_is_replaced_in_place() -> None:
    loaded = load_text(Path("acme.yaml"), DECK)
    after = apply(DECK, [set_item(DECK, loaded, ("cards", 2, "steps"), 1, "Two, better")])
    assert yaml.safe_load(after)["cards"][2]["steps"] == ["One", "Two, better"]
    assert after.replace('"Two, better"', '"Two"') == DECK


def test_crlf_files_stay_crlf() -> None:
    text = DECK.replace("\n", "\r\n")
    after = _edit(text, 1, "context", "new\ncontext")
    assert "\r\n" in after and "\n" not in after.replace("\r\n", "")
    assert yaml.safe_load(after)["cards"][1]["context"] == "new\ncontext"


def test_an_entry_is_added_at_the_end_of_a_mapping() -> None:
    loaded = load_text(Path("acme.yaml"), DECK)
    after = apply(DECK, [add_entry(DECK, loaded, ("sources",), "anki:\n  title: From Anki\n")])
    assert yaml.safe_load(after)["sources"] == {"article": {"title": "Acme article"},
                                               "anki": {"title": "From Anki"}}


def test_flow_style_cards_are_refused_not_mangled() -> None:
    text = DECK.replace("  - id: plain\n    kind: fact\n    source: article\n"
                        "    front: At Acme, what is plain?\n    back: A plain answer.   # kept\n",
                        "  - {id: plain, kind: fact, source: article, front: Q?, back: A.}\n")
    loaded = load_text(Path("acme.yaml"), text)
    with pytest.raises(EditError):
        set_value(text, loaded, ("cards", 0), "back", "B.")


def test_unicode_line_breaks_do_not_shift_the_edit() -> None:
    text = DECK.replace("front: At Acme, what is plain?", 'front: "ask\\u2028me\u2028"')
    after = _edit(text, 0, "back", "New answer.")
    data = yaml.safe_load(after)
    assert data["cards"][0]["back"] == "New answer."
    assert data["cards"][0]["front"] == "ask\u2028me\u2028"
    assert scalar("a\u2028b\nc", "", 4).startswith('"')  # never a block for such breaks


def test_an_item_of_a_flow_list_stays_one_item() -> None:
    text = DECK.replace('steps:\n      - One\n      - "Two"', "steps: [One, Two]")
    loaded = load_text(Path("acme.yaml"), text)
    after = apply(text, [set_item(text, loaded, ("cards", 2, "steps"), 0, "x, y] z")])
    assert yaml.safe_load(after)["cards"][2]["steps"] == ["x, y] z", "Two"]


def test_a_shared_value_is_refused() -> None:
    text = DECK.replace("back: A plain answer.   # kept", "back: &shared A plain answer.")
    text = text.replace("back: Three.", "back: *shared")
    loaded = load_text(Path("acme.yaml"), text)
    for index in (0, 2):
        with pytest.raises(EditError):
            set_value(text, loaded, ("cards", index), "back", "Changed.")


def test_a_last_line_without_a_break_gets_one_before_the_new_property() -> None:
    text = DECK.rstrip("\n")
    after = _edit(text, 4, "context", "added")
    assert yaml.safe_load(after)["cards"][4] == {**yaml.safe_load(DECK)["cards"][4],
                                                  "context": "added"}
