"""Reusable field types: emails (trimmed, case-folded), opaque ids, event days, bounded text."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def normalise_email(value: str) -> str:
    """The one spelling of an address that keys a person: trimmed and case-folded."""
    email = value.strip().casefold()
    if len(email) > 254 or not _EMAIL.match(email) or ".." in email.split("@", 1)[1]:
        raise ValueError("not a valid email address")
    return email


def _valid_day(value: str) -> str:
    date.fromisoformat(value)  # raises ValueError on 2026-02-30
    return value


Email = Annotated[str, Field(max_length=320), AfterValidator(normalise_email)]
Day = Annotated[
    str,
    StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$"),
    AfterValidator(_valid_day),
]
ObjectId = Annotated[str, StringConstraints(pattern=_ID.pattern)]


def bounded(max_length: int, min_length: int = 1) -> StringConstraints:
    """Trimmed user text of bounded length: `Annotated[str, bounded(280)]`."""
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


def new_id() -> str:
    """An opaque, unguessable id (clients must not parse it)."""
    return secrets.token_urlsafe(12)


def is_id(value: str) -> bool:
    return bool(_ID.match(value))


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(instant: datetime) -> str:
    """ISO-8601 UTC with `Z`, to the second."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
