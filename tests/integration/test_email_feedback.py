"""SES bounce/complaint feedback through SNS → SQS → the feedback function, against moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.events import http_event
from tests.settings import AllSettings


def notification(kind: str, address: str, bounce_type: str = "Permanent") -> dict[str, Any]:
    if kind == "Bounce":
        return {
            "notificationType": "Bounce",
            "bounce": {"bounceType": bounce_type, "bouncedRecipients": [{"emailAddress": address}]},
        }
    return {
        "notificationType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": address}]},
    }


def deliver_through_sns(aws_env: Any, lambda_context: Any, note: dict[str, Any]) -> Any:
    """Publish like SES does, then hand what the queue received to the function."""
    import boto3

    from functions.people.feedback import lambda_handler

    sns = boto3.client("sns", region_name="eu-west-2")
    sqs = boto3.client("sqs", region_name="eu-west-2")
    sns.publish(TopicArn=aws_env.topic_arns["email-feedback"], Message=json.dumps(note))
    received = sqs.receive_message(
        QueueUrl=aws_env.queue_urls["email-feedback"], MaxNumberOfMessages=10
    )["Messages"]
    event = {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-2:123456789012:email-feedback",
                "awsRegion": "eu-west-2",
            }
            for m in received
        ]
    }
    return lambda_handler(event, lambda_context)


def mails(to: str) -> list[Any]:
    from moto.ses.models import ses_backends

    from tests.outbox import drain

    drain()  # the outbox consumer sends what the requests owe

    return [
        m
        for m in ses_backends["123456789012"]["eu-west-2"].sent_messages
        if to in m.destinations["ToAddresses"]
    ]


def sign_up(lambda_context: Any, email: str) -> None:
    from functions.pledge.handler import lambda_handler

    body = {"email": email, "name": "Bo", "consent": True}
    response = lambda_handler(http_event("POST", "/signups", body=body), lambda_context)
    assert response["statusCode"] == 202


def test_a_bounced_address_gets_no_more_mail(aws_env, lambda_context, monkeypatch):
    from functions.pledge import handler

    now = {"at": datetime(2027, 3, 9, 12, tzinfo=UTC)}
    monkeypatch.setattr(handler, "utc_now", lambda: now["at"])
    # Given Bo signed up and got one email, which then bounced permanently
    sign_up(lambda_context, "bo@bouncy.test")
    assert len(mails("bo@bouncy.test")) == 1
    result = deliver_through_sns(
        aws_env, lambda_context, notification("Bounce", "Bo <BO@bouncy.test>")
    )
    assert result == {"batchItemFailures": []}
    # When Bo signs up again after the resend window
    now["at"] += timedelta(hours=1)
    sign_up(lambda_context, "bo@bouncy.test")
    # Then no second email went out
    assert len(mails("bo@bouncy.test")) == 1


def test_a_complaint_suppresses_and_a_transient_bounce_does_not(aws_env, lambda_context):
    from shared.config import load
    from shared.dynamo import Table
    from shared.mail import is_suppressed
    from shared.people import person_id

    deliver_through_sns(aws_env, lambda_context, notification("Complaint", "c@x.test"))
    deliver_through_sns(
        aws_env, lambda_context, notification("Bounce", "t@x.test", bounce_type="Transient")
    )
    config = load(AllSettings)
    table = Table(config.table_name)
    assert is_suppressed(table, person_id(config, "c@x.test"))
    assert not is_suppressed(table, person_id(config, "t@x.test"))


def test_an_unreadable_notification_is_dropped_not_retried(aws_env, lambda_context):
    from functions.people.feedback import lambda_handler

    event = {
        "Records": [
            {
                "messageId": "m1",
                "receiptHandle": "r",
                "body": "not json",
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-2:123456789012:email-feedback",
                "awsRegion": "eu-west-2",
            }
        ]
    }
    assert lambda_handler(event, lambda_context) == {"batchItemFailures": []}
