"""The upload API against moto: reservations and their form, statuses, the gallery, reports."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.events import body_of
from tests.integration.test_upload_flow_support import (
    UPLOAD,
    api,
    approve,
    keys,
    photo_item,
    policy_of,
    process_pending,
    reserve,
    trail,
    upload,
)
from tests.unit import test_imaging_corpus as corpus


def _published(aws_env, lambda_context, **overrides: Any) -> str:
    photo_id = reserve(lambda_context, **overrides)["photo_id"]
    upload(aws_env, photo_id, corpus.jpeg(corpus.upright((640, 480))))
    process_pending(aws_env, lambda_context)
    approve(aws_env, photo_id)
    return str(photo_id)


def _forget_config() -> None:
    from shared import config

    config.load.cache_clear()


# -- reservations ------------------------------------------------------------------------------
def test_reservation_returns_a_sigv4_post_form_pinning_key_type_size_and_expiry(
    aws_env, lambda_context
) -> None:
    # When a technician reserves an upload
    before = datetime.now(UTC)
    created = reserve(lambda_context, content_type="image/png", size_bytes=123_456)
    # Then the answer has the contract's shape
    photo_id = created["photo_id"]
    assert created["status"] == "awaiting_upload"
    assert created["upload"]["url"].startswith("https://") and "media" in created["upload"]["url"]
    fields = created["upload"]["fields"]
    assert fields["key"] == f"incoming/{photo_id}"
    assert fields["Content-Type"] == "image/png"
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert {"x-amz-credential", "x-amz-date", "x-amz-signature", "policy"} <= set(fields)
    # and the policy pins the exact key, the exact type, 1..size bytes, at most 15 minutes
    policy = policy_of(created)
    conditions = policy["conditions"]
    assert {"key": f"incoming/{photo_id}"} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, 123_456] in conditions
    assert {"bucket": "media"} in conditions
    assert not any(isinstance(c, list) and c[0] == "starts-with" for c in conditions)
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert expiration - before <= timedelta(minutes=15, seconds=5)
    assert created["expires_at"].endswith("Z")


def test_reservation_stores_the_record_with_pseudonyms_not_ip(aws_env, lambda_context) -> None:
    photo_id = reserve(lambda_context)["photo_id"]
    item = photo_item(aws_env, photo_id)
    assert item is not None
    assert item["status"] == "awaiting_upload"
    assert item["email"] == "tech.team@crieff.sch.uk"  # trimmed, case-folded
    assert (item["caption"], item["display_name"], item["school"]) == (
        UPLOAD["caption"],
        UPLOAD["display_name"],
        UPLOAD["school"],
    )
    assert len(item["person"]) == 16 and item["gsi3pk"] == f"PERSON#{item['person']}"
    assert "203.0.113.7" not in str(item)  # the client IP only as its keyed pseudonym
    assert item["ip_hash"] and len(item["ip_hash"]) == 16
    assert item["day"] == datetime.now(ZoneInfo("Europe/London")).date().isoformat()
    # an abandoned reservation disappears: its TTL is about a day away, not months
    assert item["ttl"] - time.time() < 2 * 86400
    assert trail(aws_env, photo_id) == ["uploaded"]


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"consent": False}, 422),
        ({"content_type": "image/gif"}, 422),
        ({"size_bytes": 0}, 422),
        ({"size_bytes": "12"}, 422),
        ({"caption": " "}, 422),
        ({"caption": "x" * 281}, 422),
        ({"email": "not-an-email"}, 422),
        ({"size_bytes": 15 * 1024 * 1024 + 1}, 413),
    ],
)
def test_invalid_reservations_are_problems(aws_env, lambda_context, change, status) -> None:
    response = api("POST", "/uploads", lambda_context, body={**UPLOAD, **change})
    assert response["statusCode"] == status
    assert response["headers"]["Content-Type"] == "application/problem+json"
    assert "crieff.sch.uk" not in response["body"].casefold()  # never echoes the email


def test_malformed_json_is_400(aws_env, lambda_context) -> None:
    assert api("POST", "/uploads", lambda_context, body="{nope")["statusCode"] == 400


def test_one_email_may_reserve_only_so_many_a_day(aws_env, lambda_context, monkeypatch) -> None:
    monkeypatch.setenv("UPLOADS_PER_EMAIL_PER_DAY", "2")
    _forget_config()
    for _ in range(2):
        reserve(lambda_context, email="Lab@School.test")
    refused = api("POST", "/uploads", lambda_context, body={**UPLOAD, "email": "lab@school.test"})
    assert refused["statusCode"] == 429
    assert 0 < int(refused["headers"]["Retry-After"]) <= 25 * 3600
    reserve(lambda_context, email="someone.else@school.test")  # others are not affected
    _forget_config()


def test_one_ip_may_make_only_so_many_writes_an_hour(aws_env, lambda_context, monkeypatch) -> None:
    monkeypatch.setenv("WRITES_PER_IP_PER_HOUR", "2")
    _forget_config()
    for n in range(2):
        reserve(lambda_context, email=f"tech{n}@school.test")
    refused = api("POST", "/uploads", lambda_context, body=UPLOAD)
    assert refused["statusCode"] == 429
    assert 0 < int(refused["headers"]["Retry-After"]) <= 3600
    other = api("POST", "/uploads", lambda_context, body=UPLOAD, source_ip="198.51.100.9")
    assert other["statusCode"] == 201
    _forget_config()


# -- statuses ----------------------------------------------------------------------------------
def test_upload_status_follows_the_photo(aws_env, lambda_context) -> None:
    photo_id = reserve(lambda_context)["photo_id"]
    state = body_of(api("GET", f"/uploads/{photo_id}", lambda_context))
    assert state == {"photo_id": photo_id, "status": "awaiting_upload", "reason": None}
    upload(aws_env, photo_id, b"")
    process_pending(aws_env, lambda_context)
    state = body_of(api("GET", f"/uploads/{photo_id}", lambda_context))
    assert state["status"] == "failed"
    assert state["reason"].startswith("The file was empty")


@pytest.mark.parametrize("photo_id", ["nope", "a" * 65, "..%2F.."])
def test_unknown_or_malformed_upload_ids_are_404(aws_env, lambda_context, photo_id) -> None:
    assert api("GET", f"/uploads/{photo_id}", lambda_context)["statusCode"] == 404


# -- the gallery -------------------------------------------------------------------------------
def test_gallery_lists_approved_photos_newest_first_one_query_per_page(
    aws_env, lambda_context
) -> None:
    from tests.spy import aws_calls

    # Given two approved photos and one still awaiting moderation
    first = _published(aws_env, lambda_context, caption="First")
    time.sleep(1.01)  # uploaded_at has a resolution of one second
    second = _published(aws_env, lambda_context, caption="Second")
    reserve(lambda_context, caption="Not yet")
    # When the gallery is read one photo per page
    with aws_calls("dynamodb") as calls:
        page1 = body_of(api("GET", "/photos", lambda_context, query={"limit": "1"}))
        pages_calls = [c for c in calls if c in ("query", "scan")]
        page2 = body_of(
            api(
                "GET",
                "/photos",
                lambda_context,
                query={"limit": "1", "cursor": page1["next_cursor"]},
            )
        )
    # Then it is newest first, paginated, and one Query (never a Scan) per page
    assert [i["photo_id"] for i in page1["items"] + page2["items"]] == [second, first]
    assert pages_calls == ["query"]
    assert "scan" not in calls
    item = page1["items"][0]
    assert item == {
        "photo_id": second,
        "caption": "Second",
        "display_name": UPLOAD["display_name"],
        "school": UPLOAD["school"],
        "uploaded_at": item["uploaded_at"],
        "image_url": f"https://media.test/public/{second}/display.jpg",
        "thumbnail_url": f"https://media.test/public/{second}/thumb.jpg",
        "width": 640,
        "height": 480,
    }
    assert "email" not in str(page1)
    one = body_of(api("GET", f"/photos/{second}", lambda_context))
    assert one == item


def test_forged_gallery_cursor_is_400(aws_env, lambda_context) -> None:
    response = api("GET", "/photos", lambda_context, query={"cursor": "Zm9yZ2Vk"})
    assert response["statusCode"] == 400


def test_photos_not_approved_are_not_in_the_gallery(aws_env, lambda_context) -> None:
    photo_id = reserve(lambda_context)["photo_id"]
    assert api("GET", f"/photos/{photo_id}", lambda_context)["statusCode"] == 404
    assert body_of(api("GET", "/photos", lambda_context))["items"] == []


# -- reports -----------------------------------------------------------------------------------
def test_a_single_report_takes_the_photo_down_at_once(aws_env, lambda_context) -> None:
    # Given a photo in the gallery with its public copies
    photo_id = _published(aws_env, lambda_context)
    assert f"public/{photo_id}/display.jpg" in keys(aws_env)
    # When someone reports it
    response = api(
        "POST",
        f"/photos/{photo_id}/reports",
        lambda_context,
        body={"reason": "Shows a pupil's face without consent"},
    )
    # Then it is received, gone from the gallery, its public URLs stop working
    assert response["statusCode"] == 202
    assert body_of(response) == {"status": "received"}
    assert api("GET", f"/photos/{photo_id}", lambda_context)["statusCode"] == 404
    assert body_of(api("GET", "/photos", lambda_context))["items"] == []
    from tests.outbox import drain

    drain()  # the takedown the report owes (shared/outbox.py)
    assert not {k for k in keys(aws_env) if k.startswith("public/")}
    # and it is first in the organisers' reported queue, with the reason, and audited
    item = photo_item(aws_env, photo_id)
    assert item is not None
    assert item["status"] == "reported"
    assert item["gsi2pk"] == "PHOTOS#reported" and item["gsi2sk"].startswith("0#")
    assert "gsi1pk" not in item
    assert item["reports"][0]["reason"] == "Shows a pupil's face without consent"
    assert "203.0.113.7" not in str(item["reports"])
    assert trail(aws_env, photo_id)[-1] == "reported"
    # the uploader just sees it under review
    state = body_of(api("GET", f"/uploads/{photo_id}", lambda_context))
    assert state["status"] == "pending_moderation"
    # and a report on the photo now hidden is received but changes nothing
    version = item["version"]
    again = api(
        "POST",
        f"/photos/{photo_id}/reports",
        lambda_context,
        body={"reason": "Yes"},
        source_ip="198.51.100.1",
    )
    assert again["statusCode"] == 202
    after = photo_item(aws_env, photo_id)
    assert after is not None
    assert (after["version"], len(after["reports"])) == (version, 1)


def test_a_report_also_makes_the_cdn_forget_the_photo(aws_env, lambda_context, monkeypatch):
    from shared.aws import set_client
    from tests.outbox import drain

    # Given a published photo, behind a CDN in the cloud
    photo_id = _published(aws_env, lambda_context)
    invalidations: list[dict[str, Any]] = []

    class CloudFront:
        def create_invalidation(self, **request: Any) -> None:
            invalidations.append(request)

    monkeypatch.setenv("CDN_DISTRIBUTION_ID", "E2TECHOGNITION")
    _forget_config()
    set_client("cloudfront", CloudFront())
    # When it is reported, and the outbox performs the takedown the report owes
    api("POST", f"/photos/{photo_id}/reports", lambda_context, body={"reason": "not ok"})
    drain()
    # Then the exact paths of its public copies are invalidated (no wildcard)
    assert [i["DistributionId"] for i in invalidations] == ["E2TECHOGNITION"]
    assert invalidations[0]["InvalidationBatch"]["Paths"] == {
        "Quantity": 5,
        "Items": [
            f"/public/{photo_id}/display.jpg",
            f"/public/{photo_id}/thumb.jpg",
            f"/p/{photo_id}",
            f"/api/photos/{photo_id}",
            f"/photos/{photo_id}",
        ],
    }


def test_reports_on_photos_not_in_the_gallery_are_404(aws_env, lambda_context) -> None:
    photo_id = reserve(lambda_context)["photo_id"]
    for target in (photo_id, "missing"):
        response = api("POST", f"/photos/{target}/reports", lambda_context, body={"reason": "spam"})
        assert response["statusCode"] == 404
    assert photo_item(aws_env, photo_id)["status"] == "awaiting_upload"  # type: ignore[index]


def test_report_reason_is_validated(aws_env, lambda_context) -> None:
    for reason in ("", "x" * 501):
        response = api("POST", "/photos/abc/reports", lambda_context, body={"reason": reason})
        assert response["statusCode"] == 422
