"""Request and response shapes of the prize draw API (field names fixed by API.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.types import Day, bounded


class DrawRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: Day
    force: bool = Field(
        default=False, description="Draw even if photos of that day still await moderation"
    )


Reason = Annotated[str, bounded(500)]


# The same request again within minutes is taken for a retry (of an answer lost or a 503) and
# answered with the record as it stands (`logic.redraw`): the route's body has no idempotency key.
class RedrawRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    position: int = Field(ge=1, le=1000)
    reason: Reason


PrizeTitle = Annotated[str, bounded(120)]
Sponsor = Annotated[str, bounded(80)]
PrizeDescription = Annotated[str, bounded(500, multiline=True)]


class PrizeRequest(BaseModel):
    """What an organiser names before the day is drawn (frozen by the draw)."""

    model_config = ConfigDict(extra="forbid")

    title: PrizeTitle
    sponsor: Sponsor | None = None
    description: PrizeDescription | None = None


class Prize(BaseModel):
    title: str
    sponsor: str | None
    description: str | None


class PublicWinner(BaseModel):
    position: int
    # null once the winner's data is erased: the win stays public, the person does not.
    display_name: str | None
    school: str | None
    photo_id: str | None


class Winner(PublicWinner):
    entrant_id: str


class Redraw(BaseModel):
    position: int
    replaced_entrant_id: str
    reason: str
    at: str


class DrawSummary(BaseModel):
    day: str
    status: Literal["open", "drawn"]
    commitment: str = Field(description="sha256(seed), hex: public before the day's first entry")
    winners: list[PublicWinner]
    prize: Prize | None = Field(description="the day's prize, as named by the organisers")


class DrawList(BaseModel):
    items: list[DrawSummary]


class DrawRecord(BaseModel):
    """The audit record: everything needed to recompute the result (see `sha256-mod-v1`).

    While a day is open, `seed`, `entrants_hash`, `entrant_count`, `drawn_at` and `trigger` are
    null (the entrant list is still growing; `GET /draws/{day}/entrants` shows it as it stands).
    """

    day: str
    status: Literal["open", "drawn"]
    algorithm: Literal["sha256-mod-v1"] = "sha256-mod-v1"
    commitment: str
    seed: str | None = Field(description="hex; null until drawn")
    entrants_hash: str | None
    entrant_count: int | None
    winners: list[Winner]
    redraws: list[Redraw]
    drawn_at: str | None
    trigger: Literal["schedule", "organiser"] | None
    pending_at_draw: int | None = Field(
        default=None, description="photos of the day still awaiting moderation when drawn"
    )
    prize: Prize | None = Field(
        default=None, description="the day's prize: editable while open, frozen by the draw"
    )


class Entrants(BaseModel):
    entrants: list[str] = Field(description="entrant ids, sorted ascending")
