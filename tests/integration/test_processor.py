"""The processor against moto: S3 notification → SQS → processor, and every way it can go wrong."""

from __future__ import annotations

import io
from functools import cache
from typing import Any

import pytest
from PIL import Image

from tests.integration import test_upload_flow_support as flow
from tests.unit import test_imaging_corpus as corpus


@cache
def _jpeg() -> bytes:
    return corpus.jpeg(corpus.photo_like((1800, 1200)))


def _uploaded(aws_env, lambda_context, *pictures: bytes) -> tuple[str, list[dict[str, Any]]]:
    """A reservation, its file uploaded (once per picture: the form used again), and the
    notifications S3 sent for it (without S3's test event)."""
    photo_id = flow.reserve(lambda_context)["photo_id"]
    for picture in pictures or (_jpeg(),):
        flow.upload(aws_env, photo_id, picture)
    messages = [m for m in flow.receive(aws_env) if "TestEvent" not in m["Body"]]
    return photo_id, messages


def _processed_once(aws_env, photo_id: str) -> dict[str, Any]:
    """The photo awaits moderation, processed once, and only its derivatives are kept."""
    item = flow.photo_item(aws_env, photo_id)
    assert item is not None
    assert item["status"] == "pending_moderation"
    assert flow.trail(aws_env, photo_id).count("processed") == 1
    assert flow.keys(aws_env) == set(item["files"])
    return item


def test_upload_is_processed_into_clean_private_derivatives(aws_env, lambda_context) -> None:
    # Given a reservation and its file arriving in incoming/
    photo_id = flow.reserve(lambda_context)["photo_id"]
    flow.upload(aws_env, photo_id, _jpeg())
    # When the processor handles the notification (after moto's s3:TestEvent)
    results = flow.process_pending(aws_env, lambda_context)
    # Then nothing failed, the photo awaits moderation with its size and files
    assert all(r["batchItemFailures"] == [] for r in results)
    item = flow.photo_item(aws_env, photo_id)
    assert item is not None
    assert item["status"] == "pending_moderation"
    assert (item["width"], item["height"]) == (1600, 1067)
    assert item["files"] == [f"private/{photo_id}/display.jpg", f"private/{photo_id}/thumb.jpg"]
    assert item["prescreen"]["status"] == "ok"
    assert item["gsi2pk"] == "PHOTOS#pending_moderation"
    # and the original is gone; the derivatives are JPEGs with a CDN cache policy and no EXIF
    assert flow.keys(aws_env) == set(item["files"])
    got = flow.s3().get_object(Bucket=aws_env.bucket_names["media"], Key=item["files"][0])
    assert got["ContentType"] == "image/jpeg"
    assert got["CacheControl"] == "public, max-age=31536000, immutable"
    assert not Image.open(io.BytesIO(got["Body"].read())).getexif()
    assert flow.trail(aws_env, photo_id) == ["uploaded", "processed", "prescreened"]


@pytest.mark.parametrize(
    ("make", "size"),
    [
        (lambda: corpus.iphone_hdr_jpeg((1800, 1200)), (1600, 1067)),
        (
            lambda: corpus.heic_collection(
                [Image.new("RGB", (90, 60), (20, 200, 20)), corpus.upright((900, 600))], primary=1
            ),
            (900, 600),
        ),
    ],
    ids=["iphone-hdr-mpf-jpeg", "two-image-heic"],
)
def test_photos_holding_several_pictures_reach_moderation_as_their_primary(
    aws_env, lambda_context, make, size
) -> None:
    # Given an iPhone HDR JPEG (a gain map listed in its MPF index) or a HEIF holding two
    # images, arriving for a reservation
    data = make()
    photo_id = flow.reserve(lambda_context, content_type="image/jpeg")["photo_id"]
    flow.upload(aws_env, photo_id, data)
    # When the processor handles it
    results = flow.process_pending(aws_env, lambda_context)
    # Then it awaits moderation as its primary picture, one clean JPEG, the rest dropped
    assert all(r["batchItemFailures"] == [] for r in results)
    item = flow.photo_item(aws_env, photo_id)
    assert item is not None
    assert item["status"] == "pending_moderation", item.get("reason")
    assert (item["width"], item["height"]) == size
    for key in item["files"]:
        body = flow.s3().get_object(Bucket=aws_env.bucket_names["media"], Key=key)["Body"].read()
        image = Image.open(io.BytesIO(body))
        assert image.format == "JPEG" and getattr(image, "n_frames", 1) == 1
        assert not image.getexif()
        assert b"MPF\x00" not in body and body.rindex(b"\xff\xd9") == len(body) - 2
    assert flow.keys(aws_env) == set(item["files"])  # the original, gain map and all, is gone
    assert flow.trail(aws_env, photo_id) == ["uploaded", "processed", "prescreened"]


