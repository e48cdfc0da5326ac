"""Writers: same input, same bytes; atomic replacement; nothing left behind."""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deck2anki.commands.build import build
from deck2anki.files import atomic_path
from deck2anki.write.csv import CSV_HEADER, FORMULA_START, UnsafeCsvCell, csv_bytes

from conftest import MINIMAL


def test_builds_are_byte_identical(write_deck, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    deck = write_deck("acme.yaml", MINIMAL)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    build(deck.parent, tmp_path / "one")
    build(deck.parent, tmp_path / "two", now=1800000000)  # wall clock must not matter
    for name in ("acme.apkg", "acme.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    with zipfile.ZipFile(tmp_path / "one" / "acme.apkg") as archive:
        assert archive.namelist() == ["collection.anki2", "media"]
        assert {info.date_time for info in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_without_epoch_the_stamps_date_the_package(write_deck, tmp_path: Path) -> None:
    deck = write_deck("acme.yaml", MINIMAL)
    from deck2anki.commands.stamp import stamp

    stamp(deck.parent, now=1750000000)
    build(deck.parent, tmp_path / "one", now=1800000000)
    build(deck.parent, tmp_path / "two", now=1900000000)
    assert (tmp_path / "one" / "acme.apkg").read_bytes() == \
        (tmp_path / "two" / "acme.apkg").read_bytes()


def test_no_temp_files_left_anywhere(write_deck, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    system_tmp = tmp_path / "systmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    deck = write_deck("acme.yaml", MINIMAL)
    out = tmp_path / "dist"
    build(deck.parent, out)
    assert sorted(p.name for p in out.iterdir()) == ["acme.apkg", "acme.csv"]
    assert list(system_tmp.iterdir()) == []


def test_atomic_path_keeps_the_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "deck.apkg"
    target.write_bytes(b"old release")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old release"
    assert [p.name for p in tmp_path.iterdir()] == ["deck.apkg"]


def test_csv_quotes_every_cell_after_anki_headers() -> None:
    text = csv_bytes([("#not-a-header", 'say "hi"', "a,b", "Deck::Sub", "t1 t2")]).decode()
    lines = text.splitlines()
    assert lines[:2] == ["#separator:Comma", "#html:true"]
    assert "#notetype column:2" in lines  # each row names Basic or Cloze
    assert lines[-1] == '"#not-a-header","say ""hi""","a,b","Deck::Sub","t1 t2"'


def _csv_writer_bytes(rows: list[list[str]]) -> bytes:
    """The reference the direct writer stands in for: the standard library's writer."""
    out = io.StringIO()
    out.write("\n".join(CSV_HEADER) + "\n")
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


# What breaks a CSV: quotes, both line ends, separators, and text beyond ASCII.
_HOSTILE_CELL = st.text(st.sampled_from([*'"\n\r,\t;a Z0#<>\\\'\x00\x1f\xa0é€😀\u2028']))


@given(st.lists(st.lists(_HOSTILE_CELL.filter(lambda c: not c.startswith(FORMULA_START)),
                         max_size=7), max_size=6))
def test_csv_bytes_are_the_standard_writers_bytes(rows: list[list[str]]) -> None:
    assert csv_bytes(rows) == _csv_writer_bytes(rows)


def test_csv_bytes_on_cells_made_of_quotes_and_line_ends() -> None:
    rows = [['"', '""', '"a"', "a\r\nb", "\n", ""], [], [""], ['x,"y"\n,z', "é😀"]]
    assert csv_bytes(rows) == _csv_writer_bytes(rows)
    assert csv_bytes(rows).endswith('"x,""y""\n,z","é😀"\n'.encode())


@pytest.mark.parametrize("start", FORMULA_START)
def test_csv_refuses_a_cell_that_starts_a_formula(start: str) -> None:
    with pytest.raises(UnsafeCsvCell, match="spreadsheet formula"):
        csv_bytes([("a", "b"), ("c", f"{start}SUM(A1)")])


def test_write_all_refuses_one_file_named_twice(tmp_path: Path) -> None:
    from deck2anki.files import write_all

    (tmp_path / "a").write_bytes(b"old")
    with pytest.raises(ValueError, match="are one file"):
        write_all({tmp_path / "a": b"new", tmp_path / ".." / tmp_path.name / "a": b"other"})
    assert (tmp_path / "a").read_bytes() == b"old"
