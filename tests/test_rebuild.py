"""A build with nothing to do gives back the last build's result without reading the
stamps or any deck, and only while that is what a full build would say and write."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from deck2anki.commands import build as building
from deck2anki.commands import validate as validating
from deck2anki.commands.build import BuildResult, build
from deck2anki.commands.stamp import stamp
from deck2anki.release.stamps import Stamps

from conftest import MINIMAL, folder_bytes

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture
def rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., bool]:
    """Build into dist/ as a user would; check the result and the files are a clean
    build's (into a folder of its own, without any record); say if it was recalled."""
    reads: list[int] = []
    real_read = Stamps.read
    monkeypatch.setattr(building.Stamps, "read",
                        staticmethod(lambda *a, **k: reads.append(1) or real_read(*a, **k)))
    count = iter(range(1000))

    def run(decks: Path, *, for_release: bool = False) -> bool:
        reads.clear()
        out = tmp_path / "dist"
        # One clock for the build and the clean one beside it: unstamped content ships
        # with the build time, and two builds a second apart would differ in it.
        now = time.time()
        with monkeypatch.context() as clock:
            clock.setattr(validating, "time", SimpleNamespace(time=lambda: now))
            got = build(decks, out, for_release=for_release)
            recalled = not reads
            clean = tmp_path / f"clean{next(count)}"
            fresh = build(decks, clean, use_cache=False, for_release=for_release)
        _same(got, fresh, out, clean)
        assert folder_bytes(out) == folder_bytes(clean)
        return recalled

    return run


def _same(got: BuildResult, fresh: BuildResult, out: Path, clean: Path) -> None:
    assert [(w.deck, [p.name for p in w.files]) for w in got.written] == [
        (w.deck, [p.name for p in w.files]) for w in fresh.written]
    assert all(p.parent == out for w in got.written for p in w.files)
    assert all(p.parent == clean for w in fresh.written for p in w.files)
    assert (got.stale, got.warnings, got.skipped) == (fresh.stale, fresh.warnings, fresh.skipped)


