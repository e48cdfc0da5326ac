"""Every lint, with a failing and a passing example and the exact position reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from deck2anki.cli import main

from conftest import MINIMAL

CARD = "  - id: {id}\n    kind: {kind}\n    source: article\n{body}"


def second(body: str, id: str = "second", kind: str = "fact") -> str:
    return CARD.format(id=id, kind=kind, body=body)


def qa(front: str, back: str = "B.") -> str:
    return f"    front: '{front}'\n    back: '{back}'\n"


ROUND = "    number: {n}\n    name: Round {n}\n"

# (code, deck text that trips it, (line, column), deck text that does not)
CASES = [
    ("duplicate-id", MINIMAL + second(qa("At Acme, second?"), id="first"), (12, 9),
     MINIMAL + second(qa("At Acme, second?"))),
    ("id-pattern", MINIMAL + second(qa("At Acme, second?"), id="Second_Card"), (12, 9),
     MINIMAL + second(qa("At Acme, second?"), id="second-card")),
    ("duplicate-front", MINIMAL + second(qa("At Acme: what is FIRST?")), (15, 12),
     MINIMAL + second(qa("At Acme, what is last?"))),
    ("near-duplicate-front", MINIMAL + second(qa("At Acme, what is firstly?")), (15, 12),
     MINIMAL + second(qa("At Acme, what comes after the first?"))),
    ("empty-text", MINIMAL + second(qa("At Acme, second?", "   ")), (16, 11),
     MINIMAL + second(qa("At Acme, second?", "Two."))),
    ("cloze-without-deletion", MINIMAL + second("    cloze: 'At Acme, two is second.'\n"),
     (15, 12), MINIMAL + second("    cloze: 'At Acme, {{c1::two}} is second.'\n")),
    ("long-answer", MINIMAL + second(qa("At Acme, second?", "x" * 301)), (16, 11),
     MINIMAL + second(qa("At Acme, second?", "x" * 300))),
    ("no-source", MINIMAL + "  - id: second\n    kind: fact\n" + qa("At Acme, second?"),
     (12, 5), MINIMAL + second(qa("At Acme, second?"))),
    ("unknown-tag-namespace", MINIMAL + "    tags: [pay]\n", (12, 11),
     MINIMAL + "    tags: [topic::pay]\n"),
    ("reserved-tag", MINIMAL + "    tags: [kind::fact]\n", (12, 11),
     MINIMAL + "    tags: [topic::fact]\n"),
    ("duplicate-round", MINIMAL + second(ROUND.format(n=1), "r1", "round")
     + second(ROUND.format(n=1), "r2", "round"), (20, 13),
     MINIMAL + second(ROUND.format(n=1), "r1", "round")
     + second(ROUND.format(n=2), "r2", "round")),
    ("round-gap", MINIMAL + second(ROUND.format(n=1), "r1", "round")
     + second(ROUND.format(n=3), "r3", "round"), (20, 13),
     MINIMAL + second(ROUND.format(n=1), "r1", "round")
     + second(ROUND.format(n=2), "r2", "round")),
    ("round-gap", MINIMAL + second(ROUND.format(n=2), "r2", "round"), (15, 13),
     MINIMAL + second(ROUND.format(n=1), "r1", "round")),
    ("todo-text", MINIMAL + second(qa("TODO: the question")), (15, 12),
     MINIMAL + second(qa("At Acme, second?"))),
    ("todo-text", MINIMAL.replace("title: Acme article", "title: 'TODO: the title'"), (5, 12),
     MINIMAL),
    ("todo-text", MINIMAL + second("    front: q\n    back: b\n    steps: [a, TODO]\n",
                                   kind="script"), (17, 16),
     MINIMAL + second("    front: q\n    back: b\n    steps: [a, b]\n", kind="script")),
    ("markdown-image", MINIMAL + second(qa("See ![chart](https://a.example/c.png)")), (15, 12),
     MINIMAL + second(qa("See [chart](https://a.example/c.png)"))),
    ("raw-html", MINIMAL + second(qa("See <https://a.example>")), (15, 12),
     MINIMAL + second(qa("See `<b>` in code"))),
    ("stub-id", MINIMAL + second(qa("At Acme, second?"), id="new-fact-2"), (12, 9),
     MINIMAL + second(qa("At Acme, second?"), id="second-fact")),
    ("empty-list-item", MINIMAL + second("    front: 'At Acme, steps?'\n"
                                         "    back: \"- a\\n-\\n- b\"\n"), (16, 11),
     MINIMAL + second("    front: 'At Acme, steps?'\n    back: \"- a\\n- b\"\n")),
    ("empty-list-item", MINIMAL + second("    front: q\n    back: b\n    steps: [a, '*']\n",
                                         kind="script"), (17, 16),
     MINIMAL + second("    front: q\n    back: b\n    steps: [a, '\\*']\n", kind="script")),
    ("empty-side", MINIMAL + second(qa("-")), (15, 12), MINIMAL + second(qa("At Acme, -?"))),
    ("empty-side", MINIMAL + second(qa("At Acme, second?", "[](https://a.example)")), (16, 11),
     MINIMAL + second(qa("At Acme, second?", "[two](https://a.example)"))),
    # a character reference that renders to a space only (found by a review)
    ("empty-side", MINIMAL + second(qa("&#32;")), (15, 12), MINIMAL + second(qa("&#65;?"))),
    # characters that show nothing though they are no whitespace (a hostile-input trial)
    ("empty-side", MINIMAL + second(qa("\u200b")), (15, 12),
     MINIMAL + second(qa("\U0001F469\u200d\U0001F4BB codes?"))),
    ("empty-side", MINIMAL + second(qa("At Acme, second?", "\u2800 \u3164\u00ad")),
     (16, 11), MINIMAL + second(qa("At Acme, second?", "\u2800two"))),
    ("empty-text", MINIMAL + second("    cloze: 'At Acme, {{c1::\u200b\u2060}} b'\n"),
     (15, 12), MINIMAL + second("    cloze: 'At Acme, {{c1::\u200bx}} b'\n")),
    ("empty-list-item", MINIMAL + second("    cloze: '{{c1::a}}'\n    back: '1.'\n"), (16, 11),
     MINIMAL + second("    cloze: '{{c1::a}}'\n    back: '1\\.'\n")),
    ("template-syntax", MINIMAL + second("    cloze: 'At Acme, {{c1::a}}}} b'\n"), (15, 12),
     MINIMAL + second("    cloze: 'At Acme, {{c1::a}} b'\n")),
]


def problems(write_deck, text: str) -> list[tuple[str, int, int]]:
    path: Path = write_deck("acme.yaml", text)
    result = CliRunner().invoke(main, ["validate", "--format", "json", str(path)])
    import json

    return [(p["code"], p["line"], p["column"]) for p in json.loads(result.stdout)]


@pytest.mark.parametrize(("code", "bad", "where", "good"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_lint_fires_at_its_place_and_only_there(write_deck, code: str, bad: str,
                                                where: tuple[int, int], good: str) -> None:
    found = problems(write_deck, bad)
    assert (code, *where) in found, found
    assert code not in {c for c, _l, _col in problems(write_deck, good)}


def test_strict_turns_warnings_into_errors(write_deck) -> None:
    path = write_deck("acme.yaml", MINIMAL + "    tags: [pay]\n")
    assert CliRunner().invoke(main, ["validate", str(path)]).exit_code == 0
    strict = CliRunner().invoke(main, ["validate", "--strict", str(path)])
    assert strict.exit_code == 1 and ": error: " in strict.output


def test_github_format_is_a_workflow_annotation(write_deck) -> None:
    path = write_deck("acme.yaml", MINIMAL.replace("kind: fact", "kind: trivia"))
    result = CliRunner().invoke(main, ["validate", "--format", "github", str(path)])
    assert result.exit_code == 1
    line = result.output.splitlines()[0]
    assert line.startswith(f"::error file={path},line=8,col=11,title=deck2anki unknown-kind::")
    assert "'trivia' is not a card kind" in line


def test_json_format_is_one_parsable_document(write_deck) -> None:
    import json

    path = write_deck("acme.yaml", MINIMAL)
    result = CliRunner().invoke(main, ["validate", "--format", "json", str(path)])
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_repository_decks_are_clean_even_strictly() -> None:
    from conftest import DECKS

    result = CliRunner().invoke(main, ["validate", "--strict", str(DECKS)])
    assert result.exit_code == 0, result.output


def test_a_cloze_with_markers_between_deletions_renders_no_empty_item(write_deck) -> None:
    """'}}-{{' once rendered an empty bullet; the markup fix makes it plain text."""
    deck = MINIMAL + second("    cloze: 'At Acme: {{c1::a}}-{{c2::b}} - {{c3::c}} 1. d'\n")
    assert problems(write_deck, deck) == []
