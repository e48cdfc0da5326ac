"""The fast paths give the same answers as the reference paths they stand in for.

Speed lives in bench/ (docs/performance.md); these tests hold the correctness side:
the bulk writer against genanki in real Anki, plain-text shortcuts against the Markdown
pipeline, jsonschema-rs against jsonschema, workers and the build cache against a
plain serial build, lazy imports against what ``--help`` loads, and a cached validate
(no click, no checks, one git call, a recalled answer) against a full run.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from deck2anki import engine, markup
from deck2anki.check import lints, schema
from deck2anki.commands.build import build
from deck2anki.commands.stamp import stamp
from deck2anki.commands.validate import validate
from deck2anki.load.parse import load_file
from deck2anki.model import Card, Deck, Source
from deck2anki.write import apkg

from anki_oracle import import_apkg, rendered
from conftest import MINIMAL, folder_bytes

ROOT = Path(__file__).resolve().parents[1]
DECKS = ROOT / "decks"
HOSTILE = Path(__file__).parent / "hostile"


def _full_rich(text: str) -> str:
    return markup.neutralize(markup._sanitize(markup._markdown_html(text)))


_ALPHABET = st.sampled_from([*"ab cXY09 -+.)(:;,'\"?%$#@=|~^/!*_`[]\\&<>{}\n\t\xa0é—\u2019😀\ufeff",
                             "1. ", "- ", "&#123;", "&amp;", "&#32;", "\\(", "[x](https://a)"])


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.lists(_ALPHABET, max_size=16).map("".join))
def test_plain_text_shortcut_matches_the_markdown_pipeline(text: str) -> None:
    assert markup.rich(text) == _full_rich(text)


def test_byte_order_mark_takes_the_full_path() -> None:
    # The sanitizer's HTML parser drops a leading U+FEFF; the shortcut must not keep it.
    assert markup.rich("\ufeffWhat?") == _full_rich("\ufeffWhat?") == "What?"


def test_every_repository_text_renders_as_the_markdown_pipeline_would() -> None:
    texts = {value for path in DECKS.glob("*.yaml")
             for card in load_file(path).data["cards"]
             for value in [*card.values(), *card.get("steps", [])] if isinstance(value, str)}
    shortcut = [t for t in texts if markup._PLAIN.fullmatch(t.strip())]
    assert len(shortcut) > len(texts) / 2  # the shortcut is the common case
    for text in texts:
        assert markup.rich(text) == _full_rich(text), text


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(_ALPHABET, max_size=16).map("".join), st.booleans())
def test_problem_shortcut_skips_only_texts_without_findings(text: str, is_cloze: bool) -> None:
    # Force every check (the triggers say "something could be here") and compare.
    forced = text + " [](https://x)"
    found = markup.problems(text, is_cloze=is_cloze)
    if not is_cloze and not markup.PROBLEM_TRIGGERS.search(text):
        assert found == []
        assert [c for c, _ in markup.problems(forced)] == [c for c, _ in found]


class _Doc:
    """A loaded file as _text_problems sees it: a path, and a place for every path."""

    path = Path("d.yaml")

    def position(self, path: object, *, key: bool = False) -> object:
        return path


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.dictionaries(st.sampled_from(["front", "back", "context", "name", "cloze"]),
                       st.lists(_ALPHABET, max_size=8).map("".join), max_size=4),
       st.lists(st.lists(_ALPHABET, max_size=6).map("".join), max_size=3))
@example({"cloze": "a (b"}, [])  # a cloze's problems need no trigger character
@example({"front": "a"}, ["b", "<b>"])
def test_card_text_shortcut_skips_only_cards_without_findings(
        raw: dict[str, object], steps: list[str]) -> None:
    # The model looks at all of a card's texts at once before checking each.
    from deck2anki import model

    raw = {**raw, "steps": steps} if steps else raw
    found = [(p.position, p.code) for p in model._text_problems(_Doc(), 0, raw)]  # type: ignore[arg-type]
    texts = [((name,), raw[name]) for name in model.TEXT_FIELDS if name in raw]
    texts += [(("steps", i), step) for i, step in enumerate(steps)]
    expected = [(("cards", 0, *path), code) for path, text in texts
                for code, _ in markup.problems(str(text), is_cloze=path == ("cloze",))]
    assert found == expected
    # The shortcut build_deck takes: a card it calls quiet has nothing any gate reports.
    if model._quiet({k: v for k, v in raw.items() if isinstance(v, str)}, tuple(steps)):
        assert expected == []


_SEGMENT = st.sampled_from([*"aB9 .,'-!\"é?:;()~#+|$%=\u2003\x0c*_`<&[]", "1. ", "- ", "3)",
                            "> "])
_INSIDE = st.sampled_from([*"aZ0 ,.'-_*`é\u2003:$]", " b", "latex", "LaTeX", "mathjax", "sound:"])
_URL = st.one_of(
    st.sampled_from(["https://example.com/recruiter", "http://a.b/c_d~e.f-g", "HTTPS://a.com",
                     "https://A.com", "ftp://a.com", "javascript:alert(1)", "https://a.com?q",
                     "https://a.com/(x)", "https://a.com/%41", "https://xn--a.com/p", "/path",
                     "https://" + "a." * 10 + "com", "https://a.com:80/", "https://a.com/é"]),
    st.builds("".join, st.lists(st.sampled_from([*"ab-0./_~A", "xn--"]), max_size=8)).map(
        lambda rest: "https://" + rest))


_CLEAN = st.sampled_from([*"aB9 .,'-\"é?:;()~#+|$%="])  # text the shortcut may take


@st.composite
def _spanned(draw: st.DrawFn) -> str:
    """Text around spans of **strong**, *em*, `code` or links: the span shortcut's."""
    parts = []
    segment = draw(st.sampled_from([_SEGMENT, _CLEAN]))
    for _ in range(draw(st.integers(1, 4))):
        parts.append("".join(draw(st.lists(segment, max_size=3))))
        inside = "".join(draw(st.lists(draw(st.sampled_from([_INSIDE, _CLEAN])), max_size=4)))
        delimiter = draw(st.sampled_from(["**", "*", "`", "link"]))
        parts.append(f"[{inside}]({draw(_URL)})" if delimiter == "link"
                     else delimiter + inside + delimiter)
    return "".join(parts) + "".join(draw(st.lists(segment, max_size=3)))


