"""The event's configuration (cdk.json context key `techognition`), validated at synth.

Defaults live once, in cdk.json. Context given to the app (`cdk synth -c techognition='{...}'`
or `build_app(context=...)`) is merged field by field over those defaults.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    model_validator,
)

from infra.constants import CONTEXT_KEY, LOG_RETENTION_CHOICES, PROJECT_ROOT, SCHEDULE_GRACE_DAYS
from infra.quotas import NEW_ACCOUNT_QUOTA

_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[A-Za-z]{2,}$")
_SITE_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d+)?$")
_CDN_CERTIFICATE = re.compile(r"^arn:aws:acm:us-east-1:\d{12}:certificate/[A-Za-z0-9-]+$")


def _matching(pattern: re.Pattern[str], problem: str) -> AfterValidator:
    """A check that the whole value matches `pattern`; else `'<value>' <problem>`."""

    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"{value!r} {problem}")
        return value

    return AfterValidator(check)


def _tz(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. 'Europe/London')") from exc
    return value


def _log_retention(value: int) -> int:
    if value not in LOG_RETENTION_CHOICES:
        raise ValueError(
            f"{value} is not a CloudWatch Logs retention; pick one of {LOG_RETENTION_CHOICES}"
        )
    return value


Email = Annotated[str, _matching(_EMAIL, "does not look like an email address")]
SiteUrl = Annotated[
    str,
    _matching(
        _SITE_URL,
        "must be an https origin without path or trailing slash, e.g. 'https://techognition.org.uk'",
    ),
]
CdnCertificate = Annotated[
    str,
    _matching(
        _CDN_CERTIFICATE,
        "is not an ACM certificate ARN in us-east-1 (CloudFront only uses certificates from "
        "us-east-1), e.g. 'arn:aws:acm:us-east-1:123456789012:certificate/…'",
    ),
]


TRANSACTION_ITEMS = 100  # DynamoDB's limit on the items of one TransactWriteItems


class SettingsError(ValueError):
    """The `techognition` context is invalid; the message names every bad field."""


class EventSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_start: date
    event_end: date
    event_tz: Annotated[str, AfterValidator(_tz)]
    winners_per_day: Annotated[int, Field(ge=1, le=50)]
    site_url: SiteUrl
    sender_email: Email
    ops_email: Email
    organiser_emails: tuple[Email, ...] = ()
    retention_days: Annotated[int, Field(ge=1, le=3650)]
    log_retention_days: Annotated[int, AfterValidator(_log_retention)]
    draw_excluded_emails: tuple[Email, ...] = ()
    # Hours after a day ends when its draw runs even with photos still awaiting moderation.
    draw_deadline_hours: Annotated[int, Field(ge=0)] = 36
    # On for the event; switch off (and deploy) afterwards: it is billed per GB-month.
    point_in_time_recovery: bool = True
    # Alarms, the dashboard and the alarm topic: on for the event, off afterwards (each alarm and
    # dashboard is billed every month it exists). A JSON true/false only: "false" is an error.
    monitoring: StrictBool = True
    # Lambda's SQS event source mappings poll their queues all year, even when empty (about
    # $0.26 a queue a month): on for the event, off afterwards (messages then wait in the queues
    # until it is on again, within their retention).
    queue_polling: StrictBool = True
    # Automatic pre-screening of uploads (Rekognition, billed per image and call): "faces" finds
    # faces that may be under 18 so such photos go first to an organiser (what safeguarding
    # needs, one call a photo); "all" adds moderation labels (a second call); "off" leaves
    # everything to the organisers, who see every photo before it is public anyway.
    prescreen: Literal["all", "faces", "off"] = "faces"
    # ACM certificate (us-east-1) for site_url's host: CloudFront then answers on that domain.
    # Without one, site_url must be the distribution's own https://<id>.cloudfront.net.
    site_certificate_arn: CdnCertificate | None = None
    # The account's Lambda concurrent-executions quota, as `make preflight` reports it. Synth
    # refuses reserved concurrency that this quota cannot give (new accounts have 10).
    lambda_concurrency_quota: Annotated[int, Field(ge=NEW_ACCOUNT_QUOTA)] = NEW_ACCOUNT_QUOTA
    # Free event packs: at most `pack_stock` promised per edition, requested from `packs_open`
    # to `packs_close` (days in event_tz, inclusive). Null: open now, closing with event_end, so
    # next year's edition needs no new pack dates unless it wants some.
    pack_stock: Annotated[int, Field(ge=0)] = 1000
    packs_open: date | None = None
    packs_close: date | None = None

    @model_validator(mode="after")
    def _packs_before_the_week(self) -> EventSettings:
        """Pack requests close by the end of the week and open within the year before it: dates
        left over from last year's edition are an error, not a window that never opens."""
        opens, closes = self.packs_open, self.packs_close
        if opens and closes and closes < opens:
            raise ValueError(f"packs_close {closes} is before packs_open {opens}")
        if closes and closes > self.event_end:
            raise ValueError(f"packs_close {closes} is after event_end {self.event_end}")
        earliest = date(self.event_start.year - 1, self.event_start.month, 1)
        for name, day in (("packs_open", opens), ("packs_close", closes)):
            if day and day < earliest:
                raise ValueError(
                    f"{name} {day} is more than a year before event_start "
                    f"{self.event_start}: set this edition's pack dates"
                )
        return self

    @model_validator(mode="after")
    def _dates_in_order(self) -> EventSettings:
        if self.event_end < self.event_start:
            raise ValueError(f"event_end {self.event_end} is before event_start {self.event_start}")
        return self

    @model_validator(mode="after")
    def _deadline_before_schedules_stop(self) -> EventSettings:
        grace_hours = SCHEDULE_GRACE_DAYS * 24
        if self.draw_deadline_hours >= grace_hours:
            raise ValueError(
                f"draw_deadline_hours {self.draw_deadline_hours} must be less than {grace_hours}: "
                f"the hourly draw schedule stops {SCHEDULE_GRACE_DAYS} days after event_end, so "
                "the last day's draw would never reach its deadline"
            )
        return self

    @model_validator(mode="after")
    def _draw_fits_one_transaction(self) -> EventSettings:
        # The draw's one commit holds its record, audit line, each winner's item and email, and
        # an email per organiser (functions/prizedraw/store.py); DynamoDB takes 100 items at most.
        items = 2 + 2 * self.winners_per_day + len(self.organiser_emails)
        if items > TRANSACTION_ITEMS:
            raise ValueError(
                f"winners_per_day {self.winners_per_day} with {len(self.organiser_emails)} "
                f"organiser_emails makes a draw of {items} items, more than one DynamoDB "
                f"transaction takes ({TRANSACTION_ITEMS})"
            )
        return self

    @model_validator(mode="after")
    def _certificate_needs_a_plain_host(self) -> EventSettings:
        if self.site_certificate_arn and urlsplit(self.site_url).port is not None:
            raise ValueError(
                f"site_url {self.site_url} has a port: CloudFront serves a custom domain on 443"
            )
        return self

    @property
    def personal_files_days(self) -> int:
        """Days after upload when a photo's files expire: a photo of the event's first day is
        kept until `retention_days` after the event's last day, like its table item."""
        return (self.event_end - self.event_start).days + 1 + self.retention_days

    @property
    def site_domain(self) -> str:
        return urlsplit(self.site_url).hostname or ""

    def function_environment(self) -> dict[str, str]:
        """The settings every function reads, upper-cased (validated again by `shared.config`)."""
        return {
            "EVENT_START": self.event_start.isoformat(),
            "EVENT_END": self.event_end.isoformat(),
            "EVENT_TZ": self.event_tz,
            "WINNERS_PER_DAY": str(self.winners_per_day),
            "SITE_URL": self.site_url,
            "SENDER_EMAIL": self.sender_email,
            "RETENTION_DAYS": str(self.retention_days),
            "DRAW_EXCLUDED_EMAILS": ",".join(self.draw_excluded_emails),
            "DRAW_DEADLINE_HOURS": str(self.draw_deadline_hours),
            # The draw emails organisers its results and never lets them win.
            "ORGANISER_EMAILS": ",".join(self.organiser_emails),
            "PACK_STOCK": str(self.pack_stock),
            **({"PACKS_OPEN": self.packs_open.isoformat()} if self.packs_open else {}),
            **({"PACKS_CLOSE": self.packs_close.isoformat()} if self.packs_close else {}),
            "PRESCREEN_CHECKS": self.prescreen,
        }


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's whole context: feature flags and event defaults (the CLI passes these to the
    app, but an `App()` built in pytest would otherwise synthesize with other flags)."""
    cdk_json = json.loads((PROJECT_ROOT / "cdk.json").read_text(encoding="utf-8"))
    return dict(cdk_json["context"])


def default_context() -> dict[str, Any]:
    """The event defaults from cdk.json."""
    return dict(cdk_json_context()[CONTEXT_KEY])


def load_settings(raw: object) -> EventSettings:
    """Validate the context value (a dict, a JSON string, or None for the defaults)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SettingsError(f"context '{CONTEXT_KEY}' is not valid JSON: {exc}") from exc
    if raw is not None and not isinstance(raw, dict):
        raise SettingsError(f"context '{CONTEXT_KEY}' must be an object, got {type(raw).__name__}")
    merged = {**default_context(), **(raw or {})}
    try:
        return EventSettings.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(settings)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid cdk.json context '{CONTEXT_KEY}': {problems}") from exc
