"""Lints: what the schema allows but a good deck avoids.

They run on built decks (after the schema and the semantic checks), so every card here
is well-formed. Each rule's code, level, meaning and a failing and a passing example
live in the registry (:mod:`deck2anki.rules`, ``deck2anki rules``); what is here is
only how each is found. Near-duplicate fronts are compared lowercased, without
punctuation, among sorted neighbours only, so the check stays linear in cards; a pair
edited at both ends at once can slip through, which a warning can afford.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Callable, Iterable, Iterator

from .. import markup
from ..model import TEXT_FIELDS, Card, Deck
from ..problems import Level, Problem

# What `deck2anki add` leaves for a person to write: never stamped, never built.
UNFINISHED = ("todo-text", "stub-id")
MAX_ANSWER_CHARS = 300
SIMILARITY = 0.92
NEIGHBOURS = 4  # compared on each side in each order: see _near_pairs
TAG_NAMESPACES = frozenset({"topic"})
RESERVED_NAMESPACES = frozenset({"company", "kind", "status"})
_WORDS = re.compile(r"[^\w%$]+")
# The same for ASCII text, byte by byte: what _WORDS leaves is kept, the rest is a space.
_ASCII_WORDS = bytes(c if chr(c).isalnum() or chr(c) in "_%$" else 32 for c in range(256))
_NUMBERS = re.compile(r"\d+")
_ASCII_DIGITS = bytes(c if 48 <= c <= 57 else 32 for c in range(256))  # 0-9 kept
_STUB_ID = re.compile(r"new-(?:fact|round|signal|script)-\d+")
# A list item holding nothing a learner can read: only whitespace and tags (not a
# nested list's items, which hold their own text).
_EMPTY_ITEM = re.compile(r"<li>(?:\s|<(?!/?li\b)[^>]*>)*</li>")
_TAG = re.compile(r"<[^>]+>")


def _question(card: Card) -> str | None:
    return card.front or card.cloze


def _normalized(text: str) -> str:
    lowered = text.lower()
    if lowered.isascii():  # most questions: a byte table is several times faster
        return b" ".join(lowered.encode().translate(_ASCII_WORDS).split()).decode()
    return _WORDS.sub(" ", lowered).strip()


def _numbers(text: str) -> tuple[str, ...]:
    """The runs of digits in ``text`` (a :func:`_normalized` text): _NUMBERS.findall, or
    for ASCII text (most questions) the words left once a byte table blanks all else."""
    if text.isascii():
        return tuple(text.encode().translate(_ASCII_DIGITS).decode().split())
    return tuple(_NUMBERS.findall(text))


def duplicate_fronts(deck: Deck) -> Iterator[Problem]:
    questions: list[tuple[str, Card]] = []
    first: dict[str, Card] = {}
    for card in deck.cards:
        question = _question(card)
        if question is None or card.retired or "TODO" in question:
            continue  # stubs are todo-text's business
        text = _normalized(question)
        other = first.setdefault(text, card)
        if other is not card:
            yield Problem(deck.path, card.at("front" if card.front else "cloze"),
                          f"card {card.id!r} asks the same as {other.id!r} (line "
                          f"{other.position.line}); reword one so each has one answer",
                          "duplicate-front")
        else:
            questions.append((text, card))
    for card, other in _near_pairs(questions):
        yield Problem(deck.path, card.at("front" if card.front else "cloze"),
                      f"card {card.id!r} is nearly the same question as {other.id!r} "
                      f"(line {other.position.line}); make the difference explicit or "
                      "merge them", "near-duplicate-front", Level.WARNING)


def _near_pairs(questions: list[tuple[str, Card]]) -> Iterator[tuple[Card, Card]]:
    """Each card nearly the same as an earlier one, with the earliest such card.

    Comparing every pair is quadratic, which a deck of 10,000 cards cannot afford. Near
    duplicates differ by a small edit, so sorted by their text (edit near the end) or
    by their reversed text (edit near the start) they sit within a few places of each
    other: only those neighbours are compared (the sorted-neighbourhood method), among
    questions with the same numbers, which the rule requires anyway.
    """
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, (text, _) in enumerate(questions):
        groups.setdefault(_numbers(text), []).append(index)
    partner: dict[int, int] = {}  # a question -> the earliest question nearly the same
    for group in groups.values():
        if len(group) < 2:
            continue  # alone with its numbers: nothing to compare
        for key in (lambda i: questions[i][0], lambda i: questions[i][0][::-1]):
            ranked = sorted(group, key=key)
            for place, index in enumerate(ranked):
                nearby = ranked[place + 1:place + 1 + NEIGHBOURS]
                for other in _alike(questions, index, nearby):
                    early, late = min(index, other), max(index, other)
                    if partner.get(late, late) > early:
                        partner[late] = early
    for late, early in sorted(partner.items()):
        yield questions[late][1], questions[early][1]


def _alike(questions: list[tuple[str, Card]], index: int, nearby: list[int]) -> Iterator[int]:
    """Those of ``nearby`` whose question is nearly the same as question ``index``'s."""
    text = questions[index][0]
    matcher = None  # made only when a length allows a match: it indexes ``text`` once
    for other in nearby:
        shorter, longer = sorted((len(text), len(questions[other][0])))
        if 2 * shorter < SIMILARITY * (shorter + longer):
            continue  # the length alone rules out the similarity
        if matcher is None:
            matcher = difflib.SequenceMatcher(None, autojunk=False)
            matcher.set_seq2(text)
        if _similar(matcher, questions[other][0]):
            yield other


