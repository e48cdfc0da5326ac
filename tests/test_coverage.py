"""Every fact in the sources is on a card, and every card traces back to a source line.

``tests/coverage/<slug>.facts.yaml`` lists the facts extracted from each article, each with
its 1-based line and the cards that teach it; lines that are not deck material (titles,
advertisements) are listed with the reason. The articles themselves are kept beside the
lists (``tests/coverage/sources/``) so the check runs anywhere; when the shared sources
folder is present, the copies must match it.
"""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import DECKS, ROOT

COVERAGE = ROOT / "tests" / "coverage"
SHARED_SOURCES = ROOT.parent / "shared" / "sources"
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _deck(slug: str) -> dict:
    return yaml.safe_load((DECKS / f"{slug}.yaml").read_text(encoding="utf-8"))


def _facts(slug: str) -> dict:
    return yaml.safe_load((COVERAGE / f"{slug}.facts.yaml").read_text(encoding="utf-8"))


SLUGS = sorted(p.name.removesuffix(".facts.yaml") for p in COVERAGE.glob("*.facts.yaml"))


def _card_text(card: dict) -> str:
    parts = [str(v) for k, v in card.items() if k not in ("id", "kind", "source", "tags")]
    parts += [str(step) for step in card.get("steps", [])]
    return " ".join(parts)


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in NUMBER.findall(text)}


def test_every_deck_with_cards_has_a_coverage_list() -> None:
    # A deck fresh from `deck2anki new` teaches nothing yet; its first card needs the list.
    with_cards = {p.stem for p in DECKS.glob("*.yaml") if _deck(p.stem).get("cards")}
    missing = sorted(with_cards - set(SLUGS))
    assert not missing, (
        f"no coverage list for {missing}: add tests/coverage/<slug>.facts.yaml (every fact "
        "of the source with its line and cards) and copy the article into "
        "tests/coverage/sources/ (see CONTRIBUTING.md)")
    orphans = sorted(set(SLUGS) - {p.stem for p in DECKS.glob("*.yaml")})
    assert not orphans, f"coverage lists of decks that do not exist: {orphans}"


@pytest.mark.parametrize("slug", SLUGS)
def test_every_fact_has_a_live_card_and_every_card_a_fact(slug: str) -> None:
    deck, facts = _deck(slug), _facts(slug)
    live = {c["id"] for c in deck["cards"] if not c.get("retired")}
    referenced = {card for fact in facts["facts"] for card in fact["cards"]}
    orphans = [f["fact"] for f in facts["facts"] if not f["cards"]]
    assert not orphans, f"facts with no card: {orphans}"
    assert not referenced - live, (
        f"facts point at unknown or retired cards: {sorted(referenced - live)}; in "
        f"tests/coverage/{slug}.facts.yaml point those facts at the live card that now "
        "teaches them")
    assert not live - referenced, (
        f"cards that teach no listed fact: {sorted(live - referenced)}; list the fact each "
        f"teaches, with its source line, in tests/coverage/{slug}.facts.yaml")


@pytest.mark.parametrize("slug", SLUGS)
def test_every_content_line_of_the_source_is_covered(slug: str) -> None:
    facts = _facts(slug)
    deck = _deck(slug)
    files = {s.get("file") for s in deck["sources"].values()}
    assert facts["source"] in files, "the facts list names the deck's source file"
    lines = (COVERAGE / "sources" / facts["source"]).read_text(encoding="utf-8").splitlines()
    content = {n for n, text in enumerate(lines, start=1) if text.strip()}
    skipped = {n for entry in facts["not_deck_material"] for n in entry["lines"]}
    covered = {fact["line"] for fact in facts["facts"]}
    assert covered <= content, f"facts cite blank or missing lines: {sorted(covered - content)}"
    assert not covered & skipped
    missing = sorted(content - skipped - covered)
    assert not missing, f"source lines with no fact: {missing}"


@pytest.mark.parametrize("slug", SLUGS)
def test_every_number_on_a_line_is_on_that_lines_cards(slug: str) -> None:
    """A number in the article that no card of its line states is a fact left behind."""
    facts = _facts(slug)
    cards = {c["id"]: _card_text(c) for c in _deck(slug)["cards"]}
    lines = (COVERAGE / "sources" / facts["source"]).read_text(encoding="utf-8").splitlines()
    cards_of_line: dict[int, set[str]] = {}
    for fact in facts["facts"]:
        cards_of_line.setdefault(fact["line"], set()).update(fact["cards"])
    missing = {}
    for line, ids in sorted(cards_of_line.items()):
        stated = set().union(*(_numbers(cards[i]) for i in ids))
        lost = _numbers(lines[line - 1]) - stated
        if lost:
            missing[line] = sorted(lost)
    assert not missing, f"numbers not on their line's cards (line: numbers): {missing}"


@pytest.mark.parametrize("slug", SLUGS)
def test_no_card_states_a_number_its_source_does_not(slug: str) -> None:
    facts = _facts(slug)
    source_numbers = _numbers((COVERAGE / "sources" / facts["source"]).read_text("utf-8"))
    invented = {}
    for card in _deck(slug)["cards"]:
        extra = _numbers(_card_text(card)) - source_numbers
        if extra:
            invented[card["id"]] = sorted(extra)
    assert not invented, f"numbers the article never states: {invented}"


def test_kept_sources_match_the_shared_articles() -> None:
    kept = sorted((COVERAGE / "sources").glob("*.txt"))
    assert kept
    if not SHARED_SOURCES.is_dir():
        return  # only a checkout beside the shared folder can compare
    for path in kept:
        assert path.read_bytes() == (SHARED_SOURCES / path.name).read_bytes(), path.name