@settings(max_examples=3000, derandomize=True, deadline=None)
@given(_spanned())
@example("see [a](https://xn--a.com/p)")  # what URL parsers refuse, the sanitizer drops
@example("see [a](https://b.0)")
@example("see [a](https://" + "a." * 130 + "com)")
@example("see [LaTeX](https://a.com)")  # an Anki tag: reported, so not for the shortcut
@example("see [mathjax a](https://a.com)")
def test_span_shortcut_matches_the_markdown_pipeline(text: str) -> None:
    assert markup.rich(text) == _full_rich(text)
    assert markup.problems(text) == markup._problems(text, False)


def test_span_shortcut_takes_the_common_spans() -> None:
    for text in ("sprint **onsite** loop", "use `a_b` here", "*why* it matters.",
                 '"quoted" **a b**, then `c.d`', "rollout ([source](https://example.com/a))"):
        assert markup._SPANNED.fullmatch(text), text
        assert markup.rich(text) == _full_rich(text), text
        assert markup.problems(text) == markup._problems(text, False) == [], text
    for text in ("a**b**", "`a``b`", "1. **a**", "**a **", "**a**b", "* a*", "[latex](https://a)",
                 "[a](https://1.2)", "[a](javascript:x)"):
        assert not markup._SPANNED.fullmatch(text), text  # Markdown reads these otherwise


_CLOZE_TEXT = st.sampled_from([*"ab :()*`[]&!<{}\n\t\u2003_-+\\", "**", "- ", "1. ", "2)", "-",
                               "[x](https://a)", "sound:", "{{", "}}", "::", "c1::"])
_CLEAN_CLOZE_TEXT = st.sampled_from([*"ab :.,-+1\u2003\n", "- ", "1. ", "2)"])


@st.composite
def _clozes(draw: st.DrawFn) -> str:
    """Sentences of deletions, near-misses of the plain form most of them."""
    parts = []
    text = draw(st.sampled_from([_CLOZE_TEXT, _CLEAN_CLOZE_TEXT]))
    for _ in range(draw(st.integers(1, 3))):
        parts.append("".join(draw(st.lists(text, max_size=3))))
        parts.append(draw(st.sampled_from(["{{c1::", "{{c2::", "{{c10::", "{{c0::", "{c1::",
                                           "{{C1::", "{{c1:", "{{ c1::"])))
        parts.append("".join(draw(st.lists(text, min_size=1, max_size=3))))
        parts.append(draw(st.sampled_from(["}}", "}}", "}", "}}}", "::hint}}", "::sound:}}"])))
    return "".join(parts) + "".join(draw(st.lists(text, max_size=3)))


def _full_cloze(text: str) -> str:
    """markup.cloze without its shortcut: each piece rendered on its own."""
    out, last = [], 0
    for match in markup.CLOZE_RE.finditer(text):
        number, hidden, hint = match.groups()
        out.append(markup._inline(text[last:match.start()], line_start=last == 0))
        shown = markup._inline(hidden)
        colons = "::" in shown or (hint and shown.endswith(":"))
        shown = shown.replace(":", "&#58;") if colons else shown
        out.append(f"{{{{c{number}::{shown}" + (f"::{markup._hint(hint)}" if hint else "")
                   + "}}")
        last = match.end()
    out.append(markup._inline(text[last:], line_start=last == 0))
    return "".join(out)


@settings(max_examples=3000, derandomize=True, deadline=None)
@given(_clozes())
@example("a {{c1::b}}-{{c2::c}}")  # a list marker after a deletion is escaped
@example("{{c1::a}}\n- {{c2::b}}")
@example(" - x{{c1::a}}")  # a list opener after leading space, at the start of a line
@example("{{c1::x}} a\n- b")
def test_plain_cloze_shortcut_matches_the_full_checks_and_rendering(text: str) -> None:
    assert markup.problems(text, is_cloze=True) == markup._problems(text, True)
    assert markup.cloze(text) == _full_cloze(text)


def test_plain_cloze_shortcut_takes_plain_deletions() -> None:
    text = "At Acme, item 5: {{c1::budget review}} comes before {{c2::debrief}}, twice."
    assert markup._PLAIN_CLOZE.fullmatch(text)
    assert markup._problems(text, True) == [] and _full_cloze(text) == text


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(_ALPHABET, max_size=16).map("".join), st.sampled_from(["front", "back",
                                                                         "steps[0]"]))
