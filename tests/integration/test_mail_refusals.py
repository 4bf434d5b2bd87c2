"""Every route that sends email, against moto with SES refusing: the documented status, no 5xx.

moto refuses a send from an unverified sender with SES's own `MessageRejected`; the sender's
identity is deleted to make every send of the test refused.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.events import ORGANISER_CLAIMS, body_of, http_event
from tests.settings import AllSettings

ADDRESS = "refused.person@hill.sch.uk"


@pytest.fixture
def ses_refuses(aws_env: Any) -> None:
    from shared.aws import client
    from shared.config import load

    ses = client("ses")
    ses.delete_identity(Identity=load(AllSettings).sender_email)
    with pytest.raises(ses.exceptions.MessageRejected):  # moto refuses as SES does
        ses.send_email(
            Source=load(AllSettings).sender_email,
            Destination={"ToAddresses": ["probe@school.test"]},
            Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}},
        )


def _pledge_api(
    method: str, path: str, ctx: Any, body: Any, claims: dict[str, Any] | None = None
) -> dict[str, Any]:
    from functions.pledge.handler import lambda_handler

    result: dict[str, Any] = lambda_handler(http_event(method, path, body=body, claims=claims), ctx)
    return result


def _refusals(caplog: pytest.LogCaptureFixture) -> list[Any]:
    return [
        getattr(r, "error_code", None) for r in caplog.records if r.getMessage() == "email not sent"
    ]


def _without_address(caplog: pytest.LogCaptureFixture, address: str) -> bool:
    logged = json.dumps([r.getMessage() + str(vars(r)) for r in caplog.records], default=str)
    return address not in logged


@pytest.mark.usefixtures("ses_refuses")
def test_a_signup_is_accepted_when_ses_refuses_its_confirmation(lambda_context, caplog):
    # When someone signs up while SES refuses the confirmation email
    from tests.outbox import drain

    with caplog.at_level(logging.INFO):
        response = _pledge_api(
            "POST", "/signups", lambda_context, {"email": ADDRESS, "name": "Sam", "consent": True}
        )
        drain()  # the outbox consumer sends (here: tries to) what the sign-up owes
    # Then the answer is the documented 202, and the refusal is logged by its code only
    assert response["statusCode"] == 202, response
    assert body_of(response) == {"status": "confirmation_sent"}
    assert _refusals(caplog) == ["MessageRejected"]
    assert _without_address(caplog, ADDRESS)


@pytest.mark.usefixtures("ses_refuses")
def test_a_pledge_is_answered_as_documented_when_ses_refuses(lambda_context, caplog):
    # When someone pledges while SES refuses every email
    with caplog.at_level(logging.INFO):
        response = _pledge_api(
            "POST",
            "/pledges",
            lambda_context,
            {
                "name": "Ada Lovelace",
                "email": ADDRESS,
                "role": "teacher",
                "organisation": "Hill School",
                "show_on_wall": True,
            },
        )
    # Then it is a success (201 before the confirmation contract, 202 with it), never a 5xx
    assert response["statusCode"] in (201, 202), response
    assert set(_refusals(caplog)) <= {"MessageRejected"}
    assert _without_address(caplog, ADDRESS)


@pytest.mark.usefixtures("ses_refuses")
@pytest.mark.parametrize(
    "decision", [{"decision": "approve"}, {"decision": "reject", "reason_code": "poor_quality"}]
)
def test_a_photo_decision_stands_when_ses_refuses_to_tell_the_uploader(
    lambda_context, caplog, decision
):
    from tests.integration.test_moderation import decide, make_photo, photo

    # Given a photo awaiting moderation
    photo_id = make_photo(email=ADDRESS)
    # When an organiser decides it while SES refuses the uploader's email
    with caplog.at_level(logging.INFO):
        status, body = decide(photo_id, decision, lambda_context)
    # Then the decision is made and answered 200, and the refusal is logged by its code only
    assert status == 200, body
    assert photo(photo_id)["status"] == (
        "approved" if decision["decision"] == "approve" else "rejected"
    )
    assert _refusals(caplog) == ["MessageRejected"]
    assert _without_address(caplog, ADDRESS)


@pytest.mark.usefixtures("ses_refuses")
def test_a_draw_and_a_redraw_stand_when_ses_refuses_to_tell_anyone(
    lambda_context, caplog, monkeypatch
):
    from functions.prizedraw import handler
    from shared.config import load
    from tests.integration.test_draw_support import enter

    monkeypatch.setenv("ORGANISER_EMAILS", "boss@organisers.test")
    load.cache_clear()
    day = "2027-03-09"
    enter(day, 1, 2, 3)

    def call(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        response = handler.lambda_handler(
            http_event("POST", path, body=body, claims=ORGANISER_CLAIMS), lambda_context
        )
        return response["statusCode"], body_of(response)

    from tests.outbox import drain

    # When an organiser draws the day and redraws, while SES refuses every email
    with caplog.at_level(logging.INFO):
        drawn = call("/admin/draws", {"day": day})
        redrawn = call(f"/admin/draws/{day}/redraw", {"position": 1, "reason": "unreachable"})
        drain()  # the outbox consumer sends (here: tries to) what the two commits owe
    # Then both are made and answered as documented, and each refusal is logged by its code
    assert drawn[0] == 201, drawn
    assert redrawn[0] == 200, redrawn
    assert _refusals(caplog) and set(_refusals(caplog)) == {"MessageRejected"}
    assert _without_address(caplog, "tech1@school.test")
    assert _without_address(caplog, "boss@organisers.test")
