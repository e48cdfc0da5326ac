"""deck2anki new / add: valid files, fresh ids, stubs that validate flags until written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from deck2anki.cli import main
from deck2anki.commands.scaffold import slugify
from deck2anki.load.parse import load_file


@pytest.fixture
def decks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "decks").mkdir()
    return tmp_path / "decks"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("company", ["Foo: Bar", "2024", "Yes", "[Acme]", "#hash co"])
def test_new_quotes_names_yaml_would_misread(decks: Path, company: str) -> None:
    result = invoke("new", company)
    assert result.exit_code == 0, result.output
    path = next(decks.glob("*.yaml"))
    assert load_file(path).data["company"] == company


def test_slugify() -> None:
    assert slugify("Acme Zürich Corp.") == "acme-zurich-corp"
    assert slugify("  Zoom ") == "zoom"


def test_new_creates_a_valid_empty_deck(decks: Path) -> None:
    result = invoke("new", "Acme Corp")
    assert result.exit_code == 0, result.output
    path = decks / "acme-corp.yaml"
    assert load_file(path).data["slug"] == "acme-corp"
    # Fresh from the template it is clean: strict validate, stamp and build all pass.
    checked = invoke("validate", "--strict", str(path))
    assert checked.exit_code == 0 and "no problems" in checked.output, checked.output
    assert invoke("stamp").exit_code == 0
    built = invoke("build", "--out", str(decks.parent / "dist"))
    assert built.exit_code == 0 and "no cards yet, nothing written" in built.output
    assert invoke("new", "Acme Corp").exit_code == 2  # never overwrites
    # Its source placeholder is reported as soon as a card cites it.
    invoke("add", "acme-corp", "fact")
    assert "source 'article' still holds a TODO" in invoke("validate", str(path)).output


def test_add_makes_stubs_with_fresh_ids_for_every_kind(decks: Path) -> None:
    invoke("new", "Acme")
    ids = []
    for kind in ("fact", "round", "signal", "script", "fact", "round"):
        result = invoke("add", "acme", kind)
        assert result.exit_code == 0, result.output
        ids.append(result.output.split("'")[1])
    assert ids == ["new-fact-1", "new-round-1", "new-signal-1", "new-script-1", "new-fact-2",
                   "new-round-2"]
    data = load_file(decks / "acme.yaml").data
    # Each after the last card of its kind.
    assert [c["id"] for c in data["cards"]] == ["new-fact-1", "new-fact-2", "new-round-1",
                                                "new-round-2", "new-signal-1", "new-script-1"]
    assert [c["number"] for c in data["cards"] if c["kind"] == "round"] == [1, 2]
    assert data["company"] == "Acme"  # the template's comments and fields are kept
    checked = invoke("validate", str(decks / "acme.yaml"))
    assert checked.exit_code == 0 and ": todo-text: " in checked.output
    assert invoke("validate", "--strict", str(decks / "acme.yaml")).exit_code == 1


def test_stamp_refuses_stubs_until_they_are_written(decks: Path) -> None:
    invoke("new", "Acme")
    invoke("add", "acme", "fact")
    path = decks / "acme.yaml"
    refused = invoke("stamp")
    assert refused.exit_code == 1 and "stamps.json was not changed" in refused.output
    assert ": todo-text: " in refused.output and ": stub-id: " in refused.output
    text = path.read_text("utf-8").replace("TODO: At Acme, ...?", "At Acme, what?")
    text = text.replace("TODO: the answer, first and short", "That.")
    text = text.replace("TODO: the source article's title", "An article")
    path.write_text(text.replace("TODO-source-file.txt", "article.txt"), "utf-8")
    assert ": stub-id: " in invoke("stamp").output  # the generated id is not final yet
    path.write_text(text.replace("TODO-source-file.txt", "article.txt")
                    .replace("new-fact-1", "what-comes-first"), "utf-8")
    stamped = invoke("stamp")
    assert stamped.exit_code == 0, stamped.output
    assert invoke("validate", "--strict").exit_code == 0


def test_add_to_an_unknown_company_is_a_usage_error(decks: Path) -> None:
    result = invoke("add", "nobody", "fact")
    assert result.exit_code == 2 and "deck2anki new" in result.output


@pytest.mark.parametrize("company", ["A::B", "notetype", "x\x1fy", "a\x7fb", "a\udcffb",
                                     "a\u202eb"])
def test_new_refuses_a_name_whose_deck_would_not_validate(decks: Path, company: str) -> None:
    result = invoke("new", company)
    assert result.exit_code == 2 and "cannot make a deck" in result.output
    assert not list(decks.iterdir())



def test_build_refuses_stubs_and_placeholders_at_their_lines(decks: Path) -> None:
    invoke("new", "Acme")
    invoke("add", "acme", "fact")
    built = invoke("build", "--out", str(decks.parent / "dist"))
    assert built.exit_code == 1 and "nothing was written" in built.output
    output = built.output
    assert "decks/acme.yaml:12:9: error: stub-id: 'new-fact-1' is a generated stub id" in output
    assert "acme.yaml:15:12: error: todo-text: 'front' still holds a TODO placeholder" in output
    assert not (decks.parent / "dist").exists()