def test_lints_skip_only_renderings_without_findings(text: str, name: str) -> None:
    # The rendering lint passes by text rendered to neither tag nor entity: it must find
    # nothing there.
    shown = markup.rich(text)
    if not text.strip() or "<" in shown or "&" in shown or not shown.strip():
        return  # what the lint looks at
    source = Source("article", "Article")
    card = Card("c1", "fact", source, front=text, back=text, steps=(text,))
    deck = Deck(Path("d.yaml"), "Acme", "acme", (source,), (card,))
    assert list(lints._rendering(deck, card, name, shown)) == []


@settings(max_examples=500, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from([*"aZé0٣²½ _%$-,.?!'\u00a0\u2003\t\n\x1c\x0bİ\u212a", "12",
                                  "ab3c"]), max_size=20).map("".join))
def test_question_words_and_numbers_match_their_regex_references(text: str) -> None:
    import re

    normalized = re.sub(r"[^\w%$]+", " ", text.lower()).strip()
    assert lints._normalized(text) == normalized
    assert lints._numbers(normalized) == tuple(re.findall(r"\d+", normalized))


def test_base91_guid_matches_the_digit_by_digit_reference() -> None:
    from deck2anki import identity

    alphabet = identity._BASE91

    def reference(number: int) -> str:
        letters = []
        while number > 0:
            number, digit = divmod(number, len(alphabet))
            letters.append(alphabet[digit])
        return "".join(reversed(letters))

    rng = random.Random(91)
    numbers = [0, 1, 90, 91, 92, 91**2 - 1, 91**2, 91**2 + 1, 91**3, 2**64 - 1]
    numbers += [rng.getrandbits(rng.randint(1, 64)) for _ in range(20_000)]
    assert [identity._base91(n) for n in numbers] == [reference(n) for n in numbers]


# Keys near the slug separator: "." and "0" sort either side of "/", "-" before it.
# (Every key is "<slug>/<card id>": reading a stamps file refuses any other.)
_PART = st.text(alphabet="ab-.0\uffff", min_size=1, max_size=3)
_KEY = st.builds("{}/{}".format, _PART, _PART)


@settings(derandomize=True, max_examples=300)
@given(st.lists(_KEY, max_size=30), st.lists(st.text(alphabet="ab/-.0\uffff", max_size=6),
                                             max_size=5))
def test_stamp_index_matches_grouping_every_key(keys: list[str], asked: list[str]) -> None:
    from deck2anki.identity import split_key
    from deck2anki.release.stamps import Entry, Stamps

    grouped: dict[str, set[str]] = {}
    for key in keys:
        grouped.setdefault(split_key(key)[0], set()).add(split_key(key)[1])
    stamps = Stamps({key: Entry("h", 1) for key in keys})
    assert stamps.slugs() == set(grouped)
    for slug in [*grouped, *asked, "acme"]:
        assert stamps.card_ids(slug) == grouped.get(slug, set())


def test_stamp_hash_matches_its_reference() -> None:
    import json

    from deck2anki.release.stamps import content_hash

    identity = {"notetype": 1, "fields": ["é \u2028 <b>", "\x00\n"], "tags": ["z", "a"]}
    canonical = json.dumps(identity, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert content_hash(identity) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _hostile_datas() -> list[tuple[str, object]]:
    datas = []
    for path in sorted(HOSTILE.glob("*.yaml")) + sorted(DECKS.glob("*.yaml")):
        try:
            datas.append((path.name, load_file(path).data))
        except Exception:  # files the loader refuses never reach the schema
            continue
    return datas


@pytest.mark.parametrize(("name", "data"), _hostile_datas())
def test_fast_schema_validator_agrees_with_the_reference(name: str, data: object) -> None:
    reference_valid = not list(schema._validator().iter_errors(data))
    try:
        fast_valid = schema._fast_validator().is_valid(data)
    except ValueError:
        fast_valid = False  # e.g. a date: validate() then asks the reference
    assert fast_valid == reference_valid, name


def test_near_duplicate_lint_compares_a_bounded_number_of_pairs(
        write_deck, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    real = lints._similar

    def counting(*args: object) -> bool:
        nonlocal calls
        calls += 1
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(lints, "_similar", counting)
    rng = random.Random(7)
    vocabulary = [f"{a}{b}" for a in "bcdfghjklmnp" for b in ("ar", "en", "ix", "os", "um")]
    fronts = [" ".join(rng.choice(vocabulary) for _ in range(12)) for _ in range(1200)]
    fronts.append(fronts[500][:-2] + "qq")  # edited at the end
    fronts.append("qq" + fronts[700][2:])  # edited at the start
    ids = [f"c{i}" for i in range(1200)] + ["near-end", "near-start"]
    cards = [f"- {{id: {card_id}, kind: fact, source: article, front: 'At Acme, {front}?', "
             "back: x}" for card_id, front in zip(ids, fronts, strict=True)]
    text = MINIMAL.split("cards:")[0] + "cards:\n" + "\n".join(cards) + "\n"
    deck = write_deck("acme.yaml", text)
    result = validate([deck])
    near = {p.message.split("'")[1] for p in result.problems
            if p.code == "near-duplicate-front"}
    assert near == {"near-end", "near-start"}
    assert calls <= 2 * lints.NEIGHBOURS * 1203  # linear: a few neighbours per card


def _sql_rows(apkg: bytes, tmp: Path) -> dict[str, list[tuple[object, ...]]]:
    import io
    import sqlite3
    import zipfile

    db = tmp / "c.anki2"
    db.write_bytes(zipfile.ZipFile(io.BytesIO(apkg)).read("collection.anki2"))
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"select * from {t} order by 1").fetchall()
                for t in ("col", "notes", "cards")}
    finally:
        conn.close()


