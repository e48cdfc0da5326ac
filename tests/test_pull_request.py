"""A contributor's pull request, command by command, as they run it: `python -m deck2anki`
in a temporary git repository whose main branch holds a released (stamped) deck, on a
branch of their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MINIMAL, git, run_cli

SECOND = ("  - id: second\n    kind: fact\n    source: article\n"
          "    front: At Acme, what is second?\n    back: The second answer.\n")


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
        assert "nested-cloze" not in run.stdout  # never mistaken for a nested deletion
        # Beside a good deletion, stray double braces would show as text: an error too.
        broken = bool(other) and "{{" in written
        # Alone, the card has no deletion at all: an error of its own.
        assert run.returncode == (1 if broken or not other else 0), run.stdout
        assert ("template-syntax" in run.stdout) == broken


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


def test_diff_shows_what_each_card_asks_and_each_changed_field(repo: Path) -> None:
    deck(repo).write_text(MINIMAL.replace("The first answer.", "A **better** answer.") + SECOND
                          + "    retired: true\n"
                          + "  - id: third\n    kind: fact\n    source: article\n"
                          "    cloze: 'Acme has {{c1::three}} offices.'\n", "utf-8")
    run = run_cli("diff", cwd=repo)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[:5] == [
        '+ acme/third  "Acme has {{c1::three}} offices."',
        '~ acme/first (back)  "At Acme, what is first?"',
        "    - back: The first answer.",
        "    + back: A **better** answer.",
        'R acme/second retired  "At Acme, what is second?"']
    markdown = run_cli("diff", "--format", "markdown", cwd=repo).stdout
    assert "- `acme/third`: Acme has {{c1::three}} offices." in markdown


def test_a_renamed_card_is_a_rename_with_the_way_out(repo: Path) -> None:
    deck(repo).write_text(MINIMAL + SECOND.replace("id: second", "id: second-card"), "utf-8")
    run = run_cli("diff", cwd=repo)
    assert run.returncode == 1
    assert ('> acme/second-card RENAMED from second (same content; keep the old id)  '
            '"At Acme, what is second?"') in run.stdout
    assert "0 removed, 1 renamed" in run.stdout and "under their old ids" in run.stderr
    checked = run_cli("validate", cwd=repo)
    assert checked.returncode == 1
    assert ("acme.yaml:12:9: error: removed-card: card 'second-card' is card 'second' (in "
            "stamps.json) renamed, with the same content") in checked.stdout
    assert "rename 'second-card' back to 'second'" in checked.stdout


def test_a_card_renamed_on_main_before_any_stamp_has_a_way_out(repo: Path) -> None:
    # Committed to main but never stamped: the git guard knows it; stamps.json does not.
    git(repo, "checkout", "-q", "main")
    third = SECOND.replace("second", "third")
    deck(repo).write_text(MINIMAL + SECOND + third, "utf-8")
    git(repo, "commit", "-qam", "third, unstamped")
    git(repo, "checkout", "-q", "contributor")
    git(repo, "merge", "-q", "main")
    deck(repo).write_text(MINIMAL + SECOND + third.replace("id: third", "id: third-card"),
                          "utf-8")
    checked = run_cli("validate", cwd=repo)
    assert checked.returncode == 1
    assert "rename 'third-card' back to 'third'" in checked.stdout
    # Forgetting is no way out: the card is on main, so learners may hold it.
    forgot = run_cli("stamp", "--forget", "acme/third", cwd=repo)
    assert forgot.returncode == 1
    assert "cannot forget 'acme/third': it exists on the main branch" in forgot.stderr
    # Keeping the id is.
    deck(repo).write_text(MINIMAL + SECOND + third, "utf-8")
    assert run_cli("validate", cwd=repo).returncode == 0


def test_stamp_forget_refuses_an_id_on_the_base_and_takes_a_branch_only_one(
        repo: Path) -> None:
    deck(repo).write_text(MINIMAL, "utf-8")  # 'second' deleted: it is on main
    refused = run_cli("stamp", "--forget", "acme/second", cwd=repo)
    assert refused.returncode == 1 and "exists on the main branch" in refused.stderr
    # A card stamped on this branch only, then dropped, may be forgotten.
    deck(repo).write_text(MINIMAL + SECOND + SECOND.replace("second", "draft"), "utf-8")
    assert run_cli("stamp", cwd=repo).returncode == 0
    deck(repo).write_text(MINIMAL + SECOND, "utf-8")
    forgot = run_cli("stamp", "--forget", "acme/draft", cwd=repo)
    assert forgot.returncode == 0, forgot.stderr
    assert run_cli("validate", cwd=repo).returncode == 0


def test_preview_changed_shows_only_the_pull_requests_cards(repo: Path) -> None:
    other = MINIMAL.replace("Acme", "Globex").replace("acme", "globex")
    (repo / "decks" / "globex.yaml").write_text(other, "utf-8")
    full = run_cli("preview", cwd=repo)
    assert full.returncode == 0, full.stderr
    assert (repo / "preview" / "globex.html").is_file()
    deck(repo).write_text(MINIMAL.replace("The first answer.", "A better answer.") + SECOND
                          + SECOND.replace("second", "third"), "utf-8")
    run = run_cli("preview", "--changed", cwd=repo)
    assert run.returncode == 0, run.stderr
    assert "(3 notes in 2 decks, changed since" in run.stdout  # acme/first, acme/third, globex
    page = (repo / "preview" / "acme.html").read_text("utf-8")
    assert page.count('class="d2a-preview-card"') == 2
    assert "acme/first" in page and "acme/third" in page and "acme/second" not in page
    assert "A better answer." in page
    # globex is new on this branch (never committed), so its card is "added" too.
    assert (repo / "preview" / "globex.html").is_file()
    git(repo, "add", "decks")
    git(repo, "commit", "-qm", "the pull request")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "contributor")
    git(repo, "checkout", "-q", "contributor")
    # Nothing changed since the new merge base: no page left from the run before.
    run = run_cli("preview", "--changed", cwd=repo)
    assert run.returncode == 0 and "(0 notes in 0 decks" in run.stdout
    assert sorted(p.name for p in (repo / "preview").iterdir()) == [
        ".deck2anki-preview", "cards.json", "index.html"]
    assert "No card to show." in (repo / "preview" / "index.html").read_text("utf-8")


def test_preview_removes_a_deleted_decks_page_and_nothing_of_yours(repo: Path) -> None:
    out = repo / "preview"
    out.mkdir()
    (out / "notes.html").write_text("mine", "utf-8")  # not ours: never touched
    (repo / "decks" / "globex.yaml").write_text(
        MINIMAL.replace("Acme", "Globex").replace("acme", "globex"), "utf-8")
    assert run_cli("preview", cwd=repo).returncode == 0
    assert (out / "globex.html").is_file()
    (repo / "decks" / "globex.yaml").unlink()
    assert run_cli("preview", cwd=repo).returncode == 0
    assert not (out / "globex.html").exists()
    assert (out / "acme.html").is_file() and (out / "notes.html").read_text("utf-8") == "mine"


def test_preview_of_a_folder_without_decks_is_an_error(repo: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    run = run_cli("preview", "--decks", str(empty), "--out", str(tmp_path / "out"), cwd=repo)
    assert run.returncode == 1 and ": error: no-decks: " in run.stderr
    assert not (tmp_path / "out").exists()
    bad = run_cli("preview", "--changed", "no-such-revision", cwd=repo)
    assert bad.returncode == 2 and "not a commit" in bad.stderr


def _modeline_target(deck_file: Path) -> Path:
    first = deck_file.read_text("utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix), first
    return (deck_file.parent / first.removeprefix(prefix)).resolve()


def test_new_points_its_modeline_at_a_schema_that_is_there_in_any_repository(
        tmp_path: Path) -> None:
    from deck2anki.check.schema import schema_path

    # Another repository, with no schema of its own: `new` brings a copy.
    other = tmp_path / "their-repo"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    run = run_cli("new", "Initech", cwd=other)
    assert run.returncode == 0, run.stderr
    target = _modeline_target(other / "decks" / "initech.yaml")
    assert target == (other / "decks" / "deck.schema.json").resolve()
    assert target.read_bytes() == schema_path().read_bytes()
    # A deck made later, in a nested folder, still finds it (relative to its own file).
    run = run_cli("new", "Globex", "--decks", "decks/more", cwd=other)
    assert _modeline_target(other / "decks" / "more" / "globex.yaml").is_file()
    # A repository that keeps schema/deck.schema.json (like ours) is pointed at it.
    ours = tmp_path / "our-layout"
    (ours / "schema").mkdir(parents=True)
    (ours / "schema" / "deck.schema.json").write_bytes(schema_path().read_bytes())
    git(ours, "init", "-q", "-b", "main")
    assert run_cli("new", "Acme", cwd=ours).returncode == 0
    assert _modeline_target(ours / "decks" / "acme.yaml") == (
        ours / "schema" / "deck.schema.json").resolve()
    assert not (ours / "decks" / "deck.schema.json").exists()


def test_schema_prints_and_writes_the_packaged_schema(tmp_path: Path) -> None:
    import json

    from deck2anki.check.schema import schema_path

    printed = run_cli("schema", cwd=tmp_path)
    assert printed.returncode == 0 and json.loads(printed.stdout)["title"] == "deck2anki deck"
    (tmp_path / "decks").mkdir()
    stale = tmp_path / "decks" / "deck.schema.json"
    stale.write_text('{"title": "deck2anki deck"}', "utf-8")  # an older copy: refreshed
    written = run_cli("schema", "--write", "decks", cwd=tmp_path)
    assert written.returncode == 0 and stale.read_bytes() == schema_path().read_bytes()


# What SARIF 2.1.0 (OASIS) requires of the parts we write, and what GitHub code
# scanning reads: a result's rule, level, message and a physical location whose
# artifact is a path relative to the checkout, with a 1-based region.
def _object(required: list[str], **properties: object) -> dict[str, object]:
    return {"type": "object", "required": required, "properties": properties}


def _list(items: object) -> dict[str, object]:
    return {"type": "array", "minItems": 1, "items": items}


_REGION = _object(["startLine"], startLine={"type": "integer", "minimum": 1},
                  startColumn={"type": "integer", "minimum": 1})
# A path relative to the checkout, with forward slashes: no leading '/', no '\\'.
_ARTIFACT = _object(["uri"], uri={"type": "string", "pattern": r"^[^/\\][^\\]*$"})
_RESULT = _object(["ruleId", "ruleIndex", "level", "message", "locations"],
                  level={"enum": ["error", "warning", "note", "none"]},
                  message=_object(["text"]),
                  locations=_list(_object(["physicalLocation"], physicalLocation=_object(
                      ["artifactLocation", "region"], artifactLocation=_ARTIFACT,
                      region=_REGION))))
_RULE = _object(["id", "shortDescription"], shortDescription=_object(["text"]))
SARIF_SUBSET = _object(["version", "runs"], version={"const": "2.1.0"}, runs=_list(_object(
    ["tool", "results"],
    tool=_object(["driver"], driver=_object(["name", "rules"], name={"const": "deck2anki"},
                                            rules={"type": "array", "items": _RULE})),
    results={"type": "array", "items": _RESULT})))


def test_validate_writes_sarif_for_code_scanning(repo: Path) -> None:
    import json

    import jsonschema

    deck(repo).write_text(MINIMAL + SECOND.replace("The second answer.", "<b>Two</b>")
                          + "  - id: third\n    kind: fact\n    source: blog\n"
                          "    front: At Acme, third?\n    back: Three.\n", "utf-8")
    run = run_cli("validate", "--format", "sarif", str(repo / "decks"), cwd=repo)
    assert run.returncode == 1
    log = json.loads(run.stdout)
    jsonschema.validate(log, SARIF_SUBSET)
    driver = log["runs"][0]["tool"]["driver"]
    results = log["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("raw-html", "warning"), ("unknown-source", "error")]
    for result in results:  # each points at its rule, with the rule's own summary
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    where = results[1]["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == "decks/acme.yaml"  # relative, though given absolute
    assert where["region"] == {"startLine": 19, "startColumn": 13}
    deck(repo).write_text(MINIMAL + SECOND, "utf-8")
    clean = run_cli("validate", "--format", "sarif", cwd=repo)
    assert clean.returncode == 0 and json.loads(clean.stdout)["runs"][0]["results"] == []


ROUND = ("  - id: round-one\n    kind: round\n    source: article\n    number: 1\n"
         "    name: Screen\n")


def test_add_places_a_card_after_the_last_of_its_kind(repo: Path) -> None:
    text = MINIMAL + "\n" + ROUND + "\n# ---- more facts\n" + SECOND
    deck(repo).write_text(text, "utf-8")
    run = run_cli("add", "acme", "round", cwd=repo)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("decks/acme.yaml:19:3: added round card 'new-round-1'")
    lines = deck(repo).read_text("utf-8").splitlines()
    assert lines[11:19] == ["", "  - id: round-one", "    kind: round", "    source: article",
                            "    number: 1", "    name: Screen", "", "  - id: new-round-1"]
    assert lines[19:25] == ["    kind: round", "    source: article", "    number: 2",
                            '    name: "TODO: the round\'s name"',
                            '    length: "TODO: e.g. 45 minutes"',
                            '    assesses: "TODO: what the round assesses"']
    assert lines[25:28] == ["", "# ---- more facts", "  - id: second"]  # the header stays put
    # A kind the deck has none of goes at the end.
    run = run_cli("add", "acme", "signal", cwd=repo)
    assert deck(repo).read_text("utf-8").splitlines()[-7:-5] == ["", "  - id: new-signal-1"]


def test_two_pull_requests_adding_different_kinds_merge_cleanly(repo: Path) -> None:
    deck(repo).write_text(MINIMAL + ROUND + SECOND, "utf-8")
    git(repo, "commit", "-qam", "a round")
    git(repo, "checkout", "-qb", "rounds")
    assert run_cli("add", "acme", "round", cwd=repo).returncode == 0
    git(repo, "commit", "-qam", "a round stub")
    git(repo, "checkout", "-q", "contributor")
    assert run_cli("add", "acme", "fact", cwd=repo).returncode == 0
    git(repo, "commit", "-qam", "a fact stub")
    git(repo, "merge", "-q", "rounds")  # raises on a conflict
    merged = deck(repo).read_text("utf-8")
    assert "new-round-1" in merged and "new-fact-1" in merged
    run = run_cli("validate", cwd=repo)
    assert run.returncode == 0 and ": stub-id: " in run.stdout


def test_build_quiet_prints_only_the_problems(repo: Path) -> None:
    deck(repo).write_text(MINIMAL + SECOND.replace("The second answer.", "TODO"), "utf-8")
    run = run_cli("build", "-q", cwd=repo)
    assert run.returncode == 1 and run.stdout == ""
    assert [line.split(": ")[2] for line in run.stderr.splitlines()] == ["todo-text"]


def test_a_todo_in_a_sources_file_is_reported_at_the_file(repo: Path) -> None:
    deck(repo).write_text(MINIMAL.replace("    title: Acme article\n",
                                          "    title: Acme article\n    file: TODO.txt\n")
                          + SECOND, "utf-8")
    run = run_cli("validate", cwd=repo)
    assert (6, 11, "warning", "todo-text") in problem_lines(run.stdout), run.stdout


def test_a_card_with_a_misspelt_key_is_still_checked_for_everything_else(repo: Path) -> None:
    deck(repo).write_text(MINIMAL + SECOND + (
        "  - id: third\n    kind: fact\n    source: article\n"
        "    frnt: At Acme, what is second?\n    back: 'Whether {c1::x}.'\n"), "utf-8")
    codes = [p[3] for p in problem_lines(run_cli("validate", cwd=repo).stdout)]
    assert codes == ["unknown-property", "cloze-typo"]


@pytest.mark.parametrize("indent", ["\t", "\t\t", "  \t", "\t  "])
def test_a_tab_anywhere_in_the_indentation_is_named(repo: Path, indent: str) -> None:
    deck(repo).write_text(MINIMAL + SECOND.replace("    back: The second", indent + "back: The"),
                          "utf-8")
    run = run_cli("validate", cwd=repo)
    assert run.returncode == 1 and "tab character" in run.stdout, run.stdout


def test_wrapped_text_with_a_colon_is_told_to_use_quotes(repo: Path) -> None:
    deck(repo).write_text(MINIMAL + SECOND.replace(
        "    back: The second answer.\n",
        "    back: The second answer is long and\n      goes on here: with a colon\n"), "utf-8")
    run = run_cli("validate", cwd=repo)
    assert run.returncode == 1 and "put the whole text in quotes" in run.stdout, run.stdout
    assert "indentation" not in run.stdout


def _layout(dash: str, key: str) -> str:
    """MINIMAL's cards laid out with '-' at ``dash`` and keys at ``key`` columns."""
    def card(card_id: str, kind: str, extra: str) -> str:
        pad = " " * len(key)
        return (f"{dash}-{key[len(dash) + 1:]}id: {card_id}\n{pad}kind: {kind}\n"
                f"{pad}source: article\n{extra.replace('@', pad)}")
    return ("company: Acme\nslug: acme\nsources:\n  article:\n    title: Acme article\n"
            "cards:\n" + card("first", "fact", "@front: At Acme, first?\n@back: One.\n")
            + card("r1", "round", "@number: 1\n@name: Screen\n")
            + card("last", "fact", "@front: At Acme, last?\n@back: Two.\n"))


