"""The registry of problem codes (deck2anki.rules): complete, consistent, and true.

Complete: every code the source can emit is registered, and every registered code is
still emitted somewhere. True: each rule's failing example reports its code at its
level through ``validate --format json`` (the CLI's stable interface), and its passing
example reports nothing at all.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from deck2anki import rules
from deck2anki.cli import main
from deck2anki.problems import Level

from conftest import ROOT, SRC

PACKAGE = SRC / "deck2anki"
SCHEMA = ROOT / "schema" / "deck.schema.json"
RUNNABLE = [r for r in rules.RULES if r.example != "prose"]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(16)  # judged by its signature: enough for an image


def _json_array(result: Result) -> list[dict[str, Any]]:
    """The problems ``validate --format json`` printed (stderr may be mixed in)."""
    text = getattr(result, "stdout", None) or result.output
    start = re.search(r"^\[", text, re.MULTILINE)
    assert start, f"no JSON array in the output:\n{result.output}"
    found: list[dict[str, Any]] = json.JSONDecoder().raw_decode(text[start.start():])[0]
    return found


@pytest.fixture
def problems_of(write_deck):
    """Validate one deck text, alone in its folder beside EXAMPLE_IMAGE; its problems."""

    def check(text: str) -> list[dict[str, Any]]:
        path = write_deck("acme.yaml", text)
        image = path.parent / rules.EXAMPLE_IMAGE
        image.parent.mkdir(parents=True, exist_ok=True)
        image.write_bytes(PNG)
        result = CliRunner().invoke(main, ["validate", "--no-cache", "--format", "json",
                                           str(path)])
        assert result.exit_code in (0, 1), result.output
        return _json_array(result)

    return check


# ---------------------------------------------------------------- the examples are true


def test_base_deck_is_clean(problems_of) -> None:
    assert problems_of(rules.BASE_DECK) == []


@pytest.mark.parametrize("rule", RUNNABLE, ids=lambda r: r.code)
def test_bad_example_reports_its_code(rule: rules.Rule, problems_of) -> None:
    found = problems_of(rule.deck_file(good=False))
    levels = {p["level"] for p in found if p["code"] == rule.code}
    assert levels, f"{rule.code}: the bad example reported {[p['code'] for p in found]}"
    assert rule.level.value in levels, f"{rule.code}: reported as {levels}"


@pytest.mark.parametrize("rule", RUNNABLE, ids=lambda r: r.code)
def test_good_example_reports_nothing(rule: rules.Rule, problems_of) -> None:
    found = problems_of(rule.deck_file(good=True))
    assert found == [], f"{rule.code}: the good example reported {found}"


# ---------------------------------------------------------------- the registry is consistent


def test_codes_are_unique_and_well_formed() -> None:
    codes = [r.code for r in rules.RULES]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", code) for code in codes)


def test_rules_are_ordered_by_stage_then_code() -> None:
    keys = [(rules.STAGES.index(r.stage), r.code) for r in rules.RULES]
    assert keys == sorted(keys)


@pytest.mark.parametrize("rule", rules.RULES, ids=lambda r: r.code)
def test_rule_is_complete(rule: rules.Rule) -> None:
    assert isinstance(rule.level, Level)
    assert rule.stage in rules.STAGES
    assert rule.example in rules.EXAMPLES
    summary = rule.summary
    assert "\n" not in summary and summary == summary.strip()
    assert len(summary) <= 100, f"{len(summary)} characters: keep it to one short line"
    assert not summary.endswith("."), "summaries end without a period"
    # The summary is a cell of the README's Markdown table: syntax only inside `code`.
    assert not re.search(r"[*_<>\[\]\\|]", re.sub(r"`[^`]*`", "", summary)), summary
    assert rule.bad.strip() and rule.good.strip() and rule.bad != rule.good
    if rule.example == "card":
        for text in (rule.bad, rule.good):
            assert text.startswith("  - ") and all(
                line.startswith("  ") for line in text.splitlines() if line.strip())
    if rule.example == "prose":
        assert "\n" not in rule.bad and "\n" not in rule.good


def test_rule_lookup() -> None:
    assert rules.rule("duplicate-id").stage == "model"
    with pytest.raises(KeyError, match="no-such-code"):
        rules.rule("no-such-code")


def test_markdown_table_has_a_row_per_rule() -> None:
    lines = rules.markdown_table().splitlines()
    assert lines[0] == "| code | level | what it catches |"
    assert lines[1] == "| --- | --- | --- |"
    rows = lines[2:]
    assert [row.split(" | ")[0] for row in rows] == [f"| `{r.code}`" for r in rules.RULES]
    assert all(row.endswith(" |") and row.count(" | ") == 2 for row in rows)


def test_text_listing_shows_each_rule_with_examples() -> None:
    listing = rules.text_listing()
    for r in rules.RULES:
        assert f"{r.code} ({r.level.value}, {r.stage}): {r.summary}\n  bad:" in listing
    assert listing.count("\n  good:") == len(rules.RULES)


def test_rules_is_a_cheap_leaf() -> None:
    for path in sorted((PACKAGE / "rules").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 2:
                assert node.module == "problems", "a leaf imports only ..problems of the package"
            elif isinstance(node, ast.ImportFrom) and node.level:
                continue  # its own stage modules
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                    node.module or ""]
                assert all(n.split(".")[0] in sys.stdlib_module_names | {"__future__"}
                           for n in names), names
    heavy = {"yaml", "jsonschema", "jsonschema_rs", "markdown_it", "nh3", "genanki", "click"}
    code = ("import sys, deck2anki.rules; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {heavy!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(SRC)}, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------- the registry is complete

# Lowercase hyphenated string constants in the source that are not problem codes.
NOT_CODES = frozenset({
    "rev-parse", "ls-tree", "for-each-ref", "merge-base",  # git subcommands
    "x-codes",  # the schema's key that names codes
})
_CODE = re.compile(r"[a-z]+(?:-[a-z]+)*")


def _sources() -> list[Path]:
    own = Path(rules.__file__).resolve().parent
    return [p for p in sorted(PACKAGE.rglob("*.py")) if own not in p.resolve().parents]


def _x_codes(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        yield from node.get("x-codes", {}).values()
        for value in node.values():
            yield from _x_codes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _x_codes(value)


def _strings(node: ast.AST) -> Iterator[str]:
    """Every string constant in ``node`` (docstrings and f-string parts included)."""
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            yield child.value


def _code_slots(trees: list[ast.Module]) -> dict[str, int]:
    """Callables taking a problem code, and at which position: Problem's fourth field,
    and every function with a parameter named ``code`` (the loader's ``_fail``)."""
    slots = {"Problem": 3}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                names = [a.arg for a in node.args.posonlyargs + node.args.args]
                if "code" in names and names[0] not in ("self", "cls"):
                    slots[node.name] = names.index("code")
    return slots


def _values(expr: ast.expr) -> Iterator[str]:
    """The strings an expression in a code's place can be: a constant, or either branch
    of ``a if condition else b`` (never the condition's own strings)."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        yield expr.value
    elif isinstance(expr, ast.IfExp):
        yield from _values(expr.body)
        yield from _values(expr.orelse)


def _slot_codes(tree: ast.Module, slots: dict[str, int]) -> Iterator[str]:
    """Strings written where a code goes: a code argument, or ``code = ...``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in slots:
                if len(node.args) > slots[name]:
                    yield from _values(node.args[slots[name]])
                for keyword in node.keywords:
                    if keyword.arg == "code":
                        yield from _values(keyword.value)
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "code" for t in node.targets):
            yield from _values(node.value)


