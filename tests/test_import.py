"""`deck2anki import`, end to end: packages made and studied in the real Anki engine,
read back into the YAML, built, and imported again over the learner's collection."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import shutil
import sqlite3
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from anki.collection import Collection, ExportAnkiPackageOptions

from deck2anki.identity import note_guid

from anki_oracle import import_apkg, note_id_by_guid, scheduling
from conftest import DECKS, MINIMAL, committed_decks, git, run_cli

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108020000009077"
                    "53de0000000c4944415408d763f8ffff3f0005fe02fea7d6a4ad0000000049454e44ae426082")


def _export(col: Collection, path: Path, *, legacy: bool) -> Path:
    col.export_anki_package(out_path=str(path), options=ExportAnkiPackageOptions(
        with_scheduling=True, with_deck_configs=False, with_media=True, legacy=legacy),
        limit=None)
    return path


def _tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and a hash of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _study(col: Collection, answers: int) -> int:
    col.decks.select(col.get_card(col.find_cards("")[0]).did)
    for _ in range(answers):
        card = col.sched.getCard()
        if card is None:
            break
        col.sched.answerCard(card, 3)
    return int(col.db.scalar("select count() from revlog"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A contributor's clone: the real decks, committed, and built once."""
    root = committed_decks(tmp_path / "repo", "v1")
    built = run_cli("build", cwd=root)
    assert built.returncode == 0, built.stderr
    return root


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    """A checkout whose decks folder is empty (someone bringing their first deck)."""
    (tmp_path / "repo" / "decks").mkdir(parents=True)
    return tmp_path / "repo"


@pytest.fixture
def copied(tmp_path: Path) -> Path:
    """A checkout holding a copy of the real decks, without git history."""
    shutil.copytree(DECKS, tmp_path / "repo" / "decks")
    return tmp_path / "repo"


