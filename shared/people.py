"""How personal data is keyed and forgotten.

Every item that holds something about a person carries `gsi3pk = "PERSON#<pseudonym>"` and
`gsi3sk = "<KIND>#<id>"` (one Query finds all of it for erasure), lists any S3 objects it owns
in `files`, and has a `ttl` at the retention horizon so the table forgets on its own.
"""

from __future__ import annotations

from typing import Any

from shared.calendar import EventCalendar
from shared.config import BaseConfig
from shared.pseudonym import pseudonym
from shared.secret import server_secret


def person_id(config: BaseConfig, email: str) -> str:
    """The keyed pseudonym of a normalised email (the API's `entrant_id`)."""
    return pseudonym(server_secret(config.table_name), email)


def person_keys(person: str, kind: str, item_id: str) -> dict[str, Any]:
    return {"gsi3pk": f"PERSON#{person}", "gsi3sk": f"{kind}#{item_id}"}


def retention_ttl(config: BaseConfig) -> int:
    calendar = EventCalendar(config.event_start, config.event_end, config.event_tz)
    return calendar.retention_until(config.retention_days)


def calendar_of(config: BaseConfig) -> EventCalendar:
    return EventCalendar(config.event_start, config.event_end, config.event_tz)