def candidate_codes(texts: list[str], schema: Any) -> set[str]:
    """Every code the source can report, as far as reading it can tell, and more: every
    hyphenated word written as a string of its own, and every string in a code's place.

    Its blind spot: a new one-word code written outside a code's place (as the markup
    gates' ``(code, message)`` pairs are). test_every_registered_code_is_emitted still
    catches the opposite, a registered code gone from the source."""
    trees = [ast.parse(text) for text in texts]
    slots = _code_slots(trees)
    found = set(_x_codes(schema))
    for tree in trees:
        found |= {s for s in _strings(tree) if "-" in s and _CODE.fullmatch(s)}
        found |= set(_slot_codes(tree, slots))
    return found


def _schema() -> Any:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def test_every_emitted_code_is_registered() -> None:
    texts = [p.read_text(encoding="utf-8") for p in _sources()]
    candidates = candidate_codes(texts, _schema())
    stale = sorted(NOT_CODES - candidates)
    assert not stale, f"NOT_CODES lists strings no longer in the source: {stale}"
    missing = candidates - NOT_CODES - {r.code for r in rules.RULES}
    assert not missing, (f"codes the source emits but deck2anki.rules does not register: "
                         f"{sorted(missing)} (add a Rule, or to NOT_CODES if not a code)")