def test_flagged_prescreen_is_stored_and_sorts_first(aws_env, lambda_context) -> None:
    photo_id = flow.reserve(lambda_context, caption="Our pupils testing the flag experiment")[
        "photo_id"
    ]
    flow.upload(aws_env, photo_id, _jpeg())
    flow.process_pending(aws_env, lambda_context)
    item = flow.photo_item(aws_env, photo_id)
    assert item is not None
    assert item["prescreen"]["status"] == "flagged"
    assert item["gsi2sk"].startswith("0#")


def test_a_file_that_is_not_a_photo_fails_with_a_reason_and_is_not_retried(
    aws_env, lambda_context
) -> None:
    photo_id = flow.reserve(lambda_context)["photo_id"]
    flow.upload(aws_env, photo_id, corpus.jpeg() + corpus.PHP)
    results = flow.process_pending(aws_env, lambda_context)
    assert all(r["batchItemFailures"] == [] for r in results)  # the file's fault: no retry
    item = flow.photo_item(aws_env, photo_id)
    assert item is not None
    assert item["status"] == "failed"
    assert item["reason_code"] == "polyglot"
    assert "extra data" in item["reason"]
    assert flow.keys(aws_env) == set()  # nothing kept of it
    assert flow.trail(aws_env, photo_id)[-1] == "failed"


def test_an_object_larger_than_reserved_fails(aws_env, lambda_context) -> None:
    photo_id = flow.reserve(lambda_context, size_bytes=1000)["photo_id"]
    flow.upload(aws_env, photo_id, _jpeg())
    flow.process_pending(aws_env, lambda_context)
    item = flow.photo_item(aws_env, photo_id)
    assert item is not None
    assert (item["status"], item["reason_code"]) == ("failed", "too_large")


def test_duplicate_notification_is_processed_once(aws_env, lambda_context) -> None:
    from functions.upload.processor import lambda_handler

    # Given one upload whose notification is delivered twice
    photo_id, messages = _uploaded(aws_env, lambda_context)
    assert len(messages) == 1
    # When both deliveries are handled
    first = flow.run(lambda_handler, aws_env, messages, lambda_context)
    second = flow.run(lambda_handler, aws_env, messages, lambda_context)
    # Then it was processed exactly once, and the duplicate changed nothing
    assert first["batchItemFailures"] == second["batchItemFailures"] == []
    _processed_once(aws_env, photo_id)


def test_reused_form_after_approval_changes_nothing_published(aws_env, lambda_context) -> None:
    # Given a photo processed and approved (public copies exist)
    photo_id = flow.reserve(lambda_context)["photo_id"]
    flow.upload(aws_env, photo_id, _jpeg())
    flow.process_pending(aws_env, lambda_context)
    flow.approve(aws_env, photo_id)
    bucket = aws_env.bucket_names["media"]
    before = {
        k: flow.s3().get_object(Bucket=bucket, Key=k)["Body"].read() for k in flow.keys(aws_env)
    }
    version = flow.photo_item(aws_env, photo_id)["version"]  # type: ignore[index]
    # When the same form is used again with another picture
    flow.upload(aws_env, photo_id, corpus.jpeg(corpus.upright((900, 600))))
    results = flow.process_pending(aws_env, lambda_context)
    # Then the photo, its derivatives and its public copies are untouched; the stray is deleted
    assert all(r["batchItemFailures"] == [] for r in results)
    item = flow.photo_item(aws_env, photo_id)
    assert item is not None
    assert (item["status"], item["version"]) == ("approved", version)
    after = {
        k: flow.s3().get_object(Bucket=bucket, Key=k)["Body"].read() for k in flow.keys(aws_env)
    }
    assert after == before
    assert f"incoming/{photo_id}" not in after


