"""Stamps: unchanged content keeps its time, changed content always moves forward."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from deck2anki.problems import InvalidInput
from deck2anki.release.stamps import Entry, Stamps, build_time, content_hash


def test_hash_is_canonical() -> None:
    assert content_hash({"a": 1, "b": [2]}) == content_hash({"b": [2], "a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 2})


# Any code point, lone surrogates too (st.text() leaves them out).
_TEXTS = st.text(st.characters(exclude_categories=()))
_SCALARS = _TEXTS | st.integers() | st.booleans() | st.none()
_IDENTITIES = st.dictionaries(_TEXTS, st.recursive(
    _SCALARS, lambda inner: st.lists(inner) | st.lists(inner).map(tuple)
    | st.dictionaries(_TEXTS, inner), max_leaves=8))


@given(_IDENTITIES)
@example({"fields": ("\ud800",)})  # a lone surrogate: no UTF-8 for it, as ever
@example({"id": 2**70, "tags": ()})  # past 64 bits: the json module's way
def test_hash_is_of_the_canonical_json_every_stamp_was_taken_of(identity: dict[str, object]
                                                                ) -> None:
    """Any text (controls, U+2028, astral, lone surrogates), any integer, lists and
    tuples: orjson's bytes are the json module's, or the hash falls back to it; a changed
    canonical form would make every released note stale."""
    canonical = json.dumps(identity, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    try:
        expected: str | type[Exception] = hashlib.sha256(canonical.encode()).hexdigest()
    except UnicodeEncodeError as exc:
        expected = type(exc)
    try:
        got: str | type[Exception] = content_hash(identity)
    except UnicodeEncodeError as exc:
        got = type(exc)
    assert got == expected


def test_mod_for() -> None:
    stamps = Stamps({"k": Entry("h1", 1000)})
    assert stamps.mod_for("k", "h1", fallback=5000) == 1000  # unchanged keeps its stamp
    assert stamps.mod_for("k", "h2", fallback=5000) == 5000  # changed: the build time
    # A build time older than the last stamp still moves the note forward.
    assert stamps.mod_for("k", "h2", fallback=10) == 1001
    assert stamps.mod_for("new", "h", fallback=5000) == 5000


def test_updated_stamps_only_what_changed_and_keeps_what_is_gone() -> None:
    stamps = Stamps({"same": Entry("a", 100), "changed": Entry("b", 100), "gone": Entry("c", 1)})
    updated = stamps.updated({"same": "a", "changed": "B", "new": "n"}, now=500)
    assert updated.entries == {"same": Entry("a", 100), "changed": Entry("B", 500),
                               "new": Entry("n", 500), "gone": Entry("c", 1)}
    assert updated.without(["gone"]).entries.keys() == {"same", "changed", "new"}
    assert stamps.stale({"same": "a", "changed": "B", "new": "n"}) == ["changed", "new"]


def test_round_trip_is_stable(tmp_path: Path) -> None:
    # An integer past 64 bits too: a reader that took it for a float (orjson would)
    # would call a file deck2anki wrote damaged; msgspec refuses it, and the json
    # module reads it again.
    stamps = Stamps({"acme/b": Entry("x", 2), "acme/a": Entry("y", 1),
                     "acme/c": Entry("z", 3, "cloze", (1, 10**20))})
    path = tmp_path / "stamps.json"
    path.write_text(stamps.dumps(), encoding="utf-8")
    assert Stamps.read(path) == stamps
    assert Stamps.read(path).dumps() == stamps.dumps()
    assert stamps.dumps().index('"acme/a"') < stamps.dumps().index('"acme/b"')  # sorted


_ENTRY = st.builds(Entry, st.text(), st.integers(0, 253402300799),
                   st.one_of(st.none(), st.text()),
                   st.one_of(st.none(), st.lists(st.integers(1, 2**70), max_size=4).map(tuple)))


_PART = st.text(st.characters(blacklist_characters="/\n"), min_size=1)
_KEY = st.builds("{}/{}".format, _PART, _PART)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.dictionaries(_KEY, _ENTRY, max_size=6),
       st.dictionaries(st.text(), st.text(), max_size=3))
def test_every_file_stamp_writes_reads_back_the_same_either_way(
        tmp_path_factory: pytest.TempPathFactory, entries: dict[str, Entry],
        companies: dict[str, str]) -> None:
    stamps = Stamps(entries, companies)
    path = tmp_path_factory.mktemp("stamps") / "stamps.json"
    path.write_text(stamps.dumps(), encoding="utf-8")
    assert Stamps.read(path) == stamps == Stamps._parsed(json.loads(stamps.dumps()))


@pytest.mark.parametrize("text", ["{", "null", "[1]", '{"format": 99, "stamps": {}}',
                                  '{"format": 1}',
                                  '{"format": 1, "stamps": {"k": {"hash": "h"}}}',
                                  '{"format": 1, "stamps": {"acme": {"hash": "h", "mod": 1}}}',
                                  '{"format": 1, "stamps": {"acme/": {"hash": "h", "mod": 1}}}',
                                  '{"format": 1, "stamps": {"/x": {"hash": "h", "mod": 1}}}',
                                  '{"format": 1, "stamps": {"k": ' + "[" * 5000 + "]" * 5000
                                  + "}}"])
def test_damaged_file_is_one_clear_problem(tmp_path: Path, text: str) -> None:
    path = tmp_path / "stamps.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        Stamps.read(path)
    assert info.value.problems[0].code == "stamps"


@pytest.mark.parametrize("text", [
    '{"format": 1, "stamps": {"\\ud800/x": {"hash": "h", "mod": 1}}}',  # lone surrogate
    '{"format": 1, "stamps": {"a/x": {"hash": "h", "mod": 1, "cloze": [1, 36893488147419103232]}}}',
    '{"format": 1.0, "stamps": {"a/x": {"hash": "h", "mod": 1}}, "about": 1e999}',
])
def test_what_the_fast_reader_refuses_reads_as_the_json_module_does(
        tmp_path: Path, text: str) -> None:
    path = tmp_path / "stamps.json"
    path.write_text(text, encoding="utf-8")
    raw = json.loads(text)
    assert Stamps.read(path).entries == {
        key: Entry(v["hash"], v["mod"], None, tuple(v["cloze"]) if "cloze" in v else None)
        for key, v in raw["stamps"].items()}


def test_nesting_past_the_readers_depth_is_never_a_traceback(tmp_path: Path) -> None:
    """Found by a review: msgspec recursed through a deep value it skips, and raised
    RecursionError past its guard. Whether a reader gets that deep depends on the Python
    (3.13's take it): the file reads, or it is one clear problem, never a traceback."""
    path = tmp_path / "stamps.json"
    path.write_text('{"format": 1, "stamps": {}, "about": ' + "[" * 5000 + "]" * 5000 + "}",
                    encoding="utf-8")
    try:
        assert Stamps.read(path).entries == {}
    except InvalidInput as exc:
        assert exc.problems[0].code == "stamps" and "nested too deep" in exc.problems[0].message


@pytest.mark.parametrize("text", [
    '{"format": 1, "stamps": {"a/x": {"hash": "h", "mod": NaN}}}',
    '{"format": 1, "stamps": {"a/x": {"hash": "h", "mod": 18446744073709551616}}}',
    '{"format": 1,\n "stamps": {\n  "a/x": {"hash": "h", "mod": 1,}}}',
])
def test_damaged_file_is_placed_as_the_json_module_places_it(tmp_path: Path,
                                                             text: str) -> None:
    path = tmp_path / "stamps.json"
    path.write_text(text, encoding="utf-8")
    try:  # where this Python's json module places it (3.13 names a trailing comma's place)
        json.loads(text)
        where = (1, 1)  # it reads, but the stamps in it do not pass their checks
    except json.JSONDecodeError as exc:
        where = (exc.lineno, exc.colno)
    with pytest.raises(InvalidInput) as info:
        Stamps.read(path)
    problem = info.value.problems[0]
    assert (problem.position.line, problem.position.column) == where


def test_source_date_epoch() -> None:
    assert build_time({"SOURCE_DATE_EPOCH": "1700000000"}) == 1700000000
    assert build_time({}) is None
    with pytest.raises(ValueError, match="whole number"):
        build_time({"SOURCE_DATE_EPOCH": "yesterday"})
