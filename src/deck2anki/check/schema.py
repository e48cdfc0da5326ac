"""Validate loaded deck data against ``schema/deck.schema.json``.

The JSON Schema is the single source of truth for the format. This module only finds
the schema (in a source checkout or an installed wheel), runs it, and turns each error
into a one-line, positioned :class:`~deck2anki.problems.Problem` with a fix hint.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model import TEXT_FIELDS
from ..problems import Problem

if TYPE_CHECKING:
    import jsonschema
    import jsonschema_rs
    from jsonschema.exceptions import ValidationError

    from ..load.positions import LoadedFile

SCHEMA_NAME = "deck.schema.json"


def schema_path() -> Path:
    """Where the schema lives: packaged inside the wheel, or ``schema/`` in a checkout."""
    package = Path(__file__).resolve().parents[1]  # deck2anki/, from deck2anki/check/
    for candidate in (package / "schema" / SCHEMA_NAME,  # an installed wheel
                      package.parents[1] / "schema" / SCHEMA_NAME):  # a source checkout
        if candidate.is_file():
            return candidate
    from importlib import resources  # other importers (a zip): slower to import

    # One step at a time: Traversable.joinpath takes a single segment before 3.11.
    packaged = resources.files("deck2anki").joinpath("schema").joinpath(SCHEMA_NAME)
    if packaged.is_file():
        return Path(str(packaged))
    raise FileNotFoundError(f"{SCHEMA_NAME} is neither packaged nor in a source checkout")


@functools.cache
def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_path().read_text(encoding="utf-8"))
    return schema


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema

    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@functools.cache
def _fast_validator() -> jsonschema_rs.Draft202012Validator:
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator(load_schema())


def warm_up() -> None:
    """Compile the fast validator now (before worker processes are forked)."""
    _fast_validator()


@dataclass(frozen=True)
class Damage:
    """What the schema's errors leave usable: the model still checks every other card,
    so one run reports every problem of a file."""

    cards: frozenset[int] = frozenset()  # indexes of cards the schema rejected
    whole: bool = False  # the deck's frame (its cards list, its sources) is unusable


def validate(loaded: LoadedFile) -> list[Problem]:
    """Every schema problem of one file, one per place, the most relevant first."""
    return check(loaded)[0]


def check(loaded: LoadedFile) -> tuple[list[Problem], Damage]:
    """Every schema problem of one file, and which parts of it they leave unusable.

    jsonschema-rs answers "valid?" in a fraction of the time; only a file it rejects goes
    through the reference validator, whose errors carry what our messages need. The
    reference has the last word, and tests check the two agree.
    """
    try:
        if _fast_validator().is_valid(loaded.data):
            return [], Damage()
    except (ValueError, TypeError, OverflowError):
        pass  # YAML gave something JSON has no type for (a date, a huge int): ask the reference
    try:
        return _reference_check(loaded)
    finally:
        _close.cache_clear()  # this file's keys: the next file has its own


def _reference_check(loaded: LoadedFile) -> tuple[list[Problem], Damage]:
    from jsonschema.exceptions import relevance

    errors = sorted(_validator().iter_errors(loaded.data), key=relevance)
    typos = {tuple(e.absolute_path) for e in errors if any(_guesses(e).values())}
    # "Not valid under any of the given schemas" says less than another error at its place.
    specific = {tuple(e.absolute_path) for e in errors if e.validator not in _CONSEQUENCES}
    problems: dict[tuple[Any, ...], Problem] = {}
    for error in errors:
        if error.validator in _CONSEQUENCES and tuple(error.absolute_path) in typos:
            continue  # a misspelt key is the cause: "did you mean ...?" says the fix
        if (error.validator in ("anyOf", "oneOf") and _code(error) == "schema"
                and tuple(error.absolute_path) in specific):
            continue
        for problem in _problems_for(loaded, error):
            # One message per place: several branches often fail on the same spot.
            problems.setdefault((problem.position, problem.message), problem)
    data = loaded.data
    whole = not (isinstance(data, dict) and isinstance(data.get("cards"), list)
                 and isinstance(data.get("sources"), dict)
                 and all(isinstance(key, str) for key in data["sources"]))
    cards = frozenset(e.absolute_path[1] for e in errors if len(e.absolute_path) > 1
                      and e.absolute_path[0] == "cards" and isinstance(e.absolute_path[1], int)
                      and not _leaves_card_usable(e))
    return sorted(problems.values()), Damage(cards, whole)


# What the model reads of every card, whatever the schema said: without these, or with
# them of the wrong type, a card cannot be looked at further.
_FRAME = frozenset({"id", "kind", "source", "number", "image", "tags", "steps", "retired"})


def _leaves_card_usable(error: ValidationError) -> bool:
    """Whether the model can still check the card this error is about: an unknown key
    the model never reads, a missing or extra text, a text's wording, an unknown kind.
    Then the card's other problems (a cloze typo, HTML, a repeated question) are
    reported in the same run."""
    path = list(error.absolute_path)
    if len(path) == 2 and error.validator == "additionalProperties":
        return not {str(k) for k in _guesses(error)} & _READ
    if len(path) == 2 and error.validator in ("oneOf", "dependentRequired"):
        return True
    if len(path) == 2 and error.validator == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        required = error.validator_value if isinstance(error.validator_value, list) else []
        missing = {str(r) for r in required if r not in instance}
        return not missing & _FRAME
    if len(path) == 3 and error.validator in ("pattern", "minLength"):
        return path[-1] in TEXT_FIELDS  # a text's wording: its type is right
    return len(path) == 3 and error.validator == "enum" and path[-1] == "kind"


# Every property the model reads of some kind of card: one where the schema did not
# expect it (steps on a fact) may hold anything.
_READ = _FRAME | frozenset(TEXT_FIELDS)


# Errors that follow from a misspelt key on the same object (a missing property, no
# shape matched): reported once the spelling is fixed, if they remain.
_CONSEQUENCES = frozenset({"required", "oneOf", "anyOf", "dependentRequired"})


def _problems_for(loaded: LoadedFile, error: ValidationError) -> Iterator[Problem]:
    path = list(error.absolute_path)
    where = _describe(path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        for extra, guess in _guesses(error).items():
            hint = f"did you mean {guess!r}?" if guess else f"allowed: {', '.join(allowed)}"
            yield Problem(loaded.path, loaded.position([*path, extra], key=True),
                          f"unknown property {extra!r} in {where}; {hint}", "unknown-property")
        return
    if error.validator == "required":
        missing = error.message.split(" is a ")[0]
        code = "no-source" if missing == "'source'" else "missing-property"
        yield Problem(loaded.path, loaded.position(path, key=True),
                      f"{where} is missing {missing}; add it", code)
        return
    code, hint = _hint(error)
    yield Problem(loaded.path, loaded.position(path, key=False), f"{where}: {hint}", code)


def _guesses(error: ValidationError) -> dict[Any, str | None]:
    """For an unknown-property error: each unknown key, with the allowed key it is
    likely a misspelling of (None if none is close)."""
    if error.validator != "additionalProperties":
        return {}
    schema = error.schema if isinstance(error.schema, dict) else {}
    allowed = tuple(sorted(schema.get("properties", {})))
    instance: dict[str, Any] = error.instance if isinstance(error.instance, dict) else {}
    extras = sorted(set(instance) - set(allowed), key=str)
    if len(extras) > _MAX_GUESSES:
        return dict.fromkeys(extras)  # no slip of the pen: the allowed keys say more
    return {extra: _close(str(extra), allowed) for extra in extras}


_MAX_GUESSES = 20  # unknown keys of one mapping worth a "did you mean"


# Asked several times of each error (several branches of the schema fail on one card),
# and difflib is slow: a card of thousands of unknown keys took seconds per asking.
@functools.cache
def _close(extra: str, allowed: tuple[str, ...]) -> str | None:
    return next(iter(difflib.get_close_matches(extra, allowed, n=1)), None)


def _describe(path: list[str | int]) -> str:
    if not path:
        return "the deck"
    if len(path) >= 2 and path[0] == "cards" and isinstance(path[1], int):
        rest = "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in path[2:])
        return f"card #{path[1] + 1}{rest}"
    return "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in path).lstrip(".")


def _code(error: ValidationError) -> str:
    """The problem code the schema itself names for this keyword (its ``x-codes``)."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    codes: dict[str, str] = schema.get("x-codes", {})
    return codes.get(str(error.validator), "schema")


