"""`deck2anki coverage`: every fact of the sources is on a card, every card traces back
to a fact, and no card states a number its source does not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import DECKS, MINIMAL, ROOT, run_cli

SHARED_SOURCES = ROOT.parent / "shared" / "sources"
ARTICLE = """\
Acme Interview Guide

Acme's first round lasts 45 minutes.

Buy our book!
"""
FACTS = """\
source: acme.txt
not_deck_material:
  - lines: [1]
    why: the title
  - lines: [5]
    why: an advertisement
facts:
  - line: 3
    fact: The first round lasts 45 minutes
    cards: [first]
"""


def test_the_repositorys_decks_are_fully_covered() -> None:
    run = run_cli("coverage", "--strict", cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout == ""
    for line in run.stderr.splitlines():  # "<article> (<slug>): N of N facts taught by ..."
        taught, total = line.split(": ", 1)[1].split(" facts")[0].split(" of ")
        assert taught == total and int(total) > 0, line


def test_kept_sources_match_the_shared_articles() -> None:
    kept = sorted((DECKS / "sources").glob("*.txt"))
    assert kept and all(path.read_text("utf-8").strip() for path in kept)
    if not SHARED_SOURCES.is_dir():
        return  # only a checkout beside the shared folder has the originals to compare
    for path in kept:
        assert path.read_bytes() == (SHARED_SOURCES / path.name).read_bytes(), path.name


@pytest.fixture
def decks(tmp_path: Path) -> Path:
    folder = tmp_path / "decks"
    (folder / "sources").mkdir(parents=True)
    (folder / "acme.yaml").write_text(
        MINIMAL.replace("    title: Acme article\n", "    title: Acme article\n"
                        "    file: acme.txt\n").replace(
            "front: At Acme, what is first?", "front: At Acme, how long is round one?").replace(
            "back: The first answer.", "back: 45 minutes."), "utf-8")
    (folder / "sources" / "acme.txt").write_text(ARTICLE, "utf-8")
    (folder / "sources" / "acme.facts.yaml").write_text(FACTS, "utf-8")
    return folder


def _codes(decks: Path, *args: str) -> tuple[int, list[tuple[str, str, int]]]:
    run = run_cli("coverage", "--decks", str(decks), "--format", "json", *args,
                  cwd=decks.parent)
    import json

    return run.returncode, [(Path(p["path"]).name, p["code"], p["line"])
                            for p in json.loads(run.stdout)]


def test_a_covered_source_has_no_gap(decks: Path) -> None:
    assert _codes(decks, "--strict") == (0, [])


def test_each_kind_of_gap_is_found_at_its_line(decks: Path) -> None:
    deck = decks / "acme.yaml"
    deck.write_text(deck.read_text("utf-8").replace("45 minutes.", "60 minutes.") + (
        "  - id: second\n    kind: fact\n    source: article\n"
        "    front: At Acme, what is second?\n    back: Nothing.\n"), "utf-8")
    facts = decks / "sources" / "acme.facts.yaml"
    facts.write_text(FACTS.replace("  - lines: [5]\n    why: an advertisement\n", "")
                     + "  - line: 3\n    fact: Another\n    cards: []\n", "utf-8")
    code, found = _codes(decks)
    assert code == 0  # gaps are warnings
    assert sorted(found) == sorted([
        ("acme.yaml", "invented-number", 12),  # 60 (its back): the article never says it
        ("acme.yaml", "unlisted-card", 13),  # 'second' teaches no listed fact
        ("acme.facts.yaml", "missing-number", 6),  # 45: line 3's cards no longer say it
        ("acme.facts.yaml", "unlisted-line", 6),  # line 5: at line 3's fact, before it
        ("acme.facts.yaml", "uncovered-fact", 9),  # 'Another' has no card
    ])
    assert _codes(decks, "--strict")[0] == 1


def test_a_broken_fact_list_is_an_error(decks: Path) -> None:
    facts = decks / "sources" / "acme.facts.yaml"
    facts.write_text(FACTS.replace("cards: [first]", "cards: [frist]"), "utf-8")
    code, found = _codes(decks)
    assert code == 1 and sorted(found) == sorted([
        ("acme.facts.yaml", "unknown-fact-card", 10),  # the misspelt id, in its list
        ("acme.facts.yaml", "uncovered-fact", 8),  # so the fact has no card
        ("acme.yaml", "unlisted-card", 8)])  # and the card no fact
    facts.write_text(FACTS.replace("  - line: 3\n", "  - lien: 3\n"), "utf-8")
    assert _codes(decks)[0] == 1


def test_a_source_without_article_or_fact_list_is_named(decks: Path) -> None:
    (decks / "sources" / "acme.facts.yaml").unlink()
    assert _codes(decks) == (0, [("acme.yaml", "no-fact-list", 6)])  # at the source's file
    shutil.rmtree(decks / "sources")
    assert _codes(decks) == (0, [("acme.yaml", "no-source-file", 6)])
    assert _codes(decks, "--strict")[0] == 1


def test_coverage_needs_valid_decks(decks: Path) -> None:
    (decks / "acme.yaml").write_text("company: [", "utf-8")
    run = run_cli("coverage", "--decks", str(decks), cwd=decks.parent)
    assert run.returncode == 1 and ": error: yaml-syntax: " in run.stderr


@pytest.mark.parametrize("name", ["../acme.yaml", "/etc/hostname", "sub/acme.txt", ".."])
def test_a_source_file_outside_the_sources_folder_is_never_read(decks: Path,
                                                                name: str) -> None:
    deck = decks / "acme.yaml"
    deck.write_text(deck.read_text("utf-8").replace("file: acme.txt", f"file: '{name}'"),
                    "utf-8")
    assert _codes(decks) == (0, [("acme.yaml", "no-source-file", 6)])


def test_a_fact_list_typo_is_named(decks: Path) -> None:
    facts = decks / "sources" / "acme.facts.yaml"
    facts.write_text(FACTS.replace("cards: [first]", "card: [first]"), "utf-8")
    run = run_cli("coverage", "--decks", str(decks), cwd=decks.parent)
    assert run.returncode == 1 and "(it has 'card': a typo?)" in run.stdout
    facts.write_text(FACTS.replace("cards: [first]", "cards: [frist]"), "utf-8")
    assert "did you mean 'first'?" in run_cli("coverage", "--decks", str(decks),
                                               cwd=decks.parent).stdout
    facts.write_text(FACTS.replace("source: acme.txt", "source: other.txt"), "utf-8")
    assert _codes(decks) == (1, [("acme.facts.yaml", "fact-list", 1)])


def test_a_number_that_only_labels_a_scene_is_listed_as_a_label(decks: Path) -> None:
    (decks / "sources" / "acme.txt").write_text(
        ARTICLE.replace("Acme's first round", "In a Q3 debrief: Acme's first round"), "utf-8")
    assert _codes(decks) == (0, [("acme.facts.yaml", "missing-number", 8)])  # the 3 of Q3
    facts = decks / "sources" / "acme.facts.yaml"
    labelled = FACTS.replace("facts:\n", "labels:\n  - line: 3\n    label: Q3 debrief\n"
                             "    why: dates an illustrative scene\nfacts:\n")
    facts.write_text(labelled, "utf-8")
    assert _codes(decks, "--strict") == (0, [])
    facts.write_text(labelled.replace("label: Q3 debrief", "label: the debrief"), "utf-8")
    code, found = _codes(decks)
    assert code == 1 and ("acme.facts.yaml", "fact-list", 8) in found  # a label needs a number


def test_a_cloze_marker_number_is_not_a_number_the_card_states(decks: Path) -> None:
    (decks / "sources" / "acme.txt").write_text(
        ARTICLE.replace("Acme's first round lasts 45 minutes.",
                        "Acme's 2 first rounds last 45 minutes."), "utf-8")
    deck = decks / "acme.yaml"
    deck.write_text(deck.read_text("utf-8").replace(
        "front: At Acme, how long is round one?\n    back: 45 minutes.",
        "cloze: \"At Acme, the first rounds last {{c1::x}} {{c2::45 minutes}}.\""), "utf-8")
    # c2 does not state the 2: only the 45 is on the card
    assert _codes(decks) == (0, [("acme.facts.yaml", "missing-number", 8)])
