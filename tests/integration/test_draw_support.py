"""Helpers for the prize-draw integration tests (no tests here): entries, pending photos,
emails sent through moto (by the outbox), and a DynamoDB backend made atomic for thread races."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.dynamo import Table
from shared.entries import Entry, record_entry
from shared.photos import awaiting_key

NOW = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)  # after the test event (8-14 March 2027)
TTL = 1900000000


def table() -> Table:
    from shared.config import ApiConfig, load

    return Table(load(ApiConfig).table_name)


def entrant(n: int) -> str:
    return f"{n:016x}"


def enter(day: str, *people: int, photo_prefix: str = "p") -> list[str]:
    """Record one approved photo's entry for each person number; their photo holds an email."""
    ids = []
    for n in people:
        photo_id = f"{photo_prefix}{n}-{day}"
        table().put({"pk": f"PHOTO#{photo_id}", "sk": "PHOTO", "photo_id": photo_id,
                     "email": f"tech{n}@school.test", "status": "approved"})
        record_entry(table(), Entry(day=day, entrant_id=entrant(n), display_name=f"Tech {n}",
                                    school=f"School {n}", photo_id=photo_id), now=NOW, ttl=TTL)
        ids.append(entrant(n))
    return ids


def await_moderation(day: str, photo_id: str) -> None:
    """A photo of `day` still waiting for an organiser (as shared.photos lists it on gsi4)."""
    table().put({"pk": f"PHOTO#{photo_id}", "sk": "PHOTO", "photo_id": photo_id,
                 "status": "pending_moderation", "gsi4pk": awaiting_key(day, photo_id),
                 "gsi4sk": photo_id})


def decide(photo_id: str) -> None:
    table().update(f"PHOTO#{photo_id}", "PHOTO", "REMOVE gsi4pk, gsi4sk SET #s = :a",
                   names={"#s": "status"}, values={":a": "approved"})


def sent_emails() -> list[Any]:
    """What moto's SES holds once the outbox consumer has sent what commits owe."""
    from moto.ses.models import ses_backends

    from tests.outbox import drain

    drain()
    return list(ses_backends["123456789012"]["eu-west-2"].sent_messages)  # moto's account


def emails_to(address: str) -> list[Any]:
    return [m for m in sent_emails() if address in m.destinations.get("ToAddresses", [])]


def count_calls() -> dict[str, int]:
    """Count every DynamoDB call made through the shared client from now on."""
    from shared.aws import client

    counts: dict[str, int] = {}

    def hook(model: Any, **_: Any) -> None:
        counts[model.name] = counts.get(model.name, 0) + 1

    client("dynamodb").meta.events.register("before-call.dynamodb.*", hook)
    return counts