@pytest.mark.parametrize(("dash", "key"), [("  ", "    "), ("", "  "), ("    ", "      "),
                                           ("  ", "      ")])
@pytest.mark.parametrize("crlf", [False, True])
def test_add_follows_the_decks_own_layout_and_line_endings(
        repo: Path, dash: str, key: str, crlf: bool) -> None:
    text = _layout(dash, key)
    deck(repo).write_bytes((text.replace("\n", "\r\n") if crlf else text).encode())
    for kind in ("round", "script"):  # one after its kind's last card, one at the end
        run = run_cli("add", "acme", kind, cwd=repo)
        assert run.returncode == 0, run.stderr
        assert run.stdout.split(": added")[0].endswith(f":{len(dash) + 1}")
    raw = deck(repo).read_bytes()
    assert (raw.count(b"\r\n") == raw.count(b"\n")) if crlf else b"\r" not in raw
    from deck2anki.load.parse import load_file

    cards = load_file(deck(repo)).data["cards"]
    assert [c["id"] for c in cards] == ["first", "r1", "new-round-1", "last", "new-script-1"]
    assert f"\n{dash}-{key[len(dash) + 1:]}id: new-round-1\n{key}kind: round" in \
        raw.decode().replace("\r\n", "\n")


def test_add_after_a_flow_style_card(repo: Path) -> None:
    deck(repo).write_text(MINIMAL + "  - {id: r1, kind: round, source: article, number: 1, "
                          "name: Screen}\n" + SECOND, "utf-8")
    assert run_cli("add", "acme", "round", cwd=repo).returncode == 0
    from deck2anki.load.parse import load_file

    cards = load_file(deck(repo)).data["cards"]
    assert [c["id"] for c in cards] == ["first", "r1", "new-round-1", "second"]


