"""Print problems for people (text), programs (json) and pull requests (github, sarif).

Each format is one reporter in ``REPORTERS``: a function from the problems (their
levels already final) to the output lines. The GitHub format is workflow commands:
GitHub turns each line into an annotation on the pull request's changed line
(``::error file=...,line=...,col=...::message``). SARIF 2.1.0 is what GitHub code
scanning (``github/codeql-action/upload-sarif``) and other static-analysis viewers
read: one run, each code a rule with its summary, each problem a result at its line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..problems import Level, Problem

if TYPE_CHECKING:  # the rules' texts: only for a SARIF log
    from .. import rules as registry

Reporter = Callable[[Sequence[Problem]], list[str]]


def _github_escape(value: str, *, property_value: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def github(problem: Problem) -> str:
    command = "error" if problem.level is Level.ERROR else "warning"
    props = ",".join(f"{key}={_github_escape(str(value), property_value=True)}"
                     for key, value in (("file", problem.path),
                                        ("line", problem.position.line),
                                        ("col", problem.position.column),
                                        ("title", f"deck2anki {problem.code}")))
    return f"::{command} {props}::{_github_escape(problem.message)}"


def _text(problems: Sequence[Problem]) -> list[str]:
    return [p.format() for p in problems]


def _json(problems: Sequence[Problem]) -> list[str]:
    return [json.dumps([{"path": str(p.path), "line": p.position.line,
                         "column": p.position.column, "level": p.level.value,
                         "code": p.code, "message": p.message} for p in problems], indent=2)]


def _github(problems: Sequence[Problem]) -> list[str]:
    return [github(p) for p in problems]


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path: Path) -> str:
    """A path as SARIF wants it: relative to the repository's root (the nearest folder
    above with a .git), forward slashes; code scanning matches it against the
    repository's files, wherever the command ran."""
    full = path.resolve()
    root = next((folder for folder in full.parents if (folder / ".git").exists()), None)
    try:
        return Path(os.path.relpath(full, root or Path.cwd())).as_posix()
    except ValueError:  # another drive, on Windows: keep it absolute
        return full.as_uri()


def _help_markdown(rule: registry.Rule) -> str:
    import textwrap

    block = "```yaml\n{}\n```" if rule.example != "prose" else "{}"
    bad, good = (textwrap.dedent(text).strip("\n") for text in (rule.bad, rule.good))
    return (f"{rule.summary}.\n\n**Fails:**\n\n{block.format(bad)}\n\n"
            f"**Passes:**\n\n{block.format(good)}\n")


def _sarif(problems: Sequence[Problem]) -> list[str]:
    from .. import rules as registry

    codes = sorted({p.code for p in problems})
    rules: list[dict[str, Any]] = []
    for code in codes:
        try:
            rule = registry.rule(code)
        except KeyError:  # every emitted code is registered (tested); stay safe anyway
            rules.append({"id": code})
            continue
        rules.append({"id": code, "name": code,
                      "shortDescription": {"text": rule.summary},
                      "help": {"text": f"{rule.summary}; `deck2anki rules {code}` shows "
                                       "a failing and a passing example",
                               "markdown": _help_markdown(rule)},
                      "defaultConfiguration": {"level": rule.level.value},
                      "properties": {"stage": rule.stage}})
    index = {code: i for i, code in enumerate(codes)}
    results = [{"ruleId": p.code, "ruleIndex": index[p.code], "level": p.level.value,
                "message": {"text": p.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": _uri(p.path)},
                    "region": {"startLine": p.position.line,
                               "startColumn": p.position.column}}}]}
               for p in problems]
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "deck2anki", "version": __version__,
                                         "rules": rules}},
                     "columnKind": "unicodeCodePoints",
                     "results": results}]}
    return [json.dumps(log, indent=2, ensure_ascii=False)]


REPORTERS: dict[str, Reporter] = {"text": _text, "json": _json, "github": _github,
                                  "sarif": _sarif}
FORMATS = tuple(REPORTERS)


def render(problems: Sequence[Problem], fmt: str, *, strict: bool = False) -> list[str]:
    """One output line per problem (json: one document), warnings raised under strict."""
    if strict:
        problems = [replace(p, level=Level.ERROR) for p in problems]
    return REPORTERS[fmt](problems)
