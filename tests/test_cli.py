"""The command line as a contributor and a maintainer use it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from deck2anki import __version__
from deck2anki.cli import main

from conftest import MINIMAL


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_version_and_help(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("build", "validate", "stamp", "Exit codes"):
        assert command in result.output
    bare = runner.invoke(main, [])  # not a mistake: show what deck2anki can do
    assert bare.exit_code == 0 and bare.output == result.output
    assert runner.invoke(main, ["no-such-command"]).exit_code == 2
    build_help = runner.invoke(main, ["build", "--help"]).output
    assert "--decks" in build_help and "SOURCE_DATE_EPOCH" in build_help


def test_usage_errors_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(main, ["frobnicate"]).exit_code == 2
    assert runner.invoke(main, ["build", "--decks", str(tmp_path / "missing")]).exit_code == 2
    assert runner.invoke(main, ["build", "--bogus"]).exit_code == 2


def test_validate_clean_deck(runner: CliRunner, write_deck) -> None:
    path = write_deck("acme.yaml", MINIMAL)
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 deck(s), 1 notes: no problems" in result.output


def test_validate_reports_path_line_col_and_exits_1(runner: CliRunner, write_deck) -> None:
    bad = MINIMAL.replace("    kind: fact\n", "    kind: trivia\n")
    path = write_deck("acme.yaml", bad)
    result = runner.invoke(main, ["validate", str(path.parent)])
    assert result.exit_code == 1
    line = result.output.splitlines()[0]
    assert re.fullmatch(rf"{re.escape(str(path))}:8:11: error: .*'trivia' is not a card.*", line)
    assert "Traceback" not in result.output


def test_build_writes_packages_and_a_summary(runner: CliRunner, write_deck, tmp_path: Path) -> None:
    deck = write_deck("acme.yaml", MINIMAL)
    out = tmp_path / "dist"
    result = runner.invoke(main, ["build", "--decks", str(deck.parent), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Acme: 1 notes (1 fact), 1 cards" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["acme.apkg", "acme.csv"]
    quiet = runner.invoke(main, ["build", "-q", "--decks", str(deck.parent), "--out", str(out)])
    assert quiet.exit_code == 0 and "Acme:" not in quiet.output


def test_invalid_deck_writes_nothing(runner: CliRunner, write_deck, tmp_path: Path) -> None:
    write_deck("acme.yaml", MINIMAL)
    broken = write_deck("zeta.yaml", MINIMAL.replace("acme", "zeta").replace("id: first",
                                                                            "id: Bad Id"))
    out = tmp_path / "dist"
    result = runner.invoke(main, ["build", "--decks", str(broken.parent), "--out", str(out)])
    assert result.exit_code == 1
    assert f"{broken}:7:9: error:" in result.output
    assert "nothing was written" in result.output
    assert not out.exists()


def test_bad_source_date_epoch_is_a_usage_error(runner: CliRunner, write_deck,
                                                tmp_path: Path) -> None:
    deck = write_deck("acme.yaml", MINIMAL)
    result = runner.invoke(main, ["build", "--decks", str(deck.parent), "--out",
                                  str(tmp_path / "d")], env={"SOURCE_DATE_EPOCH": "soon"})
    assert result.exit_code == 2 and "SOURCE_DATE_EPOCH" in result.output
    for command in (["validate", str(deck.parent)], ["stamp", "--decks", str(deck.parent)],
                    ["stamp", "--check", "--decks", str(deck.parent)]):
        result = runner.invoke(main, command, env={"SOURCE_DATE_EPOCH": "soon"})
        assert result.exit_code == 2 and "SOURCE_DATE_EPOCH" in result.output, command
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_stamp_then_check(runner: CliRunner, write_deck) -> None:
    deck = write_deck("acme.yaml", MINIMAL)
    folder = str(deck.parent)
    assert runner.invoke(main, ["stamp", "--decks", folder, "--check"]).exit_code == 1
    first = runner.invoke(main, ["stamp", "--decks", folder])
    assert first.exit_code == 0 and "3 new or changed" in first.output  # 1 note, 2 note types
    assert runner.invoke(main, ["stamp", "--decks", folder, "--check"]).exit_code == 0
    assert "up to date" in runner.invoke(main, ["stamp", "--decks", folder]).output
    deck.write_text(MINIMAL.replace("The first answer.", "A better answer."), encoding="utf-8")
    check = runner.invoke(main, ["stamp", "--decks", folder, "--check"])
    assert check.exit_code == 1 and "card 'first' is new or changed" in check.output
    validate = runner.invoke(main, ["validate", folder])
    assert validate.exit_code == 0 and "warning:" in validate.output  # stale is a warning


def test_repository_stamps_are_current(runner: CliRunner) -> None:
    """Shipping stale stamps would re-stamp those cards on every release."""
    from conftest import DECKS

    result = runner.invoke(main, ["stamp", "--decks", str(DECKS), "--check"])
    assert result.exit_code == 0, result.output


def test_switching_a_released_card_to_cloze_is_an_error(runner: CliRunner, write_deck) -> None:
    deck = write_deck("acme.yaml", MINIMAL)
    folder = str(deck.parent)
    assert runner.invoke(main, ["stamp", "--decks", folder]).exit_code == 0
    deck.write_text(MINIMAL.replace("    front: At Acme, what is first?\n    back: The first "
                                    "answer.\n", "    cloze: At Acme, {{c1::first}} is first.\n"),
                    encoding="utf-8")
    result = runner.invoke(main, ["validate", folder])
    assert result.exit_code == 1
    assert (f"{deck}:7:5: error: notetype-change: card 'first' was stamped as a "
            "question/answer card") in result.output
    assert runner.invoke(main, ["stamp", "--decks", folder]).exit_code == 1


def test_damaged_stamps_file_is_one_line_not_a_traceback(runner: CliRunner, write_deck) -> None:
    deck = write_deck("acme.yaml", MINIMAL)
    (deck.parent / "stamps.json").write_text("{ not json", encoding="utf-8")
    for args in (["validate", str(deck.parent)], ["stamp", "--decks", str(deck.parent)],
                 ["build", "--decks", str(deck.parent), "--out", str(deck.parent / "out")]):
        result = runner.invoke(main, args)
        assert result.exit_code == 1, args
        assert "stamps file is damaged" in result.output and "Traceback" not in result.output


def test_deleting_or_renaming_a_stamped_card_is_an_error(runner: CliRunner, write_deck) -> None:
    second = ("  - id: second\n    kind: fact\n    source: article\n    front: At Acme, second?\n"
              "    back: Two.\n")
    deck = write_deck("acme.yaml", MINIMAL + second)
    folder = str(deck.parent)
    assert runner.invoke(main, ["stamp", "--decks", folder]).exit_code == 0
    # Renamed with its content as it was: the guard names the rename and the way out.
    deck.write_text(MINIMAL + second.replace("id: second", "id: second-renamed"), "utf-8")
    result = runner.invoke(main, ["validate", folder])
    assert result.exit_code == 1
    assert (f"{deck}:12:9: error: removed-card: card 'second-renamed' is card 'second' (in "
            "stamps.json) renamed") in result.output
    assert "rename 'second-renamed' back to 'second'" in result.output
    # Renamed and reworded: a removal, with the retire hint.
    deck.write_text(MINIMAL + second.replace("id: second", "id: second-renamed").replace(
        "Two.", "Deux."), "utf-8")
    result = runner.invoke(main, ["validate", folder])
    assert result.exit_code == 1
    assert f"{deck}:6:1: error: removed-card: card 'second' is in" in result.output
    assert "retired: true" in result.output
    assert runner.invoke(main, ["stamp", "--decks", folder]).exit_code == 1  # no silent drop
    # A card that was never released may be forgotten explicitly.
    forgot = runner.invoke(main, ["stamp", "--decks", folder, "--forget", "acme/second"])
    assert forgot.exit_code == 0, forgot.output
    assert runner.invoke(main, ["validate", folder]).exit_code == 0


def test_a_stamped_slug_without_deck_is_an_error(runner: CliRunner, write_deck) -> None:
    deck = write_deck("acme.yaml", MINIMAL)
    folder = str(deck.parent)
    assert runner.invoke(main, ["stamp", "--decks", folder]).exit_code == 0
    deck.write_text(MINIMAL.replace("slug: acme", "slug: acme-corp"), "utf-8")
    result = runner.invoke(main, ["validate", folder])
    assert result.exit_code == 1 and "no deck has the slug 'acme'" in result.output


def test_missing_stamps_file_is_a_warning(runner: CliRunner, write_deck) -> None:
    deck = write_deck("acme.yaml", MINIMAL)
    result = runner.invoke(main, ["validate", str(deck.parent)])
    assert result.exit_code == 0 and ": no-stamps: " in result.output


def test_validate_without_decks_folder_is_a_usage_error(runner: CliRunner, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["validate"]).exit_code == 2
    (tmp_path / "empty").mkdir()
    result = runner.invoke(main, ["validate", "empty"])
    assert result.exit_code == 1 and ": no-decks: " in result.output


def test_forgetting_a_whole_removed_deck_and_refusing_live_ones(runner: CliRunner,
                                                               write_deck) -> None:
    deck = write_deck("acme.yaml", MINIMAL)
    other = write_deck("beta.yaml", MINIMAL.replace("acme", "beta").replace("Acme", "Beta"))
    folder = str(deck.parent)
    assert runner.invoke(main, ["stamp", "--decks", folder]).exit_code == 0
    live = runner.invoke(main, ["stamp", "--decks", folder, "--forget", "acme/first"])
    assert live.exit_code == 1 and "it is in the decks" in live.output
    assert "stamps.json was not changed" in live.output
    unknown = runner.invoke(main, ["stamp", "--decks", folder, "--forget", "acme/nothing"])
    assert unknown.exit_code == 1 and "it has no stamp" in unknown.output
    other.unlink()  # the beta deck was never released
    assert runner.invoke(main, ["validate", folder]).exit_code == 1
    forgot = runner.invoke(main, ["stamp", "--decks", folder, "--forget", "beta"])
    assert forgot.exit_code == 0 and "forgot beta" in forgot.output
    assert runner.invoke(main, ["validate", folder]).exit_code == 0


def test_build_says_which_decks_have_no_cards(runner: CliRunner, write_deck,
                                              tmp_path: Path) -> None:
    deck = write_deck("acme.yaml", MINIMAL)
    write_deck("empty.yaml", "company: Empty\nslug: empty\nsources:\n  a: {title: T}\n"
               "cards: []\n")
    result = runner.invoke(main, ["build", "--decks", str(deck.parent), "--out",
                                  str(tmp_path / "out")])
    assert result.exit_code == 0 and "Empty: no cards yet, nothing written" in result.output


def test_preview_open_hands_the_browser_a_file_uri(runner: CliRunner, write_deck,
                                                   tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import webbrowser

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    deck = write_deck("acme.yaml", MINIMAL)
    monkeypatch.chdir(tmp_path)  # a relative --out, as a contributor types it
    result = runner.invoke(main, ["preview", "--decks", str(deck.parent), "--out", "pv",
                                  "--open"])
    assert result.exit_code == 0, result.output
    assert opened == [(tmp_path / "pv" / "index.html").resolve().as_uri()]
    assert runner.invoke(main, ["preview", "--decks", str(deck.parent), "--out", "pv"]
                         ).exit_code == 0 and len(opened) == 1  # only when asked


@pytest.mark.parametrize("env", [{"SOURCE_DATE_EPOCH": "1800000000"}, {"CI": "true"}])
def test_a_release_build_refuses_unstamped_changes(runner: CliRunner, write_deck,
                                                   tmp_path: Path, env: dict[str, str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    deck = write_deck("acme.yaml", MINIMAL)
    assert runner.invoke(main, ["stamp", "--decks", str(deck.parent)]).exit_code == 0
    deck.write_text(MINIMAL.replace("The first answer.", "The first answer, fixed."), "utf-8")
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "acme.apkg").write_bytes(b"last release")
    args = ["build", "--decks", str(deck.parent), "--out", str(dist)]
    draft = runner.invoke(main, args)  # a contributor's build: ships, and warns
    assert draft.exit_code == 0 and ": stale-stamp: " in draft.output
    (dist / "acme.apkg").write_bytes(b"last release")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    release = runner.invoke(main, args)
    assert release.exit_code == 1, release.output
    assert "acme.yaml:7:5: error: stale-stamp: card 'first' is new or changed" in release.output
    assert "run `deck2anki stamp` and commit decks/stamps.json" in release.output
    assert (dist / "acme.apkg").read_bytes() == b"last release"
    assert runner.invoke(main, ["stamp", "--decks", str(deck.parent)]).exit_code == 0
    assert runner.invoke(main, args).exit_code == 0  # stamped: the release builds


def test_a_stamp_in_the_future_is_refused_and_stamp_brings_it_back(
        runner: CliRunner, write_deck) -> None:
    import json
    import time

    deck = write_deck("acme.yaml", MINIMAL)
    folder = str(deck.parent)
    assert runner.invoke(main, ["stamp", "--decks", folder]).exit_code == 0
    stamps = deck.parent / "stamps.json"
    record = json.loads(stamps.read_text("utf-8"))
    five_years = int(time.time()) + 5 * 365 * 24 * 3600
    record["stamps"]["acme/first"]["mod"] = five_years  # a clock five years ahead
    stamps.write_text(json.dumps(record), "utf-8")
    checked = runner.invoke(main, ["validate", folder])
    assert checked.exit_code == 1 and ": future-stamp: " in checked.output
    assert "1 stamp(s) lie in the future ('acme/first'" in checked.output
    assert runner.invoke(main, ["build", "--decks", folder, "--out",
                                str(deck.parent.parent / "dist")]).exit_code == 1
    mended = runner.invoke(main, ["stamp", "--decks", folder])
    assert mended.exit_code == 0 and "1 new or changed" in mended.output, mended.output
    mod = json.loads(stamps.read_text("utf-8"))["stamps"]["acme/first"]["mod"]
    assert mod <= time.time() + 1
    assert runner.invoke(main, ["validate", "--strict", folder]).exit_code == 0


def test_stamp_check_fails_until_an_older_record_holds_what_the_guards_need(
        runner: CliRunner, write_deck) -> None:
    import json

    deck = write_deck("acme.yaml", MINIMAL.replace(
        "    front: At Acme, what is first?\n    back: The first answer.\n",
        "    cloze: 'Acme has {{c1::three}} rounds over {{c2::two}} weeks.'\n"))
    folder = str(deck.parent)
    assert runner.invoke(main, ["stamp", "--decks", folder]).exit_code == 0
    assert runner.invoke(main, ["stamp", "--check", "--decks", folder]).exit_code == 0
    stamps = deck.parent / "stamps.json"
    record = json.loads(stamps.read_text("utf-8"))
    record.pop("companies")  # as an older deck2anki wrote it
    record["stamps"]["acme/first"].pop("cloze")
    stamps.write_text(json.dumps(record, indent=2), "utf-8")
    older = runner.invoke(main, ["stamp", "--check", "--decks", folder])
    assert older.exit_code == 1 and "lacks what the guards need" in older.output
    assert runner.invoke(main, ["stamp", "--decks", folder]).exit_code == 0
    assert runner.invoke(main, ["stamp", "--check", "--decks", folder]).exit_code == 0
    assert runner.invoke(main, ["stamp", "--check", "--rename-company", "acme", "--decks",
                                folder]).exit_code == 2
