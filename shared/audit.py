"""The audit trail: who did what to which subject, and when. Append-only.

Items live in their own partition `AUDIT#<subject>` (e.g. `AUDIT#PHOTO#abc`) so that erasing a
photo's personal data keeps the record that it was erased. Actors are organiser usernames or
`system`; details never hold an email.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from shared.dynamo import Table
from shared.types import iso


def audit_item(subject: str, *, at: datetime, actor: str, action: str,
               detail: str = "") -> dict[str, Any]:
    """The item to write (alone with `record`, or inside a transaction)."""
    stamp = iso(at)
    return {
        "pk": f"AUDIT#{subject}",
        "sk": f"{at.strftime('%Y-%m-%dT%H:%M:%S.%f')}#{secrets.token_hex(4)}",
        "at": stamp,
        "actor": actor,
        "action": action,
        "detail": detail[:1000],
    }


def record(table: Table, subject: str, *, at: datetime, actor: str, action: str,
           detail: str = "") -> None:
    table.put(audit_item(subject, at=at, actor=actor, action=action, detail=detail))


def trail(table: Table, subject: str) -> list[dict[str, Any]]:
    """Oldest first."""
    items = table.query_all("pk = :pk", {":pk": f"AUDIT#{subject}"}, consistent=True)
    return [{k: i[k] for k in ("at", "actor", "action", "detail")} for i in items]