def test_schema_write_refuses_to_overwrite_anything_but_a_schema(tmp_path: Path) -> None:
    deck_file = tmp_path / "decks" / "acme.yaml"
    deck_file.parent.mkdir()
    deck_file.write_text(MINIMAL, "utf-8")
    refused = run_cli("schema", "--write", "decks/acme.yaml", cwd=tmp_path)
    assert refused.returncode == 2 and "is not a deck2anki schema" in refused.stderr
    assert deck_file.read_text("utf-8") == MINIMAL
    link = tmp_path / "link.json"
    link.symlink_to(deck_file)
    assert run_cli("schema", "--write", "link.json", cwd=tmp_path).returncode == 2
    assert deck_file.read_text("utf-8") == MINIMAL
    made = run_cli("schema", "--write", "new/folder/", cwd=tmp_path)
    assert made.returncode == 0 and (tmp_path / "new/folder/deck.schema.json").is_file()


def test_sarif_paths_are_relative_to_the_repository_root(repo: Path) -> None:
    import json

    deck(repo).write_text(MINIMAL + SECOND.replace("The second answer.", "<b>Two</b>"), "utf-8")
    run = run_cli("validate", "--format", "sarif", ".", cwd=repo / "decks")
    result, = json.loads(run.stdout)["runs"][0]["results"][:1]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "decks/acme.yaml"


def test_a_renamed_card_is_not_also_told_to_be_stamped(repo: Path) -> None:
    deck(repo).write_text(MINIMAL + SECOND.replace("id: second", "id: second-card"), "utf-8")
    run = run_cli("validate", "--no-cache", cwd=repo)
    assert "back to 'second'" in run.stdout and "stale-stamp" not in run.stdout


def test_a_card_with_an_unknown_source_still_gets_its_text_checked(repo: Path) -> None:
    deck(repo).write_text(MINIMAL + SECOND.replace("source: article", "source: artcle")
                          .replace("The second answer.", "'Whether {c1::x}.'"), "utf-8")
    codes = [p[3] for p in problem_lines(run_cli("validate", cwd=repo).stdout)]
    assert codes == ["unknown-source", "cloze-typo"]
