"""A contributor's pull request, command by command, as they run it: `python -m deck2anki`
in a temporary git repository whose main branch holds a released (stamped) deck, on a
branch of their own."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import MINIMAL, run_cli

SECOND = ("  - id: second\n    kind: fact\n    source: article\n"
          "    front: At Acme, what is second?\n    back: The second answer.\n")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid",
                           *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: one released deck (stamped); checked out: the contributor's branch."""
    root = tmp_path / "repo"
    (root / "decks").mkdir(parents=True)
    (root / "decks" / "acme.yaml").write_text(MINIMAL + SECOND, "utf-8")
    git(root, "init", "-q", "-b", "main")
    assert run_cli("stamp", cwd=root).returncode == 0
    git(root, "add", "-A")
    git(root, "commit", "-qm", "release 1")
    git(root, "checkout", "-qb", "contributor")
    return root


def deck(repo: Path) -> Path:
    return repo / "decks" / "acme.yaml"


def problem_lines(output: str) -> list[tuple[int, int, str, str]]:
    """(line, column, level, code) of each `path:line:col: level: code: message` line."""
    found = []
    for line in output.splitlines():
        parts = line.split(": ", 3)
        if len(parts) == 4 and parts[1] in ("error", "warning"):
            _path, row, column = parts[0].rsplit(":", 2)
            found.append((int(row), int(column), parts[1], parts[2]))
    return found


def test_validate_reports_every_stage_in_one_run_sorted_by_position(repo: Path) -> None:
    # A schema error (a misspelt key), a model error (an unknown source), a text warning
    # (HTML) and a lint (a repeated question), each in a card of its own.
    deck(repo).write_text(MINIMAL + SECOND + (
        "  - id: third\n    kind: fact\n    source: article\n    frnt: At Acme, third?\n"
        "    back: Three.\n"
        "  - id: fourth\n    kind: fact\n    source: blog\n    front: At Acme, fourth?\n"
        "    back: Four.\n"
        "  - id: fifth\n    kind: fact\n    source: article\n    front: At Acme, fifth?\n"
        "    back: <b>Five</b>\n"
        "  - id: sixth\n    kind: fact\n    source: article\n"
        "    front: At Acme, what is second?\n    back: Six.\n"), "utf-8")
    run = run_cli("validate", cwd=repo)
    assert run.returncode == 1
    found = problem_lines(run.stdout)
    assert found == sorted(found, key=lambda p: (p[0], p[1]))
    assert [(line, code) for line, _, _, code in found] == [
        (20, "unknown-property"), (24, "unknown-source"), (31, "raw-html"),
        (35, "duplicate-front")], run.stdout
    # The misspelt key is the one problem of its card: no "missing front" beside it.
    assert "did you mean 'front'?" in run.stdout and "missing" not in run.stdout
    assert "3 error(s), 1 warning(s)" in run.stderr


def test_a_file_that_does_not_parse_stops_at_its_parse_error(repo: Path) -> None:
    deck(repo).write_text(MINIMAL + SECOND.replace("    back: The second", "   back: The second")
                          + "  - id: third\n    kind: fact\n    source: nowhere\n", "utf-8")
    run = run_cli("validate", cwd=repo)
    assert run.returncode == 1
    assert problem_lines(run.stdout) == [(16, 4, "error", "yaml-syntax")]
    assert "indentation" in run.stdout and "column 5 (line 15)" in run.stdout


@pytest.mark.parametrize(("written", "meant"), [
    ("{c1::Berlin}", "{{c1::Berlin}}"),
    ("{{c1:Berlin}}", "{{c1::Berlin}}"),
    ("{{c1::Berlin}", "{{c1::Berlin}}"),
    ("{{C1::Berlin}}", "{{c1::Berlin}}"),
    ("{{ c2 :: Berlin }}", "{{c2::Berlin}}"),
])
def test_a_cloze_typo_is_a_warning_that_shows_the_form_anki_reads(
        repo: Path, written: str, meant: str) -> None:
    for other in ("", " since {{c3::1999}}"):  # alone, or beside a good deletion
        deck(repo).write_text(MINIMAL + SECOND + (
            "  - id: third\n    kind: fact\n    source: article\n"
            f"    cloze: 'Acme is based in {written}{other}.'\n"), "utf-8")
        run = run_cli("validate", cwd=repo)
        warnings = [p for p in problem_lines(run.stdout) if p[3] == "cloze-typo"]
        assert warnings == [(20, 12, "warning", "cloze-typo")], run.stdout
        assert f"write {meant}" in run.stdout
        # Never mistaken for a nested deletion or stray template braces.
        assert "nested-cloze" not in run.stdout and "template-syntax" not in run.stdout


def test_an_unclosed_deletion_before_another_is_not_called_nested(repo: Path) -> None:
    deck(repo).write_text(MINIMAL + SECOND + (
        "  - id: third\n    kind: fact\n    source: article\n"
        "    cloze: 'Acme: {{c1::Berlin} since {{c2::1999}}.'\n"), "utf-8")
    run = run_cli("validate", cwd=repo)
    assert "nested-cloze" not in run.stdout and "write {{c1::Berlin}}" in run.stdout


def test_a_cloze_marker_outside_a_cloze_field_says_where_it_works(repo: Path) -> None:
    edited = MINIMAL.replace("The first answer.", "First, {c1::first}.")
    deck(repo).write_text(edited + SECOND, "utf-8")
    run = run_cli("validate", cwd=repo)
    assert ("warning", "cloze-typo") in [p[2:] for p in problem_lines(run.stdout)]
    assert "works only in a fact card's 'cloze' field" in run.stdout


@pytest.mark.parametrize(("edit", "where"), [
    (("    back: The second", "     back: The second"), (16, "line 15")),  # too deep
    (("    back: The second", "   back: The second"), (16, "line 15")),  # not deep enough
    (("  - id: second", "   - id: second"), (12, "line 7")),  # a list item out of line
    (("    source: article\n    front: At Acme, what is second?",
      "  source: article\n    front: At Acme, what is second?"), (14, "line 13")),
])
def test_an_indentation_slip_says_indentation_at_its_line(
        repo: Path, edit: tuple[str, str], where: tuple[int, str]) -> None:
    deck(repo).write_text(MINIMAL + SECOND.replace(*edit), "utf-8")
    run = run_cli("validate", cwd=repo)
    assert run.returncode == 1
    (line, _column, level, code), = problem_lines(run.stdout)
    assert (line, level, code) == (where[0], "error", "yaml-syntax")
    assert "indentation" in run.stdout and where[1] in run.stdout, run.stdout


def test_a_duplicate_key_names_both_lines(repo: Path) -> None:
    deck(repo).write_text(MINIMAL + SECOND + "    front: Again?\n", "utf-8")
    run = run_cli("validate", cwd=repo)
    assert problem_lines(run.stdout) == [(17, 5, "error", "duplicate-key")]
    assert "first at line 15" in run.stdout
