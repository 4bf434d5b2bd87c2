"""CSV that a spreadsheet opens as text: the exports organisers hand on (sign-ups, packs,
messages to government) all go through `neutralise`, so a typed "=HYPERLINK(...)" stays text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> str:
    """A cell a spreadsheet will not run: formula-like text gets a leading apostrophe."""
    value = "" if cell is None else str(cell)
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """A header row and one neutralised row per mapping, with CRLF line ends (RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralise(row.get(column)) for column in columns])
    return out.getvalue()
