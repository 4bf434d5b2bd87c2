"""Helpers shared by the upload integration tests (no tests here)."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3

from local.pollers import sqs_event
from tests.events import body_of, http_event

REGION = "eu-west-2"

UPLOAD = {
    "caption": "Setting up the titration practical for Year 11",
    "display_name": "Crieff High Techies",
    "school": "Crieff High School",
    "email": "Tech.Team@Crieff.sch.uk ",
    "content_type": "image/jpeg",
    "size_bytes": 5_000_000,
    "consent": True,
}


def api(method: str, path: str, lambda_context: Any, **kwargs: Any) -> dict[str, Any]:
    from functions.upload.handler import lambda_handler

    result: dict[str, Any] = lambda_handler(http_event(method, path, **kwargs), lambda_context)
    return result


def reserve(lambda_context: Any, **overrides: Any) -> dict[str, Any]:
    response = api("POST", "/uploads", lambda_context, body={**UPLOAD, **overrides})
    assert response["statusCode"] == 201, response
    created: dict[str, Any] = body_of(response)
    return created


def policy_of(created: dict[str, Any]) -> dict[str, Any]:
    policy: dict[str, Any] = json.loads(base64.b64decode(created["upload"]["fields"]["policy"]))
    return policy


def s3() -> Any:
    return boto3.client("s3", region_name=REGION)


def sqs() -> Any:
    return boto3.client("sqs", region_name=REGION)


def upload(provisioned: Any, photo_id: str, data: bytes) -> None:
    """What the browser's multipart POST ends in: the object under incoming/ (moto notifies)."""
    s3().put_object(
        Bucket=provisioned.bucket_names["media"],
        Key=f"incoming/{photo_id}",
        Body=data,
        ContentType="image/jpeg",
    )


def receive(provisioned: Any, queue: str = "photo-uploads") -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = (
        sqs()
        .receive_message(
            QueueUrl=provisioned.queue_urls[queue],
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        .get("Messages", [])
    )
    for m in messages:
        sqs().delete_message(
            QueueUrl=provisioned.queue_urls[queue], ReceiptHandle=m["ReceiptHandle"]
        )
    return messages


def run(
    handler: Any,
    provisioned: Any,
    messages: list[dict[str, Any]],
    context: Any,
    queue: str = "photo-uploads",
) -> dict[str, Any]:
    event = sqs_event(messages, provisioned.queue_arns[queue], REGION)
    result: dict[str, Any] = handler(event, context)
    return result


def process_pending(provisioned: Any, context: Any) -> list[dict[str, Any]]:
    """Deliver every queued notification to the processor, one message per invocation."""
    from functions.upload.processor import lambda_handler

    results = []
    for message in receive(provisioned):
        results.append(run(lambda_handler, provisioned, [message], context))
    return results


def photo_item(provisioned: Any, photo_id: str) -> dict[str, Any] | None:
    from shared.dynamo import Table
    from shared.photos import get_photo

    return get_photo(Table(provisioned.table_name), photo_id, consistent=True)


def keys(provisioned: Any) -> set[str]:
    listed = s3().list_objects_v2(Bucket=provisioned.bucket_names["media"])
    return {o["Key"] for o in listed.get("Contents", [])}


def approve(provisioned: Any, photo_id: str) -> None:
    """What moderation's approval does to storage, for tests that must not depend on it."""
    from shared.dynamo import Table
    from shared.media import derivative_keys
    from shared.photos import Status, get_photo, go_live, move

    table = Table(provisioned.table_name)
    item = get_photo(table, photo_id, consistent=True)
    assert item is not None
    bucket = provisioned.bucket_names["media"]
    private, public = derivative_keys(photo_id, "private"), derivative_keys(photo_id, "public")
    for name in private:
        s3().copy_object(
            Bucket=bucket, Key=public[name], CopySource={"Bucket": bucket, "Key": private[name]}
        )
    moved = move(
        table, item, leaving=(Status.PENDING_MODERATION, Status.REPORTED), to=Status.APPROVED
    )
    go_live(table, moved)  # the outbox lists it once its copies exist (as above)


def trail(provisioned: Any, photo_id: str) -> list[str]:
    from shared.audit import trail as audit_trail
    from shared.dynamo import Table

    return [i["action"] for i in audit_trail(Table(provisioned.table_name), f"PHOTO#{photo_id}")]
