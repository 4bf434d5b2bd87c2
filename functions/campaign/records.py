"""The pack request as stored, as the logic sees it: no keys, no index attributes.

`functions/campaign/store.py` (the repository) alone turns it into a DynamoDB item and back.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PackRecord(BaseModel):
    """One school's request in one edition: private (never on a public list), forgotten with the
    event's personal data."""

    model_config = ConfigDict(frozen=True)

    pack_id: str
    edition: str
    person: str
    school: str
    contact_name: str
    email: str
    address_line1: str
    address_line2: str | None = None
    town: str
    postcode: str
    requested_at: str
    ttl: int
    dispatched_at: str | None = None
    dispatched_by: str | None = None
