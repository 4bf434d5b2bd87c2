"""Double opt-in sign-ups against moto: one mail per window, single-use tokens, the export."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api import assert_one_mail_per_window, call, frozen_clock, mails
from tests.events import MEMBER_CLAIMS, ORGANISER_CLAIMS, body_of, http_event
from tests.settings import AllSettings

SIGNUP = {"email": "sam@supporter.test", "name": "Sam", "role": "other", "consent": True}
NOW = datetime(2027, 3, 9, 12, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """The handlers' clock, set by the test."""
    return frozen_clock(monkeypatch, NOW, "functions.pledge.handler", "functions.people.handler")


def token_of(message: Any, kind: str) -> str:
    found = re.search(rf"/signup/{kind}\?token=([A-Za-z0-9_-]+)", message.body)
    assert found, message.body
    return found.group(1)


def export(lambda_context: Any) -> list[dict[str, str]]:
    response = call("GET", "/admin/signups/export", lambda_context, claims=ORGANISER_CLAIMS)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response["body"])))


def signup_status(email: str) -> str:
    from shared.config import load
    from shared.dynamo import Table
    from shared.people import person_id

    config = load(AllSettings)
    item = Table(config.table_name).get(
        f"SIGNUP#{person_id(config, email)}", "SIGNUP", consistent=True
    )
    assert item is not None
    return str(item["status"])


def test_signing_up_sends_one_confirmation_email_with_confirm_and_unsubscribe_links(
    aws_env, lambda_context, clock
):
    # When Sam signs up
    response = call("POST", "/signups", lambda_context, body=SIGNUP)
    # Then the answer is 202 and one email with both links to the site's pages went out
    assert response["statusCode"] == 202
    assert body_of(response) == {"status": "confirmation_sent"}
    (message,) = mails("sam@supporter.test")
    assert message.source == "hello@techognition.test"
    assert "https://site.test/signup/confirm?token=" in message.body
    assert "https://site.test/signup/unsubscribe?token=" in message.body
    # And the tokens themselves are nowhere in the table (only their hashes)
    from shared.aws import client

    raw = str(client("dynamodb").scan(TableName=aws_env.table_name)["Items"])
    assert token_of(message, "confirm") not in raw
    assert token_of(message, "unsubscribe") not in raw


def test_the_confirmation_email_does_not_echo_the_name_typed(aws_env, lambda_context, clock):
    # Given a "name" that is an advert, sent to someone else's address
    advert = "Visit http://evil.example to claim your prize"
    # When it is signed up
    call("POST", "/signups", lambda_context, body={**SIGNUP, "name": advert})
    # Then the email greets neutrally and carries nothing of it
    (message,) = mails("sam@supporter.test")
    assert "evil.example" not in str(vars(message))
    assert message.body.startswith("<p>Hello,</p>")  # moto keeps the HTML part


def test_the_answer_is_the_same_for_new_pending_confirmed_and_unsubscribed_emails(
    aws_env, lambda_context, clock
):
    answers = [call("POST", "/signups", lambda_context, body=SIGNUP)]  # new
    answers.append(call("POST", "/signups", lambda_context, body=SIGNUP))  # pending
    clock["at"] += timedelta(minutes=11)
    confirm = token_of(mails()[-1], "confirm")
    call("POST", "/signups/confirm", lambda_context, body={"token": confirm})
    answers.append(call("POST", "/signups", lambda_context, body=SIGNUP))  # confirmed
    # Identical status and body every time
    assert {(a["statusCode"], a["body"]) for a in answers} == {
        (202, '{"status":"confirmation_sent"}')
    }


def test_at_most_one_confirmation_email_per_address_per_ten_minutes(aws_env, lambda_context, clock):
    # Sam signs up five times within ten minutes (one email), then again after the window
    assert_one_mail_per_window(
        lambda: call("POST", "/signups", lambda_context, body=SIGNUP), "sam@supporter.test", clock
    )


def test_confirming_by_post_confirms_and_the_token_is_single_use(aws_env, lambda_context, clock):
    # Given Sam signed up
    call("POST", "/signups", lambda_context, body=SIGNUP)
    token = token_of(mails()[0], "confirm")
    # When Sam confirms, then tries the same token again
    first = call("POST", "/signups/confirm", lambda_context, body={"token": token})
    again = call("POST", "/signups/confirm", lambda_context, body={"token": token})
    # Then the first confirms and the reuse is a 400
    assert (first["statusCode"], body_of(first)) == (200, {"status": "confirmed"})
    assert again["statusCode"] == 400
    assert again["headers"]["Content-Type"] == "application/problem+json"
    assert signup_status("sam@supporter.test") == "confirmed"


