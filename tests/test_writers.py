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
# No NUL: Python 3.10's csv.writer refuses it without an escape character (card text
# never holds a control character: the loader refuses them).
_HOSTILE_CELL = st.text(st.sampled_from([*'"\n\r,\t;a Z0#<>\\\'\x1f\xa0é€😀\u2028']))


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


# --- Workers write their own files into a staging folder; the parent moves them in ----

def _litter(*folders: Path) -> list[str]:
    return sorted(p.name for folder in folders for p in folder.iterdir()
                  if p.name.startswith(".deck2anki-staging-"))


def test_a_build_into_folders_yet_to_be_made_leaves_no_staging_folder(
        write_deck, tmp_path: Path) -> None:
    deck = write_deck("acme.yaml", MINIMAL)
    out = tmp_path / "a" / "b" / "dist"
    build(deck.parent, out)
    assert sorted(p.name for p in out.iterdir()) == ["acme.apkg", "acme.csv"]
    assert _litter(tmp_path, out) == []


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="POSIX: pids tell")
def test_a_build_sweeps_what_killed_builds_left_and_nothing_else(
        write_deck, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGKILL leaves a staging folder (and, mid-move, a kept copy) behind; the next
    build removes those of processes that are gone, once nothing has touched them for a
    while, and never a live build's, nor anything of the user's."""
    import os
    import subprocess
    import sys
    import time

    from deck2anki import files
    from deck2anki.files import STAGING_PREFIX

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead, alive = gone.pid, os.getppid()
    monkeypatch.setattr(files, "LEFTOVER_AGE", 2)  # the ctime cannot be set back
    above = tmp_path / "above"
    out = above / "dist"
    out.mkdir(parents=True)

    def staged(folder: Path, name: str) -> str:
        (folder / name).mkdir()
        (folder / name / "acme.csv.x1y2").write_text("half", "utf-8")
        return name

    def plain(folder: Path, name: str) -> str:
        (folder / name).write_text("kept", "utf-8")
        return name

    litter = [staged(out, f"{STAGING_PREFIX}{dead}-0a1b2c3d"), plain(out, f".acme.apkg.{dead}.old")]
    above_litter = staged(above, f"{STAGING_PREFIX}{dead}-1a1b2c3d")  # --out yet to be made
    kept = [staged(out, f"{STAGING_PREFIX}{alive}-0a1b2c3d"),  # a build that still runs
            plain(out, f".notes.{dead}.old"),  # not a name of ours
            plain(out, f"{STAGING_PREFIX}{dead}-2a1b2c3d"),  # a file, not our folder
            staged(out, f".my backups.csv.{dead}.old")]  # a folder, not our copy
    above_kept = plain(above, f".acme.csv.{dead}.old")  # copies are only in the output
    time.sleep(2.5)
    kept.append(staged(out, f"{STAGING_PREFIX}{dead}-99aa88bb"))  # touched just now
    os.link(out / kept[1], out / f".acme.csv.{dead}.old")  # linked now, an old mtime
    kept.append(f".acme.csv.{dead}.old")
    build(write_deck("acme.yaml", MINIMAL).parent, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(["acme.apkg", "acme.csv", *kept])
    assert not any((out / name).exists() for name in litter)
    build(write_deck("acme.yaml", MINIMAL).parent, above / "new" / "dist")
    assert not (above / above_litter).exists() and (above / above_kept).exists()


def test_the_parent_gets_names_and_hashes_never_the_bytes(
        write_deck, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses
    import hashlib
    import pickle

    from deck2anki import engine
    from deck2anki.commands.validate import Request, plan
    from deck2anki.files import staging

    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 0)
    long_back = "A long answer, repeated to weigh something. " * 20
    for name in ("Acme", "Globex"):
        cards = "".join(f"  - id: card-{n}\n    kind: fact\n    source: article\n"
                        f"    front: At {name}, what is card {n}?\n    back: '{long_back}{n}'\n"
                        for n in range(40))
        write_deck(f"{name.lower()}.yaml", MINIMAL.replace("Acme", name).replace(
            "acme", name.lower()) + cards)
    planned = plan(Request([tmp_path / "decks"], package=True))
    out = tmp_path / "dist"
    out.mkdir()
    with staging(out) as stage:
        job = dataclasses.replace(planned.job, staging=stage)
        results = engine.check_files(planned.files, job, workers=2)
        for result in results:
            assert sorted(result.outputs) == [f"{result.info.slug}.apkg",
                                              f"{result.info.slug}.csv"]
            sent = pickle.dumps(result)  # what a worker sends back
            for written in result.outputs.values():
                assert written.path.parent == stage.folder
                data = written.path.read_bytes()
                assert len(data) > 5000 and hashlib.sha256(data).hexdigest() == written.sha256
                assert data[-200:] not in sent
        assert stage.folder.parent == out and out.exists()
    assert list(out.iterdir()) == []  # the staging folder is gone with its files


def test_a_failed_build_leaves_the_output_folder_as_it_was_and_no_staging(
        write_deck, tmp_path: Path) -> None:
    from deck2anki.problems import InvalidInput

    decks = write_deck("acme.yaml", MINIMAL).parent
    write_deck("globex.yaml", MINIMAL.replace("Acme", "Globex").replace("acme", "globex")
               .replace("kind: fact", "kind: nonsense"))
    out = tmp_path / "dist"
    out.mkdir()
    (out / "acme.apkg").write_bytes(b"last release")
    with pytest.raises(InvalidInput):
        build(decks, out, use_cache=False)
    assert [p.name for p in out.iterdir()] == ["acme.apkg"]
    assert (out / "acme.apkg").read_bytes() == b"last release"
    assert _litter(tmp_path) == []


def test_ctrl_c_while_files_are_moved_in_puts_every_old_file_back(
        write_deck, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in ("Acme", "Globex"):
        write_deck(f"{name.lower()}.yaml", MINIMAL.replace("Acme", name).replace(
            "acme", name.lower()))
    out = tmp_path / "dist"
    out.mkdir()
    old = {"acme.apkg": b"old acme", "globex.csv": b"old globex csv"}
    for name, data in old.items():
        (out / name).write_bytes(data)
    real_replace = os.replace
    moves = []

    def interrupted(source: object, target: object) -> None:
        moves.append(target)
        if len(moves) == 3:  # two files of the four are in: Ctrl-C
            raise KeyboardInterrupt
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(tmp_path / "decks", out, use_cache=False)
    monkeypatch.setattr(os, "replace", real_replace)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old
    assert _litter(tmp_path, out) == []


def test_a_full_disk_is_told_after_the_decks_problems(
        write_deck, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from deck2anki.files import Staging
    from deck2anki.problems import InvalidInput

    def full(self: Staging, name: str, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(self.out_dir / name))

    monkeypatch.setattr(Staging, "write", full)
    decks = write_deck("acme.yaml", MINIMAL).parent
    out = tmp_path / "dist"
    with pytest.raises(OSError, match="No space left") as raised:
        build(decks, out, use_cache=False)
    assert raised.value.filename in (str(out / "acme.apkg"), str(out / "acme.csv"))
    write_deck("globex.yaml", MINIMAL.replace("Acme", "Globex").replace("acme", "globex")
               .replace("kind: fact", "kind: nonsense"))
    with pytest.raises(InvalidInput):  # the deck's error first: it needs fixing anyway
        build(decks, out, use_cache=False)
    assert not out.exists() and _litter(tmp_path) == []


def test_a_staged_file_that_cannot_be_written_names_its_target(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from deck2anki.files import staging

    def denied(prefix: str, dir: str) -> None:  # mkstemp's own names
        raise PermissionError(13, "Permission denied", f"{dir}/{prefix}x1y2")

    out = tmp_path / "dist"
    out.mkdir()
    with staging(out) as stage:
        monkeypatch.setattr(tempfile, "mkstemp", denied)
        with pytest.raises(OSError) as raised:
            stage.write("acme.apkg", b"data")
        monkeypatch.undo()
        assert stage.folder.is_dir()
    assert raised.value.filename == str(out / "acme.apkg")  # not the staging folder's
    assert raised.value.strerror == "Permission denied"
    assert list(out.iterdir()) == []