def test_out_of_order_events_for_one_photo_end_in_one_result(aws_env, lambda_context) -> None:
    from functions.upload.processor import lambda_handler

    # Given a form used twice before any notification was handled
    photo_id, messages = _uploaded(
        aws_env, lambda_context, _jpeg(), corpus.jpeg(corpus.upright((900, 600)))
    )
    assert len(messages) == 2
    # When the later notification is handled first, then the earlier one
    for message in reversed(messages):
        result = flow.run(lambda_handler, aws_env, [message], lambda_context)
        assert result["batchItemFailures"] == []
    # Then the photo was processed once, from the object in the bucket, and nothing is left over
    item = _processed_once(aws_env, photo_id)
    assert (item["width"], item["height"]) == (900, 600)


def test_crash_half_way_then_retry_finishes_the_job_once(
    aws_env, lambda_context, monkeypatch
) -> None:
    from functions.upload.processor import lambda_handler
    from shared import media

    # Given the processor crashing after writing the display image
    photo_id, messages = _uploaded(aws_env, lambda_context)
    real_write = media.S3Media.write

    def crashing_write(self, key, data, *, content_type):
        if key.endswith("thumb.jpg"):
            raise ConnectionError("S3 went away")
        real_write(self, key, data, content_type=content_type)

    monkeypatch.setattr(media.S3Media, "write", crashing_write)
    first = flow.run(lambda_handler, aws_env, messages, lambda_context)
    # Then the message is reported failed (SQS retries it) and the photo is mid-way
    assert first["batchItemFailures"] == [{"itemIdentifier": messages[0]["MessageId"]}]
    assert flow.photo_item(aws_env, photo_id)["status"] == "processing"  # type: ignore[index]
    # When the same message is retried after S3 recovered
    monkeypatch.setattr(media.S3Media, "write", real_write)
    retry = {
        **messages[0],
        "Attributes": {**messages[0].get("Attributes", {}), "ApproximateReceiveCount": "2"},
    }
    second = flow.run(lambda_handler, aws_env, [retry], lambda_context)
    # Then it finishes, once
    assert second["batchItemFailures"] == []
    _processed_once(aws_env, photo_id)


def test_dead_lettered_message_marks_the_photo_failed(aws_env, lambda_context) -> None:
    from functions.upload.failures import lambda_handler as failures

    # Given an upload whose processing kept failing until its message was dead-lettered
    photo_id, messages = _uploaded(aws_env, lambda_context)
    # When the DLQ consumer gets it (twice, as SQS may deliver)
    for _ in range(2):
        result = flow.run(failures, aws_env, messages, lambda_context, queue="photo-uploads-dlq")
        assert result["batchItemFailures"] == []
    # Then the photo is failed with words a technician understands, recorded once
    from tests.events import body_of

    state = body_of(flow.api("GET", f"/uploads/{photo_id}", lambda_context))
    assert state == {
        "photo_id": photo_id,
        "status": "failed",
        "reason": "We couldn't process this upload, please try again.",
    }
    assert flow.trail(aws_env, photo_id).count("failed") == 1


def test_dead_letter_never_touches_a_photo_that_finished(aws_env, lambda_context) -> None:
    from functions.upload.failures import lambda_handler as failures
    from functions.upload.processor import lambda_handler

    photo_id, messages = _uploaded(aws_env, lambda_context)
    flow.run(lambda_handler, aws_env, messages, lambda_context)
    flow.run(failures, aws_env, messages, lambda_context, queue="photo-uploads-dlq")
    assert flow.photo_item(aws_env, photo_id)["status"] == "pending_moderation"  # type: ignore[index]


@pytest.mark.parametrize("body", ['{"Service":"Amazon S3","Event":"s3:TestEvent"}', "not json"])
def test_test_events_and_unreadable_bodies_are_dropped(aws_env, lambda_context, body) -> None:
    from functions.upload.processor import lambda_handler

    # (with the attributes SQS always delivers)
    message = {
        "MessageId": "m1",
        "ReceiptHandle": "r",
        "Body": body,
        "MD5OfBody": "x",
        "Attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1773000000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1773000000001",
        },
    }
    assert flow.run(lambda_handler, aws_env, [message], lambda_context)["batchItemFailures"] == []