def test_every_registered_code_is_emitted() -> None:
    constants = set(_x_codes(_schema()))
    for path in _sources():
        constants |= set(_strings(ast.parse(path.read_text(encoding="utf-8"))))
    dead = [r.code for r in rules.RULES if r.code not in constants]
    assert not dead, f"registered codes no source emits any more: {dead}"


def test_the_scan_finds_new_codes() -> None:
    """The completeness check can fail: a new code, hyphenated or not, is found."""
    source = '''
def _fail(path, position, message, code): ...
def check(p, pos):
    yield Problem(p, pos, "message", "brand-new")
    yield Problem(p, pos, "message", code="single" if p else "other")
    raise _fail(p, pos, "message", "lonely")
    found.append(("also-new", "a message"))
'''
    assert candidate_codes([source], {"x-codes": {"pattern": "from-schema"}}) == {
        "brand-new", "single", "other", "lonely", "also-new", "from-schema"}


# ---------------------------------------------------------------- its readers

def test_readme_table_is_the_registry() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- rules:begin -->\n(.*?)<!-- rules:end -->", readme, re.DOTALL)
    assert block, "README.md lost its <!-- rules:begin/end --> markers"
    assert block.group(1) == rules.markdown_table(), (
        "README's code table is out of date: paste `deck2anki rules --format markdown` "
        "between its rules:begin and rules:end markers")


def test_rules_command_prints_the_registry() -> None:
    every = CliRunner().invoke(main, ["rules"])
    assert every.exit_code == 0
    assert every.output == rules.text_listing()
    assert all(f"{r.code} ({r.level.value}, {r.stage})" in every.output for r in rules.RULES)
    one = CliRunner().invoke(main, ["rules", "duplicate-id"])
    assert one.exit_code == 0 and one.output.count(" (error, ") == 1
    assert "bad:" in one.output and "good:" in one.output
    table = CliRunner().invoke(main, ["rules", "--format", "markdown"])
    assert table.output == rules.markdown_table()
    unknown = CliRunner().invoke(main, ["rules", "no-such-code"])
    assert unknown.exit_code == 2 and "deck2anki rules" in unknown.output


def _all_problems(path: Path) -> list[Any]:
    from deck2anki.check.lints import lint
    from deck2anki.engine import load_deck

    _data, deck, problems = load_deck(path)
    return problems + (lint([deck]) if deck is not None else [])


@pytest.mark.parametrize("rule", [r for r in rules.RULES if r.example != "prose"],
                         ids=lambda r: r.code)
def test_every_problem_says_how_to_fix_it(rule: rules.Rule, tmp_path: Path) -> None:
    """`what is wrong; how to fix it`: every message of a failing example has its fix."""
    path = tmp_path / "acme.yaml"
    path.write_text(rule.deck_file(good=False), "utf-8")
    for problem in _all_problems(path):
        assert "; " in problem.message, f"{problem.code}: {problem.message}"


def test_every_hostile_file_problem_says_how_to_fix_it() -> None:
    corpus = Path(__file__).parent / "hostile"
    for path in sorted(corpus.glob("*.yaml")):
        if path.name == "EXPECTED.yaml":
            continue
        for problem in _all_problems(path):
            assert "; " in problem.message, f"{path.name}: {problem.code}: {problem.message}"
