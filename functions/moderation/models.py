"""Request and response shapes of the organisers' photo routes (see API.md, Organisers)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from functions.moderation.emails import ReasonCode, preset_code
from shared.types import bounded

QueueStatus = Literal["pending_moderation", "reported", "approved", "rejected"]
REASON_CODES: tuple[str, ...] = get_args(ReasonCode)

# Trimmed, 1..500 characters (spelled out rather than via shared.types.text, for mypy).
# The organiser's words (emailed): line breaks kept, other control characters and bidi
# overrides refused as in every text field.
Reason = Annotated[str, bounded(500, multiline=True)]


class PhotoDecisionIn(BaseModel):
    """`reason` (free text) or `reason_code` (a preset) is required to reject.

    `GET /uploads/{photo_id}` is public to anyone holding the id, so it shows only the preset
    sentence of `reason_code` (or a general one); the organiser's free-text `reason` reaches the
    uploader by email only, and organisers in the queue and the audit trail.
    """

    model_config = ConfigDict(extra="ignore")

    decision: Literal["approve", "reject"]
    reason: Reason | None = Field(
        default=None,
        description=(
            "Why, in the organiser's words (required to reject unless reason_code is given). "
            "Emailed to the uploader, never shown publicly. A preset's code or its exact "
            "sentence counts as that preset."
        ),
    )
    reason_code: ReasonCode | None = Field(
        default=None,
        description=(
            "A preset reason: its kind sentence is the rejection reason GET /uploads/{photo_id} "
            "shows (a general sentence without one), and opens the uploader's email"
        ),
    )

    @model_validator(mode="after")
    def _reject_needs_reason(self) -> PhotoDecisionIn:
        preset = preset_code(self.reason) if self.reason is not None else None
        if preset is not None and self.reason_code in (None, preset):
            # A preset sent as the plain `reason` counts as that preset.
            self.reason_code, self.reason = preset, None
        if self.decision == "reject" and self.reason is None and self.reason_code is None:
            raise ValueError("a reason is required to reject")
        return self


class PrescreenLabel(BaseModel):
    name: str
    confidence: float


class PhotoPrescreen(BaseModel):
    status: Literal["ok", "flagged", "unavailable", "off"]
    flags: list[str] = Field(description="Human-readable: what an organiser should check")
    labels: list[PrescreenLabel] = []
    faces_under_18: int = 0


class PhotoReport(BaseModel):
    reason: str
    at: str | None = None


class AdminPhoto(BaseModel):
    """A photo as organisers see it: with the uploader's email and organiser-only image URLs."""

    photo_id: str
    status: str
    caption: str
    display_name: str
    school: str
    email: str
    day: str
    uploaded_at: str
    width: int | None = None
    height: int | None = None
    thumbnail_url: str | None = Field(
        default=None, description="Public if approved, else signed for 15 minutes"
    )
    image_url: str | None = Field(
        default=None, description="Public if approved, else signed for 15 minutes"
    )
    prescreen: PhotoPrescreen | None = None
    reports: list[PhotoReport] = []
    flagged_reports: int = Field(
        default=0,
        description="Reports since an organiser approved it after an earlier report: it stays "
        "public and is listed first among approved photos until someone decides again",
    )
    decided_by: str | None = None
    decided_at: str | None = None
    reason: str | None = Field(default=None, description="The latest decision's reason")


class PhotoAuditEntry(BaseModel):
    at: str
    actor: str = Field(description="Organiser username, or `system`")
    action: str
    detail: str


class PhotoAuditTrail(BaseModel):
    items: list[PhotoAuditEntry]
