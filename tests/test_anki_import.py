"""Build the repository's real decks and import them into real Anki, as a learner would."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from deck2anki.commands.build import build
from deck2anki.commands.stamp import stamp
from deck2anki.identity import note_guid
from deck2anki.model import CLOZE_RE
from deck2anki.render.notetypes import BASIC

from anki_oracle import (
    TEMPLATE_ERROR_MARK,
    import_apkg,
    import_csv,
    note_id_by_guid,
    rendered,
    scheduling,
)
from conftest import DECKS, MINIMAL, git, run_cli


def deck_files(folder: Path) -> dict[str, dict]:
    """slug -> parsed YAML of every deck in ``folder``."""
    decks = {}
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        decks[data["slug"]] = data
    return decks


def expected_cards(card: dict) -> int:
    if "cloze" in card:
        return len({m.group(1) for m in CLOZE_RE.finditer(card["cloze"])})
    return 1


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # The same SOURCE_DATE_EPOCH for every company: the worst case for id collisions.
    result = run_cli("build", "--decks", str(DECKS), "--out", str(out), cwd=out,
                     env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert result.returncode == 0, result.stderr
    return out


def _text(html: str) -> str:
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", "", html).strip()


@pytest.mark.parametrize("slug", sorted(deck_files(DECKS)))
def test_package_imports_as_written(built: Path, slug: str, anki_collection) -> None:
    data = deck_files(DECKS)[slug]
    cards = data["cards"]
    if not cards:  # fresh from `deck2anki new`: nothing to import, and nothing written
        assert not list(built.glob(f"{slug}.*"))
        return
    col = anki_collection()
    log = import_apkg(col, built / f"{slug}.apkg")

    assert (log.new, log.updated, log.conflicting) == (len(cards), 0, 0)
    assert col.note_count() == len(cards)
    assert col.card_count() == sum(expected_cards(c) for c in cards)
    deck_name = f"AI PM Interview Prep::{data['company']}"
    assert deck_name in {d.name for d in col.decks.all_names_and_ids()}
    # No note that can never be studied.
    assert col.db.scalar("select count() from notes where id not in (select nid from cards)") == 0

    for card in cards:
        note = col.get_note(note_id_by_guid(col, note_guid(slug, card["id"])))
        assert f"company::{slug}" in note.tags
        assert f"kind::{card['kind']}" in note.tags
        assert set(card.get("tags", [])) <= set(note.tags)
        for anki_card in note.cards():
            assert col.decks.name(anki_card.did) == deck_name

    titles = {s["title"] for s in data["sources"].values()}
    for _cid, question, answer in rendered(col):
        assert TEMPLATE_ERROR_MARK not in question + answer
        assert _text(question), "blank front"
        assert any(title in answer for title in titles), "the back must cite its source"
        assert "<script" not in (question + answer).lower()


def test_second_import_adds_nothing(built: Path, anki_collection) -> None:
    col = anki_collection()
    for apkg in sorted(built.glob("*.apkg")):
        import_apkg(col, apkg)
    notes, cards = col.note_count(), col.card_count()
    expected = sum(len(d["cards"]) for d in deck_files(DECKS).values())
    assert notes == expected  # every company side by side, nothing collided
    for apkg in sorted(built.glob("*.apkg")):
        log = import_apkg(col, apkg)
        assert (log.new, log.updated, log.conflicting) == (0, 0, 0)
        assert log.duplicate == log.found
    assert (col.note_count(), col.card_count()) == (notes, cards)


def test_csv_imports_without_mapping_and_beside_the_package(built: Path, anki_collection) -> None:
    col = anki_collection()
    total_rows = 0
    for slug, data in deck_files(DECKS).items():
        if not data["cards"]:
            continue  # no cards yet: no CSV
        rows = len(data["cards"])  # one row per note
        total_rows += rows
        log = import_csv(col, built / f"{slug}.csv")
        assert (log.new, log.conflicting) == (rows, 0)
        again = import_csv(col, built / f"{slug}.csv")
        assert again.new == 0
    assert col.note_count() == total_rows
    # Every card a learner would get from the package, cloze deletions kept as cloze.
    assert col.card_count() == sum(expected_cards(c) for d in deck_files(DECKS).values()
                                   for c in d["cards"])
    types = {col.get_note(n).note_type()["name"] for n in col.find_notes("")}
    clozes = any("cloze" in c for d in deck_files(DECKS).values() for c in d["cards"])
    assert types == ({"Basic", "Cloze"} if clozes else {"Basic"})
    for data in (d for d in deck_files(DECKS).values() if d["cards"]):
        deck = f"AI PM Interview Prep::{data['company']}"
        assert col.find_notes(f'"deck:{deck}" tag:company::{data["slug"]}')
    for _cid, question, answer in rendered(col):
        assert _text(question) and TEMPLATE_ERROR_MARK not in question + answer
        # Without our CSS the source still stands on a line of its own.
        assert re.search(r"<div[^>]*>Source: ", answer)
    if any("bad" in c for d in deck_files(DECKS).values() for c in d["cards"]):
        # BAD and GOOD are told apart by their words, not only by colour.
        assert any("BAD:" in a and "GOOD:" in a for _, _, a in rendered(col))

    # The package into the same profile: both stay whole, nothing conflicts.
    for apkg in sorted(built.glob("*.apkg")):
        log = import_apkg(col, apkg)
        assert (log.updated, log.conflicting, log.duplicate) == (0, 0, 0)
    expected_notes = total_rows + sum(len(d["cards"]) for d in deck_files(DECKS).values())
    assert col.note_count() == expected_notes


# --- Releases over a learner's collection ---------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A maintainer's clone: the real decks and .gitignore, committed."""
    root = tmp_path / "repo"
    shutil.copytree(DECKS, root / "decks")
    shutil.copy(Path(__file__).resolve().parents[1] / ".gitignore", root / ".gitignore")
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "v1")
    return root


