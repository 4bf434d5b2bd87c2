"""Shapes of people's data: the erasure request and its counts, and the SES feedback that SNS
delivers to the feedback queue (parsed once, at the edge, with Powertools' parser models)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.parser.models import SnsNotificationModel
from pydantic import BaseModel, ConfigDict, Field, Json

from shared.types import Email


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


# -- erasure -----------------------------------------------------------------------------------
class ErasureIn(_In):
    email: Email


class Erased(BaseModel):
    photos: int = Field(default=0, description="Photo records deleted")
    files: int = Field(default=0, description="Image files deleted from storage")
    pledges: int = Field(
        default=0,
        description="Confirmed pledges deleted (and uncounted); unconfirmed ones go "
        "with their links' tokens",
    )
    signups: int = Field(default=0, description="Mailing-list sign-ups deleted")
    messages: int = Field(default=0, description="Messages with this email deleted")
    draw_entries: int = Field(
        default=0, description="Draw entries deleted, or on drawn days reduced to their pseudonym"
    )
    rate_limits: int = Field(default=0, description="Rate-limit counters deleted")
    packs: int = Field(
        default=0, description="Event pack requests deleted (with their postal addresses)"
    )


class ErasureResult(BaseModel):
    erased: Erased


# -- SES feedback (SES -> SNS -> SQS) ----------------------------------------------------------
class SesRecipient(BaseModel):
    emailAddress: str


class SesBounce(BaseModel):
    bounceType: str | None = None  # Permanent | Transient | Undetermined
    bouncedRecipients: list[SesRecipient] = []


class SesComplaint(BaseModel):
    complainedRecipients: list[SesRecipient] = []


class SesNotification(BaseModel):
    """An SES notification: `notificationType` from identity notifications, `eventType` from a
    configuration set's event destination; only bounces and complaints matter here."""

    notificationType: str | None = None
    eventType: str | None = None
    bounce: SesBounce | None = None
    complaint: SesComplaint | None = None

    @property
    def kind(self) -> str | None:
        return self.notificationType or self.eventType


class SesFeedbackEnvelope(SnsNotificationModel):
    """The SNS envelope (raw delivery off) around one SES notification."""

    Message: Json[SesNotification]  # type: ignore[assignment] # narrows Powertools' str | model
