"""A technician's photo end to end on the local stack: reserve, POST to S3, processed, seen by
organisers, approved, in the gallery, and the images served clean over HTTP."""

from __future__ import annotations

import io
from typing import Any

import pytest
import requests
from PIL import Image

from tests.e2e.conftest import wait_for
from tests.unit import test_imaging_corpus as corpus

pytestmark = pytest.mark.e2e


def _reserve(api: str, data: bytes, **overrides: Any) -> dict[str, Any]:
    body = {
        "caption": "Late-night prep for the Year 9 electrolysis practical",
        "display_name": "Crieff High Techies",
        "school": "Crieff High School",
        "email": "techies@crieff.sch.uk",
        "content_type": "image/jpeg",
        "size_bytes": len(data),
        "consent": True,
        **overrides,
    }
    response = requests.post(f"{api}/uploads", json=body, timeout=10)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _post_to_s3(created: dict[str, Any], data: bytes) -> requests.Response:
    # fields first, the file last, as the contract says
    return requests.post(
        created["upload"]["url"],
        data=created["upload"]["fields"],
        files={"file": ("photo.jpg", data, "image/jpeg")},
        timeout=10,
    )


def _status(api: str, photo_id: str) -> dict[str, Any]:
    state: dict[str, Any] = requests.get(f"{api}/uploads/{photo_id}", timeout=10).json()
    return state


def test_photo_goes_from_phone_to_gallery_without_its_gps(api, organiser_token) -> None:
    # Given a technician's phone photo, with GPS in its EXIF
    data = corpus.jpeg(corpus.photo_like((2400, 1800)))
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(corpus.GPS_IFD)
    # When they reserve an upload and POST the file to S3 with the form
    created = _reserve(api, data)
    photo_id = created["photo_id"]
    sent = _post_to_s3(created, data)
    assert sent.status_code in (200, 201, 204), sent.text
    # Then it is processed and waits for an organiser
    wait_for(lambda: _status(api, photo_id)["status"] == "pending_moderation")
    auth = {"Authorization": f"Bearer {organiser_token}"}
    queue = requests.get(
        f"{api}/admin/photos", params={"status": "pending_moderation"}, headers=auth, timeout=10
    )
    assert queue.status_code == 200, queue.text
    assert photo_id in [p["photo_id"] for p in queue.json()["items"]]
    # When an organiser approves it
    decided = requests.post(
        f"{api}/admin/photos/{photo_id}/decision",
        json={"decision": "approve"},
        headers=auth,
        timeout=10,
    )
    assert decided.status_code == 200, decided.text
    # Then it is in the gallery, newest first, with absolute URLs that serve clean JPEGs
    gallery = wait_for(
        lambda: [
            p
            for p in requests.get(f"{api}/photos", timeout=10).json()["items"]
            if p["photo_id"] == photo_id
        ]
    )
    item = gallery[0]
    assert (item["width"], item["height"]) == (1600, 1200)
    assert requests.get(f"{api}/photos/{photo_id}", timeout=10).json() == item
    for url, size in ((item["image_url"], (1600, 1200)), (item["thumbnail_url"], (400, 300))):
        assert url.startswith("http")
        fetched = requests.get(url, timeout=10)
        assert fetched.status_code == 200
        image = Image.open(io.BytesIO(fetched.content))
        assert image.format == "JPEG" and image.size == size
        assert not image.getexif()  # no EXIF, so no GPS
        assert "icc_profile" not in image.info
    assert _status(api, photo_id)["status"] == "approved"

    # When someone reports it, Then it leaves the gallery at once and its URLs stop working (once
    # the outbox performed the takedown the report owes)
    reported = requests.post(
        f"{api}/photos/{photo_id}/reports",
        json={"reason": "Please check consent for this one"},
        timeout=10,
    )
    assert reported.status_code == 202
    assert requests.get(f"{api}/photos/{photo_id}", timeout=10).status_code == 404
    wait_for(
        lambda: requests.get(item["image_url"], timeout=10).status_code in (403, 404), timeout_s=30
    )


def test_a_file_that_is_not_a_photo_ends_failed_with_words_a_technician_understands(api) -> None:
    data = b"%PDF-1.7 definitely not a photo"
    created = _reserve(api, data)
    assert _post_to_s3(created, data).status_code in (200, 201, 204)
    state = wait_for(lambda: (s := _status(api, created["photo_id"]))["status"] == "failed" and s)
    assert state["reason"] == (
        "This file isn't a photo we can read: please upload a JPEG, PNG, WebP or HEIC."
    )
