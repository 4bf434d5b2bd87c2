"""Upload models and the pure parts of the logic: no AWS."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from functions.upload.logic import s3_objects
from functions.upload.models import UploadIn
from functions.upload.reasons import TEXT, Reason
from shared.media import photo_id_of

VALID = {"caption": " Titration set-up ", "display_name": "Crieff High Techies",
         "school": "Crieff High", "email": " Tech@School.Test ", "content_type": "image/heic",
         "size_bytes": 3_000_000, "consent": True}


def test_upload_request_is_trimmed_and_email_normalised() -> None:
    body = UploadIn.model_validate(VALID)
    assert body.caption == "Titration set-up"
    assert body.email == "tech@school.test"


@pytest.mark.parametrize("change", [
    {"consent": False}, {"consent": "true"}, {"content_type": "image/svg+xml"},
    {"size_bytes": 0}, {"size_bytes": 1.5}, {"size_bytes": True}, {"display_name": "x" * 81},
    {"school": ""}, {"email": "a@b"},
])
def test_invalid_upload_requests_are_refused(change) -> None:
    with pytest.raises(ValidationError):
        UploadIn.model_validate({**VALID, **change})


def test_s3_test_event_and_non_created_records_yield_nothing() -> None:
    assert s3_objects(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})) == []
    assert s3_objects(json.dumps({"Records": [{"eventName": "ObjectRemoved:Delete"}]})) == []
    assert s3_objects("[]") == []
    assert s3_objects("{broken") == []


def test_keys_outside_incoming_or_with_odd_ids_are_not_photos() -> None:
    assert photo_id_of("incoming/abc_DEF-123") == "abc_DEF-123"
    for key in ("private/abc/display.jpg", "incoming/", "incoming/a/b", "incoming/../x"):
        assert photo_id_of(key) is None


def test_every_reason_has_plain_words() -> None:
    assert set(TEXT) == set(Reason)
    assert all(text.endswith(".") and "error" not in text.casefold() for text in TEXT.values())