def _qa_cards(deck: dict) -> list[dict]:
    return [c for c in deck["cards"] if "front" in c and "back" in c and c["kind"] != "round"
            and not c.get("retired")]


def _release_slug(root: Path) -> str:
    """A company of the clone with two Q/A cards to edit: a real deck if one has them."""
    for slug, deck in deck_files(root / "decks").items():
        if len(_qa_cards(deck)) >= 2:
            return slug
    more = "".join(f"  - id: card-{n}\n    kind: fact\n    source: article\n"
                   f"    front: At Acme, what is card {n}?\n    back: Answer {n}.\n"
                   for n in range(2, 7))  # enough to study five
    (root / "decks" / "acme.yaml").write_text(MINIMAL + more, encoding="utf-8")
    assert run_cli("stamp", cwd=root).returncode == 0
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "acme")
    return "acme"


@pytest.mark.parametrize("maintainer_stamps", [True, False], ids=["stamped", "stamp-forgotten"])
def test_release_updates_edited_card_and_keeps_learner_history(
        repo: Path, anki_collection, maintainer_stamps: bool) -> None:
    from anki.collection import Collection

    slug = _release_slug(repo)
    deck_path = repo / "decks" / f"{slug}.yaml"
    assert run_cli("build", cwd=repo).returncode == 0
    assert git(repo, "status", "--porcelain") == ""  # a build leaves the checkout clean
    v1 = repo / "dist" / f"{slug}.apkg"

    col: Collection = anki_collection()
    assert import_apkg(col, v1).new > 0
    company = deck_files(repo / "decks")[slug]["company"]
    did = col.decks.id_for_name(f"AI PM Interview Prep::{company}")
    col.decks.select(did)
    for ease in (3, 4, 1, 3, 3):  # the learner studies a few cards
        card = col.sched.getCard()
        assert card is not None
        col.sched.answerCard(card, ease)
    reviews = col.db.scalar("select count() from revlog")
    assert reviews == 5

    data = yaml.safe_load(deck_path.read_text(encoding="utf-8"))
    card_a, card_b = _qa_cards(data)[:2]
    learner_note = col.get_note(note_id_by_guid(col, note_guid(slug, card_b["id"])))
    learner_note["Back"] = "My own mnemonic"
    col.update_note(learner_note)
    before = scheduling(col)
    notes_before = col.note_count()

    # The maintainer fixes card A in YAML and commits; v2 is built from the repo alone.
    card_a["back"] = card_a["back"] + " (corrected)"
    deck_path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                         encoding="utf-8")
    if maintainer_stamps:
        stamped = run_cli("stamp", cwd=repo)
        assert stamped.returncode == 0 and "1 new or changed" in stamped.stdout, stamped.stdout
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qam", "fix A")
    built_v2 = run_cli("build", cwd=repo)
    assert built_v2.returncode == 0, built_v2.stderr
    assert ("stale" in built_v2.stderr or "changed since" in built_v2.stderr) != maintainer_stamps

    log = import_apkg(col, repo / "dist" / f"{slug}.apkg")
    assert (log.new, log.updated, log.conflicting) == (0, 1, 0)
    assert col.note_count() == notes_before
    note_a = col.get_note(note_id_by_guid(col, note_guid(slug, card_a["id"])))
    assert "(corrected)" in note_a["Back"]
    note_b = col.get_note(note_id_by_guid(col, note_guid(slug, card_b["id"])))
    assert note_b["Back"] == "My own mnemonic"
    assert scheduling(col) == before
    assert col.db.scalar("select count() from revlog") == reviews

    # And the release after that, with no content change, touches nothing.
    again = import_apkg(col, repo / "dist" / f"{slug}.apkg")
    assert (again.new, again.updated) == (0, 0)


