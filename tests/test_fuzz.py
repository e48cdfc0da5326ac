"""Property-based fuzzing: whatever bytes arrive, validate and build answer 0 or 1.

Never a traceback, never more than a bounded time and memory, and a failed build leaves
the output folder exactly as it was. Runs are derandomised so CI is repeatable; set
``DECK2ANKI_FUZZ_EXAMPLES`` (default 150 per test) to search harder.
"""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deck2anki.cli import main
from deck2anki.load.parse import load_file

from conftest import DECKS, MINIMAL

EXAMPLES = int(os.environ.get("DECK2ANKI_FUZZ_EXAMPLES", "150"))
REPEATABLE = os.environ.get("DECK2ANKI_FUZZ_RANDOM") is None
FUZZ = settings(max_examples=EXAMPLES, deadline=10_000, derandomize=REPEATABLE, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
SEED_TEXTS = [MINIMAL, *(p.read_text("utf-8")[:6000] for p in sorted(DECKS.glob("*.yaml")))]
YAML_NOISE = [":", ": ", "- ", "  ", "\t", "\n", "{{", "}}", "{{c1::", "[", "]", "{", "}",
              "&a ", "*a", "!!python/object:os.system ", "'", '"', "#", "---\n", "? ", "|\n",
              ">-\n", "<script>", "\x00", "\ufeff", "id: first\n", "kind: round\n",
              "cards:\n", "  - ", "null", "~", "1e309", "0x1F", "2024-01-01", "\u202e"]

mutation = st.tuples(st.integers(0, 10_000), st.integers(0, 40),
                     st.one_of(st.sampled_from(YAML_NOISE), st.text(max_size=12)))


def _mutate(text: str, edits: list[tuple[int, int, str]]) -> str:
    for where, cut, insert in edits:
        where %= len(text) + 1
        text = text[:where] + insert + text[where + cut:]
    return text


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a crash: let hypothesis shrink it
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _check_build(tmp_path: Path, data: bytes) -> None:
    decks = tmp_path / "decks"
    decks.mkdir(exist_ok=True)
    (decks / "fuzz.yaml").write_bytes(data)
    code, _ = _run(["validate", str(decks / "fuzz.yaml")])
    assert code in (0, 1)
    dist = tmp_path / "dist"
    dist.mkdir(exist_ok=True)
    for old in dist.iterdir():
        old.unlink()
    (dist / "previous.apkg").write_bytes(b"last release")
    code, output = _run(["build", "-q", "--decks", str(decks), "--out", str(dist)])
    assert code in (0, 1), output
    names = sorted(p.name for p in dist.iterdir())
    if code == 1:
        assert names == ["previous.apkg"]
        assert (dist / "previous.apkg").read_bytes() == b"last release"
    else:  # a package and a CSV, unless the deck has no cards yet
        has_cards = bool(load_file(decks / "fuzz.yaml").data["cards"])
        assert len(names) == (3 if has_cards else 1) and "previous.apkg" in names


@FUZZ
@given(seed=st.sampled_from(SEED_TEXTS), edits=st.lists(mutation, min_size=1, max_size=6))
def test_mutated_decks_never_crash(tmp_path_factory, seed: str, edits) -> None:
    _check_build(tmp_path_factory.mktemp("fuzz"), _mutate(seed, edits).encode("utf-8"))


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_never_crash(tmp_path_factory, data: bytes) -> None:
    _check_build(tmp_path_factory.mktemp("bytes"), data)


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=30), st.sampled_from(["fact", "round", "article", "c1"]))
documents = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["company", "slug", "sources", "cards", "id", "kind",
                                     "source", "front", "back", "cloze", "number", "name",
                                     "title", "tags", "image", "file", "alt", "x"]),
                    inner, max_size=5)), max_leaves=25)


@FUZZ
@given(document=documents)
def test_random_documents_never_crash(tmp_path_factory, document) -> None:
    text = yaml.safe_dump(document, allow_unicode=True)
    _check_build(tmp_path_factory.mktemp("doc"), text.encode("utf-8"))


@settings(max_examples=40, deadline=20_000, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(depth=st.integers(5, 12), width=st.integers(2, 12))
def test_alias_bombs_stay_in_bounded_memory(tmp_path_factory, depth: int, width: int) -> None:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, depth)]
    folder = tmp_path_factory.mktemp("bomb")
    (folder / "bomb.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    tracemalloc.start()
    try:
        code, output = _run(["validate", str(folder / "bomb.yaml")])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 1, output  # small ones are merely not decks; big ones are refused early
    if width ** depth > 10**6:
        assert "too-many-aliases" in output or "too-large" in output
    assert peak < 64 * 1024 * 1024, peak
