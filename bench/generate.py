"""Write synthetic decks for the benchmark: N cards spread over many companies.

The cards look like the repository's own: every kind (fact Q/A and cloze, round,
signal, script with steps and a BAD/GOOD pair), tags, context, a share of Markdown
(emphasis, code, links) and of YAML quoting, about 250 bytes of YAML per card. Every
text is different (seeded random words and a running number), so no cache inside one
run can help and the near-duplicate lint sees distinct questions. Same arguments, same
bytes.

    python bench/generate.py 10000 /tmp/decks-10k
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

CARDS_PER_COMPANY = 500
WORDS = (
    "adoption", "roadmap", "metric", "latency", "model", "launch", "pipeline",
    "stakeholder", "retention", "ranking", "experiment", "rollout", "privacy", "budget",
    "debrief", "signal", "hiring", "loop", "feedback", "inference", "dataset", "labeling",
    "quality", "precision", "recall", "fairness", "growth", "funnel", "engagement", "churn",
    "pricing", "tradeoff", "dashboard", "partner", "platform", "feature", "backlog",
    "sprint", "review", "offer", "equity", "onsite", "recruiter", "panel", "manager",
    "scope", "impact", "owner",
)


def _words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def _text(rng: random.Random, low: int, high: int) -> str:
    text = _words(rng, low, high)
    roll = rng.random()
    # About one text in eight uses Markdown, as contributors do for emphasis and links.
    if roll < 0.04:
        text += f" **{rng.choice(WORDS)}**"
    elif roll < 0.08:
        text += f" `{rng.choice(WORDS)}_{rng.randint(1, 99)}`"
    elif roll < 0.10:
        text += f" ([source](https://example.com/{rng.choice(WORDS)}))"
    elif roll < 0.12:
        text = f"*{text}*"
    return text


def _card(rng: random.Random, company: str, index: int, rounds: list[int]) -> dict[str, object]:
    card: dict[str, object] = {"id": f"card-{index}", "source": "article"}
    roll = rng.random()
    if rounds and roll < 0.04:
        number = rounds.pop(0)
        card.update(kind="round", number=number, name=_words(rng, 2, 4).capitalize(),
                    length=f"{rng.choice([30, 45, 60, 90])} minutes",
                    interviewers=_words(rng, 2, 5), assesses=_text(rng, 4, 9))
    elif roll < 0.09:
        card.update(kind="signal", name=_words(rng, 1, 3).capitalize(),
                    front=f"At {company}, which signal is number {index}: {_words(rng, 4, 8)}?",
                    back=_text(rng, 5, 12))
    elif roll < 0.14:
        card.update(kind="script",
                    front=f"At {company}, how do you answer prompt {index} on "
                          f"{_words(rng, 3, 6)}?",
                    back=_text(rng, 5, 12), steps=[_text(rng, 3, 6) for _ in range(3)],
                    bad=_text(rng, 4, 8), good=_text(rng, 4, 8))
    elif roll < 0.40:
        hidden = [f"{{{{c{n + 1}::{_words(rng, 1, 3)}}}}}" for n in range(rng.randint(1, 3))]
        card.update(kind="fact", cloze=f"At {company}, item {index}: {_words(rng, 3, 6)} "
                    + f" {_words(rng, 1, 3)} ".join(hidden) + f" {_words(rng, 0, 4)}".rstrip())
    else:
        card.update(kind="fact",
                    front=f"At {company}, what is {_words(rng, 3, 7)} number {index}?",
                    back=_text(rng, 2, 10))
    if rng.random() < 0.5:
        card["context"] = _text(rng, 6, 14)
    card["tags"] = [f"topic::{rng.choice(WORDS)}"]
    return card


def _scalar(value: object) -> str:
    # JSON strings are valid YAML double-quoted scalars: no text is misread as YAML.
    return json.dumps(value, ensure_ascii=False)


def _deck_yaml(rng: random.Random, number: int, cards: int) -> str:
    company = f"Company {number}"
    lines = ["# yaml-language-server: $schema=../schema/deck.schema.json",
             f"company: {_scalar(company)}", f"slug: company-{number}", "sources:",
             "  article:", f"    title: {_scalar(f'{company} AI PM interview guide')}",
             "cards:"]
    rounds = list(range(1, 6))
    for index in range(1, cards + 1):
        card = _card(rng, company, index, rounds)
        lines.append("")
        first = True
        for key, value in card.items():
            lead = "  - " if first else "    "
            first = False
            if isinstance(value, list):
                lines.append(f"{lead}{key}:")
                lines.extend(f"      - {_scalar(item)}" for item in value)
            elif isinstance(value, str) and (value[0].isalpha() and ":" not in value
                                             and "#" not in value and "`" not in value
                                             and rng.random() < 0.5):
                lines.append(f"{lead}{key}: {value}")  # plain scalars, as people write them
            else:
                lines.append(f"{lead}{key}: {_scalar(value)}")
    return "\n".join(lines) + "\n"


def generate(total: int, out: Path, *, seed: int = 1) -> list[Path]:
    """Write ``total`` cards as decks of CARDS_PER_COMPANY cards into ``out``."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    companies = max(2, total // CARDS_PER_COMPANY)
    paths = []
    for number in range(1, companies + 1):
        share = total // companies + (1 if number <= total % companies else 0)
        path = out / f"company-{number}.yaml"
        path.write_text(_deck_yaml(rng, number, share), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cards", type=int, help="total number of cards")
    parser.add_argument("out", type=Path, help="folder to write the decks into")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    paths = generate(args.cards, args.out, seed=args.seed)
    size = sum(p.stat().st_size for p in paths)
    print(f"{args.cards} cards in {len(paths)} decks, {size / 1e6:.1f} MB -> {args.out}")


if __name__ == "__main__":
    main()
