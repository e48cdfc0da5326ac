"""What the decks' cards ask: the interview, never the article (docs/writing-cards.md)."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import DECKS

# A front that leans on the document instead of the situation: the article, its author,
# its sections ("the FAQ", "the toolkit"), its labels ("Insight 1", "signal 2 of 3",
# "the third contrast") or the quarters of its illustrative debriefs.
ARTICLE_CUE = re.compile(
    r"\b(?:article|author|source|sections?|faq|toolkit|checklist|anecdote)\b|\bpost\b(?!-)"
    r"|\binsight \d|\bsignal \d|\bq[1-4]\b|\b(?:first|second|third|fourth|fifth|final) contrast",
    re.IGNORECASE)
# A back or context that talks about the document rather than saying what is known.
ARTICLE_TALK = re.compile(r"\b(?:article|author)\b", re.IGNORECASE)


def _cards() -> list[tuple[str, dict]]:
    out = []
    for path in sorted(DECKS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        out += [(data["slug"], card) for card in data["cards"]]
    return out


CARDS = _cards()


@pytest.mark.parametrize(("slug", "card"), CARDS, ids=[f"{s}/{c['id']}" for s, c in CARDS])
def test_no_question_cues_the_article(slug: str, card: dict) -> None:
    question = card.get("front") or card.get("cloze") or ""
    assert not ARTICLE_CUE.search(question), question
    for name in ("back", "context", "assesses", "interviewers", "length"):
        assert not ARTICLE_TALK.search(card.get(name) or ""), (name, card[name])


@pytest.mark.parametrize("slug", sorted({slug for slug, _ in CARDS}))
def test_every_round_has_a_card_asking_what_it_scores(slug: str) -> None:
    live = [card for s, card in CARDS if s == slug and not card.get("retired")]
    rounds = sorted(card["number"] for card in live if card["kind"] == "round")
    asked = {int(m.group(1)) for card in live
             if "scoring" in (card.get("front") or "")
             and (m := re.search(r"\(round (\d+)", card["front"]))}
    assert rounds and asked >= set(rounds), (rounds, asked)
