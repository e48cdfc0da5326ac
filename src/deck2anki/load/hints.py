"""PyYAML's parser vocabulary, translated into what a contributor should do.

Only the wording of the hint depends on the parser's message: the code, the position and
the exit status never do, so a parser release that rewords an error costs a hint, never
a behaviour (such a message falls back to the parser's own words).
"""

from __future__ import annotations

import re

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


def yaml_message(exc: yaml.MarkedYAMLError, text: str = "") -> str:
    problem = f"{exc.context or ''} {exc.problem or ''}"
    mark = exc.problem_mark or exc.context_mark
    if text and mark is not None and _tab_before(text.splitlines(), mark.line):
        return _YAML_HINTS[0][1]  # a tab in the indentation, however the parser put it
    if text and mark is not None and "'\\t'" not in problem and "tab" not in problem:
        indentation = _indentation(text.splitlines(), mark.line, problem)
        if indentation:
            return indentation
    for needle, hint in _YAML_HINTS:
        if needle in problem:
            return hint
    return f"YAML syntax error: {problem.strip()}; check quoting and indentation here"


# Parser complaints that, at a line indented unlike its neighbours, mean indentation.
_BLOCK_STRUCTURE = ("expected <block end>", "expected '-' indicator", "expected key",
                    "mapping values are not allowed", "could not find expected ':'")


def _indentation(lines: list[str], index: int, problem: str) -> str | None:
    """Say "indentation" when the parser's error comes from a line indented unlike the
    lines it belongs with (``index``: the 0-based line of the error)."""
    if not any(needle in problem for needle in _BLOCK_STRUCTURE) or index >= len(lines):
        return None
    indent = _indent_of(lines[index])
    above = _previous_content(lines, index)
    if above is None:
        return None
    if "mapping values are not allowed" in problem:
        # "key: text" then a deeper "other: ...": YAML reads on as more of the text.
        text, column = lines[above].strip(), _key_column(lines[above])
        key = lines[index].strip().split(":", 1)[0].removeprefix("- ")
        # Only a line that starts with a key (a word, no spaces) was meant as one; other
        # text with ': ' in it is wrapped text that needs quotes.
        if (indent > column and ":" in text and not text.endswith(":")
                and _KEY.fullmatch(key)):
            return (f"indentation: this line is indented deeper than line {above + 1} "
                    f"(column {column + 1}), so YAML reads it as more of that line's text; "
                    f"line it up with column {column + 1} (or, if it is more of that text, "
                    "put the whole text in quotes)")
        return None
    found = _aligned_with(lines, index, above)
    if found is None or found[1] == indent:
        return None
    line, column = found
    return (f"indentation: this line starts at column {indent + 1}, but the entry it "
            f"follows starts at column {column + 1} (line {line + 1}); indent it with "
            f"spaces to column {column + 1}")


def _aligned_with(lines: list[str], index: int, above: int) -> tuple[int, int] | None:
    """The line (0-based) and column the line at ``index`` should line up with: a list
    item ('- ') with the item before it; a key with the key on the line above, unless
    that line opens a block (then any deeper indentation is right)."""
    if lines[index].lstrip().startswith("- "):
        for i in range(index - 1, -1, -1):
            if is_content(lines[i]) and lines[i].lstrip().startswith("- "):
                return i, _indent_of(lines[i])
        return None
    if lines[above].rstrip().endswith(":"):
        return None
    return above, _key_column(lines[above])


def _key_column(line: str) -> int:
    """Where a line's key starts: after the '- ' of a list item's first key."""
    return _indent_of(line) + (2 if line.lstrip().startswith("- ") else 0)


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _tab_before(lines: list[str], index: int) -> bool:
    """Whether the error's line, or the content line before it, is indented with a tab."""
    near = [index] + ([p] if (p := _previous_content(lines, index)) is not None else [])
    return any(i < len(lines) and "\t" in lines[i][:len(lines[i]) - len(lines[i].lstrip())]
               for i in near)


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def is_content(line: str) -> bool:
    """Whether a YAML line holds something: not blank, not only a comment."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _previous_content(lines: list[str], index: int) -> int | None:
    return next((i for i in range(index - 1, -1, -1) if is_content(lines[i])), None)