def test_a_no_op_rebuild_reads_no_stamps_and_checks_no_deck(
        companies: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "dist"
    first = build(companies, out)
    before = folder_bytes(out)
    monkeypatch.setattr(building.Stamps, "read", None)  # any call fails the test
    monkeypatch.setattr(building, "plan", None)
    again = build(companies, out)
    assert folder_bytes(out) == before
    assert again.reused == 2 and [w.deck for w in again.written] == [
        w.deck for w in first.written]
    assert again.warnings == first.warnings and again.stale == first.stale


def test_a_recalled_build_is_what_a_full_build_says_after_any_change(
        companies: Path, tmp_path: Path, rebuilt: Callable[..., bool],
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "dist"
    assert not rebuilt(companies)
    assert rebuilt(companies)
    globex = companies / "globex.yaml"
    globex.write_text(globex.read_text("utf-8").replace(
        "Another generic answer.", "Another, longer answer."), "utf-8")
    assert not rebuilt(companies)  # unstamped: ships with the build time, every build
    assert not rebuilt(companies)
    stamp(companies, now=1_760_000_000)
    assert not rebuilt(companies)
    assert rebuilt(companies)
    (companies / "initech.yaml").write_text(
        MINIMAL.replace("Acme", "Initech").replace("acme", "initech"), "utf-8")
    stamp(companies, now=1_760_000_000)
    assert not rebuilt(companies)  # a new deck in the folder
    assert rebuilt(companies)
    (companies / "notes.txt").write_text("not a deck", "utf-8")
    assert not rebuilt(companies)  # the listing changed: the build decides what a deck is
    assert rebuilt(companies)
    (out / "acme.csv").write_text("tampered", "utf-8")
    assert not rebuilt(companies)
    (out / "acme.apkg").unlink()
    assert not rebuilt(companies)
    assert rebuilt(companies)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    assert not rebuilt(companies)
    assert rebuilt(companies)
    assert not rebuilt(companies, for_release=True)  # another kind of build
    assert rebuilt(companies, for_release=True)
    monkeypatch.chdir(companies)  # messages name the files as they were given
    assert not rebuilt(Path("."))
    assert rebuilt(Path("."))


def test_an_output_swapped_for_a_fifo_is_in_the_way_not_waited_on(
        companies: Path, tmp_path: Path, rebuilt: Callable[..., bool]) -> None:
    out = tmp_path / "dist"
    assert not rebuilt(companies)
    (out / "acme.apkg").unlink()
    os.mkfifo(out / "acme.apkg")  # reading it would block until a writer came
    left = folder_bytes(out, but="acme.apkg")
    with pytest.raises(OSError, match="in the way"):
        build(companies, out)
    assert folder_bytes(out, but="acme.apkg") == left
    (out / "acme.apkg").unlink()
    assert not rebuilt(companies)
    assert rebuilt(companies)



def test_a_recalled_build_keeps_its_images_and_its_clock(
        write_deck: Callable[[str, str], Path], rebuilt: Callable[..., bool],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from deck2anki.problems import InvalidInput
    from deck2anki.release.guard import FUTURE_SLACK

    deck = write_deck("acme.yaml", MINIMAL.replace(
        "    back: The first answer.\n",
        "    back: The first answer.\n    image: {file: pic.png, alt: A picture}\n"))
    (deck.parent / "pic.png").write_bytes(PNG)
    now = int(time.time())
    stamp(deck.parent, now=now + FUTURE_SLACK - 600)  # ahead, but not yet "in the future"
    assert not rebuilt(deck.parent)
    assert rebuilt(deck.parent)
    (deck.parent / "pic.png").write_bytes(PNG + b"\1")  # the same deck file, another image
    assert not rebuilt(deck.parent)
    (deck.parent / "pic.png").write_bytes(PNG)
    assert not rebuilt(deck.parent)
    assert rebuilt(deck.parent)
    monkeypatch.setattr(time, "time", lambda: now - 3600)  # the clock set back an hour
    with pytest.raises(InvalidInput, match="future"):
        build(deck.parent, deck.parent.parent / "dist")


def test_a_failed_build_is_never_recalled(companies: Path, tmp_path: Path) -> None:
    from deck2anki.problems import InvalidInput

    out = tmp_path / "dist"
    build(companies, out)
    globex = companies / "globex.yaml"
    good = globex.read_text("utf-8")
    globex.write_text(good.replace("kind: fact", "kind: nope", 1), "utf-8")
    for _ in range(2):
        with pytest.raises(InvalidInput):
            build(companies, out)
    globex.write_text(good, "utf-8")
    assert build(companies, out).reused == 2


@pytest.mark.parametrize("company", ["acme", "globex"])  # reused, and built again
def test_files_another_build_moved_in_meanwhile_are_not_recorded_as_ours(
        companies: Path, tmp_path: Path, company: str, rebuilt: Callable[..., bool],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two builds into one folder: the record keeps only the files this build stands
    for, whether it wrote them or found them up to date."""
    out = tmp_path / "dist"
    assert not rebuilt(companies)
    globex = companies / "globex.yaml"
    globex.write_text(globex.read_text("utf-8").replace(
        "Another generic answer.", "Another, longer answer."), "utf-8")
    stamp(companies, now=1_760_000_000)
    real_keep = building.rebuild.keep

    def raced(*args: Any) -> None:
        (out / f"{company}.csv").write_text("another build's file", "utf-8")
        real_keep(*args)

    monkeypatch.setattr(building.rebuild, "keep", raced)
    build(companies, out)
    monkeypatch.setattr(building.rebuild, "keep", real_keep)
    assert not rebuilt(companies)  # the other build's file is replaced
    assert rebuilt(companies)


def test_a_deck_changed_and_changed_back_while_a_build_reads_it_is_not_recalled(
        companies: Path, tmp_path: Path, rebuilt: Callable[..., bool],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An editor's save and undo during a long build: the build read the saved version,
    so its files are no result of the bytes there before and after."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")  # a changed card is no timed one
    acme = companies / "acme.yaml"
    original = acme.read_text("utf-8")
    real_before = building.rebuild.before

    def saved(*args: Any) -> Any:
        taken = real_before(*args)
        acme.write_text(original.replace("The first answer.", "A saved answer."), "utf-8")
        return taken

    monkeypatch.setattr(building.rebuild, "before", saved)
    build(companies, tmp_path / "dist")
    monkeypatch.setattr(building.rebuild, "before", real_before)
    acme.write_text(original, "utf-8")  # undone
    assert not rebuilt(companies)
    assert rebuilt(companies)


def test_a_damaged_record_is_never_trusted(companies: Path, tmp_path: Path,
                                           rebuilt: Callable[..., bool]) -> None:
    import json

    assert not rebuilt(companies)
    assert rebuilt(companies)
    (record,) = Path(os.environ["DECK2ANKI_CACHE_DIR"]).glob("build-*.json")
    good = json.loads(record.read_text("utf-8"))
    first, *others = good["body"]["decks"]
    for damage in ({"outputs": []}, {"images": []}, {"warnings": "none"},
                   {"decks": [{**first, "notes": "many"}, *others]},
                   {"decks": [{**first, "company": 5}, *others]}):
        record.write_text(json.dumps({**good, "body": {**good["body"], **damage}}), "utf-8")
        assert not rebuilt(companies)  # built in full, and the record written anew
    record.unlink()
    os.mkfifo(record)  # a FIFO in the cache folder must not hang the build
    assert not rebuilt(companies)


def test_a_build_from_a_working_folder_since_removed_still_builds(
        companies: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # a shell left in a folder another one removed
    assert build(companies, tmp_path / "dist").reused == 0
    assert build(companies, tmp_path / "dist").reused == 2  # the per-file records serve