def test_a_get_on_the_confirm_path_changes_nothing(aws_env, lambda_context, clock):
    # Given Sam signed up
    call("POST", "/signups", lambda_context, body=SIGNUP)
    token = token_of(mails()[0], "confirm")
    # When a link scanner GETs the confirm path with the token
    event = http_event("POST", "/signups/confirm", query={"token": token})
    event["requestContext"]["http"]["method"] = "GET"
    event["routeKey"] = event["requestContext"]["routeKey"] = "GET /signups/confirm"
    from functions.pledge.handler import lambda_handler
    from infra.wiring import WIRING

    response = lambda_handler(event, lambda_context)
    # Then no such route answers and Sam is still pending
    assert response["statusCode"] == 404
    assert ("GET", "/signups/confirm") not in {(r.method, r.path) for r, _ in WIRING.routes()}
    assert signup_status("sam@supporter.test") == "pending"


def test_an_expired_confirm_token_is_a_400(aws_env, lambda_context, clock):
    # Given Sam signed up and did nothing for eight days
    call("POST", "/signups", lambda_context, body=SIGNUP)
    token = token_of(mails()[0], "confirm")
    clock["at"] += timedelta(days=7, seconds=1)
    # When the week-old token is used
    response = call("POST", "/signups/confirm", lambda_context, body={"token": token})
    # Then it is refused and Sam stays pending
    assert response["statusCode"] == 400
    assert signup_status("sam@supporter.test") == "pending"


@pytest.mark.parametrize("token", ["x" * 43, "short", "not a token!"])
def test_an_unknown_or_malformed_token_is_refused(aws_env, lambda_context, clock, token):
    response = call("POST", "/signups/confirm", lambda_context, body={"token": token})
    assert response["statusCode"] in (400, 422)


def test_an_unsubscribe_token_cannot_confirm(aws_env, lambda_context, clock):
    call("POST", "/signups", lambda_context, body=SIGNUP)
    token = token_of(mails()[0], "unsubscribe")
    response = call("POST", "/signups/confirm", lambda_context, body={"token": token})
    assert response["statusCode"] == 400
    assert signup_status("sam@supporter.test") == "pending"


def test_confirmed_signups_are_exported_until_they_unsubscribe(aws_env, lambda_context, clock):
    # Given Sam confirmed, and Pat only signed up
    call("POST", "/signups", lambda_context, body=SIGNUP)
    call(
        "POST",
        "/signups",
        lambda_context,
        body={**SIGNUP, "email": "pat@supporter.test", "name": "Pat"},
    )
    message = mails("sam@supporter.test")[0]
    call("POST", "/signups/confirm", lambda_context, body={"token": token_of(message, "confirm")})
    # Then the export lists Sam only
    rows = export(lambda_context)
    assert [(r["email"], r["name"], r["role"]) for r in rows] == [
        ("sam@supporter.test", "Sam", "other")
    ]
    # When Sam unsubscribes
    response = call(
        "POST",
        "/signups/unsubscribe",
        lambda_context,
        body={"token": token_of(message, "unsubscribe")},
    )
    # Then Sam is off the export
    assert (response["statusCode"], body_of(response)) == (200, {"status": "unsubscribed"})
    assert export(lambda_context) == []
    assert signup_status("sam@supporter.test") == "unsubscribed"


def test_the_export_neutralises_formula_cells(aws_env, lambda_context, clock):
    # Given a confirmed sign-up whose name and organisation look like formulas
    body = {**SIGNUP, "name": '=HYPERLINK("http://evil")', "organisation": "+1-2@3"}
    call("POST", "/signups", lambda_context, body=body)
    call(
        "POST", "/signups/confirm", lambda_context, body={"token": token_of(mails()[0], "confirm")}
    )
    # When exported
    (row,) = export(lambda_context)
    # Then those cells start with an apostrophe and nothing else changed
    assert row["name"] == '\'=HYPERLINK("http://evil")'
    assert row["organisation"] == "'+1-2@3"
    assert row["email"] == "sam@supporter.test"


def test_the_export_is_for_organisers_only(aws_env, lambda_context):
    anonymous = call("GET", "/admin/signups/export", lambda_context)
    member = call("GET", "/admin/signups/export", lambda_context, claims=MEMBER_CLAIMS)
    assert (anonymous["statusCode"], member["statusCode"]) == (401, 403)


def test_a_signup_without_consent_is_a_422(aws_env, lambda_context):
    response = call("POST", "/signups", lambda_context, body={**SIGNUP, "consent": False})
    assert response["statusCode"] == 422
    assert mails() == []
