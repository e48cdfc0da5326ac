"""Schema problems point at the line and column of the offending YAML."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from deck2anki.check import schema
from deck2anki.load.parse import load_text

from conftest import MINIMAL, ROOT


def problems(text: str) -> list[tuple[int, int, str]]:
    loaded = load_text(Path("d.yaml"), text)
    return [(p.position.line, p.position.column, p.message) for p in schema.validate(loaded)]


def test_the_schema_is_valid_2020_12_and_strict() -> None:
    document = json.loads((ROOT / "schema" / "deck.schema.json").read_text(encoding="utf-8"))
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["additionalProperties"] is False
    for name in ("fact", "round", "signal", "script", "source"):
        assert document["$defs"][name]["additionalProperties"] is False
    # Editors show descriptions: every property a contributor types has one.
    for name in ("fact", "round", "signal", "script"):
        for prop, sub in document["$defs"][name]["properties"].items():
            if sub is not True:
                assert "description" in sub, f"{name}.{prop}"


def test_minimal_deck_is_valid() -> None:
    assert problems(MINIMAL) == []


@pytest.mark.parametrize(
    ("replace", "by", "line", "column", "words"),
    [
        ("    back: The first answer.\n", "    back: The first answer.\n    colour: red\n",
         12, 5, "unknown property 'colour'"),
        ("    back: The first answer.\n", "", 7, 5, "either front and back, or cloze"),
        ("  - id: first\n", "  - id: First_One\n", 7, 9, "not a valid identifier"),
        ("    kind: fact\n", "    kind: trivia\n", 8, 11, "'trivia' is not a card kind"),
        ("    source: article\n", "", 7, 5, "missing 'source'"),
        ("    front: At Acme, what is first?\n", "    front: '   '\n", 10, 12, "blank"),
        ("slug: acme\n", "slug: 12\n", 2, 7,
         "expected text, found a number; put the value in quotes"),
        ("    back: The first answer.\n",
         "    back: The first answer.\n    tags: [has space]\n", 12, 12, "not a valid tag"),
    ],
    ids=["unknown-property", "fact-without-back", "bad-id", "unknown-kind", "missing-source",
         "blank-text", "wrong-type", "bad-tag"],
)
def test_schema_problem_positions(replace: str, by: str, line: int, column: int,
                                  words: str) -> None:
    assert replace in MINIMAL
    found = problems(MINIMAL.replace(replace, by))
    assert any((ln, col) == (line, column) and words in msg for ln, col, msg in found), found


def test_schema_is_found_when_installed_from_a_wheel(tmp_path: Path) -> None:
    """Install the wheel into another folder and validate from there."""
    wheel_dir = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheel_dir), str(ROOT)], check=True)
    target = tmp_path / "site"
    wheel = next(wheel_dir.glob("deck2anki-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True)
    code = ("import deck2anki.check.schema as s, pathlib; p = s.schema_path(); "
            "print(p); assert s.load_schema()['title']")
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, "
                          f"{str(target)!r}); {code}"], cwd=tmp_path, check=True,
                         capture_output=True, text=True).stdout
    assert Path(out.strip()).is_relative_to(target)
