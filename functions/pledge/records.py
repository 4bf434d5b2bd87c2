"""The pledge domain's stored records, as the logic sees them: no keys, no index attributes.

`functions/pledge/store.py` (the repository) alone turns them into DynamoDB items and back, with
the key layouts of `shared/pledges.py`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from functions.pledge.models import MessageStatus, Role


class PledgeRecord(BaseModel):
    """A confirmed pledge: no email (the person is a pseudonym), on the wall only if chosen."""

    model_config = ConfigDict(frozen=True)

    person: str
    pledge_id: str
    name: str
    role: Role
    organisation: str
    show_on_wall: bool
    created_at: str
    confirmed_at: str
    ttl: int
    # The edition whose live numbers count it (set once, when first confirmed).
    edition: str | None = None


class MessageRecord(BaseModel):
    """A message to government, from pending to approved (published) or rejected."""

    model_config = ConfigDict(frozen=True)

    message_id: str
    message: str
    name: str | None = None
    role: Role | None = None
    status: MessageStatus = "pending"
    created_at: str
    ttl: int | None = None
    reason: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    edition: str | None = None
