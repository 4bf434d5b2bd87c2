"""shared.mail.send: a send SES refuses is logged by its code, never the address, and is no 500."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from shared import aws, mail

ADDRESS = "tess.tech@hill.sch.uk"
MESSAGE = mail.Email(to=ADDRESS, subject="Your photo is live", text="Thank you")


class _NoSuppressions:
    """The suppression list, empty: only `get` is used by `send`."""

    def get(self, pk: str, sk: str) -> None:
        return None


@pytest.fixture
def ses() -> Iterator[Stubber]:
    client = boto3.client(
        "ses", region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        aws.set_client("ses", client)
        yield stubber
    aws.set_client("ses", None)


def _send() -> bool:
    return mail.send(
        _NoSuppressions(),  # type: ignore[arg-type]
        "hello@techognition.test",
        "person1",
        MESSAGE,
        purpose="photo-decision",
    )


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return json.dumps([r.getMessage() + str(vars(r)) for r in caplog.records], default=str)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("MessageRejected", "Email address is not verified."),
        ("InvalidParameterValue", f"Illegal address: <{ADDRESS}>"),
        ("Throttling", "Maximum sending rate exceeded."),
        ("AccountSendingPausedException", "Sending paused for this account."),
    ],
)
def test_a_refused_send_is_logged_by_its_code_only_and_returns_false(
    ses: Stubber, caplog: pytest.LogCaptureFixture, code: str, message: str
) -> None:
    # Given SES refuses the send (its message may quote the address)
    ses.add_client_error(
        "send_email", service_error_code=code, service_message=message, http_status_code=400
    )
    # When a function sends
    with caplog.at_level(logging.INFO):
        sent = _send()
    # Then nothing is raised, the caller hears "not sent", and the log names only the code
    assert sent is False
    refused = [r for r in caplog.records if r.getMessage() == "email not sent"]
    assert [
        (r.levelno, getattr(r, "error_code", None), getattr(r, "purpose", None)) for r in refused
    ] == [(logging.WARNING, code, "photo-decision")]
    assert ADDRESS not in _logged(caplog) and "hill.sch.uk" not in _logged(caplog)


def test_an_unreachable_ses_is_logged_by_the_error_type(
    ses: Stubber, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given SES cannot be reached once the SDK's retries ran out
    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://email.eu-west-2.amazonaws.com/")

    monkeypatch.setattr(aws.client("ses"), "send_email", unreachable)
    # When a function sends, then it hears "not sent" and the log says why, without the address
    with caplog.at_level(logging.INFO):
        assert _send() is False
    refused = [r for r in caplog.records if r.getMessage() == "email not sent"]
    assert [getattr(r, "error_code", None) for r in refused] == ["EndpointConnectionError"]
    assert ADDRESS not in _logged(caplog)


def test_an_accepted_send_goes_to_the_plain_address(ses: Stubber) -> None:
    ses.add_response(
        "send_email",
        {"MessageId": "m1"},
        {
            "Source": "hello@techognition.test",
            "Destination": {"ToAddresses": [ADDRESS]},
            "Message": {
                "Subject": {"Data": "Your photo is live", "Charset": "UTF-8"},
                "Body": {"Text": {"Data": "Thank you", "Charset": "UTF-8"}},
            },
        },
    )
    assert _send() is True
    ses.assert_no_pending_responses()
