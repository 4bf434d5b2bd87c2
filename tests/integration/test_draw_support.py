"""Helpers for the prize-draw integration tests (no tests here): the API as an organiser calls
it, the draw's ports (with a store of a test's own), entries, pending photos, and emails sent
through moto (by the outbox)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.dynamo import Table
from shared.entries import Entry, record_entry
from shared.photos import awaiting_key
from tests.events import ORGANISER_CLAIMS, body_of, http_event
from tests.settings import AllSettings

NOW = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)  # after the test event (8-14 March 2027)
TTL = 1900000000


def table() -> Table:
    from shared.config import load

    return Table(load(AllSettings).table_name)


def draw_api(
    lambda_context: Any, monkeypatch: pytest.MonkeyPatch, organisers: str
) -> Callable[..., tuple[int, Any]]:
    """Call the draw API (as an organiser unless `claims` says otherwise), with `organisers`
    (comma-separated) told about draws."""
    from shared.config import load

    monkeypatch.setenv("ORGANISER_EMAILS", organisers)
    load.cache_clear()
    from functions.prizedraw import handler

    def _call(
        method: str, path: str, body: Any = None, claims: Any = ORGANISER_CLAIMS
    ) -> tuple[int, Any]:
        response = handler.lambda_handler(
            http_event(method, path, body=body, claims=claims), lambda_context
        )
        return response["statusCode"], body_of(response)

    return _call


def draw_ports(store: Any = None) -> Any:
    """The draw's ports as its entry points build them, with `store` instead of the table's
    own adapter if given (a subclass of `TableStore` that races the commit)."""
    from functions.prizedraw.ports import ports

    built = ports()
    return built if store is None else dataclasses.replace(built, draws=store)


def draw_now(day: str, *, store: Any = None, at: datetime = NOW) -> Any:
    """An organiser's draw of `day` straight through the domain (for threads and races)."""
    from functions.prizedraw import logic

    return logic.run_draw(
        draw_ports(store), day, trigger="organiser", force=False, actor="org", now=at
    )


def entrant(n: int) -> str:
    return f"{n:016x}"


def enter(day: str, *people: int, photo_prefix: str = "p") -> list[str]:
    """Record one approved photo's entry for each person number; their photo holds an email."""
    ids = []
    for n in people:
        photo_id = f"{photo_prefix}{n}-{day}"
        table().put(
            {
                "pk": f"PHOTO#{photo_id}",
                "sk": "PHOTO",
                "photo_id": photo_id,
                "email": f"tech{n}@school.test",
                "status": "approved",
            }
        )
        record_entry(
            table(),
            Entry(
                day=day,
                entrant_id=entrant(n),
                display_name=f"Tech {n}",
                school=f"School {n}",
                photo_id=photo_id,
            ),
            now=NOW,
            ttl=TTL,
        )
        ids.append(entrant(n))
    return ids


def await_moderation(day: str, photo_id: str) -> None:
    """A photo of `day` still waiting for an organiser (as shared.photos lists it on gsi4)."""
    table().put(
        {
            "pk": f"PHOTO#{photo_id}",
            "sk": "PHOTO",
            "photo_id": photo_id,
            "status": "pending_moderation",
            "gsi4pk": awaiting_key(day, photo_id),
            "gsi4sk": photo_id,
        }
    )


def decide(photo_id: str) -> None:
    """The photo approved and settled: the outbox's listing (`go_live`) drops its awaiting keys
    (until then an approval still counts as awaiting: test_draw_unsettled_approvals.py)."""
    table().update(
        f"PHOTO#{photo_id}",
        "PHOTO",
        "REMOVE gsi4pk, gsi4sk SET #s = :a",
        names={"#s": "status"},
        values={":a": "approved"},
    )


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