def _pick(decks: Path) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A company, one of its live question/answer facts and one of its live clozes."""
    for path in sorted(decks.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        live = [c for c in data["cards"] if not c.get("retired") and c["kind"] == "fact"]
        qa = [c for c in live if "front" in c and re.match(r"\w+ ", c["back"])]
        clozes = [c for c in live if "cloze" in c and not c["cloze"].startswith("{{")]
        if qa and clozes:
            return data["slug"], qa[0], clozes[0]
    raise AssertionError("no deck has both a Q/A fact and a cloze")


def _changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                   lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


@pytest.mark.parametrize("form", ["current", "legacy", "colpkg"])
def test_a_learners_two_edits_come_back_as_exactly_two_yaml_changes(
        repo: Path, anki_collection, tmp_path: Path, form: str) -> None:
    slug, qa, cloze = _pick(repo / "decks")
    col = anki_collection()
    assert import_apkg(col, repo / "dist" / f"{slug}.apkg").new > 0
    assert _study(col, 5) == 5
    basic = col.get_note(note_id_by_guid(col, note_guid(slug, qa["id"])))
    first_word = qa["back"].split(" ", 1)[0]
    assert f'<div class="d2a-answer">{first_word} ' in basic["Back"]
    basic["Back"] = basic["Back"].replace(f'"d2a-answer">{first_word} ',
                                          f'"d2a-answer"><b>{first_word}</b> ', 1)
    col.update_note(basic)
    text = col.get_note(note_id_by_guid(col, note_guid(slug, cloze["id"])))
    text["Text"] = "Edited: " + text["Text"]  # outside every deletion
    col.update_note(text)
    if form == "colpkg":  # the whole profile (Anki closes the collection)
        exported = tmp_path / "learner.colpkg"
        col.export_collection_package(str(exported), include_media=True, legacy=False)
    else:
        exported = _export(col, tmp_path / "learner.apkg", legacy=form == "legacy")

    deck_file = repo / "decks" / f"{slug}.yaml"
    before = deck_file.read_text(encoding="utf-8")
    others = {p: p.read_bytes() for p in (repo / "decks").rglob("*")
              if p.is_file() and p != deck_file}
    done = run_cli("import", str(exported), cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "2 change(s)" in done.stdout and "0 card(s) added" in done.stdout
    after = deck_file.read_text(encoding="utf-8")
    changed = _changed_lines(before, after)
    assert len(changed) == 4, changed  # two lines out, two lines in: every other byte kept
    data = {c["id"]: c for c in yaml.safe_load(after)["cards"]}
    assert data[qa["id"]]["back"] == qa["back"].replace(first_word, f"**{first_word}**", 1)
    assert data[cloze["id"]]["cloze"] == "Edited: " + cloze["cloze"]
    assert {p: p.read_bytes() for p in others} == others
    assert f"{slug}/{qa['id']}" in done.stdout and f"{slug}/{cloze['id']}" in done.stdout

    # The pull request shows them; stamped and built, the notes carry the learner's text.
    shown = run_cli("diff", cwd=repo)
    assert shown.returncode == 0, shown.stderr
    assert qa["id"] in shown.stdout and cloze["id"] in shown.stdout
    assert run_cli("stamp", cwd=repo).returncode == 0
    assert run_cli("build", cwd=repo).returncode == 0
    fresh = anki_collection()
    import_apkg(fresh, repo / "dist" / f"{slug}.apkg")
    rebuilt = fresh.get_note(note_id_by_guid(fresh, note_guid(slug, qa["id"])))
    assert f"<strong>{first_word}</strong>" in rebuilt["Back"]
    assert fresh.get_note(note_id_by_guid(fresh, note_guid(slug, cloze["id"])))[
        "Text"].startswith("Edited: ")

    # The same file again, and our own build: nothing more to change.
    again = run_cli("import", str(exported), cwd=repo)
    assert again.returncode == 0 and "0 change(s)" in again.stdout
    tree = _tree(repo / "decks")
    own = run_cli("import", str(repo / "dist" / f"{slug}.apkg"), cwd=repo)
    assert own.returncode == 0 and "0 change(s), 0 card(s) added" in own.stdout
    assert _tree(repo / "decks") == tree


def test_dry_run_prints_the_changes_and_writes_nothing(repo: Path, anki_collection,
                                                       tmp_path: Path) -> None:
    slug, qa, _cloze = _pick(repo / "decks")
    col = anki_collection()
    import_apkg(col, repo / "dist" / f"{slug}.apkg")
    note = col.get_note(note_id_by_guid(col, note_guid(slug, qa["id"])))
    note["Front"] = note["Front"] + " <script>alert(1)</script>(really?)"
    col.update_note(note)
    exported = _export(col, tmp_path / "edit.apkg", legacy=False)
    tree = _tree(repo / "decks")
    shown = run_cli("import", str(exported), "--dry-run", cwd=repo)
    assert shown.returncode == 0, shown.stderr
    assert "dry run, nothing written" in shown.stdout and "(really?)" in shown.stdout
    assert _tree(repo / "decks") == tree
    # The script is named in a warning at the card's front, and never written.
    warning = next(line for line in shown.stderr.splitlines() if "import-dropped" in line)
    assert re.match(rf"decks/{slug}\.yaml:\d+:\d+: warning: import-dropped: card "
                    rf"{slug}/{qa['id']} \(note ", warning)
    assert "script" in warning
    assert run_cli("import", str(exported), cwd=repo).returncode == 0
    assert "alert" not in (repo / "decks" / f"{slug}.yaml").read_text(encoding="utf-8")


def _genanki_deck(path: Path, media: Path, when: float) -> list[str]:
    import genanki

    deck = genanki.Deck(2059400110, "Shared::Acme Prep")
    notes = [
        genanki.Note(model=genanki.BASIC_MODEL, tags=["acme", "topic::metrics"], fields=[
            "What is Acme's <b>north star</b>?",
            'Weekly active teams<br>measured daily <img src="chart.png">']),
        genanki.Note(model=genanki.BASIC_MODEL, tags=["acme"], fields=[
            "Which rounds does Acme run?",
            "<ul><li>Screen</li><li>Onsite</li></ul><script>alert(1)</script>"]),
        genanki.Note(model=genanki.CLOZE_MODEL, tags=["odd.tag"], fields=[
            "Acme was founded in {{c1::2011}} in {{c2::Oslo}}.", "<i>trivia</i>"]),
    ]
    for note in notes:
        deck.add_note(note)
    media.write_bytes(PNG)
    package = genanki.Package(deck)
    package.media_files = [str(media)]
    package.write_to_file(str(path), timestamp=when)
    return [note.guid for note in notes]


def test_a_shared_deck_comes_in_and_ships_as_an_update_of_the_learners_notes(
        repo: Path, anki_collection, tmp_path: Path) -> None:
    shared = tmp_path / "acme.apkg"
    guids = _genanki_deck(shared, tmp_path / "chart.png", time.time() - 3600)
    col = anki_collection()
    assert import_apkg(col, shared).new == 3
    reviews = _study(col, 4)
    assert reviews == 4
    exported = _export(col, tmp_path / "studied.apkg", legacy=False)

    done = run_cli("import", str(exported), "--company", "acme", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "3 card(s) added" in done.stdout and "1 image(s)" in done.stdout
    deck = yaml.safe_load((repo / "decks" / "acme.yaml").read_text(encoding="utf-8"))
    assert sorted(c["guid"] for c in deck["cards"]) == sorted(guids)
    assert {c.get("notetype") for c in deck["cards"]} == set(deck["notetypes"])
    by_guid = {c["guid"]: c for c in deck["cards"]}
    assert by_guid[guids[0]]["front"] == "What is Acme's **north star**?"
    assert by_guid[guids[0]]["image"]["file"].startswith("images/acme/")
    assert by_guid[guids[1]]["back"] == "- Screen\n- Onsite"
    assert by_guid[guids[2]]["cloze"] == "Acme was founded in {{c1::2011}} in {{c2::Oslo}}."
    assert "odd-tag" in by_guid[guids[2]]["tags"]
    assert "script" in done.stderr  # dropped, and said so

    validated = run_cli("validate", "--strict", "decks", cwd=repo)
    errors = [line for line in validated.stderr.splitlines() if ": error: " in line]
    assert not errors, validated.stderr
    assert run_cli("stamp", cwd=repo).returncode == 0
    built = run_cli("build", cwd=repo)
    assert built.returncode == 0, built.stderr
    again = run_cli("import", str(exported), "--company", "acme", cwd=repo)
    assert again.returncode == 0 and "0 change(s), 0 card(s) added" in again.stdout

    before = scheduling(col)
    log = import_apkg(col, repo / "dist" / "acme.apkg")
    assert (log.new, log.updated, log.conflicting, log.duplicate) == (0, 3, 0, 0)
    assert col.note_count() == 3
    assert sorted(col.db.list("select guid from notes")) == sorted(guids)
    assert scheduling(col) == before
    assert col.db.scalar("select count() from revlog") == reviews
    assert not any("+" in name for _, name in
                   ((m["id"], m["name"]) for m in col.models.all()))  # no copies of types
    rendered = [col.get_card(cid).answer() for cid in col.find_cards("")]
    assert not any("<script" in html for html in rendered)


# --- Bad input: one line, exit 1, decks untouched ---------------------------------------


def _legacy_package(path: Path, media: dict[str, str], files: dict[str, bytes],
                    tmp_path: Path) -> Path:
    """A legacy package with a real collection (from genanki) and the given media map."""
    source = tmp_path / "source.apkg"
    _genanki_deck(source, tmp_path / "chart.png", time.time())
    with zipfile.ZipFile(source) as archive:
        collection = archive.read("collection.anki2")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("collection.anki2", collection)
        archive.writestr("media", json.dumps(media))
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def _bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("collection.anki2", b"")
        archive.writestr("media", json.dumps({"0": "big.png"}))
        with archive.open("0", "w", force_zip64=True) as entry:
            block = bytes(8 * 1024 * 1024)
            for _ in range(16):  # 128 MiB of zeros in ~130 KB
                entry.write(block)
    return path


def _corrupt(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("collection.anki21", b"SQLite format 3\x00" + bytes(range(256)) * 64)
        archive.writestr("media", "{}")
    return path


def _huge_field(path: Path, tmp_path: Path) -> Path:
    source = _legacy_package(tmp_path / "plain.apkg", {}, {}, tmp_path)
    with zipfile.ZipFile(source) as archive:
        db = tmp_path / "huge.anki2"
        db.write_bytes(archive.read("collection.anki2"))
    conn = sqlite3.connect(db)
    conn.execute("update notes set flds = ?", ("x" * (2 * 1024 * 1024) + "\x1fback",))
    conn.commit()
    conn.close()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("collection.anki2", db.read_bytes())
        archive.writestr("media", "{}")
    return path


BAD = {
    "not-a-zip": lambda p, t: (p.write_text("just text"), p)[1],
    "no-collection": lambda p, t: (zipfile.ZipFile(p, "w").writestr("media", "{}"), p)[1],
    "corrupt-sqlite": lambda p, t: _corrupt(p),
    "media-dot-dot": lambda p, t: _legacy_package(p, {"0": "../evil.png"}, {"0": PNG}, t),
    "media-absolute": lambda p, t: _legacy_package(p, {"0": "/etc/evil.png"}, {"0": PNG}, t),
    "zip-bomb": lambda p, t: _bomb(p),
    "huge-field": lambda p, t: _huge_field(p, t),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_input_is_one_line_and_leaves_the_decks_as_they_were(
        copied: Path, kind: str, tmp_path: Path) -> None:
    root = copied
    bad = BAD[kind](tmp_path / f"{kind}.apkg", tmp_path)
    tree = _tree(root / "decks")
    done = run_cli("import", str(bad), "--company", "acme", cwd=root)
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"{bad}:1:1: error: import: ") and "; " in lines[0]
    assert "Traceback" not in done.stderr
    assert _tree(root / "decks") == tree


def test_a_decks_folder_with_an_invalid_deck_is_refused_before_anything(
        empty: Path, tmp_path: Path, anki_collection) -> None:
    root = empty
    (root / "decks" / "acme.yaml").write_text(MINIMAL.replace("kind: fact", "kind: fcat"),
                                               encoding="utf-8")
    shared = _genanki_deck(tmp_path / "a.apkg", tmp_path / "chart.png", time.time())
    assert shared
    tree = _tree(root / "decks")
    done = run_cli("import", str(tmp_path / "a.apkg"), cwd=root)
    assert done.returncode == 1 and "unknown-kind" in done.stderr
    assert _tree(root / "decks") == tree


def test_without_the_anki_engine_import_says_how_to_get_it(copied: Path, tmp_path: Path) -> None:
    fake = tmp_path / "fake"
    (fake / "anki").mkdir(parents=True)
    (fake / "anki" / "__init__.py").write_text("raise ImportError('no anki here')\n")
    package = _genanki_deck(tmp_path / "a.apkg", tmp_path / "chart.png", time.time())
    assert package
    root = copied
    import os

    from conftest import SRC
    done = run_cli("import", str(tmp_path / "a.apkg"), cwd=root,
                   env={"PYTHONPATH": os.pathsep.join([str(SRC), str(fake)])})
    assert done.returncode == 1
    assert "pip install 'deck2anki[import]'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_build_and_validate_never_load_the_import_libraries(copied: Path) -> None:
    root = copied
    code = ("import sys; from deck2anki.cli import main\n"
            "try:\n    main(['build', '-q'])\nexcept SystemExit as e:\n    assert not e.code\n"
            "heavy = {'anki', 'zstandard', 'markdownify', 'bs4'}\n"
            "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))")
    import subprocess
    import sys

    from conftest import cli_env
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=cli_env(),
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stderr


def test_a_note_card_text_cannot_hold_is_skipped_with_a_warning(
        empty: Path, tmp_path: Path) -> None:
    import genanki

    deck = genanki.Deck(2059400111, "Odd")
    deck.add_note(genanki.Note(model=genanki.BASIC_MODEL,
                               fields=["Type {{Front}} to show the front", "It works."]))
    deck.add_note(genanki.Note(model=genanki.BASIC_MODEL, fields=["Plain?", "Yes."]))
    genanki.Package(deck).write_to_file(str(tmp_path / "odd.apkg"))
    root = empty
    done = run_cli("import", str(tmp_path / "odd.apkg"), cwd=root)
    assert done.returncode == 0, done.stderr
    assert "1 card(s) added" in done.stdout
    assert "import-field" in done.stderr and "template-syntax" in done.stderr
    assert run_cli("validate", "decks", cwd=root).returncode == 0


def test_every_field_of_a_kept_note_type_reaches_its_holders(
        repo: Path, anki_collection, tmp_path: Path) -> None:
    """A note type with more than a question and an answer (Anki's "Basic (optional
    reversed card)": its third field makes a second card) comes in whole, into a deck
    that already has cards, and its holders lose neither a field nor a card."""
    col = anki_collection()
    notetype = col.models.by_name("Basic (optional reversed card)")
    did = col.decks.id("Acme words")
    for front, back, reverse in (("Dog in German?", "Hund", "y"), ("Cat in German?", "Katze", ""),
                                 ("Bird in German?", "Vogel", "y")):
        note = col.new_note(notetype)
        note["Front"], note["Back"], note["Add Reverse"] = front, back, reverse
        col.add_note(note, did)
    cards = col.card_count()
    assert cards == 5
    col.db.execute("update notes set mod = mod - 3600")  # made an hour before the import
    _study(col, 3)
    exported = _export(col, tmp_path / "words.apkg", legacy=False)
    slug = sorted(p.stem for p in (repo / "decks").glob("*.yaml"))[0]
    done = run_cli("import", str(exported), "--company", slug, cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "3 card(s) added" in done.stdout and "not kept" not in done.stderr
    assert run_cli("validate", "decks", cwd=repo).returncode == 0
    assert run_cli("stamp", cwd=repo).returncode == 0
    built = run_cli("build", cwd=repo)
    assert built.returncode == 0, built.stderr
    before = {g: (f, s) for g, f, s in col.db.all(
        "select n.guid, n.flds, count(c.id) from notes n join cards c on c.nid = n.id "
        "group by n.id")}
    log = import_apkg(col, repo / "dist" / f"{slug}.apkg")
    assert log.conflicting == 0 and log.updated == 3
    after = {g: (f, s) for g, f, s in col.db.all(
        "select n.guid, n.flds, count(c.id) from notes n join cards c on c.nid = n.id "
        "group by n.id")}
    for guid, (fields, count) in before.items():
        assert after[guid][1] == count
        assert after[guid][0].split("\x1f")[2] == fields.split("\x1f")[2]  # Add Reverse kept
    fresh = anki_collection()
    import_apkg(fresh, repo / "dist" / f"{slug}.apkg")
    said = re.search(rf"{fresh.note_count()} notes \(.*?\), (\d+) cards", built.stdout)
    assert said and int(said.group(1)) == fresh.card_count(), built.stdout  # summary is true


def test_a_learners_old_copy_does_not_undo_a_later_fix(repo: Path, anki_collection,
                                                        tmp_path: Path) -> None:
    """The learner holds v1; we fix the back in v2; they edit only the front of their v1
    copy and send it: the front comes in, the back stays our fix."""
    slug, qa, _cloze = _pick(repo / "decks")
    col = anki_collection()
    import_apkg(col, repo / "dist" / f"{slug}.apkg")  # v1
    deck_file = repo / "decks" / f"{slug}.yaml"
    text = deck_file.read_text(encoding="utf-8")
    fixed = qa["back"] + " (fixed in v2)"
    deck_file.write_text(text.replace(qa["back"], fixed, 1), encoding="utf-8")
    assert run_cli("stamp", cwd=repo).returncode == 0
    git(repo, "commit", "-qam", "v2 fix")
    time.sleep(1.1)  # the learner's edit comes after the v2 stamp
    note = col.get_note(note_id_by_guid(col, note_guid(slug, qa["id"])))
    note["Front"] = note["Front"] + " (learner)"
    col.update_note(note)
    exported = _export(col, tmp_path / "old.apkg", legacy=False)
    done = run_cli("import", str(exported), cwd=repo)
    assert done.returncode == 0, done.stderr
    card = {c["id"]: c for c in yaml.safe_load(deck_file.read_text("utf-8"))["cards"]}[qa["id"]]
    assert card["front"].endswith("(learner)")
    assert card["back"] == fixed
    assert "earlier release" in done.stderr


def test_edits_to_an_imported_cards_back_come_back(repo: Path, anki_collection,
                                                   tmp_path: Path) -> None:
    shared = tmp_path / "acme.apkg"
    guids = _genanki_deck(shared, tmp_path / "chart.png", time.time() - 3600)
    assert run_cli("import", str(shared), "--company", "acme", cwd=repo).returncode == 0
    assert run_cli("stamp", cwd=repo).returncode == 0
    time.sleep(1.1)
    col = anki_collection()
    import_apkg(col, shared)
    note = col.get_note(note_id_by_guid(col, guids[1]))
    note["Back"] = "<ul><li>Screen</li><li>Onsite</li><li>Offer</li></ul>"
    col.update_note(note)
    done = run_cli("import", str(_export(col, tmp_path / "e.apkg", legacy=False)),
                   "--company", "acme", cwd=repo)
    assert done.returncode == 0 and "1 change(s)" in done.stdout, (done.stdout, done.stderr)
    cards = {c["guid"]: c for c in yaml.safe_load(
        (repo / "decks" / "acme.yaml").read_text("utf-8"))["cards"]}
    assert cards[guids[1]]["back"] == "- Screen\n- Onsite\n- Offer"


def test_a_kept_note_types_identity_is_pinned_once_stamped(repo: Path, tmp_path: Path) -> None:
    shared = tmp_path / "acme.apkg"
    _genanki_deck(shared, tmp_path / "chart.png", time.time())
    assert run_cli("import", str(shared), "--company", "acme", cwd=repo).returncode == 0
    assert run_cli("stamp", cwd=repo).returncode == 0
    deck_file = repo / "decks" / "acme.yaml"
    text = deck_file.read_text("utf-8")
    deck_file.write_text(text.replace('"Back Extra"', '"Extra"').replace(
        "{{Back Extra}}", "{{Extra}}").replace("back: \"Back Extra\"", "back: \"Extra\""),
        encoding="utf-8")
    checked = run_cli("validate", "decks", cwd=repo)
    assert checked.returncode == 1 and "notetype-change" in checked.stdout, checked.stdout
    assert run_cli("stamp", cwd=repo).returncode == 1


def test_a_kept_guid_may_be_no_other_decks_card(repo: Path) -> None:
    slug, qa, _cloze = _pick(repo / "decks")
    taken = note_guid(slug, qa["id"])
    (repo / "decks" / "acme.yaml").write_text(MINIMAL.replace(
        "    source: article\n", f"    source: article\n    guid: {json.dumps(taken)}\n", 1),
        encoding="utf-8")
    checked = run_cli("validate", "decks", cwd=repo)
    assert checked.returncode == 1 and "duplicate-guid" in checked.stdout, checked.stdout


def test_names_without_latin_letters_come_in_without_a_traceback(
        empty: Path, tmp_path: Path) -> None:
    import genanki

    deck = genanki.Deck(2059400112, "日本語")
    deck.add_note(genanki.Note(model=genanki.BASIC_MODEL, fields=["犬", "dog"]))
    deck.add_note(genanki.Note(model=genanki.BASIC_MODEL, fields=["猫", "cat"]))
    genanki.Package(deck).write_to_file(str(tmp_path / "jp.apkg"))
    root = empty
    done = run_cli("import", str(tmp_path / "jp.apkg"), cwd=root)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "2 card(s) added" in done.stdout
    assert run_cli("validate", "decks", cwd=root).returncode == 0
    usage = run_cli("import", str(tmp_path / "jp.apkg"), "--company", "日本語", cwd=root)
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_a_hostile_note_type_ships_disarmed(empty: Path, tmp_path: Path, anki_collection) -> None:
    import genanki

    model = genanki.Model(
        1700000001, "Sneaky", fields=[{"name": "Front"}, {"name": "Back"}],
        templates=[{"name": "Card 1",
                    "qfmt": '<div title="{{Front}}">{{Front}}</div><script>alert(1)</script>',
                    "afmt": "{{FrontSide}}<hr id=answer>{{Back}}{{Deck}}"}],
        css=".card{background:\\75 rl(https://evil.example/t.png)}")
    deck = genanki.Deck(2059400113, "Sneaky")
    deck.add_note(genanki.Note(model=model, fields=[
        'x" autofocus onfocus="alert(document.domain)', "back"]))
    genanki.Package(deck).write_to_file(str(tmp_path / "s.apkg"))
    root = empty
    done = run_cli("import", str(tmp_path / "s.apkg"), "--company", "sneaky", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "import-dropped" in done.stderr
    built = run_cli("build", cwd=root)
    assert built.returncode == 0, built.stderr
    col = anki_collection()
    import_apkg(col, root / "dist" / "sneaky.apkg")
    card = col.get_card(col.find_cards("")[0])
    html = card.question() + card.answer()
    from bs4 import BeautifulSoup

    tags = BeautifulSoup(html, "html.parser").find_all(True)
    assert not [t for t in tags if any(a.startswith("on") for a in t.attrs)], html
    assert not [t for t in tags if t.name == "script"], html
    assert "url(" not in col.models.by_name("Sneaky")["css"]


def test_a_note_with_no_answer_is_left_out_and_the_rest_comes_in(
        empty: Path, tmp_path: Path) -> None:
    import genanki

    deck = genanki.Deck(2059400114, "Mixed")
    for front, back in (("Picture answer?", '<img src="pic.png">'), ("Empty?", ""),
                        ("Nbsp?", "&nbsp;<br>"), ("Fine?", "Yes.")):
        deck.add_note(genanki.Note(model=genanki.BASIC_MODEL, fields=[front, back]))
    genanki.Package(deck).write_to_file(str(tmp_path / "m.apkg"))
    root = empty
    done = run_cli("import", str(tmp_path / "m.apkg"), cwd=root)
    assert done.returncode == 0, done.stderr
    assert "1 card(s) added" in done.stdout
    assert done.stderr.count("its answer is empty") == 3


def test_an_answer_retyped_or_added_to_in_anki(repo: Path, anki_collection,
                                               tmp_path: Path) -> None:
    slug, qa, _cloze = _pick(repo / "decks")
    data = yaml.safe_load((repo / "decks" / f"{slug}.yaml").read_text("utf-8"))
    other = next(c for c in data["cards"] if c["kind"] == "fact" and "front" in c
                 and not c.get("retired") and c["id"] != qa["id"] and "image" not in c)
    col = anki_collection()
    import_apkg(col, repo / "dist" / f"{slug}.apkg")
    retyped = col.get_note(note_id_by_guid(col, note_guid(slug, qa["id"])))
    retyped["Back"] = "A whole new answer, typed plainly"  # Anki's editor drops our block
    col.update_note(retyped)
    added = col.get_note(note_id_by_guid(col, note_guid(slug, other["id"])))
    added["Back"] = added["Back"] + "<div>my own note</div>"
    added.tags.append("mine")
    col.update_note(added)
    done = run_cli("import", str(_export(col, tmp_path / "r.apkg", legacy=False)), cwd=repo)
    assert done.returncode == 0, done.stderr
    cards = {c["id"]: c for c in yaml.safe_load(
        (repo / "decks" / f"{slug}.yaml").read_text("utf-8"))["cards"]}
    assert cards[qa["id"]]["back"] == "A whole new answer, typed plainly"
    assert cards[other["id"]] == other  # nothing of it could be written back...
    assert "outside the answer's parts" in done.stderr  # ...and the learner is told
    assert "added mine" in done.stderr


def test_a_kept_guid_may_be_no_card_of_its_own_deck_either(empty: Path) -> None:
    root = empty
    second = ("  - id: second\n    kind: fact\n    source: article\n"
              f"    guid: {json.dumps(note_guid('acme', 'first'))}\n"
              "    front: At Acme, what is second?\n    back: The second answer.\n")
    (root / "decks" / "acme.yaml").write_text(MINIMAL + second, encoding="utf-8")
    checked = run_cli("validate", "decks", cwd=root)
    assert checked.returncode == 1 and "duplicate-guid" in checked.stdout, checked.stdout
