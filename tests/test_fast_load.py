"""The fast way in (yaml_rs) against the reference (PyYAML's positioned path).

Whatever the fast path accepts must read exactly as PyYAML reads it; whatever it is not
sure of, it must leave to the positioned path (which then says what is wrong and where).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deck2anki.engine import load_deck
from deck2anki.load import fast, limits
from deck2anki.load.parse import _load, load_text
from deck2anki.problems import InvalidInput

ROOT = Path(__file__).resolve().parents[1]
DECKS = sorted((ROOT / "decks").glob("*.yaml"))


def reference(text: str) -> object:
    """What the positioned path reads, or the exception type it raises."""
    try:
        return _load(Path("x.yaml"), text).data
    except InvalidInput as exc:
        return exc.problems[0].code


def test_the_repository_decks_take_the_fast_path_and_read_the_same() -> None:
    for path in DECKS:
        text = path.read_text(encoding="utf-8")
        data = fast.data_of(text)
        assert data is not None, path
        assert data == reference(text)


# Each is read otherwise by YAML 1.2 than by PyYAML, or refused by us, or needs limits
# only the positioned path counts: none may be answered by the fast path.
DOUBTFUL = [
    "a: yes", "a: on", "a: No", "a: 017", "a: 0o17", "a: 09", "a: 1:30",
    "a: 1e3", "a: 2024-01-01", "a: =", "<<: {b: 1}", "a: &x [1]\nb: *x", "a: !!str 5",
    "a: 1\na: 2", "a: \"x\\x1fy\"", "a: \"\\u0085\"", "a: 'x\r\ny'", "a: x\u2028y",
    "a: x\x85y", "--- \na: 1\n--- \nb: 2", "[1, 2]", "", "# nothing", "a: 1.5",
    "%YAML 1.1\n---\na: 1", "yes: 1", "a: {b: {c: {d: x}}}\n" * 0 + "a: " + "[" * 40 + "]" * 40,
    "- " * 100_000 + "x", "".join(" " * i + "a:\n" for i in range(300)) + " " * 300 + "b",
    "a: \"x\"#c", "1: x\n", "? [a]\n: b\n",
    # Found by review: tabs after an indicator, a surrogate pair, a colon before a flow
    # indicator, a flow key running onto the next line, YAML 1.1's other integers.
    "cards:\n  -\tid: x\n", "a:\n  - \tb\n", "? a\n: \t\n", "  \t  context: x\n",
    "a: \"\\ud83d\\ude00\"\n", "tags: [topic:]\n", "a: {a:,b}\n", "a: {y z:? }\n",
    "a: {a\n  b: c}\n", "a: {\"b\": 1,\n \"c\n d\": e}\n", "a: _1\n", "a: -_9\n",
    "a: 0X1F\n", "a: 0B1\n", "a: [1,010]\n", "a: [1,0o7]\n", "a: [x,+08]\n",
]


@pytest.mark.parametrize("text", DOUBTFUL, ids=range(len(DOUBTFUL)))
def test_doubtful_files_take_the_positioned_path(text: str) -> None:
    assert fast.data_of(text) is None


def test_a_problem_still_gets_its_position_from_the_composed_tree(tmp_path: Path) -> None:
    text = (DECKS[0].read_text(encoding="utf-8")
            .replace("kind: fact", "kind: fakt", 1))
    loaded = load_text(tmp_path / "d.yaml", text)
    assert loaded.data == reference(text)
    _, deck, problems = load_deck(tmp_path / "d.yaml", text)
    assert deck is None
    line = text.splitlines().index(next(x for x in text.splitlines() if "kind: fakt" in x)) + 1
    assert [(p.position.line, p.code) for p in problems if p.code == "schema-enum"] or \
        any(p.position.line == line for p in problems), problems


def test_positions_are_the_same_either_way(tmp_path: Path) -> None:
    text = DECKS[0].read_text(encoding="utf-8")
    quick = load_text(tmp_path / "d.yaml", text)
    slow = _load(tmp_path / "d.yaml", text)
    for path in [("slug",), ("company",), ("cards",), ("cards", 3, "front"),
                 ("sources", next(iter(slow.data["sources"])), "title")]:
        assert quick.position(path) == slow.position(path), path
        assert quick.position(path, key=True) == slow.position(path, key=True), path
    assert [w.start for w in quick.items(("cards",))] == \
        [w.start for w in slow.items(("cards",))]


def test_a_tricked_top_level_lookup_asks_the_tree(tmp_path: Path) -> None:
    # The only line starting with "slug:" is inside a quoted value; the key is quoted.
    text = 'company: "x\nslug: y"\n"slug": real\n'
    loaded = load_text(tmp_path / "d.yaml", text)
    assert loaded.data == {"company": "x slug: y", "slug": "real"}
    assert (loaded.position(("slug",)).line, loaded.position(("slug",)).column) == (3, 9)


_YAML_BITS = st.sampled_from([
    " ", "\n", "  ", "- ", ": ", "'", '"', "#", "&a ", "*a", "!", "[", "]", "{", "}", ",",
    "yes", "017", "0o7", "1:2", "1e3", "~", "null", "2024-01-01", "\\x1f", "\t", "|", ">",
    "-", "?", "%", "@", "`", "<<", "=", "\r", "\u2028", "é", "1_0", ".5", "a", "0x1F",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2000), st.lists(st.tuples(st.integers(0, 400), _YAML_BITS), max_size=4))
def test_whatever_the_fast_path_reads_the_reference_reads_the_same(
        start: int, edits: list[tuple[int, str]]) -> None:
    base = DECKS[0].read_text(encoding="utf-8")[start:start + 600]
    text = base
    for offset, bit in edits:
        text = text[:offset] + bit + text[offset:]
    data = fast.data_of(text)
    if data is not None:
        assert data == reference(text)


def test_a_deeply_nested_file_fails_cleanly_on_a_small_stack(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("a:\n" + "".join(" " * i + "- \n" for i in range(1, 240)) + " " * 240
                    + "x\n", encoding="utf-8")
    code = ("from deck2anki.load.fast import data_of; import pathlib; "
            f"print(data_of(pathlib.Path({str(deep)!r}).read_text()) is None)")
    run = subprocess.run(["bash", "-c", f'ulimit -s 256 && {sys.executable} -c "{code}"'],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, (run.returncode, run.stderr[-500:])
    assert run.stdout.strip() == "True"


def _deepest_shallow_text(tail: str) -> str:
    """The deepest nesting :func:`fast._shallow` lets through: a key and a sequence every
    two columns, compact sequences to the last column it allows, then ``tail``."""
    lines = ["k0:"]
    while len(lines) * 2 + 2 <= 31:
        lines.append(" " * (2 * len(lines) - 2) + f"- k{len(lines)}:")
    column = 2 * len(lines) - 2
    lines.append(" " * column + "- " * ((31 - column) // 2) + tail)
    return "\n".join(lines) + "\n"


# Flow nesting to yaml_rs's own limit of 255 brackets: a single-pair mapping in each
# sequence ("[a: [a: ...") makes two levels of each, the most a bracket can.
_FLOW_TAILS = ["[a: " * 255 + "x" + "]" * 255, "[" * 255 + "]" * 255,
               "{a: " * 255 + "x" + "}" * 255, "[? " * 255 + "x" + "]" * 255]


@pytest.mark.parametrize("tail", _FLOW_TAILS, ids=["pairs", "lists", "mappings", "keys"])
def test_what_the_main_stack_parses_fits_a_mebibyte(tail: str) -> None:
    # The bound behind parsing on the main stack (MAIN_STACK_MIN is four times this): the
    # deepest text it admits parses on a thread with 1 MiB of stack (about 400 KiB used
    # by yaml_rs 0.1). A crash kills the process, so it runs in one of its own.
    text = _deepest_shallow_text(tail)
    assert fast._shallow(text) and not fast._doubtful(text)
    assert not fast._shallow(" " + text.replace("\n", "\n  "))  # two columns more
    code = ("import sys, threading, yaml_rs\n"
            "text = sys.stdin.read()\n"
            "threading.stack_size(1024 * 1024)\n"
            "def run():\n"
            "    data, depth = yaml_rs.loads(text), 0\n"
            "    while isinstance(data, (dict, list)) and data:\n"
            "        data = next(iter(data.values())) if isinstance(data, dict) else data[0]\n"
            "        depth += 1\n"
            "    print(depth)\n"
            "worker = threading.Thread(target=run)\n"
            "worker.start()\n"
            "worker.join()\n")
    run = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0, (run.returncode, run.stderr[-500:])
    assert int(run.stdout) > (2 * 255 if tail.startswith("[a:") else 16)


def _parses_on_a_thread(text: str, monkeypatch: pytest.MonkeyPatch) -> bool:
    taken: list[bool] = []

    def thread(work: object) -> object:
        taken.append(True)
        return limits.on_big_stack(work)  # type: ignore[arg-type]

    monkeypatch.setattr(fast, "on_big_stack", thread)
    fast.data_of(text)
    return bool(taken)


def test_only_a_deep_file_or_a_small_stack_takes_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "_stack_limit", lambda: 8 * 1024 * 1024)  # Linux's default
    deck = DECKS[0].read_text(encoding="utf-8")
    assert not _parses_on_a_thread(deck, monkeypatch)
    deep = deck + "deep:\n" + "".join(" " * i + "- \n" for i in range(1, 40))
    assert _parses_on_a_thread(deep, monkeypatch)
    assert _parses_on_a_thread("-" + " -" * 16 + " x\n", monkeypatch)  # the first line
    elsewhere: list[bool] = []
    other = threading.Thread(target=lambda: elsewhere.append(
        _parses_on_a_thread(deck, monkeypatch)))
    other.start()
    other.join()
    assert elsewhere == [True]
    monkeypatch.setattr(limits, "_stack_limit", lambda: 1024 * 1024)  # ulimit -s 1024
    assert _parses_on_a_thread(deck, monkeypatch)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")
def test_a_process_forked_off_a_thread_is_not_on_a_main_stack(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Its main thread runs on the parent's thread's stack, whatever the limit says.
    monkeypatch.setattr(limits, "_stack_limit", lambda: 8 * 1024 * 1024)
    assert limits.on_main_stack()
    said: list[bytes] = []

    def fork() -> None:
        reader, writer = os.pipe()
        child = os.fork()
        if child == 0:
            os.write(writer, b"yes" if limits.on_main_stack() else b"no")
            os._exit(0)
        os.close(writer)
        said.append(os.read(reader, 8))
        os.close(reader)
        os.waitpid(child, 0)

    other = threading.Thread(target=fork)
    other.start()
    other.join()
    assert said == [b"no"]
    fork()  # and one forked off the main thread is
    assert said == [b"no", b"yes"]


@pytest.mark.parametrize(("spelling", "read"), [
    ("010", 8), ("+010", 8), ("0x2", 2), ("0b11", 3), ("1_0", 10), ("1:30", 90), ("03", 3)])
def test_a_number_not_in_plain_digits_is_reported_on_either_path(
        spelling: str, read: int, tmp_path: Path) -> None:
    # YAML 1.1 reads "010" as 8: a round numbered so would silently be round 8.
    deck = DECKS[0].read_text(encoding="utf-8")
    text = deck.replace("cards:\n", f"number_of_the_beast: {spelling}\ncards:\n", 1)
    assert text != deck
    assert fast.data_of(text) is None  # never the fast path: it cannot say where
    path = tmp_path / "d.yaml"
    path.write_text(text, encoding="utf-8")
    problems = load_deck(path)[2]
    assert [p.code for p in problems] == ["number-spelling"]
    assert f"the number {spelling} reads as {read} " in problems[0].message
    line = text.splitlines().index(f"number_of_the_beast: {spelling}") + 1
    assert (problems[0].position.line, problems[0].position.column) == (line, 22)


@pytest.mark.parametrize("digits", [95, 4000, 5000])
def test_a_number_of_thousands_of_digits_is_one_problem(digits: int, tmp_path: Path) -> None:
    # Python refuses to read an integer of 4,300 digits; no deck needs one of 100.
    deck = DECKS[0].read_text(encoding="utf-8")
    text = deck.replace("cards:\n", f"big: {'9' * digits}\ncards:\n", 1)
    assert fast.data_of(text) is None
    path = tmp_path / "d.yaml"
    path.write_text(text, encoding="utf-8")
    codes = [p.code for p in load_deck(path)[2]]
    assert codes == (["unknown-property"] if digits < 100 else ["out-of-range"])


@pytest.mark.parametrize("text", ["x: [1,\n  2,010]\n", "x: [[1],2,010]\n",
                                  "x: [1,\n  2,1_0]\n", "x: [1,\n 2,0o7]\n"])
def test_a_number_in_a_flow_list_over_lines_takes_the_positioned_path(text: str) -> None:
    # Found by a review: after a comma on a later line, the fast path read 0o7 as 7 (text
    # to YAML 1.1) and let 010 through to a positioned check that then stopped the run.
    assert fast.data_of(text) is None


def test_a_tag_list_over_lines_with_a_misspelt_number_is_problems_not_a_traceback(
        tmp_path: Path) -> None:
    deck = DECKS[0].read_text(encoding="utf-8")
    text = deck.replace("cards:\n", "tags: [onsite,\n       loop,2024_01]\ncards:\n", 1)
    path = tmp_path / "d.yaml"
    path.write_text(text, encoding="utf-8")
    assert "number-spelling" in [p.code for p in load_deck(path)[2]]


def test_numbers_in_plain_digits_pass() -> None:
    for spelling in ("10", "+3", "-0", "0", "7"):
        assert _load(Path("x.yaml"), f"a: {spelling}\nb: [1, {spelling}]\n").data["a"] == int(
            spelling)


def test_the_words_are_pyyamls_own() -> None:
    # Every first character PyYAML resolves that is no number's: its words and no other.
    firsts = [c for c in fast._resolvers() if c and c not in fast._NUMERIC]
    assert firsts
    for word in fast._WORDS:
        assert fast.typed_by_pyyaml(word), word
    near = {w + s for w in fast._WORDS for s in ("", "s", "e", "x")} | {
        w.swapcase() for w in fast._WORDS} | {c + "es" for c in firsts} | {"y", "n", "Y", "N"}
    for word in near:
        if word[:1] in firsts:
            assert fast.typed_by_pyyaml(word) == (word in fast._WORDS), word


def test_a_flow_document_asks_the_tree_for_top_level_positions(tmp_path: Path) -> None:
    text = '{company: {a: 1,\nslug: real\n}, "slug": real}\n'
    quick = load_text(tmp_path / "d.yaml", text)
    slow = _load(tmp_path / "d.yaml", text)
    assert quick.position(("slug",)) == slow.position(("slug",))


def test_an_escape_past_unicode_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as raised:
        load_text(tmp_path / "d.yaml", 'a: "\\U00110000"\n')
    assert raised.value.problems[0].code == "yaml-syntax"


# An integer not in plain decimal digits where a plain scalar starts, in one pattern.
_OTHER_INT_REFERENCE = (r"(?<![^ \t\n:\[{])[-+]?(?:0[0-9bBoOxX_]|_[0-9_]|[0-9]+_)"
                        r"[0-9a-fA-F_]*[ \t]*(?:$|#|[,\]}])")


@settings(derandomize=True, max_examples=1000)
@given(st.text(alphabet=" \t\n:[{}],#+-0_19aBboxX", max_size=24))
def test_the_split_integer_patterns_find_what_the_one_pattern_finds(text: str) -> None:
    import re

    found = any(fast._other_int(text, m.start()) for p in fast._OTHER_INTS
                for m in p.finditer(text))
    assert found == bool(re.search(_OTHER_INT_REFERENCE, text, re.MULTILINE))


@settings(derandomize=True, max_examples=500)
@given(st.text(alphabet="{}[]\na ", max_size=60), st.integers(2, 16))
def test_the_line_checks_find_what_reading_every_line_finds(text: str, longest: int) -> None:
    lines = text.splitlines()
    for opener, closer in ("{}", "[]"):
        assert fast._left_open(text, opener, closer) == any(
            line.rfind(opener) > line.rfind(closer) for line in lines if opener in line)
    saved, fast._LONGEST_LINE = fast._LONGEST_LINE, longest  # short lines, many blocks
    try:
        assert fast._long_line(text) == (max(map(len, lines), default=0) > longest)
    finally:
        fast._LONGEST_LINE = saved
