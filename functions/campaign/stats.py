"""Editions and their live numbers (GET /editions, GET /stats): reads of `shared.editions`.

Plain functions over the table adapter. The counters are kept by the transactions that change
what they count (moderation, reports, pledges, messages, erasure); this only reads them.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from shared import editions
from shared.dynamo import Table


class Edition(BaseModel):
    edition: str
    start: date | None
    end: date | None
    current: bool


class EditionList(BaseModel):
    items: list[Edition]


class Stats(BaseModel):
    edition: str
    photos: int
    schools: int
    pledges: int
    messages: int


def list_editions(table: Table, *, current: str, start: date, end: date) -> EditionList:
    """Every edition with data (one Query), and the configured one, newest first. The current
    edition's window is the configuration's; an earlier one's, the draw days it recorded."""
    found: dict[str, Edition] = {}
    for item in editions.editions(table):
        name = str(item["edition"])
        found[name] = Edition(
            edition=name, start=item.get("start"), end=item.get("end"), current=False
        )
    found[current] = Edition(edition=current, start=start, end=end, current=True)
    return EditionList(items=[found[name] for name in sorted(found, reverse=True)])


def stats(table: Table, edition: str) -> Stats:
    """An edition's numbers in one read (zeros for an edition without any yet)."""
    return Stats(edition=edition, **editions.stats(table, edition))