def _hint(error: ValidationError) -> tuple[str, str]:
    """A problem code, and a message that says how to fix the value."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    code = _code(error)
    messages = {
        "empty-text": "text is blank; write something or remove the property",
        "cloze-without-deletion": "cloze text has no deletion; mark the hidden part as "
                                  "{{c1::...}}",
        "image-path": f"{error.instance!r} is not a usable image path; give a path relative "
                      "to the deck file's folder, without '..' (letters, digits, '.', '_', "
                      "'-', '/')",
        "tag-pattern": f"{error.instance!r} is not a valid tag; start with an ASCII letter "
                       "or digit, then ASCII letters, digits, '_' and '-', with '::' for "
                       "hierarchy, no spaces",
        "id-pattern": f"{error.instance!r} is not a valid identifier; use lowercase letters "
                      "and digits joined by single hyphens, e.g. 'round-4-system-design'",
        "guid-pattern": f"{error.instance!r} is not an Anki GUID (printable ASCII, no "
                        "spaces); keep the GUID `deck2anki import` wrote, or remove it",
        "too-long": f"longer than {schema.get('maxLength')} characters; shorten or split it",
        "reserved-slug": f"{error.instance!r} is reserved: stamps.json keys the note types "
                         "as notetype/...; pick another slug",
    }
    if code in messages:
        return code, messages[code]
    match error.validator:
        case "enum":
            return _enum_hint(error, schema)
        case "type":
            return "wrong-type", _type_hint(error, schema)
        case "oneOf" if isinstance(error.instance, dict):
            return ("fact-shape", "a fact card has either front and back, or cloze (with an "
                    "optional back), not both and not neither; keep one of the two forms")
        case "dependentRequired":
            return "bad-good-pair", ("a BAD-vs-GOOD pair needs both 'bad' and 'good'; add "
                                     "the missing one, or remove both")
        case "minItems":
            return "too-few", (f"needs at least {schema.get('minItems')} items; add items or "
                               "remove the list")
        case "minLength" | "minProperties":
            if list(error.absolute_path) == ["sources"]:
                return "empty", ("no source: name the article the cards come from, e.g. "
                                 "'article: {title: ..., file: ...}'")
            return "empty", "must not be empty; fill it in or remove it"
        case "uniqueItems":
            return "repeated-item", "lists the same item twice; remove the repeat"
        case "minimum" | "maximum":
            low, high = schema.get("minimum"), schema.get("maximum")
            return "out-of-range", (f"{error.instance!r} is out of range; write a number "
                                    f"from {low} to {high}")
    return code, error.message


def _enum_hint(error: ValidationError, schema: dict[str, Any]) -> tuple[str, str]:
    options = ", ".join(map(str, schema.get("enum", [])))
    if error.absolute_path and error.absolute_path[-1] == "kind":
        return "unknown-kind", f"{error.instance!r} is not a card kind; write one of: {options}"
    return "not-allowed", f"{error.instance!r} is not allowed here; write one of: {options}"


def _type_hint(error: ValidationError, schema: dict[str, Any]) -> str:
    expected = _TYPE_WORDS.get(str(schema.get("type")), str(schema.get("type")))
    found = _type_name(error.instance)
    fix = ""
    if schema.get("type") == "string" and not isinstance(error.instance, dict | list):
        fix = "; put the value in quotes to keep it as text"
    elif schema.get("type") == "array":
        fix = "; write each item on a '- ' line below it, or [] for none"
    elif schema.get("type") == "object":
        fix = "; write it as 'key: value' lines, indented below it"
    elif schema.get("type") in ("integer", "number"):
        fix = "; write a number, without quotes"
    elif schema.get("type") == "boolean":
        fix = "; write true or false, without quotes"
    return f"expected {expected}, found {found}{fix}"


_TYPE_WORDS = {"string": "text", "array": "a list", "object": "a mapping (key: value lines)",
               "integer": "a whole number", "boolean": "true or false", "number": "a number"}


def _type_name(value: object) -> str:
    names = {dict: "a mapping", list: "a list", str: "text", bool: "true/false",
             int: "a number", float: "a number", type(None): "nothing (an empty value)"}
    if type(value).__name__ in ("date", "datetime"):
        return "a date"
    return names.get(type(value), type(value).__name__)
