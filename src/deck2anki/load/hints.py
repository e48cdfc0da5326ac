"""PyYAML's parser vocabulary, translated into what a contributor should do.

Only the wording of the hint depends on the parser's message: the code, the position and
the exit status never do, so a parser release that rewords an error costs a hint, never
a behaviour (such a message falls back to the parser's own words).
"""

from __future__ import annotations

import yaml

_YAML_HINTS = (
    ("'\\t'", "tab character where YAML expects indentation; indent with spaces"),
    ("tab character", "tab character where YAML expects indentation; indent with spaces"),
    ("expected a single document", "a second YAML document ('---'); keep one deck per file "
     "and remove the '---' line"),
    ("mapping values are not allowed", "a ': ' inside unquoted text; put the whole text in "
     "quotes"),
    ("expected <block end>", "this line's indentation does not match the lines above; "
     "align it with its siblings (spaces only)"),
    ("could not find expected ':'", "a key without ':', or an unclosed quote above; check "
     "this line and the one before"),
    ("found unexpected end of stream", "a quote or bracket is never closed; close it"),
    ("constructor for the tag", "YAML tags (!!python/..., !name) are not allowed; remove "
     "the tag"),
    ("found undefined alias", "an alias (*name) with no matching anchor (&name); write the "
     "value out"),
    ("cannot start any token", "a character such as '@', '`' or '%' cannot start plain "
     "YAML text; put the text in quotes"),
)


def yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = f"{exc.context or ''} {exc.problem or ''}"
    for needle, hint in _YAML_HINTS:
        if needle in problem:
            return hint
    return f"YAML syntax error: {problem.strip()}; check quoting and indentation here"
