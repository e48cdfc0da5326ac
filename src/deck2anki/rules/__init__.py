r"""Every problem code a user can see, in one registry.

Codes are emitted all over the package: by the loader (file and YAML problems), the
JSON Schema (its ``x-codes``) and its message hints, the model's semantic checks, the
markup gates, the lints, the release guard (``stamps.json`` and git history) and the
commands. This module only *describes* them: for each code, the level it is reported at
by default (``validate --strict`` raises warnings to errors), the stage that finds it,
one line on what it catches and why that matters, and a failing and a passing example.

One registry, several readers: ``deck2anki rules`` prints :func:`text_listing`, the
README's code table is :func:`markdown_table`, and ``tests/test_rules`` checks that
every code the source can emit is registered here (and every code here is emitted), and
that each example fails and passes as it says. A new code is not done until it has a
:class:`Rule` here.

A leaf module: the standard library and :mod:`deck2anki.problems` only, so listing the
rules never imports PyYAML or jsonschema.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from . import coverage, file, imported, lint, model, parsing, release, schema, text
from .base import BASE_DECK, EXAMPLE_IMAGE, EXAMPLES, STAGES, Rule

__all__ = ["BASE_DECK", "EXAMPLES", "EXAMPLE_IMAGE", "RULES", "STAGES", "Rule",
           "markdown_table", "rule", "text_listing"]

_RULES = (*file.RULES, *parsing.RULES, *schema.RULES, *model.RULES, *text.RULES,
          *lint.RULES, *release.RULES, *coverage.RULES, *imported.RULES)


def _order(rule: Rule) -> tuple[int, str]:
    return STAGES.index(rule.stage), rule.code


RULES: tuple[Rule, ...] = tuple(sorted(_RULES, key=_order))
_BY_CODE = {r.code: r for r in RULES}


def rule(code: str) -> Rule:
    """The rule of problem code ``code``; KeyError if deck2anki has no such code."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(f"no problem code {code!r}; `deck2anki rules` lists them all") from None


def markdown_table(selected: Sequence[Rule] = RULES) -> str:
    """The README's table of codes: one row per rule, in :data:`RULES` order."""
    rows = ["| code | level | what it catches |", "| --- | --- | --- |"]
    for r in selected:
        summary = r.summary.replace("|", "\\|")  # a pipe would end the cell
        rows.append(f"| `{r.code}` | {r.level.value} | {summary} |")
    return "\n".join(rows) + "\n"


def _example(label: str, text: str) -> str:
    if "\n" not in text:
        return f"  {label}: {text}"
    return f"  {label}:\n" + textwrap.indent(text, "    ")


def text_listing(selected: Sequence[Rule] = RULES) -> str:
    """What ``deck2anki rules`` prints: each rule, with its failing and passing example."""
    blocks = [f"{r.code} ({r.level.value}, {r.stage}): {r.summary}\n"
              f"{_example('bad', r.bad)}\n{_example('good', r.good)}" for r in selected]
    if any(r.example == "card" for r in selected):
        blocks.insert(0, "Card examples below are appended to a deck that already holds "
                         "one clean card (id round-count).")
    return "\n\n".join(blocks) + "\n"