def _similar(matcher: difflib.SequenceMatcher[str], other: str) -> bool:
    matcher.set_seq1(other)
    return matcher.quick_ratio() >= SIMILARITY and matcher.ratio() >= SIMILARITY


def long_answers(deck: Deck) -> Iterator[Problem]:
    for card in deck.cards:
        if card.back and len(card.back) > MAX_ANSWER_CHARS:
            yield Problem(deck.path, card.at("back"),
                          f"answer has {len(card.back)} characters (over {MAX_ANSWER_CHARS}): "
                          "one card, one fact; split it or move detail into 'context'",
                          "long-answer", Level.WARNING)


def tag_namespaces(deck: Deck) -> Iterator[Problem]:
    for card in deck.cards:
        for tag in card.tags:
            namespace = tag.split("::", 1)[0] if "::" in tag else None
            if namespace in RESERVED_NAMESPACES:
                yield Problem(deck.path, card.at("tags"),
                              f"tag {tag!r} uses the namespace '{namespace}::', which "
                              "deck2anki sets itself; remove it", "reserved-tag")
            elif namespace not in TAG_NAMESPACES:
                yield Problem(deck.path, card.at("tags"),
                              f"tag {tag!r} is outside the known namespaces "
                              f"({', '.join(sorted(TAG_NAMESPACES))}); write it as "
                              f"'topic::{tag.split('::')[-1]}'", "unknown-tag-namespace",
                              Level.WARNING)


def round_gaps(deck: Deck) -> Iterator[Problem]:
    if deck.partial:
        return  # a round left out for its own problem is not missing
    rounds = {card.number: card for card in deck.cards
              if card.kind == "round" and not card.retired and card.number is not None}
    if not rounds:
        return
    missing = sorted(set(range(1, max(rounds) + 1)) - set(rounds))
    if missing:
        last = rounds[max(rounds)]
        yield Problem(deck.path, last.at("number"),
                      f"round number(s) {', '.join(map(str, missing))} missing: rounds run "
                      f"1..{max(rounds)}; add the missing round or renumber", "round-gap",
                      Level.WARNING)


def todo_text(deck: Deck) -> Iterator[Problem]:
    """A source placeholder still cited; the cards' own TODOs are :func:`card_texts`'."""
    # A source's placeholder matters once a card cites it (its title is on every back):
    # a deck fresh from `deck2anki new` is clean until its first card.
    cited = {card.source.key for card in deck.cards}
    for source in deck.sources:
        if source.key not in cited:
            continue
        for name, text in (("position", source.title), ("file_position", source.file or "")):
            if "TODO" in text:  # positions are looked up only for a problem
                yield Problem(deck.path, getattr(source, name), f"source {source.key!r} "
                              "still holds a TODO placeholder; name the article the cards "
                              "come from",
                              "todo-text", Level.WARNING)


def _card_texts(card: Card) -> list[tuple[str, str]]:
    # A list, not a generator: this runs for every card of every build. (A blank text
    # has neither TODO nor text.)
    texts = [(name, value) for name in TEXT_FIELDS
             if (value := getattr(card, name)) and not value.isspace()]
    if card.steps:
        texts += [(f"steps[{i}]", step) for i, step in enumerate(card.steps)
                  if step and not step.isspace()]
    return texts


def _visible(rendered: str) -> str:
    return html.unescape(_TAG.sub("", rendered))


def card_texts(deck: Deck) -> Iterator[Problem]:
    """Each card's texts in one pass: placeholders left (a stub's TODO or generated id),
    and text that Anki would show broken (an empty list item, or a side with no text)."""
    for card in deck.cards:
        for name, text in _card_texts(card):
            if "TODO" in text:
                yield Problem(deck.path, card.at(name), f"'{name}' still holds a TODO "
                              "placeholder; write the card or remove the stub", "todo-text",
                              Level.WARNING)
            # Text rendered to neither tag nor entity, and not blank ("&#32;" renders to a
            # space), is words: no list, never empty (a test holds that passing it by
            # misses nothing). The renderer asks the same markup.rich, from its memo.
            shown = markup.cloze(text) if name == "cloze" else markup.rich(text)
            if name == "cloze" or "<" in shown or "&" in shown or markup.blank(shown):
                yield from _rendering(deck, card, name, shown)
        if _STUB_ID.fullmatch(card.id):
            yield Problem(deck.path, card.at("id"), f"{card.id!r} is a generated stub id; "
                          "rename it to say what the card asks before it is released (after "
                          "release an id is final)", "stub-id", Level.WARNING)


def _rendering(deck: Deck, card: Card, name: str, shown: str) -> Iterator[Problem]:
    if _EMPTY_ITEM.search(shown):
        yield Problem(deck.path, card.at(name),
                      f"'{name}' renders an empty list item: a '-', '*', '+' or "
                      "'1.' at the start of a line with nothing after it opens a "
                      "list; write the item's text after it, or escape it as '\\-'",
                      "empty-list-item")
    side = name in ("front", "cloze") or (name == "back" and not card.is_cloze)
    if side and markup.blank(_visible(shown)):
        yield Problem(deck.path, card.at(name),
                      f"'{name}' renders no text (only markup such as a list marker "
                      "or a link without words, or invisible characters), so the card "
                      "would show an empty "
                      "side; write the words the learner should see", "empty-side")


RULES: tuple[Callable[[Deck], Iterable[Problem]], ...] = (
    duplicate_fronts, long_answers, tag_namespaces, round_gaps, todo_text, card_texts)


def lint(decks: Iterable[Deck]) -> list[Problem]:
    return sorted(problem for deck in decks for rule in RULES for problem in rule(deck))