def test_changed_template_reaches_learners_only_with_a_newer_stamp(
        write_deck, tmp_path: Path, anki_collection, monkeypatch: pytest.MonkeyPatch) -> None:
    """Note types follow the same 'if newer' rule as notes: a restyle must be re-stamped."""
    deck = write_deck("acme.yaml", MINIMAL)
    stamp(deck.parent, now=1_700_000_000)
    build(deck.parent, tmp_path / "v1")
    col = anki_collection()
    import_apkg(col, tmp_path / "v1" / "acme.apkg")

    def question() -> str:  # rendered by the engine, with the note type's CSS inlined
        return col.get_card(col.find_cards("")[0]).question()

    assert "color: teal" not in question()
    monkeypatch.setattr(BASIC, "css", BASIC.css + "\n.d2a-front { color: teal; }")
    # Built without a new stamp, the restyle ships with the build time: it applies too.
    build(deck.parent, tmp_path / "v2")
    log = import_apkg(col, tmp_path / "v2" / "acme.apkg")
    assert (log.new, log.updated, log.conflicting) == (0, 0, 0)  # notes untouched
    assert "color: teal" in question()

    monkeypatch.setattr(BASIC, "css", BASIC.css + "\n.d2a-back { color: navy; }")
    changed, _ = stamp(deck.parent, now=1_700_000_100)
    assert changed == ["notetype/basic"]
    build(deck.parent, tmp_path / "v3")
    import_apkg(col, tmp_path / "v3" / "acme.apkg")
    # Stamped earlier than v2's build time: Anki keeps what it has ("if newer").
    assert "color: navy" not in question()


@pytest.mark.parametrize(("hint", "shown"), [("a pet", "[a pet]"), ("pet", "[pet]"),
                                             ("a <b> & c", "[a <b> & c]"),
                                             ("x  y", "[x  y]")])
def test_cloze_hints_show_as_written_in_anki(write_deck, tmp_path: Path, anki_collection,
                                             hint: str, shown: str) -> None:
    import html

    card = _cloze_card(write_deck, tmp_path, anki_collection,
                       f"At Acme, the mascot is a {{{{c1::dog::{hint}}}}}.")
    assert shown in html.unescape(re.sub(r"<[^>]+>", "", card.question()))


def _cloze_card(write_deck, tmp_path: Path, anki_collection, cloze: str) -> Any:
    """The one card of a deck whose one note is ``cloze``, built and imported into Anki."""
    deck = write_deck("acme.yaml", MINIMAL.replace(
        "    front: At Acme, what is first?\n    back: The first answer.\n",
        f"    cloze: '{cloze}'\n"))
    build(deck.parent, tmp_path / "dist")
    col = anki_collection()
    import_apkg(col, tmp_path / "dist" / "acme.apkg")
    return col.get_card(col.find_cards("")[0])


