"""Write a CSV Anki imports with no manual mapping: its header lines say everything."""

from __future__ import annotations

import csv
import io
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
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_START):
                raise UnsafeCsvCell(f"CSV cell would start a spreadsheet formula: {cell[:30]!r}")
    out = io.StringIO()
    out.write("\n".join(CSV_HEADER) + "\n")
    # Every cell quoted: Anki reads an unquoted first cell starting with '#' as a header.
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
