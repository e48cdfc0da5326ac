"""Who a note is, in every learner's collection: GUIDs, stamp keys and deck ids.

Identity is data derived from names a person chose (a company's slug, a card's id), never
from text or position, so cards can be reworded and reordered freely. Every format that
names a note or note type lives here and nowhere else: the stamps file, the diff, the
git guard, the card's visible id and the packages all agree because they all ask here.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

# Anki's GUID alphabet (base91), in the order genanki's guid_for uses it.
_BASE91 = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
           "!#$%&()*+,-./:;<=>?@[]^_`{|}~")


def card_key(slug: str, card_id: str) -> str:
    """A card's identity across companies, as stamps.json, diffs and cards name it."""
    return f"{slug}/{card_id}"


def split_key(key: str) -> tuple[str, str]:
    """The slug and card id of a :func:`card_key` (the id is empty for a bare slug)."""
    slug, _, card_id = key.partition("/")
    return slug, card_id


# Our note types' ids: learners' collections know them by these, so they never change.
BASIC_NOTETYPE_ID = 1434908760
CLOZE_NOTETYPE_ID = 1841641272

# The stamps file names note types as if they were the cards of a company of this slug.
NOTETYPE_SLUG = "notetype"


def notetype_key(key: str) -> str:
    """The stamps file's key of note type ``key`` (``basic``, ``cloze``)."""
    return card_key(NOTETYPE_SLUG, key)


def kept_notetype_key(slug: str, key: str) -> str:
    """The stamps file's key of note type ``key`` that company ``slug`` keeps from Anki."""
    return notetype_key(f"{slug}.{key}")


def note_guid(slug: str, card_id: str) -> str:
    """The GUID of a card's note: the value genanki's ``guid_for("deck2anki", slug, id)``
    gives, which every release so far shipped (a test pins the two equal).

    Computed here rather than by genanki so that identity has one home and checking a
    deck never imports the package writer.
    """
    digest = hashlib.sha256("__".join(("deck2anki", slug, card_id)).encode("utf-8")).digest()
    return _base91(int.from_bytes(digest[:8], "big"))


def _base91(number: int) -> str:
    """``number`` in base 91, most significant digit first, no leading zero ("" for 0)."""
    # Two digits per step (a 64-bit number has at most ten): half the divisions.
    pairs = _base91_pairs()
    letters: list[str] = []
    while number > 0:
        number, pair = divmod(number, len(pairs))
        letters.append(pairs[pair])
    if letters and letters[-1][0] == _BASE91[0]:
        letters[-1] = letters[-1][1]  # the leading pair's leading zero
    return "".join(reversed(letters))


@functools.cache
def _base91_pairs() -> tuple[str, ...]:
    return tuple(high + low for high in _BASE91 for low in _BASE91)


def csv_guid(slug: str, card_id: str, ordinal: int = 0) -> str:
    # Distinct from the .apkg GUIDs: the same GUID under another note type is a conflict.
    # Letters and digits only (base91 can start with '=', '+', '-' or '@', which a
    # spreadsheet would run as a formula).
    digest = hashlib.sha256(f"deck2anki-csv\x1f{slug}\x1f{card_id}\x1f{ordinal}".encode())
    return "d2a" + digest.hexdigest()[:20]


# What Anki changes in a deck's name (it removes or replaces them): a deck named with one
# is not the deck its notes say, and each CSV row may land in a deck of its own.
_UNFIT_IN_NAMES = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def unfit_deck_name(company: str) -> str | None:
    """Why Anki would not keep the deck named after ``company`` as it is written."""
    if "::" in company:
        return "'::' in a company name would make a sub-deck in Anki; write the name without it"
    if _UNFIT_IN_NAMES.search(company) or company != company.strip():
        return ("the company name names the Anki deck, which Anki keeps without line "
                "breaks, tabs or spaces at either end (it would file the cards apart); "
                "write it on one line, without them")
    return None


def deck_key(deck_name: str) -> str:
    """The name as Anki tells decks apart: case, Unicode normalization (NFC/NFD) and the
    spaces around each ``::`` part make no difference to it (spaces within a part do)."""
    parts = (part.strip() for part in deck_name.split("::"))
    return unicodedata.normalize("NFC", "::".join(parts)).casefold()


def deck_id(deck_name: str) -> int:
    # Anki matches decks by name and assigns its own id; a stable id keeps bytes stable.
    digest = hashlib.sha256(f"deck2anki deck {deck_name}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)