@pytest.mark.parametrize(("hidden", "shown"), [
    ("*:\\:*", "<em>::</em>"),  # emphasis around an escaped colon pair
    ("a&#58;:b", "a::b"),  # a character reference next to a colon
    ("Paris&#58;::city", "Paris:"),  # a colon before the hint's "::" (found by a review)
])
def test_colons_a_deletion_renders_to_stay_its_text_in_anki(
        write_deck, tmp_path: Path, anki_collection, hidden: str, shown: str) -> None:
    """No '::' in a deletion's source, but its HTML would have one, which Anki reads as
    the start of a hint: the text would be cut, or its emphasis broken."""
    import html

    card = _cloze_card(write_deck, tmp_path, anki_collection,
                       f"At Acme, the mascot is {{{{c1::{hidden}}}}}.")
    hint = "[city]" if "::city" in hidden else "[...]"
    assert hint in html.unescape(re.sub(r"<[^>]+>", "", card.question()))
    answer = html.unescape(re.sub(r'<span class="cloze"[^>]*>', "", card.answer()))
    assert f"the mascot is {shown}</span>." in answer


def test_the_parent_deck_arrives_expanded(built: Path, anki_collection) -> None:
    """A parent deck the package lacks is created collapsed, hiding the company decks."""
    col = anki_collection()
    for apkg in sorted(built.glob("*.apkg")):
        import_apkg(col, apkg)
    parent = col.decks.by_name("AI PM Interview Prep")
    assert parent is not None
    assert (parent["collapsed"], parent["browserCollapsed"]) == (False, False)
    assert col.card_count() == col.db.scalar(
        "select count() from cards where did != ?", parent["id"])  # no card in the parent