CLOZE_ORDINALS = MINIMAL + """\
  - id: sparse
    kind: fact
    source: article
    cloze: "At Acme, {{c2::two}} and {{c9::nine}} and {{c12::twelve}} and {{c2::again}}"
"""


_REVERSED = ('{{FrontSide}}<hr id="answer">{{Back}}', '{{FrontSide}}<hr id="answer">{{Front}}')
# Note types kept from Anki with two templates: which cards a note makes depends on
# which of its fields are empty ("Add Reverse"), as genanki reads Anki's rule.
KEPT_TYPES = f"""\
company: Rev
slug: rev
sources:
  anki: {{title: Anki deck Rev}}
notetypes:
  optional:
    id: 1382232460
    name: Basic (optional reversed card)
    kind: standard
    fields: [Front, Back, Add Reverse]
    front: Front
    back: Back
    templates:
      - {{name: Card 1, front: "{{{{Front}}}}", back: '{_REVERSED[0]}'}}
      - name: Card 2
        front: "{{{{#Add Reverse}}}}{{{{Back}}}}{{{{/Add Reverse}}}}"
        back: '{_REVERSED[1]}'
    css: ".card {{color: black}}"
  both:
    id: 1485830179
    name: Basic (and reversed card)
    kind: standard
    fields: [Front, Back]
    front: Front
    back: Back
    templates:
      - {{name: Card 1, front: "{{{{Front}}}}", back: '{_REVERSED[0]}'}}
      - {{name: Card 2, front: "{{{{Back}}}}", back: '{_REVERSED[1]}'}}
    css: ".card {{color: black}}"
cards:
""" + "".join(f"""\
  - {{id: card-{n}, kind: fact, source: anki, notetype: {'optional' if n % 3 else 'both'},
     front: 'At Rev, what is {n}?', back: 'It is {n}.'{reverse if n % 3 == 1 else ''}}}
""" for n in range(9) for reverse in [', fields: {"Add Reverse": y}'])


@pytest.mark.parametrize("decks", ["repository", "synthetic", "sparse-cloze", "kept-types"])
def test_bulk_writer_matches_genanki_row_for_row_and_in_real_anki(
        decks: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, anki_collection) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    source = DECKS
    if decks == "synthetic":  # every kind, multi-deletion clozes, Markdown, 2 companies
        source = tmp_path / "synthetic"
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "400",
                        str(source)], check=True, capture_output=True)
    elif decks == "sparse-cloze":  # genanki orders a note's cards as a set does: 8 before 1
        source = tmp_path / "sparse"
        source.mkdir()
        (source / "acme.yaml").write_text(CLOZE_ORDINALS, encoding="utf-8")
        (source / "other.yaml").write_text(CLOZE_ORDINALS.replace("acme", "other").replace(
            "Acme", "Other"), encoding="utf-8")
    elif decks == "kept-types":
        source = tmp_path / "kept"
        source.mkdir()
        (source / "rev.yaml").write_text(KEPT_TYPES, encoding="utf-8")
    outputs = {}
    real_apkg_bytes = apkg.apkg_bytes
    for reference in (False, True):
        monkeypatch.setattr(apkg, "apkg_bytes",
                            functools.partial(real_apkg_bytes, reference=reference))
        out = tmp_path / f"out-{reference}"
        build(source, out, use_cache=False)
        outputs[reference] = out
    names = sorted(p.name for p in outputs[False].glob("*.apkg"))
    # Every company with cards, whichever decks the repository holds today.
    assert names and names == sorted(f"{d.slug}.apkg" for d in engine.valid_decks(source)
                                     if d.cards)
    for name in names:
        fast = (outputs[False] / name).read_bytes()
        slow = (outputs[True] / name).read_bytes()
        assert _sql_rows(fast, tmp_path) == _sql_rows(slow, tmp_path)
        if decks == "kept-types":  # 9 notes; 3 "both" and 3 "Add Reverse" make a second
            assert len(_sql_rows(fast, tmp_path)["cards"]) == 15
        seen = []
        for data in (fast, slow):
            col = anki_collection()
            package = tmp_path / name
            package.write_bytes(data)
            log = import_apkg(col, package)
            notes = sorted((n.guid, n.mod, tuple(n.fields), tuple(n.tags))
                           for n in (col.get_note(i) for i in col.find_notes("")))
            seen.append((log.new, notes, sorted((q, a) for _, q, a in rendered(col)),
                         sorted(col.decks.all_names_and_ids(), key=lambda d: d.name)))
        assert seen[0][0] > 0 and seen[0][1:3] == seen[1][1:3]
        assert [d.name for d in seen[0][3]] == [d.name for d in seen[1][3]]


def test_a_package_laid_out_without_the_blank_copy_holds_the_same_rows(
        decks_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before Python 3.11 sqlite3 cannot copy a database: each package is laid out anew."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    build(decks_copy, tmp_path / "copied", use_cache=False)
    layout = apkg._blank()[1]
    monkeypatch.setattr(apkg, "_blank", lambda: (None, layout))
    build(decks_copy, tmp_path / "laid-out", use_cache=False)
    names = sorted(p.name for p in (tmp_path / "copied").glob("*.apkg"))
    assert names
    for name in names:
        assert _sql_rows((tmp_path / "copied" / name).read_bytes(), tmp_path) == _sql_rows(
            (tmp_path / "laid-out" / name).read_bytes(), tmp_path)


def test_workers_write_the_same_bytes_as_one_process(
        decks_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 10**12)
    build(decks_copy, tmp_path / "serial", use_cache=False)
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 0)
    pools = []  # the workers are prepared once, only on the parallel path
    warm_up = engine._warm_up
    monkeypatch.setattr(engine, "_warm_up", lambda job: pools.append(job) or warm_up(job))
    build(decks_copy, tmp_path / "parallel", use_cache=False)
    assert pools, "the parallel path did not run"
    assert folder_bytes(tmp_path / "serial") == folder_bytes(tmp_path / "parallel")


