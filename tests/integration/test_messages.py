"""Messages to government against moto: pending until approved, decided from state, audited."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.events import MEMBER_CLAIMS, ORGANISER_CLAIMS, body_of, http_event


def call(method: str, path: str, lambda_context: Any, **kwargs: Any) -> dict[str, Any]:
    from functions.pledge.handler import lambda_handler

    return lambda_handler(http_event(method, path, **kwargs), lambda_context)


def send(
    lambda_context: Any, text: str = "Technicians keep science lessons running.", **extra: Any
) -> str:
    response = call("POST", "/messages", lambda_context, body={"message": text, **extra})
    assert response["statusCode"] == 202
    return str(body_of(response)["message_id"])


def decide(
    lambda_context: Any, message_id: str, decision: str, reason: str | None = None
) -> dict[str, Any]:
    body = {"decision": decision, **({"reason": reason} if reason else {})}
    return call(
        "POST",
        f"/admin/messages/{message_id}/decision",
        lambda_context,
        body=body,
        claims=ORGANISER_CLAIMS,
    )


def public(lambda_context: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = body_of(call("GET", "/messages", lambda_context))["items"]
    return items


def queued(lambda_context: Any, status: str) -> list[str]:
    """The ids an organiser sees in the queue of messages with `status`."""
    query = {"status": status}
    answer = call("GET", "/admin/messages", lambda_context, claims=ORGANISER_CLAIMS, query=query)
    return [m["message_id"] for m in body_of(answer)["items"]]


def test_a_message_is_pending_and_not_public_until_approved(aws_env, lambda_context):
    # Given a message
    message_id = send(lambda_context, name="Jo", role="technician")
    # Then it waits in the organisers' queue and is not public
    assert public(lambda_context) == []
    assert queued(lambda_context, "pending") == [message_id]
    # When an organiser approves it
    decided = decide(lambda_context, message_id, "approve")
    # Then it is public in the agreed shape
    assert decided["statusCode"] == 200
    assert body_of(decided)["status"] == "approved"
    (item,) = public(lambda_context)
    assert set(item) == {"message_id", "message", "name", "role", "created_at"}
    assert (item["name"], item["role"]) == ("Jo", "technician")


def test_approved_messages_are_listed_newest_first_and_anonymous_ones_have_null_name(
    aws_env, lambda_context, monkeypatch
):
    from functions.pledge import handler

    ticks = itertools.count()  # a clock that moves on a minute at every reading
    start = datetime(2027, 3, 9, 9, tzinfo=UTC)
    monkeypatch.setattr(handler, "utc_now", lambda: start + timedelta(minutes=next(ticks)))
    first = send(lambda_context, "first")
    second = send(lambda_context, "second")
    decide(lambda_context, first, "approve")
    decide(lambda_context, second, "approve")
    items = public(lambda_context)
    assert [i["message"] for i in items] == ["second", "first"]
    assert items[0]["name"] is None


def test_a_rejection_needs_a_reason_and_takes_a_message_down(aws_env, lambda_context):
    message_id = send(lambda_context)
    decide(lambda_context, message_id, "approve")
    # A rejection without a reason is refused
    assert decide(lambda_context, message_id, "reject")["statusCode"] == 422
    # With one, the message leaves the public list
    rejected = decide(lambda_context, message_id, "reject", "Names a pupil")
    assert (rejected["statusCode"], body_of(rejected)["reason"]) == (200, "Names a pupil")
    assert public(lambda_context) == []
    assert queued(lambda_context, "rejected") == [message_id]


def test_a_decision_that_does_not_apply_is_a_409_and_every_decision_is_audited(
    aws_env, lambda_context
):
    message_id = send(lambda_context)
    assert decide(lambda_context, message_id, "approve")["statusCode"] == 200
    # Approving twice does not apply
    assert decide(lambda_context, message_id, "approve")["statusCode"] == 409
    from shared.audit import trail
    from shared.dynamo import Table

    entries = trail(Table(aws_env.table_name), f"MESSAGE#{message_id}")
    assert [(e["actor"], e["action"]) for e in entries] == [("org-ann", "approved")]


def test_deciding_an_unknown_message_is_a_404(aws_env, lambda_context):
    assert decide(lambda_context, "nope", "approve")["statusCode"] == 404


def test_message_moderation_is_for_organisers_only(aws_env, lambda_context):
    message_id = send(lambda_context)
    member = call(
        "POST",
        f"/admin/messages/{message_id}/decision",
        lambda_context,
        body={"decision": "approve"},
        claims=MEMBER_CLAIMS,
    )
    anonymous = call("GET", "/admin/messages", lambda_context)
    assert (member["statusCode"], anonymous["statusCode"]) == (403, 401)
    assert public(lambda_context) == []


def test_an_over_long_message_is_a_422(aws_env, lambda_context):
    response = call("POST", "/messages", lambda_context, body={"message": "x" * 501})
    assert response["statusCode"] == 422