@pytest.mark.parametrize(("first", "second"), [
    ("Zoom", "zoom"), ("Zoom", "Zoom "), ("Zoom", "ZOOM"), ("Zoom", " Zoom"),
    ("Zo\u0301om", "Z\u00f3om"),  # NFD beside NFC
])
def test_company_names_anki_folds_into_one_deck_are_refused(
        write_deck, anki_collection, tmp_path: Path, first: str, second: str) -> None:
    from deck2anki.model import Card, Deck, Source
    from deck2anki.render.notes import render_deck
    from deck2anki.render.notetypes import NOTETYPES
    from deck2anki.write.outputs import Mods, deck_outputs

    # What Anki does with two such packages: one deck holds both companies' cards.
    col = anki_collection()
    for slug, company in (("a", first), ("b", second)):
        source = Source("article", "T")
        deck = Deck(tmp_path / f"{slug}.yaml", company, slug, (source,),
                    (Card(id="c", kind="fact", source=source, front="Q?", back="A."),))
        mods = Mods({f"{slug}/c": 1_700_000_000}, {nt.id: 1_700_000_000 for nt in NOTETYPES})
        (tmp_path / f"{slug}.apkg").write_bytes(deck_outputs(render_deck(deck), mods)[
            f"{slug}.apkg"])
        import_apkg(col, tmp_path / f"{slug}.apkg")
    company_decks = {d.name for d in col.decks.all_names_and_ids()} - {
        "Default", "AI PM Interview Prep"}
    assert len(company_decks) == 1 and col.card_count() == 2, company_decks
    # So validate refuses the second company, naming the first.
    write_deck("a.yaml", MINIMAL.replace("company: Acme", f"company: '{first}'"))
    write_deck("b.yaml", MINIMAL.replace("company: Acme", f"company: '{second}'")
               .replace("slug: acme", "slug: acme-b"))
    result = run_cli("validate", "decks", cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    if second != second.strip():  # an edge space is refused on its own: Anki drops it
        assert ": company-name: " in result.stdout, result.stdout
    else:
        assert ": duplicate-company: " in result.stdout, result.stdout
        assert "is the same Anki deck as" in result.stdout


def test_company_names_anki_keeps_apart_are_accepted(write_deck, tmp_path: Path) -> None:
    write_deck("a.yaml", MINIMAL.replace("company: Acme", "company: 'Acme Corp'"))
    write_deck("b.yaml", MINIMAL.replace("company: Acme", "company: 'Acme  Corp'")
               .replace("slug: acme", "slug: acme-b"))  # Anki keeps inner spaces apart
    result = run_cli("validate", "decks", cwd=tmp_path)
    assert ": duplicate-company: " not in result.stdout, result.stdout


def test_dropping_a_cloze_deletion_learners_study_is_refused(
        write_deck, tmp_path: Path, anki_collection) -> None:
    three = MINIMAL.replace(
        "    front: At Acme, what is first?\n    back: The first answer.\n",
        "    cloze: 'Acme has {{c1::three}} rounds over {{c2::two}} weeks in {{c3::May}}.'\n")
    deck = write_deck("acme.yaml", three)
    assert run_cli("stamp", "--decks", "decks", cwd=tmp_path).returncode == 0
    assert run_cli("build", "--decks", "decks", "--out", "v1", cwd=tmp_path).returncode == 0
    col = anki_collection()
    assert import_apkg(col, tmp_path / "v1" / "acme.apkg").new == 1
    assert col.card_count() == 3  # the learner now holds a card for c3

    deck.write_text(three.replace(" in {{c3::May}}", ""), "utf-8")
    for args in (["validate", "decks"], ["stamp", "--decks", "decks"],
                 ["build", "--decks", "decks", "--out", "v2"]):
        run = run_cli(*args, cwd=tmp_path)
        assert run.returncode == 1, (args, run.stdout, run.stderr)
        assert ("acme.yaml:10:12: error: cloze-removed: card 'first' no longer has c3"
                in run.stdout + run.stderr)
    assert not (tmp_path / "v2").exists()

    # What the guard prevents, shown with a record from before it knew deletions: the
    # learner's card 3 stays, studied, and can only say that its deletion is gone.
    stamps = tmp_path / "decks" / "stamps.json"
    record = json.loads(stamps.read_text("utf-8"))
    record["stamps"]["acme/first"].pop("cloze")
    stamps.write_text(json.dumps(record), "utf-8")
    assert run_cli("stamp", "--decks", "decks", cwd=tmp_path).returncode == 0
    assert run_cli("build", "--decks", "decks", "--out", "v2", cwd=tmp_path).returncode == 0
    assert import_apkg(col, tmp_path / "v2" / "acme.apkg").updated == 1
    third = next(c for c in (col.get_card(i) for i in col.find_cards("")) if c.ord == 2)
    shown = third.question().replace("\u2068", "").replace("\u2069", "")  # Fluent's isolates
    assert "No cloze 3 found" in shown


def test_a_company_rename_is_refused_until_accepted(write_deck, tmp_path: Path,
                                                    anki_collection) -> None:
    more = "".join(f"  - id: card-{n}\n    kind: fact\n    source: article\n"
                   f"    front: At Acme, what is card {n}?\n    back: Answer {n}.\n"
                   for n in range(2, 4))
    deck = write_deck("acme.yaml", MINIMAL + more)
    assert run_cli("stamp", "--decks", "decks", cwd=tmp_path).returncode == 0
    assert run_cli("build", "--decks", "decks", "--out", "v1", cwd=tmp_path).returncode == 0
    col = anki_collection()
    import_apkg(col, tmp_path / "v1" / "acme.apkg")
    mine = col.get_note(note_id_by_guid(col, note_guid("acme", "card-2")))
    mine["Back"] = "My own mnemonic"
    col.update_note(mine)

    deck.write_text(deck.read_text("utf-8").replace("company: Acme", "company: Acme Labs"))
    for args in (["validate", "decks"], ["stamp", "--decks", "decks"],
                 ["build", "--decks", "decks", "--out", "v2"]):
        run = run_cli(*args, cwd=tmp_path)
        assert run.returncode == 1, args
        assert ("acme.yaml:1:10: error: company-rename: company renamed from 'Acme' to "
                "'Acme Labs'") in run.stdout + run.stderr
    assert not (tmp_path / "v2").exists()
    wrong = run_cli("stamp", "--decks", "decks", "--rename-company", "globex", cwd=tmp_path)
    assert wrong.returncode == 1 and "cannot accept a rename of 'globex'" in wrong.stderr

    # Accepted knowingly: what the learner then gets, which is why it is refused first.
    accepted = run_cli("stamp", "--decks", "decks", "--rename-company", "acme", cwd=tmp_path)
    assert accepted.returncode == 0, accepted.stderr
    assert run_cli("validate", "--strict", "decks", cwd=tmp_path).returncode == 0
    assert run_cli("build", "--decks", "decks", "--out", "v2", cwd=tmp_path).returncode == 0
    log = import_apkg(col, tmp_path / "v2" / "acme.apkg")
    assert log.updated == 3  # every note of the company
    assert col.get_note(mine.id)["Back"] != "My own mnemonic"  # the learner's edit is gone


def test_a_stamp_in_the_future_would_win_over_learners_edits(tmp_path: Path,
                                                             anki_collection) -> None:
    """Why validate refuses one: Anki keeps the newer copy, and the future is newer."""
    import time

    from deck2anki.model import Card, Deck, Source
    from deck2anki.render.notes import render_deck
    from deck2anki.render.notetypes import NOTETYPES
    from deck2anki.write.outputs import Mods, deck_outputs

    source = Source("article", "T")
    deck = Deck(tmp_path / "acme.yaml", "Acme", "acme", (source,),
                (Card(id="c", kind="fact", source=source, front="Q?", back="A."),))
    future = int(time.time()) + 5 * 365 * 24 * 3600
    files = deck_outputs(render_deck(deck), Mods({"acme/c": future},
                                                 {nt.id: future for nt in NOTETYPES}))
    package = tmp_path / "acme.apkg"
    package.write_bytes(files["acme.apkg"])
    col = anki_collection()
    import_apkg(col, package)
    note = col.get_note(note_id_by_guid(col, note_guid("acme", "c")))
    note["Back"] = "My own mnemonic"
    col.update_note(note)
    assert import_apkg(col, package).updated == 1  # the same release, imported again
    assert col.get_note(note.id)["Back"] != "My own mnemonic"



def test_what_a_csv_learner_keeps_on_re_import(write_deck, tmp_path: Path,
                                               anki_collection) -> None:
    """The README's table, CSV column: edits to our fields are overwritten, a field the
    learner added to Basic is kept, and reviews are untouched."""
    write_deck("acme.yaml", MINIMAL)
    assert run_cli("stamp", "--decks", "decks", cwd=tmp_path).returncode == 0
    assert run_cli("build", "--decks", "decks", "--out", "dist", cwd=tmp_path).returncode == 0
    col = anki_collection()
    import_csv(col, tmp_path / "dist" / "acme.csv")
    col.decks.select(col.decks.id_for_name("AI PM Interview Prep::Acme"))
    card = col.sched.getCard()
    assert card is not None
    col.sched.answerCard(card, 3)
    basic = col.models.by_name("Basic")
    assert basic is not None
    col.models.add_field(basic, col.models.new_field("Mine"))
    col.models.update_dict(basic)
    note = col.get_note(col.find_notes("")[0])
    note["Mine"], note["Back"] = "my own field", "my own answer"
    col.update_note(note)
    before = scheduling(col)
    log = import_csv(col, tmp_path / "dist" / "acme.csv")
    assert log.updated == 1
    note = col.get_note(note.id)
    assert note["Mine"] == "my own field" and note["Back"] != "my own answer"
    assert scheduling(col) == before


_EMPTY_ITEM = re.compile(r"<li[^>]*>(?:\s|&nbsp;|<(?!/?li\b)[^>]*>)*</li>", re.IGNORECASE)
_FOOTER = re.compile(r'<div class="d2a-(?:context|source)">')


def _visible(html_text: str) -> str:
    import html

    return html.unescape(_text(html_text)).replace("\xa0", " ").strip()


@pytest.mark.parametrize("slug", sorted(deck_files(DECKS)))
def test_no_card_renders_broken_in_anki(built: Path, slug: str, anki_collection) -> None:
    """What the learner sees, as the real Anki engine renders every card of the decks:
    no empty list item, no template braces left over, no side without text."""
    if not deck_files(DECKS)[slug]["cards"]:
        return
    col = anki_collection()
    import_apkg(col, built / f"{slug}.apkg")
    broken = []
    for cid, question, answer in rendered(col):
        card = col.get_card(cid)
        card_id = _visible(card.note()["CardId"])
        answer_body = _FOOTER.split(answer.split("<hr id=answer>", 1)[-1], maxsplit=1)[0]
        for side, shown in (("question", question), ("answer", answer)):
            if _EMPTY_ITEM.search(shown):
                broken.append((card_id, side, "an empty list item"))
            if "{{" in _visible(shown) or "}}" in _visible(shown):
                broken.append((card_id, side, "stray template braces"))
        if not _visible(question):
            broken.append((card_id, "question", "no text"))
        if not _visible(answer_body) and card.note().note_type()["name"] == BASIC.name:
            broken.append((card_id, "answer", "no text"))
        if "cloze" in card.note().note_type()["name"].lower():
            revealed = re.findall(r'<span class="cloze"[^>]*>(.*?)</span>', answer, re.DOTALL)
            if not revealed or not all(_visible(r) for r in revealed):
                broken.append((card_id, "answer", "an empty deletion"))
    assert not broken, broken