def test_a_parallel_run_leaves_the_collector_as_it_found_it(
        decks_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parent freezes what exists before forking: as a library, it must thaw it
    however the run ends, a pool that cannot start (no fork: EAGAIN) included."""
    import gc

    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 0)
    frozen = gc.get_freeze_count()
    build(decks_copy, tmp_path / "ok", use_cache=False)
    assert gc.get_freeze_count() == frozen and gc.isenabled()

    def no_fork(*args: object) -> None:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(engine, "_pool", no_fork)
    with pytest.raises(BlockingIOError):
        build(decks_copy, tmp_path / "no-fork", use_cache=False)
    assert gc.get_freeze_count() == frozen and gc.isenabled()


def test_unchanged_build_reuses_files_byte_identical_to_a_clean_build(
        companies: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, clean = tmp_path / "dist", tmp_path / "clean"
    first = build(companies, out)
    assert first.reused == 0
    second = build(companies, out)
    assert second.reused == 2 and len(second.written) == 2
    assert second.warnings == first.warnings
    build(companies, clean, use_cache=False)
    assert folder_bytes(out) == folder_bytes(clean)

    # One company edited and stamped: only it is built again, and to the new content.
    globex = companies / "globex.yaml"
    globex.write_text(globex.read_text(encoding="utf-8").replace(
        "Another generic answer.", "Another generic, longer answer."), encoding="utf-8")
    stamp(companies, now=1_760_000_000)
    third = build(companies, out)
    assert third.reused == 1
    assert b"generic, longer answer" in (out / "globex.csv").read_bytes()

    # A damaged output file is rebuilt, not trusted.
    (out / "acme.csv").write_text("tampered", encoding="utf-8")
    assert build(companies, out).reused == 1
    build(companies, clean, use_cache=False)
    assert folder_bytes(out) == folder_bytes(clean)


def test_an_unstamped_change_is_never_served_from_the_cache(
        companies: Path, tmp_path: Path) -> None:
    globex = companies / "globex.yaml"
    globex.write_text(globex.read_text(encoding="utf-8").replace(
        "Another generic answer.", "Another answer."), encoding="utf-8")
    out = tmp_path / "dist"
    build(companies, out, now=1_740_000_000)
    later = build(companies, out, now=1_750_000_000)
    assert later.reused == 1  # acme only: globex ships with the build time
    stamp(companies, now=1_760_000_000)
    assert build(companies, out).reused == 1  # globex's new stamp: globex alone is rebuilt
    assert build(companies, out).reused == 2


def test_a_changed_image_invalidates_its_company(write_deck, tmp_path: Path) -> None:
    png = (HOSTILE.parent / "hostile" / "not-an-image.png")
    deck = write_deck("acme.yaml", MINIMAL.replace(
        "    back: The first answer.\n",
        "    back: The first answer.\n    image: {file: pic.png, alt: A picture}\n"))
    real_png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    (deck.parent / "pic.png").write_bytes(real_png)
    stamp(deck.parent, now=1_700_000_000)
    out = tmp_path / "dist"
    build(deck.parent, out)
    assert build(deck.parent, out).reused == 1
    (deck.parent / "pic.png").write_bytes(real_png + b"\1")
    assert build(deck.parent, out).reused == 0
    assert png.exists()


def test_help_and_validate_do_not_import_the_writers() -> None:
    code = ("import sys\nfrom deck2anki.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('genanki', 'jsonschema', 'jsonschema_rs', "
            "'markdown_it', 'chevron') if m in sys.modules))")
    env_args = {"cwd": ROOT, "capture_output": True, "text": True, "check": True}
    help_run = subprocess.run([sys.executable, "-c", code, "--help"], **env_args)
    assert help_run.stdout.strip().splitlines()[-1] == "[]"
    validate_run = subprocess.run([sys.executable, "-c", code, "validate", "-q"], **env_args)
    loaded = validate_run.stdout.strip().splitlines()[-1]
    assert "genanki" not in loaded and "'jsonschema'" not in loaded, loaded


def test_benchmark_scripts_run(tmp_path: Path) -> None:
    """The benchmark's generator and floor work (their timings are for bench/run.py)."""
    bench = ROOT / "bench"
    subprocess.run([sys.executable, str(bench / "generate.py"), "600", str(tmp_path / "d")],
                   check=True, capture_output=True)
    result = validate([tmp_path / "d"])
    assert not result.errors, result.errors[:3]
    assert sum(d.notes for d in result.decks) == 600
    subprocess.run([sys.executable, str(bench / "floor.py"), str(tmp_path / "d"),
                    str(tmp_path / "f")], check=True, capture_output=True)
    assert len(list((tmp_path / "f").glob("*.apkg"))) == len(result.decks)
    shutil.rmtree(tmp_path / "f")


def test_validate_cache_reports_what_a_fresh_check_reports(companies: Path) -> None:
    stamps = companies / "stamps.json"

    def both() -> tuple[list[str], list[str]]:
        cached = validate([companies], stamps, use_cache=True)
        fresh = validate([companies], stamps)
        return ([p.format() for p in cached.problems], [p.format() for p in fresh.problems])

    first, fresh = both()
    assert first == fresh == []
    again = validate([companies], stamps, use_cache=True)
    assert sum(r.info is not None for r in again.results) == 2
    assert again.hashes == validate([companies], stamps).hashes  # what stamp uses

    # An edit: the file's new problems (a long answer, a stale stamp) appear at once.
    globex = companies / "globex.yaml"
    globex.write_text(globex.read_text(encoding="utf-8").replace(
        "'Another generic answer.'", "'" + "Another generic answer. " * 20 + "'"),
        encoding="utf-8")
    cached, fresh = both()
    assert cached == fresh
    assert {"long-answer", "stale-stamp"} <= {line.split(": ", 3)[2] for line in cached}
    # Stamping changes only stamps.json: the stale warning goes, the lint stays.
    stamp(companies, now=1_760_000_000)
    cached, fresh = both()
    assert cached == fresh and all("stale-stamp" not in line for line in cached)
    assert any("long-answer" in line for line in cached)


def test_a_warm_cache_still_checks_images_like_a_cold_run(write_deck, tmp_path: Path) -> None:
    deck = write_deck("acme.yaml", MINIMAL.replace(
        "    back: The first answer.\n",
        "    back: The first answer.\n    image: {file: pic.png, alt: A picture}\n"))
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    (deck.parent / "pic.png").write_bytes(png)
    stamps = deck.parent / "stamps.json"
    stamp(deck.parent, now=1_700_000_000)
    for _ in range(3):  # warm, then served from the record (which must keep its images)
        assert not validate([deck.parent], stamps, use_cache=True).errors
    (deck.parent / "pic.png").write_text("not an image", encoding="utf-8")
    broken = validate([deck.parent], stamps, use_cache=True)
    assert [p.code for p in broken.errors] == ["image"]
    (deck.parent / "pic.png").write_bytes(png)
    outside = tmp_path / "outside.png"
    outside.write_bytes(png)  # the same bytes, now outside the deck's folder
    (deck.parent / "pic.png").unlink()
    (deck.parent / "pic.png").symlink_to(outside)
    warm = validate([deck.parent], stamps, use_cache=True)
    assert [p.code for p in warm.errors] == ["image"]
    (deck.parent / "pic.png").unlink()
    os.mkfifo(deck.parent / "pic.png")  # reading a FIFO would block forever
    run = subprocess.run([sys.executable, "-m", "deck2anki", "validate", str(deck.parent)],
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 1 and ": image: " in run.stdout


def test_without_stamps_a_second_build_says_what_the_first_said(
        companies: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (companies / "stamps.json").unlink()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = build(companies, tmp_path / "dist")
    second = build(companies, tmp_path / "dist")
    assert len(first.stale) == len(second.stale) == 6 + 2  # every note and note type
    assert first.warnings == second.warnings


def test_cached_and_uncached_runs_say_and_write_the_same(companies: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache changes how long a run takes, never what it says or writes."""
    from click.testing import CliRunner

    from deck2anki.cli import main

    globex = companies / "globex.yaml"  # a warning (long answer) to report
    globex.write_text(globex.read_text("utf-8").replace(
        "'Another generic answer.'", "'" + "Another generic answer. " * 20 + "'"), "utf-8")
    stamp(companies, now=1_750_000_000)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, list(args))
        return result.exit_code, result.output

    for command in (["validate", str(companies)], ["validate", "--format", "json",
                                                   str(companies)]):
        fresh = run(*command, "--no-cache")
        assert run(*command) == run(*command) == fresh  # cold cache, then warm
    out = tmp_path / "dist"
    cold = run("build", "--decks", str(companies), "--out", str(out))
    first = folder_bytes(out)
    warm = run("build", "--decks", str(companies), "--out", str(out))
    assert folder_bytes(out) == first
    fresh = run("build", "--no-cache", "--decks", str(companies), "--out", str(tmp_path / "f"))
    assert folder_bytes(tmp_path / "f") == first
    assert cold[0] == warm[0] == fresh[0] == 0
    # What it says differs only in the count of companies it found up to date.
    assert warm[1].replace(" (2 already up to date)", "") == cold[1] == fresh[1].replace(
        str(tmp_path / "f"), str(out))


def test_a_failed_build_leaves_the_build_record_as_it_was(companies: Path,
                                                          tmp_path: Path) -> None:
    """Edit, fail, revert: the files already built are still up to date."""
    from deck2anki.problems import InvalidInput

    out = tmp_path / "dist"
    assert build(companies, out).reused == 0
    globex = companies / "globex.yaml"
    good = globex.read_text("utf-8")
    globex.write_text(good.replace("kind: fact", "kind: nope", 1), "utf-8")
    with pytest.raises(InvalidInput):
        build(companies, out)
    globex.write_text(good, "utf-8")
    assert build(companies, out).reused == 2


# Start-up: a cached `deck2anki validate`, as an editor runs it on every save, loads no
# checks, asks git once, and says what a full run says.

HEAVY = ("click", "yaml", "jsonschema", "jsonschema_rs", "markdown_it", "genanki", "nh3",
         "deck2anki.engine", "deck2anki.model", "deck2anki.check.schema",
         "deck2anki.load.parse", "deck2anki.problems",
         # Each of these costs a cached run a third to half of a bare interpreter's start.
         "typing", "dataclasses", "subprocess")
PROBE = ("import sys\nsys.argv[0] = 'deck2anki'\nfrom deck2anki.cli import {entry}\n"
         "try:\n    {entry}()\nexcept SystemExit as exc:\n    code = exc.code\nelse:\n"
         "    code = 0\nprint('LOADED', sorted(m for m in {heavy} if m in sys.modules), code)")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The repository's decks in a git checkout of their own, on a branch off main."""
    from conftest import committed_decks, git

    root = committed_decks(tmp_path / "repo")
    git(root, "checkout", "-qb", "feature")
    return root


def _probe(root: Path, entry: str, *args: str,
           env: dict[str, str] | None = None) -> tuple[list[str], int, str, str]:
    """``deck2anki ARGS`` through ``deck2anki.cli.<entry>``: the heavy modules it loaded,
    its exit code, its output (less the probe's own line) and its errors."""
    from conftest import cli_env

    code = PROBE.format(entry=entry, heavy=HEAVY)
    run = subprocess.run([sys.executable, "-c", code, *args], cwd=root, env=cli_env(env),
                         capture_output=True, text=True, timeout=120, check=False)
    out, _, last = run.stdout.rstrip("\n").rpartition("\n")
    if not out and last.startswith("LOADED"):
        out = ""
    elif not last.startswith("LOADED"):
        pytest.fail(f"no probe line: {run.stdout!r} {run.stderr!r}")
    loaded, _, exit_code = last[len("LOADED "):].rpartition(" ")
    return (json.loads(loaded.replace("'", '"')), int(exit_code),
            out + "\n" if out else "", run.stderr)


def _counting_git(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """PATH with a `git` that logs each call, then runs the real one."""
    real = shutil.which("git")
    assert real, "git is needed"
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "git.log"
    (folder / "git").write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{real}" "$@"\n')
    (folder / "git").chmod(0o755)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}, log


def test_a_cached_validate_loads_no_checks_and_asks_git_once(checkout: Path,
                                                             tmp_path: Path) -> None:
    env, log = _counting_git(tmp_path)
    cold_loaded, *cold = _probe(checkout, "run", "validate", env=env)
    assert cold[0] == 0 and "2 deck(s)" in cold[2], cold
    # The probe sees what a full run loads: a cached run below is told apart by it.
    assert {"yaml", "deck2anki.model", "typing", "dataclasses"} <= set(cold_loaded)
    assert "click" not in cold_loaded  # plain arguments never need click
    log.unlink()
    warm_loaded, *warm = _probe(checkout, "run", "validate", env=env)
    assert warm_loaded == [], warm_loaded
    assert warm == cold
    assert len(log.read_text().splitlines()) == 1  # HEAD and the main branches, at once
    # Help still teaches, through click.
    help_loaded, code, shown, _ = _probe(checkout, "run", "validate", "--help")
    assert "click" in help_loaded and "--no-cache" in shown and code == 0


@pytest.mark.parametrize("args", [
    ["validate"], ["validate", "-q"], ["validate", "--strict", "--format", "json"],
    ["validate", "--format=github", "--no-cache", "decks/zoom.yaml"],
    ["validate", "--format", "sarif", "decks", "-q"], ["validate", "missing.yaml"],
    ["validate", "--format", "xml"], ["validate", "--quiet=yes"], ["validate", "--", "decks"],
    ["--version"],
])
def test_the_quick_command_line_says_what_click_says(checkout: Path, tmp_path: Path,
                                                     args: list[str]) -> None:
    """`run` skips click for a plain validate: same output, same exit code, cold or warm."""
    (checkout / "decks" / "zoom.yaml").write_text(  # a warning, and a git removal error
        (checkout / "decks" / "zoom.yaml").read_text("utf-8").replace(
            "\n  - id: ", "\n  - id: x-", 1), "utf-8")
    answers = []
    for entry, cache in (("main", "fresh-1"), ("run", "shared"), ("run", "shared"),
                         ("main", "fresh-2")):
        answers.append(tuple(_probe(checkout, entry, *args,
                                    env={"DECK2ANKI_CACHE_DIR": str(tmp_path / cache)})[1:]))
    assert answers[0] == answers[1] == answers[2] == answers[3]
    assert answers[0][0] in (0, 1, 2)


def _answer(decks: Path, *, use_git: bool) -> Any:
    """What `deck2anki validate DECKS` answers: recalled if it can be, else checked."""
    from deck2anki.commands import verdict

    return (verdict.recall([decks], use_git=use_git)
            or verdict.run([decks], use_git=use_git, use_cache=True))


def _same(answer: Any, fresh: Any) -> None:
    """``answer`` says, in every format, what the full run ``fresh`` says."""
    from deck2anki.problems import Level, printable
    from deck2anki.report.problems import FORMATS, render

    for fmt in FORMATS:
        for strict in (False, True):
            assert answer.render(fmt, strict) == render(fresh.problems, fmt, strict=strict)
    assert answer.notes == [printable(f"note: {note}") for note in fresh.notes]
    assert (answer.problems, answer.errors, answer.decks, answer.deck_notes) == (
        len(fresh.problems), sum(p.level is Level.ERROR for p in fresh.problems),
        len(fresh.decks), sum(d.notes for d in fresh.decks))


def test_a_recalled_verdict_is_what_a_full_run_says_after_any_change(
        checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from deck2anki.commands import validate as full

    from conftest import git

    monkeypatch.chdir(checkout)
    decks = Path("decks")
    stamps = decks / "stamps.json"
    runs: list[int] = []
    real = full.validate
    monkeypatch.setattr(full, "validate", lambda *a, **k: runs.append(1) or real(*a, **k))

    def check(recalled: bool) -> None:
        runs.clear()
        cached = _answer(decks, use_git=True)
        assert runs == ([] if recalled else [1])
        _same(cached, real([decks], stamps, use_git=True))

    check(recalled=False)
    check(recalled=True)
    zoom = decks / "zoom.yaml"
    edited = zoom.read_text("utf-8").replace("relentless product", "relentless, product", 1)
    zoom.write_text(edited, "utf-8")  # a card changed since its stamp: a warning
    check(recalled=False)
    check(recalled=True)
    git(checkout, "commit", "-qam", "edit")  # the same files; HEAD moves
    check(recalled=False)
    check(recalled=True)
    zoom.write_text(edited.replace("\n  - id: ", "\n  - id: x-", 1), "utf-8")  # renamed
    assert any(p.code == "removed-card" for p in real([decks], stamps, use_git=True).errors)
    check(recalled=False)
    check(recalled=False)  # a deck with errors: its answer is not kept
    zoom.write_text(edited, "utf-8")
    check(recalled=True)  # the answer kept before still stands
    (decks / "other.yaml").write_text(MINIMAL, "utf-8")  # a new deck in the folder
    check(recalled=False)
    stamp(decks, now=1_700_000_000)  # stamps.json changes
    check(recalled=False)
    check(recalled=True)
    monkeypatch.setenv("GIT_NO_REPLACE_OBJECTS", "1")  # what git reads changes
    check(recalled=False)


def test_a_recalled_verdict_keeps_its_images_and_its_clock(
        write_deck, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from deck2anki.release.guard import FUTURE_SLACK

    deck = write_deck("acme.yaml", MINIMAL.replace(
        "    back: The first answer.\n",
        "    back: The first answer.\n    image: {file: pic.png, alt: A picture}\n"))
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    (deck.parent / "pic.png").write_bytes(png)
    stamps = deck.parent / "stamps.json"
    now = int(time.time())
    stamp(deck.parent, now=now + FUTURE_SLACK - 600)  # ahead, but not yet "in the future"

    def codes() -> list[str]:
        fresh = validate([deck.parent], stamps)
        _same(_answer(deck.parent, use_git=False), fresh)
        return [p.code for p in fresh.problems]

    assert codes() == codes() == []
    (deck.parent / "pic.png").write_bytes(png + b"\1")  # another image, the same deck file
    assert codes() == codes() == ["stale-stamp"]  # the note changed: its image did
    (deck.parent / "pic.png").write_text("not an image", encoding="utf-8")
    assert codes() == ["image"]
    (deck.parent / "pic.png").write_bytes(png)
    assert codes() == codes() == []
    monkeypatch.setattr(time, "time", lambda: now - 3600)  # the clock set back an hour
    assert codes() == ["future-stamp"]


def test_the_linux_cache_folder_is_the_one_platformdirs_names(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import platformdirs

    from deck2anki import records

    monkeypatch.delenv("DECK2ANKI_CACHE_DIR")
    cases = [(None, "/home/ann"), ("", "/home/ann/"), ("/x/cache", "/home/ann"),
             ("/x/cache/", None), (None, "/"), ("relative", "/home/ann"), (None, "home")]
    shortcuts = 0
    for xdg, home in cases:
        for name, value in (("XDG_CACHE_HOME", xdg), ("HOME", home)):
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        quick = records._linux_cache_dir()
        if quick is not None:
            shortcuts += 1
            assert quick == Path(platformdirs.user_cache_dir("deck2anki", appauthor=False))
    assert shortcuts == (5 if sys.platform == "linux" else 0)


def test_the_code_fingerprint_record_follows_every_source_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from deck2anki import records
    from deck2anki.check import schema as schema_module

    package = tmp_path / "deck2anki"
    shutil.copytree(Path(records.__file__).parent, package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(records, "__file__", str(package / "records.py"))
    compute = records.code_fingerprint.__wrapped__
    first = compute()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schema_module, "schema_path", lambda: pytest.fail("not recorded"))
        assert compute() == first  # from the record: the schema checker is not asked
    source = package / "identity.py"
    text = source.read_text("utf-8")
    source.write_text(text.replace("a", "b", 1) if "a" in text else text + "#", "utf-8")
    second = compute()
    assert second != first
    (package / "check" / "extra.py").write_text("X = 1\n", "utf-8")  # a module added
    third = compute()
    assert third not in (first, second)
    assert compute() == third


@settings(derandomize=True, max_examples=2000)
@given(st.text(alphabet="{}c1:a \n", max_size=40))
def test_the_bounded_cloze_searches_find_what_the_pattern_finds(text: str) -> None:
    # CLOZE_RE searches only up to the text's last "}}" (else a cubic search): the same
    # deletions, the same groups, the same substitution.
    pattern = markup.CLOZE_RE.pattern
    expected = [(m.span(), m.groups()) for m in pattern.finditer(text)]
    assert [(m.span(), m.groups()) for m in markup.CLOZE_RE.finditer(text)] == expected
    assert markup.CLOZE_RE.findall(text) == pattern.findall(text)
    assert (markup.CLOZE_RE.search(text) is None) == (pattern.search(text) is None)
    assert markup.CLOZE_RE.sub("[\\2]", text) == pattern.sub("[\\2]", text)
