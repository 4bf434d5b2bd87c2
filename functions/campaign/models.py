"""Request and response shapes of the campaign API (free event packs)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from functions.campaign.postcode import normalise_postcode
from shared.types import Email, bounded

School = Annotated[str, bounded(120)]
ContactName = Annotated[str, bounded(80)]
AddressLine = Annotated[str, bounded(120)]
Town = Annotated[str, bounded(80)]
Postcode = Annotated[
    str,
    Field(
        max_length=16,
        description="A UK postcode (also GIR 0AA and BFPO numbers), in any "
        "case and spacing; stored as e.g. SW1A 1AA",
    ),
    AfterValidator(normalise_postcode),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PackIn(_In):
    school: School
    contact_name: ContactName
    email: Email
    address_line1: AddressLine
    address_line2: Annotated[str, bounded(120, min_length=0)] | None = None
    town: Town
    postcode: Postcode
    consent: Literal[True] = Field(
        description="Must be true: agrees that the address is kept to post the pack, and "
        "forgotten with the event's other personal data"
    )


class PackRequested(BaseModel):
    status: Literal["requested", "already_requested"] = Field(
        description="requested: a new pack (202); already_requested: this school (same name "
        "and postcode) has one already, nothing changed (200)"
    )


class Availability(BaseModel):
    open: bool = Field(
        description="Whether a pack can be requested now: inside the request "
        "dates, and stock is left"
    )
    remaining: int = Field(ge=0, description="Packs still to promise")


class AdminPack(BaseModel):
    pack_id: str
    school: str
    contact_name: str
    email: str
    address_line1: str
    address_line2: str | None
    town: str
    postcode: str
    requested_at: str
    dispatched_at: str | None
