"""Request and response shapes of the pledge API (pledges, sign-ups, messages to government)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.types import Email, ObjectId, bounded

Role = Literal["teacher", "school_leader", "technician", "other"]
ROLES: tuple[Role, ...] = ("teacher", "school_leader", "technician", "other")
MessageStatus = Literal["pending", "approved", "rejected"]

Name = Annotated[str, bounded(80)]
Organisation = Annotated[str, bounded(120)]
MessageText = Annotated[str, bounded(500, multiline=True)]  # a letter may have paragraphs
Reason = Annotated[str, bounded(500, multiline=True)]
# token_urlsafe(32) is 43 characters; leave room, refuse anything that could not be one.
Token = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,128}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


# -- pledges -----------------------------------------------------------------------------------
class PledgeIn(_In):
    name: Name
    email: Email
    role: Role
    organisation: Organisation
    show_on_wall: bool = Field(default=False, description="Show name, role and organisation")


class PledgeAccepted(BaseModel):
    status: Literal["confirmation_sent"] = "confirmation_sent"


class PledgeConfirmed(BaseModel):
    status: Literal["confirmed"] = "confirmed"
    pledge_id: str


class PledgeSummary(BaseModel):
    count: int
    by_role: dict[str, int]


class WallPledge(BaseModel):
    pledge_id: str
    name: str
    role: Role
    organisation: str
    created_at: str


# -- sign-ups ----------------------------------------------------------------------------------
class SignupIn(_In):
    email: Email
    name: Name
    role: Role | None = None
    organisation: Organisation | None = None
    consent: Literal[True] = Field(description="Must be true: agrees to receive campaign email")


class SignupAccepted(BaseModel):
    status: Literal["confirmation_sent"] = "confirmation_sent"


class TokenIn(_In):
    token: Token


class SignupState(BaseModel):
    status: Literal["confirmed", "unsubscribed"]


# -- messages to government --------------------------------------------------------------------
class MessageIn(_In):
    message: MessageText
    name: Name | None = None
    role: Role | None = None


class MessageAccepted(BaseModel):
    message_id: str
    status: Literal["pending"] = "pending"


class PublicMessage(BaseModel):
    message_id: str
    message: str
    name: str | None
    role: Role | None
    created_at: str


class AdminMessage(PublicMessage):
    status: MessageStatus
    reason: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None


class DecisionIn(_In):
    decision: Literal["approve", "reject"]
    reason: Reason | None = None


MessageId = ObjectId
