"""deck2anki diff and the git guard, on a real temporary git repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from deck2anki.cli import main

from conftest import MINIMAL, git

SECOND = ("  - id: second\n    kind: fact\n    source: article\n    front: At Acme, second?\n"
          "    back: Two.\n")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "decks").mkdir(parents=True)
    (root / "decks" / "acme.yaml").write_text(MINIMAL + SECOND, "utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "v1")
    git(root, "checkout", "-qb", "feature")
    return root


def run(repo: Path, *args: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(repo)
    return CliRunner().invoke(main, list(args))


def test_diff_lists_added_changed_and_removed_cards(repo: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    deck = repo / "decks" / "acme.yaml"
    third = SECOND.replace("second", "third").replace("Two.", "Three.")
    deck.write_text(MINIMAL.replace("The first answer.", "A better answer.") + third, "utf-8")
    result = run(repo, "diff", monkeypatch=monkeypatch)
    assert result.exit_code == 1  # 'second' was removed
    assert result.stdout.splitlines() == [
        '+ acme/third  "At Acme, third?"',
        '~ acme/first (back)  "At Acme, what is first?"',
        "    - back: The first answer.",
        "    + back: A better answer.",
        '- acme/second REMOVED (retire it instead)  "At Acme, second?"',
        result.stdout.splitlines()[-1]]
    assert result.stdout.splitlines()[-1].startswith(
        "1 added, 1 changed, 0 retired, 1 removed, 0 renamed")
    data = json.loads(run(repo, "diff", "--format", "json", monkeypatch=monkeypatch).stdout)
    assert data["added"] == [{"card": "acme/third", "question": "At Acme, third?"}]
    assert data["changed"] == [{"card": "acme/first", "question": "At Acme, what is first?",
                                "fields": ["back"]}]
    assert [entry["card"] for entry in data["removed"]] == ["acme/second"]


def test_retiring_instead_of_removing_passes(repo: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    deck = repo / "decks" / "acme.yaml"
    deck.write_text(MINIMAL + SECOND + "    retired: true\n", "utf-8")
    git(repo, "commit", "-qam", "retire second")
    result = run(repo, "diff", monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    assert 'R acme/second retired  "At Acme, second?"' in result.stdout
    markdown = run(repo, "diff", "--format", "markdown", monkeypatch=monkeypatch).stdout
    assert "### Retired" in markdown and "`acme/second`" in markdown


def test_renaming_an_id_is_breaking(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deck = repo / "decks" / "acme.yaml"
    deck.write_text(MINIMAL + SECOND.replace("id: second", "id: second-card"), "utf-8")
    result = run(repo, "diff", monkeypatch=monkeypatch)
    assert result.exit_code == 1
    assert "> acme/second-card RENAMED from second" in result.stdout
    # With its content changed too, it is a removal and an addition.
    deck.write_text(MINIMAL + SECOND.replace("id: second", "id: second-card").replace(
        "Two.", "Deux."), "utf-8")
    result = run(repo, "diff", monkeypatch=monkeypatch)
    assert result.exit_code == 1
    assert "+ acme/second-card" in result.stdout and "- acme/second " in result.stdout


def test_validate_runs_the_git_guard(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "decks" / "acme.yaml").write_text(MINIMAL, "utf-8")  # 'second' deleted
    result = run(repo, "validate", monkeypatch=monkeypatch)
    assert result.exit_code == 1
    assert "card acme/second exists at" in result.stdout and ": removed-card: " in result.stdout


def test_diff_against_an_explicit_base_and_a_bad_one(repo: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "decks" / "acme.yaml").write_text(MINIMAL + SECOND + SECOND.replace(
        "second", "third"), "utf-8")
    git(repo, "commit", "-qam", "third")
    result = run(repo, "diff", first, monkeypatch=monkeypatch)
    assert result.exit_code == 0 and "+ acme/third" in result.stdout
    assert run(repo, "diff", "no-such-tag", monkeypatch=monkeypatch).exit_code == 2


def test_without_git_history_it_says_so_plainly(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "decks").mkdir()
    (tmp_path / "decks" / "acme.yaml").write_text(MINIMAL, "utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["diff"])
    assert result.exit_code == 2 and "not in a git checkout" in result.output
    checked = CliRunner().invoke(main, ["validate"])
    assert checked.exit_code == 0
    assert "note: git history guard skipped" in checked.stderr


def test_shallow_clone_is_named(repo: Path, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    git(repo, "checkout", "-q", "main")
    (repo / "decks" / "acme.yaml").write_text(MINIMAL + SECOND + "# more\n", "utf-8")
    git(repo, "commit", "-qam", "v2")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    result = run(shallow, "diff", monkeypatch=monkeypatch)
    assert result.exit_code == 2 and "shallow clone" in result.output


def test_switching_to_cloze_is_breaking(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deck = repo / "decks" / "acme.yaml"
    deck.write_text(MINIMAL + SECOND.replace("    front: At Acme, second?\n    back: Two.\n",
                                             "    cloze: At Acme, {{c1::two}} is second.\n"),
                    "utf-8")
    result = run(repo, "diff", monkeypatch=monkeypatch)
    assert result.exit_code == 1
    assert "! acme/second SWITCHED between Q/A and cloze" in result.stdout
