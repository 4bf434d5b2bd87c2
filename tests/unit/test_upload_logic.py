"""Upload models and the pure parts of the logic: no AWS."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from functions.upload.events import S3Object, UploadNotice, created_objects
from functions.upload.models import UploadIn
from functions.upload.reasons import TEXT, Reason
from shared.media import photo_id_of

VALID = {
    "caption": " Titration set-up ",
    "display_name": "Crieff High Techies",
    "school": "Crieff High",
    "email": " Tech@School.Test ",
    "content_type": "image/heic",
    "size_bytes": 3_000_000,
    "consent": True,
}


def test_upload_request_is_trimmed_and_email_normalised() -> None:
    body = UploadIn.model_validate(VALID)
    assert body.caption == "Titration set-up"
    assert body.email == "tech@school.test"


@pytest.mark.parametrize(
    "change",
    [
        {"consent": False},
        {"consent": "true"},
        {"content_type": "image/svg+xml"},
        {"size_bytes": 0},
        {"size_bytes": 1.5},
        {"size_bytes": True},
        {"display_name": "x" * 81},
        {"school": ""},
        {"email": "a@b"},
    ],
)
def test_invalid_upload_requests_are_refused(change) -> None:
    with pytest.raises(ValidationError):
        UploadIn.model_validate({**VALID, **change})


def _objects(body: str) -> list[S3Object]:
    """The created objects of one SQS record carrying `body`, as the batch processor parses it."""
    record = {
        "messageId": "m1",
        "receiptHandle": "r",
        "body": body,
        "md5OfBody": "x",
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1773000000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1773000000001",
        },
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-2:123456789012:photo-uploads",
        "awsRegion": "eu-west-2",
    }
    return created_objects(UploadNotice.model_validate(record).body)


def _created(key: str, **object_fields: object) -> str:
    """An S3 notification as the embedded S3 (moto) sends it: no userIdentity, no sequencer."""
    return json.dumps(
        {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": "eu-west-2",
                    "eventTime": "2027-03-08T10:00:00.000Z",
                    "eventName": "ObjectCreated:Post",
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": "uploads",
                        "bucket": {"name": "media", "arn": "arn:aws:s3:::media"},
                        "object": {"key": key, "size": 3, "eTag": "e", **object_fields},
                    },
                }
            ]
        }
    )


def test_s3_test_event_and_non_created_records_yield_nothing() -> None:
    assert _objects(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})) == []
    assert _objects(json.dumps({"Records": [{"eventName": "ObjectRemoved:Delete"}]})) == []
    assert _objects("[]") == []
    assert _objects("{broken") == []


def test_created_objects_are_read_from_the_notification_with_their_keys_decoded() -> None:
    (obj,) = _objects(_created("incoming/a%2Bb+c", sequencer="0A"))
    assert obj == S3Object(bucket="media", key="incoming/a+b c", etag="e", sequencer="0A", size=3)
    assert obj.claim == "e#0A"
    (unsequenced,) = _objects(_created("incoming/x"))  # moto's events carry no sequencer
    assert unsequenced.claim == "e#"


def test_keys_outside_incoming_or_with_odd_ids_are_not_photos() -> None:
    assert photo_id_of("incoming/abc_DEF-123") == "abc_DEF-123"
    for key in ("private/abc/display.jpg", "incoming/", "incoming/a/b", "incoming/../x"):
        assert photo_id_of(key) is None


def test_every_reason_has_plain_words() -> None:
    assert set(TEXT) == set(Reason)
    assert all(text.endswith(".") and "error" not in text.casefold() for text in TEXT.values())


def test_stored_photos_are_read_as_typed_records() -> None:
    # Given items as DynamoDB returns them (numbers as Decimal, attributes no reader needs)
    from decimal import Decimal

    from shared.photo_records import PhotoRecord, PublicPhotoRecord
    from shared.photos import Status

    record = PhotoRecord.of(
        {
            "pk": "PHOTO#p1",
            "sk": "PHOTO",
            "photo_id": "p1",
            "status": "failed",
            "size_bytes": Decimal(5_000_000),
            "email": "tech@school.test",
            "ip_hash": "h1",
            "reason": "Too big.",
        }
    )
    public = PublicPhotoRecord.of(
        {
            "photo_id": "p1",
            "caption": "Rig",
            "display_name": "Sam",
            "school": "Crieff",
            "uploaded_at": "2027-03-08T10:00:00Z",
            "width": Decimal(1600),
            "gsi1pk": "GALLERY#2027",
        }
    )
    # Then they read as typed values, and what a reader does not name stays out
    assert (record.status, record.size_bytes, record.reason, record.caption) == (
        Status.FAILED,
        5_000_000,
        "Too big.",
        "",
    )
    assert record.email == "tech@school.test"
    assert not hasattr(record, "ip_hash") and not hasattr(record, "pk")
    assert "item" not in record.model_dump()  # the item as read is for the writes only
    assert (public.width, public.height) == (1600, 0)  # an unknown height reads as 0, as before
    with pytest.raises(ValidationError):
        PhotoRecord.of({"photo_id": "p1", "status": "lost"})
