"""Coverage: which facts of a source no card teaches, and what a card states that its
source does not.

Each article a deck cites (``sources: {key: {file: NAME}}``) sits in the decks
folder's ``sources/`` with a fact list beside it, ``<stem>.facts.yaml``: every fact
of the article with its line and the ids of the cards that teach it, and the lines
that are no deck material (a title, an advertisement) with the reason. From these
and the decks this module finds the gaps: a fact no live card teaches, a live card
that teaches no listed fact, a line of the article that is neither, a number on a
fact's line that none of its cards states, and a number on a card that its source
never states.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..files import MAX_DECK_BYTES, ReadError, read_capped
from ..identity import card_key
from ..load.parse import load_file
from ..model import TEXT_FIELDS, Card, Deck
from ..problems import InvalidInput, Level, Position, Problem

SOURCES_FOLDER = "sources"
FACTS_SUFFIX = ".facts.yaml"
# A number as an article writes it: 300, 1,000, 2.5; compared without thousands commas.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
W = Level.WARNING
# A cloze marker's number ({{c2::) is markup, not a number the card states.
_CLOZE_OPENER = re.compile(r"\{\{c\d+::")
# An article's file sits in sources/ itself: no folders, no way out of it.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9._-]+")


def facts_path(article: Path) -> Path:
    """The fact list kept beside an article: ``zoom-article.txt`` ->
    ``zoom-article.facts.yaml``."""
    return article.with_name(article.stem + FACTS_SUFFIX)


@dataclass
class SourceCoverage:
    """One article: how much of it the cards teach."""

    article: Path
    slugs: tuple[str, ...]  # the decks citing it
    facts: int = 0
    covered: int = 0  # facts at least one live card teaches
    cards: int = 0  # live cards citing it
    listed: bool = False  # it has a fact list
    problems: list[Problem] = field(default_factory=list)


def numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def card_text(card: Card) -> str:
    """Everything a card states: its texts, steps, round number and image description."""
    parts = [_CLOZE_OPENER.sub("", v) for name in TEXT_FIELDS
             if isinstance(v := getattr(card, name), str)]
    parts += list(card.steps)
    if card.number is not None:
        parts.append(str(card.number))
    if card.image is not None:
        parts.append(card.image.alt)
    return " ".join(parts)


def _where(card: Card, number: str) -> Position:
    """Where a card states ``number``: the first of its fields that does."""
    named = [(name, getattr(card, name)) for name in TEXT_FIELDS]
    named += [(f"steps[{i}]", step) for i, step in enumerate(card.steps)]
    for name, value in named:
        if isinstance(value, str) and number in numbers(value):
            return card.at(name)
    return card.at("number") if card.number is not None else card.position


def coverage(decks: Sequence[Deck], decks_dir: Path) -> list[SourceCoverage]:
    """The coverage of every article the decks cite, each with its problems."""
    citing: dict[str, list[tuple[Deck, Position]]] = {}
    for deck in decks:
        for source in deck.sources:
            if source.file:
                citing.setdefault(source.file, []).append((deck, source.file_position))
    return [_one(decks_dir, name, users) for name, users in sorted(citing.items())]


def _one(decks_dir: Path, name: str, users: list[tuple[Deck, Position]]) -> SourceCoverage:
    article = decks_dir / SOURCES_FOLDER / name
    slugs = tuple(sorted({deck.slug for deck, _ in users}))
    result = SourceCoverage(article, slugs)
    cards = {card_key(deck.slug, card.id): card for deck, _ in users for card in deck.cards
             if card.source.file == name}
    paths = {card_key(deck.slug, card.id): deck.path for deck, _ in users
             for card in deck.cards}
    live = {key: card for key, card in cards.items() if not card.retired}
    result.cards = len(live)
    deck, where = users[0]
    if not _PLAIN_NAME.fullmatch(name) or name in (".", ".."):
        result.problems.append(Problem(
            deck.path, where, f"source file {name!r} is not a plain file name; name the "
            f"article's file in {article.parent.parent / SOURCES_FOLDER}, e.g. "
            "'acme-interview-guide.txt'", "no-source-file", W))
        return result
    try:
        text = read_capped(article, MAX_DECK_BYTES, what="the article").decode("utf-8")
    except (ReadError, OSError, UnicodeDecodeError):
        result.problems.append(Problem(
            deck.path, where, f"source file {name!r} is not a readable UTF-8 text file in "
            f"{article.parent}; put the article there, so that cards can be checked "
            "against it", "no-source-file", W))
        return result
    lines = text.splitlines()
    result.problems += _invented(live, paths, numbers(text), name)
    listing = facts_path(article)
    if not listing.is_file():
        result.problems.append(Problem(
            deck.path, where, f"{name} has no fact list: write {listing} (each fact of the "
            "article with its line and the cards that teach it), so coverage can be checked",
            "no-fact-list", W))
        return result
    result.listed = True
    try:
        loaded = load_file(listing)
    except InvalidInput as exc:
        result.problems += exc.problems
        return result
    facts, skipped, labels, problems = _read(loaded.path, loaded.data, loaded.position)
    result.problems += problems
    named = loaded.data.get("source") if isinstance(loaded.data, dict) else None
    if named is not None and named != name:
        result.problems.append(Problem(listing, loaded.position(("source",)),
                                       f"this fact list names {named!r}, but sits beside "
                                       f"{name!r}; write 'source: {name}'", "fact-list"))
    result.facts = len(facts)
    taught: set[str] = set()
    by_line: dict[int, set[str]] = {}
    for fact in facts:
        keys = list(_resolve(fact, cards, slugs, listing, loaded.position, result.problems))
        taught.update(k for k in keys if k in live)
        by_line.setdefault(fact.line, set()).update(k for k in keys if k in live)
        if not any(k in live for k in keys):
            result.problems.append(Problem(
                listing, fact.position, f"line {fact.line}: {fact.text!r} has no live card; "
                f"add a card that teaches it (deck2anki add {slugs[0]} fact) and list its id "
                "under this fact", "uncovered-fact", W))
        else:
            result.covered += 1
        if not 0 < fact.line <= len(lines) or not lines[fact.line - 1].strip():
            result.problems.append(Problem(
                listing, fact.position, f"line {fact.line} of {name} is blank or missing; "
                "give the line the fact is on", "fact-list"))
    for key, card in sorted(live.items()):
        if key not in taught:
            result.problems.append(Problem(
                paths[key], card.position, f"card {card.id!r} teaches no fact listed in "
                f"{listing.name}; list the fact it teaches there, with its line",
                "unlisted-card", W))
    firsts = {fact.line: fact.position for fact in reversed(facts)}
    result.problems += _unlisted_lines(listing, lines, set(by_line), skipped, firsts,
                                       loaded.position(("facts",), key=True))
    result.problems += _missing_numbers(listing, lines, by_line, live, firsts, labels)
    return result


def _invented(live: Mapping[str, Card], paths: Mapping[str, Path], stated: set[str],
              name: str) -> Iterator[Problem]:
    """Numbers on a live card that its article never states."""
    for key, card in sorted(live.items()):
        invented = sorted(numbers(card_text(card)) - stated, key=_numeric)
        if invented:
            yield Problem(paths[key], _where(card, invented[0]), f"card {card.id!r} states "
                          f"{', '.join(invented)}, which {name} never states; take the number "
                          "from the source or drop it", "invented-number", W)


@dataclass(frozen=True)
class _Fact:
    line: int
    text: str
    cards: tuple[str, ...]
    position: Position
    index: int


def _read(path: Path, data: Any, position: Any
          ) -> tuple[list[_Fact], set[int], dict[int, set[str]], list[Problem]]:
    """The facts, skipped lines and label numbers of a fact list, and what is wrong with
    its shape."""
    problems: list[Problem] = []

    def bad(where: Sequence[str | int], message: str) -> None:
        problems.append(Problem(path, position(where), message, "fact-list"))

    facts: list[_Fact] = []
    entries = data.get("facts") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        bad(("facts",), "the fact list needs 'facts:', a list of {line, fact, cards}")
        entries = []
    for index, entry in enumerate(entries):
        ok = (isinstance(entry, dict) and _is_line(entry.get("line"))
              and isinstance(entry.get("fact"), str) and isinstance(entry.get("cards"), list)
              and all(isinstance(c, str) for c in entry["cards"]))
        if not ok:
            extra = sorted(set(entry) - _FACT_KEYS, key=str) if isinstance(entry, dict) else []
            also = f" (it has {', '.join(map(repr, extra))}: a typo?)" if extra else ""
            bad(("facts", index), f"a fact needs 'line' (a number), 'fact' (text) and "
                f"'cards' (a list of card ids, [] if none yet){also}; write all three")
            continue
        facts.append(_Fact(entry["line"], entry["fact"], tuple(entry["cards"]),
                           position(("facts", index)), index))
    skipped: set[int] = set()
    others = data.get("not_deck_material", []) if isinstance(data, dict) else []
    for index, entry in enumerate(others if isinstance(others, list) else []):
        if (isinstance(entry, dict) and isinstance(entry.get("lines"), list)
                and all(_is_line(n) for n in entry["lines"])
                and isinstance(entry.get("why"), str)):
            skipped.update(entry["lines"])
        else:
            bad(("not_deck_material", index), "an entry needs 'lines' (a list of numbers) "
                "and 'why' (why they are no deck material)")
    return facts, skipped, _labels(data, bad), problems


def _labels(data: Any, bad: Callable[[Sequence[str | int], str], None]) -> dict[int, set[str]]:
    """The numbers of each line that only label something ('Q3', 'Signal 1'): no fact, so
    no card has to state them."""
    labels: dict[int, set[str]] = {}
    entries = data.get("labels", []) if isinstance(data, dict) else []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if (isinstance(entry, dict) and _is_line(entry.get("line"))
                and isinstance(entry.get("label"), str) and numbers(entry["label"])
                and isinstance(entry.get("why"), str)):
            labels.setdefault(entry["line"], set()).update(numbers(entry["label"]))
        else:
            bad(("labels", index), "a label needs 'line' (a number), 'label' (the words "
                "with the number, as the line writes them) and 'why' (why it is no fact)")
    return labels


_FACT_KEYS = frozenset({"line", "fact", "cards"})


def _is_line(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _resolve(fact: _Fact, cards: Mapping[str, Card], slugs: Sequence[str], listing: Path,
             position: Any, problems: list[Problem]) -> Iterator[str]:
    """The card keys a fact names: ``slug/id``, or an id of a deck citing the source."""
    for place, name in enumerate(fact.cards):
        keys = [name] if "/" in name else [card_key(s, name) for s in slugs
                                           if card_key(s, name) in cards]
        found = [k for k in keys if k in cards]
        if len(found) == 1 and not cards[found[0]].retired:
            yield found[0]
            continue
        guess = difflib.get_close_matches(name, sorted({k.split("/", 1)[1] for k in cards}),
                                          n=1)
        why = ("is retired; point the fact at the card that now teaches it"
               if len(found) == 1 else
               f"is in several decks ({', '.join(found)}); write it as slug/id"
               if found else f"is no card citing this source; did you mean {guess[0]!r}?"
               if guess else "is no card citing this source; fix the id, or point the fact "
               "at the card that teaches it")
        problems.append(Problem(listing, position(("facts", fact.index, "cards", place)),
                                f"card {name!r} {why}", "unknown-fact-card"))


def _unlisted_lines(listing: Path, lines: Sequence[str], facts: set[int], skipped: set[int],
                    firsts: Mapping[int, Position], top: Position) -> Iterator[Problem]:
    """Lines of the article that are neither a fact nor set aside as no deck material,
    each reported at the facts of the line before it (where its own would go)."""
    content = {n for n, text in enumerate(lines, start=1) if text.strip()}
    for number in sorted(content - skipped - facts):
        excerpt = " ".join(lines[number - 1].split())[:60]
        before = [line for line in firsts if line < number]
        where = firsts[max(before)] if before else top
        yield Problem(listing, where, f"line {number} of the article is neither a fact nor "
                      f"listed under not_deck_material: {excerpt!r}; list its facts (or "
                      "why it is no deck material)", "unlisted-line", W)


def _missing_numbers(listing: Path, lines: Sequence[str], by_line: Mapping[int, set[str]],
                     live: Mapping[str, Card], firsts: Mapping[int, Position],
                     labels: Mapping[int, set[str]]) -> Iterator[Problem]:
    """Numbers on a fact's line that none of that line's cards states (labels aside)."""
    for number, keys in sorted(by_line.items()):
        if not keys or not 0 < number <= len(lines):
            continue
        stated = set().union(*(numbers(card_text(live[k])) for k in keys))
        lost = sorted(numbers(lines[number - 1]) - stated - labels.get(number, set()),
                      key=_numeric)
        if lost:
            yield Problem(listing, firsts[number], f"line {number} of the article states "
                          f"{', '.join(lost)}, which none of its cards states; put the "
                          "number on a card of that line", "missing-number", W)


def _numeric(text: str) -> tuple[float, str]:
    try:
        return float(text), text
    except ValueError:
        return float("inf"), text
