"""Environment models: each function's settings, validated once from `os.environ` and cached.

Logic never reads `os.environ`; handlers call `load(SomeConfig)` and pass values down. The
environment variable of a field is its name in upper case (`table_name` → `TABLE_NAME`).
"""

from __future__ import annotations

import os
from datetime import date
from functools import cache
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Json, model_validator

from shared.types import Email

MiB = 1024 * 1024
PrescreenChecks = Literal["all", "faces", "off"]


def _listed(value: object) -> object:
    """A list in the environment is comma-separated (`A,B`); empty items are dropped."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


# Addresses as the environment lists them, each checked and lower-cased once, at cold start.
EmailList = Annotated[tuple[Email, ...], BeforeValidator(_listed)]


class BaseConfig(BaseModel):
    """What every function needs: where state lives and when the event is.

    Each function composes its own settings model from this and the mixins below (its package's
    `settings.py`); the environment every function gets is built by `infra/settings.py`.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(min_length=1)
    media_bucket: str = Field(min_length=1)
    event_start: date
    event_end: date
    event_tz: str = "Europe/London"
    # Absolute base of public media (the CDN in the cloud, the embedded S3 bucket locally).
    media_base_url: str = Field(min_length=1)
    site_url: str = "http://127.0.0.1:8000"
    # Personal data is forgotten this long after the event ends (TTL).
    retention_days: int = Field(default=180, ge=1)

    @model_validator(mode="after")
    def _event_in_order(self) -> BaseConfig:
        if self.event_end < self.event_start:
            raise ValueError("EVENT_END is before EVENT_START")
        return self


class MailConfig(BaseModel):
    """Mixin: functions that send email."""

    sender_email: str = "hello@techognition.org.uk"
    ses_configuration_set: str | None = None  # routes bounces and complaints to the feedback topic


class WriteLimitConfig(BaseModel):
    """Mixin: public write routes, limited per client IP."""

    writes_per_ip_per_hour: int = Field(default=300, ge=1)


class CdnConfig(BaseModel):
    """Mixin: functions that make the CDN forget paths."""

    # CloudFront in front of public/ (a takedown invalidates its paths); unset locally.
    cdn_distribution_id: str | None = None


class DrawConfig(BaseModel):
    """Mixin: who may win, how many, and who is told."""

    winners_per_day: int = Field(default=1, ge=1, le=50)
    # Never eligible for a prize (organisers are not either).
    draw_excluded_emails: EmailList = ()
    draw_deadline_hours: int = Field(default=36, ge=0)
    # Organisers told about draws; never eligible for a prize.
    organiser_emails: EmailList = ()


class PrescreenConfig(BaseModel):
    """Mixin: the automatic checks before a human looks."""

    prescreen_min_confidence: float = Field(default=60.0, ge=0, le=100)
    # "rekognition" in the cloud; "caption" locally (moto cannot run Rekognition).
    prescreen: Literal["rekognition", "caption"] = "rekognition"
    # Which automatic checks run: "faces" (may show pupils: what safeguarding needs, one call),
    # "all" (also moderation labels: a second call per photo), or "off" (organisers only).
    prescreen_checks: PrescreenChecks = "faces"


class UploadConfig(WriteLimitConfig):
    """Mixin: the upload form's limits."""

    max_upload_bytes: int = Field(default=15 * MiB, ge=1)
    uploads_per_email_per_day: int = Field(default=30, ge=1)
    upload_form_ttl_s: int = Field(default=900, ge=60, le=900)
    # Reports per client IP and hour, on top of the write limit: reports hide photos.
    reports_per_ip_per_hour: int = Field(default=20, ge=1)


class SignupConfig(BaseModel):
    """Mixin: confirmation links (sign-ups and pledges)."""

    # How long a confirm link works, and the least time between two confirmation mails.
    signup_token_ttl_hours: int = Field(default=168, ge=1)
    signup_resend_minutes: int = Field(default=10, ge=0)


class HttpConfig(BaseModel):
    """What the shared HTTP layer reads (shared/http.py), whatever the function."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # Route keys whose 200 answers the CDN may cache, with seconds (infra/wiring.py).
    cdn_cache_routes: Json[dict[str, int]] = Field(default_factory=dict)
    # The value CloudFront sends in X-Origin-Verify: only then is its X-Viewer-Ip believed.
    origin_verify: str | None = None


C = TypeVar("C", bound=BaseModel)


@cache
def load(model: type[C]) -> C:
    """Validate the environment into `model` once per process (cold start) and keep it."""
    values = {
        name: os.environ[name.upper()] for name in model.model_fields if name.upper() in os.environ
    }
    return model.model_validate(values)
