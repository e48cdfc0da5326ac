"""Loading: every malformed file is one positioned problem, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from deck2anki.load.parse import load_file, load_text
from deck2anki.problems import InvalidInput, Position


def problem_of(path: Path) -> tuple[str, int, int, str]:
    with pytest.raises(InvalidInput) as info:
        load_file(path)
    first = info.value.problems[0]
    return first.code, first.position.line, first.position.column, first.message


@pytest.mark.parametrize(
    ("raw", "code", "line", "column"),
    [
        (b"", "empty", 1, 1),
        (b"# only a comment\n", "empty", 1, 1),
        (b"- a\n- b\n", "not-a-mapping", 1, 1),
        (b"company: A\ncompany: B\n", "duplicate-key", 2, 1),
        (b"cards:\n  - id: a\n    id: b\n", "duplicate-key", 3, 5),
        (b"company: A\n\tslug: a\n", "yaml-syntax", 2, 1),
        (b"company: [unclosed\n", "yaml-syntax", 2, 1),
        (b"\xef\xbb\xbfcompany: A\n", "encoding", 1, 1),
        (b"company: A\nslug: \xff\n", "encoding", 2, 7),
        (b"company: !!python/object:os.system x\n", "yaml-syntax", 1, 10),
    ],
    ids=["empty", "comment-only", "list", "dup-top", "dup-card", "tab", "unclosed", "bom",
         "not-utf8", "python-tag"],
)
def test_malformed_files_get_one_positioned_problem(tmp_path: Path, raw: bytes, code: str,
                                                    line: int, column: int) -> None:
    path = tmp_path / "deck.yaml"
    path.write_bytes(raw)
    got = problem_of(path)
    assert got[:3] == (code, line, column), got


def test_billion_laughs_fails_fast() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    with pytest.raises(InvalidInput) as info:
        load_text(Path("bomb.yaml"), "\n".join(lines) + "\n")
    assert info.value.problems[0].code == "too-many-aliases"


def test_wide_alias_fan_out_hits_the_node_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("deck2anki.load.parse.MAX_ALIASES", 10**9)
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    with pytest.raises(InvalidInput) as info:
        load_text(Path("bomb.yaml"), "\n".join(lines) + "\n")
    assert info.value.problems[0].code == "too-large"


@pytest.mark.parametrize("text", [
    "a: " + "[" * 5000 + "]" * 5000 + "\n",  # past libyaml's own limit (1,000 from 0.2.6)
    "a: " + "[" * 40 + "]" * 40 + "\n",  # past ours only
    "".join("  " * i + f"k{i}:\n" for i in range(1200)) + "  " * 1200 + "v: 1\n",
    "a: " + "[" * 5000 + "\n",  # never closed: still the nesting, not the syntax
], ids=["flow-5000", "flow-40", "block-1200", "flow-unclosed"])
def test_deep_nesting_is_our_positioned_problem_whatever_the_parser(text: str) -> None:
    """The message and position are ours, not the wording of a libyaml release."""
    with pytest.raises(InvalidInput) as info:
        load_text(Path("deep.yaml"), text)
    [problem] = info.value.problems
    assert problem.code == "too-deep"
    assert problem.message == "nesting deeper than 32 levels; a deck needs only a few"
    assert problem.position.line <= 34


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        load_text(Path("loop.yaml"), "a: &x [*x]\n")
    assert info.value.problems[0].code in {"too-deep", "too-large", "yaml-syntax"}


def test_positions_are_one_based_and_point_at_keys() -> None:
    loaded = load_text(Path("d.yaml"), "company: A\ncards:\n  - id: x\n    kind: fact\n")
    assert loaded.position(("cards", 0, "kind")) == Position(4, 11)
    assert loaded.position(("cards", 0, "kind"), key=True) == Position(4, 5)
    # A path that does not exist resolves to its deepest existing parent.
    assert loaded.position(("cards", 0, "missing")) == Position(3, 5)


def test_oversized_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("deck2anki.load.parse.MAX_FILE_BYTES", 10)
    path = tmp_path / "big.yaml"
    path.write_text("company: a very long name\n", encoding="utf-8")
    assert problem_of(path)[0] == "too-large"


def test_deep_block_nesting_is_refused_even_on_a_small_stack(tmp_path: Path) -> None:
    """libyaml composes recursively in C; the composer gets its own large stack, so a
    nesting the cheap bound lets through cannot crash a caller with a small one."""
    import subprocess
    import sys

    lines = []
    for level in range(995):
        lines += ["  " * level + "a:", "  " * level + "- "]
    deep = tmp_path / "deep.yaml"
    deep.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = f"from deck2anki.cli import main; main(['validate', '--no-cache', {str(deep)!r}])"
    run = subprocess.run(["bash", "-c", f"ulimit -s 512 && {sys.executable} -c \"{code}\""],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 1, (run.returncode, run.stderr[-500:])
    assert ": too-deep: " in run.stdout


def test_the_byte_scan_for_forbidden_characters_misses_none() -> None:
    """Every code point, alone and among text: the fast scan calls a text clean only if
    the reference regex finds nothing in it (it may leave doubtful ones to the regex)."""
    from deck2anki.load.parse import _FORBIDDEN, _clean

    missed = [hex(cp) for cp in range(0x110000) for text in (chr(cp), f"ab{chr(cp)}cd")
              if _clean(text) and _FORBIDDEN.search(text)]
    assert missed == []
    assert _clean("company: Café — Zoom\n") and not _clean("a\x1fb")


def test_only_bidirectional_controls_that_reorder_are_refused(tmp_path: Path) -> None:
    from deck2anki.engine import load_deck
    from deck2anki.load.limits import BIDI, CONTROL, may_reorder
    from deck2anki.problems import printable

    # The fast look finds what the regex finds, for every code point.
    assert [cp for cp in range(0x110000) for text in (chr(cp), f"ab{chr(cp)}\u00e9")
            if may_reorder(text) != bool(BIDI.search(text))] == []
    assert all(CONTROL.search(chr(cp)) for cp in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
    # Right-to-left text needs its marks (U+200F, U+200E): they reorder nothing.
    hostile = Path(__file__).parent / "hostile" / "bidi-override.yaml"
    deck = hostile.read_text(encoding="utf-8")
    marks = tmp_path / "marks.yaml"
    marks.write_text(deck.replace("\u202enot\u202c", "\u200f\u05dc\u05d0\u200e"),
                     encoding="utf-8")
    assert [p.code for p in load_deck(marks)[2]] == []
    # A message quoting such a character cannot reorder the terminal's line either.
    assert printable("id 'a\u202eb'") == "id 'a\\u202eb'"


def test_every_problem_that_stops_a_file_is_reported_in_order(tmp_path: Path) -> None:
    # Found by a hostile-input trial: only the last control character was reported, and
    # a duplicate key before it not at all.
    text = ('company: "Acme\\x1f"\nslug: acme\nslug: acme\nsources:\n  a: {title: "T\\x01"}\n'
            "cards:\n  - id: r\n    kind: round\n    source: a\n    number: 010\n")
    with pytest.raises(InvalidInput) as info:
        load_text(tmp_path / "d.yaml", text)
    assert [(p.code, p.position.line) for p in info.value.problems] == [
        ("bad-character", 1), ("duplicate-key", 3), ("bad-character", 5),
        ("number-spelling", 10)]
