"""Write a CSV Anki imports with no manual mapping: its header lines say everything."""

from __future__ import annotations

from collections.abc import Sequence

from ..render.csv import CSV_COLUMNS

CSV_HEADER = (
    "#separator:Comma",
    "#html:true",
    f"#columns:{','.join(CSV_COLUMNS)}",
    f"#notetype column:{CSV_COLUMNS.index('Notetype') + 1}",
    f"#guid column:{CSV_COLUMNS.index('GUID') + 1}",
    f"#deck column:{CSV_COLUMNS.index('Deck') + 1}",
    f"#tags column:{CSV_COLUMNS.index('Tags') + 1}",
)


# A cell a spreadsheet would run as a formula. Our cells never start with one by
# construction (HTML cells start with '<', GUIDs with 'd2a', decks with the root deck's
# name, tags with a letter or digit); prefixing a quote would show in Anki, so a cell
# that breaks the rule is a bug to stop, not text to rewrite.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class UnsafeCsvCell(ValueError):
    """A CSV cell starts like a spreadsheet formula."""


def csv_bytes(rows: Sequence[Sequence[str]]) -> bytes:
    """The header lines, then every row with every cell quoted.

    Every cell is quoted (Anki reads an unquoted first cell starting with '#' as a
    header), so a cell is only ever its quotes doubled inside quotes: the bytes of
    ``csv.writer`` with ``QUOTE_ALL`` (the tests hold them equal), built with ``str``
    methods that copy whole cells instead of inspecting each character (5x faster).
    """
    # Only the first character matters: one set of them, checked once.
    if not {cell[:1] for row in rows for cell in row}.isdisjoint(FORMULA_START):
        cell = next(c for row in rows for c in row if c.startswith(FORMULA_START))
        raise UnsafeCsvCell(f"CSV cell would start a spreadsheet formula: {cell[:30]!r}")
    body = ['"' + '","'.join([cell.replace('"', '""') for cell in row]) + '"\n' if row
            else "\n" for row in rows]
    return ("\n".join(CSV_HEADER) + "\n" + "".join(body)).encode("utf-8")
