"""The message to government: the organisers' CSV of published messages, injection-safe."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.events import MEMBER_CLAIMS, ORGANISER_CLAIMS, body_of, http_event


def call(method: str, path: str, lambda_context: Any, **kwargs: Any) -> dict[str, Any]:
    from functions.pledge.handler import lambda_handler

    return lambda_handler(http_event(method, path, **kwargs), lambda_context)


def send(lambda_context: Any, text: str, **extra: Any) -> str:
    response = call("POST", "/messages", lambda_context, body={"message": text, **extra})
    assert response["statusCode"] == 202
    return str(body_of(response)["message_id"])


def decide(lambda_context: Any, message_id: str, decision: str) -> None:
    body = {"decision": decision, **({"reason": "Off topic"} if decision == "reject" else {})}
    response = call(
        "POST",
        f"/admin/messages/{message_id}/decision",
        lambda_context,
        body=body,
        claims=ORGANISER_CLAIMS,
    )
    assert response["statusCode"] == 200


def test_the_export_lists_published_messages_in_publication_order_as_safe_csv(
    aws_env, lambda_context, monkeypatch
):
    from functions.pledge import handler

    ticks = itertools.count()  # a clock that moves on a minute at every reading
    start = datetime(2027, 3, 9, 9, tzinfo=UTC)
    monkeypatch.setattr(handler, "utc_now", lambda: start + timedelta(minutes=next(ticks)))
    # Given three messages, one a formula and one over two lines
    formula = send(
        lambda_context, '=HYPERLINK("http://evil.example","Click")', name="Jo", role="technician"
    )
    letter = send(
        lambda_context,
        "Dear Minister,\nTechnicians need proper contracts.",
        name="Ann",
        role="teacher",
    )
    pending = send(lambda_context, "Not yet looked at")
    rejected = send(lambda_context, "Off topic")
    # When organisers publish the letter first, then the formula, and reject one
    decide(lambda_context, letter, "approve")
    decide(lambda_context, formula, "approve")
    decide(lambda_context, rejected, "reject")
    response = call("GET", "/admin/messages/export", lambda_context, claims=ORGANISER_CLAIMS)
    # Then the CSV has the published two, in the order they were published
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"].startswith("text/csv")
    assert "attachment" in response["headers"]["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response["body"])))
    assert [list(r) for r in rows][:1] == [["message", "name", "role", "published_at"]]
    assert [r["message"] for r in rows] == [
        "Dear Minister,\nTechnicians need proper contracts.",
        '\'=HYPERLINK("http://evil.example","Click")',  # text, never a formula
    ]
    assert [(r["name"], r["role"]) for r in rows] == [("Ann", "teacher"), ("Jo", "technician")]
    assert rows[0]["published_at"] < rows[1]["published_at"]
    assert rows[0]["published_at"].endswith("Z")
    assert pending not in response["body"] and "Not yet" not in response["body"]
    # And a takedown takes a message out of the next export
    decide(lambda_context, letter, "reject")
    again = call("GET", "/admin/messages/export", lambda_context, claims=ORGANISER_CLAIMS)
    assert "Dear Minister" not in again["body"]


def test_the_export_is_for_organisers_only(aws_env, lambda_context):
    assert call("GET", "/admin/messages/export", lambda_context)["statusCode"] == 401
    assert (
        call("GET", "/admin/messages/export", lambda_context, claims=MEMBER_CLAIMS)["statusCode"]
        == 403
    )
