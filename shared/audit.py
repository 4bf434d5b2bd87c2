"""The audit trail: who did what to which subject, and when. Append-only.

Items live in their own partition `AUDIT#<subject>` (e.g. `AUDIT#PHOTO#abc`) so that erasing a
photo's personal data keeps the record that it was erased. Actors are organiser usernames or
`system`; details never hold an email. Details do hold free text (report texts, organisers'
reasons), so every item carries the retention TTL that personal items get: the trail outlives
the photo's erasure, not the retention period.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from shared.dynamo import Table
from shared.types import iso


def retention_horizon() -> int:
    """The retention TTL of this function's configuration (for callers that hold no config)."""
    from shared.config import BaseConfig, load
    from shared.people import retention_ttl

    return retention_ttl(load(BaseConfig))


def audit_item(
    subject: str, *, at: datetime, actor: str, action: str, detail: str = "", ttl: int | None = None
) -> dict[str, Any]:
    """The item to write (alone with `record`, or inside a transaction).

    `ttl` is the retention horizon of what is audited; without it, the function's own.
    """
    stamp = iso(at)
    return {
        "pk": f"AUDIT#{subject}",
        "sk": f"{at.strftime('%Y-%m-%dT%H:%M:%S.%f')}#{secrets.token_hex(4)}",
        "at": stamp,
        "actor": actor,
        "action": action,
        "detail": detail[:1000],
        "ttl": ttl if ttl is not None else retention_horizon(),
    }


def record(
    table: Table,
    subject: str,
    *,
    at: datetime,
    actor: str,
    action: str,
    detail: str = "",
    ttl: int | None = None,
) -> None:
    table.put(audit_item(subject, at=at, actor=actor, action=action, detail=detail, ttl=ttl))


def trail(table: Table, subject: str) -> list[dict[str, Any]]:
    """Oldest first."""
    items = table.query_all("pk = :pk", {":pk": f"AUDIT#{subject}"}, consistent=True)
    return [{k: i[k] for k in ("at", "actor", "action", "detail")} for i in items]
