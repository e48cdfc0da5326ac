"""Print problems for people (text), programs (json) and pull requests (github).

Each format is one reporter in ``REPORTERS``: a function from the problems (their
levels already final) to the output lines. The GitHub format is workflow commands:
GitHub turns each line into an annotation on the pull request's changed line
(``::error file=...,line=...,col=...::message``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace

from ..problems import Level, Problem

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


REPORTERS: dict[str, Reporter] = {"text": _text, "json": _json, "github": _github}
FORMATS = tuple(REPORTERS)


def render(problems: Sequence[Problem], fmt: str, *, strict: bool = False) -> list[str]:
    """One output line per problem (json: one document), warnings raised under strict."""
    if strict:
        problems = [replace(p, level=Level.ERROR) for p in problems]
    return REPORTERS[fmt](problems)
