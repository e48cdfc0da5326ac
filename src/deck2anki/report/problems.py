"""Print problems for people (text), programs (json) and pull requests (github).

The GitHub format is workflow commands: GitHub turns each line into an annotation on
the pull request's changed line (``::error file=...,line=...,col=...::message``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..problems import Level, Problem

FORMATS = ("text", "json", "github")


def _github_escape(value: str, *, property_value: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def github(problem: Problem, level: Level) -> str:
    command = "error" if level is Level.ERROR else "warning"
    props = ",".join(f"{key}={_github_escape(str(value), property_value=True)}"
                     for key, value in (("file", problem.path),
                                        ("line", problem.position.line),
                                        ("col", problem.position.column),
                                        ("title", f"deck2anki {problem.code}")))
    return f"::{command} {props}::{_github_escape(problem.message)}"


def render(problems: Sequence[Problem], fmt: str, *, strict: bool = False) -> list[str]:
    """One output line per problem (json: one document), warnings raised under strict."""

    def level(problem: Problem) -> Level:
        return Level.ERROR if strict else problem.level

    if fmt == "json":
        return [json.dumps([{"path": str(p.path), "line": p.position.line,
                             "column": p.position.column, "level": level(p).value,
                             "code": p.code, "message": p.message} for p in problems],
                           indent=2)]
    if fmt == "github":
        return [github(p, level(p)) for p in problems]
    return [Problem(p.path, p.position, p.message, p.code, level(p)).format() for p in problems]
