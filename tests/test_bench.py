"""The benchmark's floor writes what ``build`` writes, and its check catches one that does not.

bench/run.py's ratio is only as honest as its floor: these tests hold the floor's files
to ours (row by row, CSV bytes, real Anki's import) on both of its paths (one process
and two workers), and hold the check to catching a floor that skipped work.
"""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, cli_env, run_cli

pytest.importorskip("yaml_rs", reason="the floor's parser: pip install -r bench/requirements.txt")
sys.path.insert(0, str(ROOT / "bench"))

import check  # bench/ scripts, not a package: found through sys.path
import collection
import floor

EPOCH = "1700000000"


@pytest.fixture(scope="module")
def decks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two stamped synthetic companies (every card kind, some Markdown)."""
    folder = tmp_path_factory.mktemp("decks")
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "600", str(folder)],
                   check=True, capture_output=True)
    result = run_cli("stamp", "--decks", str(folder), cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture(scope="module")
def ours(decks: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ours")
    result = run_cli("build", "-q", "--no-cache", "--decks", str(decks), "--out", str(out),
                     cwd=out, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def floors(decks: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("floor")
    subprocess.run([sys.executable, str(ROOT / "bench" / "floor.py"), str(decks), str(out)],
                   check=True, capture_output=True, env=cli_env({"SOURCE_DATE_EPOCH": EPOCH}))
    return out


def test_floor_writes_what_build_writes(floors: Path, ours: Path) -> None:
    assert sorted(p.name for p in floors.iterdir()) == sorted(p.name for p in ours.iterdir())
    assert len(list(ours.glob("*.apkg"))) == 2
    assert check.check(floors, ours) == []


def test_floor_on_two_workers_writes_the_same(decks: Path, ours: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setattr(floor, "PARALLEL_MIN_BYTES", 0)  # the 100k path, on two files
    assert floor.build_all(decks, tmp_path, workers=2) == 600
    assert check.compare_rows(tmp_path, ours) == []


def _rewrite_collection(package: Path, sql: str) -> None:
    """Run ``sql`` on a package's collection, in place: a floor that cut a corner."""
    with zipfile.ZipFile(package) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    # Through a file: Connection.(de)serialize() is 3.11+.
    database = package.with_suffix(".anki2")
    database.write_bytes(entries["collection.anki2"])
    conn = sqlite3.connect(database)
    conn.executescript(sql)
    conn.close()
    entries["collection.anki2"] = database.read_bytes()
    database.unlink()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    package.write_bytes(buffer.getvalue())


def _copy(folder: Path, to: Path) -> Path:
    to.mkdir()
    for path in folder.iterdir():
        (to / path.name).write_bytes(path.read_bytes())
    return to


def test_check_catches_other_fields(floors: Path, ours: Path, tmp_path: Path) -> None:
    cheat = _copy(floors, tmp_path / "cheat")
    # The Markdown left as typed: the fields a floor without the renderer would write.
    _rewrite_collection(cheat / "company-1.apkg",
                        "UPDATE notes SET flds = replace(flds, '<strong>', '**') "
                        "WHERE flds LIKE '%<strong>%'")
    rows = check.compare_rows(cheat, ours)
    assert len(rows) == 1 and rows[0].startswith("company-1.apkg: notes row"), rows
    seen = check.compare_in_anki(cheat, ours, ["company-1"])
    assert seen and all(p.startswith("notes") for p in seen), seen


def test_check_catches_other_cards_and_mods(floors: Path, ours: Path, tmp_path: Path) -> None:
    cheat = _copy(floors, tmp_path / "cheat")
    # One card per cloze note (the deletions not counted), every note dated now.
    _rewrite_collection(cheat / "company-2.apkg",
                        "DELETE FROM cards WHERE ord > 0; UPDATE notes SET mod = mod + 1")
    rows = check.compare_rows(cheat, ours)
    assert any("notes row 0" in p for p in rows) and any("cards:" in p for p in rows), rows
    seen = check.compare_in_anki(cheat, ours, ["company-2"])
    assert any(p.startswith("cards per deck 'AI PM Interview Prep::Company 2'")
               for p in seen), seen


def test_check_catches_a_package_anki_refuses(floors: Path, ours: Path,
                                              tmp_path: Path) -> None:
    cheat = _copy(floors, tmp_path / "cheat")
    _rewrite_collection(cheat / "company-1.apkg", "DROP TABLE graves")  # the old floor's bug
    assert "company-1.apkg: schema: 11 rows in the floor's, 12 in ours" in check.compare_rows(
        cheat, ours)
    seen = check.compare_in_anki(cheat, ours, ["company-1"])
    assert any("real Anki refuses it" in p and "graves" in p for p in seen), seen


def test_check_catches_other_csv_bytes(floors: Path, ours: Path, tmp_path: Path) -> None:
    cheat = _copy(floors, tmp_path / "cheat")
    csv = cheat / "company-2.csv"
    csv.write_bytes(csv.read_bytes().replace(b"\n", b"\r\n"))  # csv.writer's default ending
    assert [p for p in check.compare_rows(cheat, ours) if p.startswith("company-2.csv")]
    (cheat / "company-1.csv").unlink()
    assert "company-1.csv: only in ours" in check.compare_rows(cheat, ours)


def test_check_with_nothing_to_compare_fails(floors: Path, tmp_path: Path) -> None:
    assert check.compare_rows(floors, tmp_path) == [f"{tmp_path}: no .apkg or .csv to compare"]


def test_collection_layout_is_genankis() -> None:
    """The floor's copy of genanki's layout is genanki's, note types and decks included."""
    import genanki
    from genanki.apkg_col import APKG_COL
    from genanki.apkg_schema import APKG_SCHEMA

    from deck2anki.render.notetypes import NOTETYPES
    from deck2anki.write.apkg import genanki_model

    assert collection.TABLES.rstrip("\n") + collection.INDEXES == APKG_SCHEMA
    assert collection.COL_ROW == APKG_COL
    for notetype in NOTETYPES:
        assert collection.model_json(notetype, 1234, 99) == genanki_model(notetype).to_json(
            99, 1234)
    assert collection.deck_json(7, "A::B", "about") == genanki.Deck(7, "A::B", "about").to_json()


def test_required_fields_refuses_what_it_cannot_compute() -> None:
    with pytest.raises(ValueError, match="sections"):
        collection.required_fields(["Front"], "{{#Front}}{{Front}}{{/Front}}")
    assert collection.required_fields(["Front", "Back"], "{{Front}} {{Front}}") == ["all", [0]]
    assert collection.required_fields(["A", "B"], "{{B}}{{cloze:A}}{{A}}") == ["any", [0, 1]]
