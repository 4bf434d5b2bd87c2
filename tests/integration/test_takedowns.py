"""Takedowns against moto, through the handlers: reports that hide or flag, their own rate limit,
invalidations owed through the outbox and retried until CloudFront accepts them, public rejection
reasons, audit TTLs, opaque cursors."""

from __future__ import annotations

import base64
from typing import Any

from tests.events import ORGANISER_CLAIMS, body_of, http_event
from tests.integration.test_upload_flow_support import (
    api,
    photo_item,
    process_pending,
    reserve,
    upload,
)
from tests.outbox import drain, poller
from tests.settings import AllSettings
from tests.unit import test_imaging_corpus as corpus


def _moderate(photo_id: str, body: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """An organiser's decision, and what the outbox performs for it."""
    from functions.moderation.handler import lambda_handler

    response = lambda_handler(
        http_event(
            "POST", f"/admin/photos/{photo_id}/decision", body=body, claims=ORGANISER_CLAIMS
        ),
        ctx,
    )
    assert response["statusCode"] == 200, response
    drain()
    decided: dict[str, Any] = body_of(response)
    return decided


def _admin_queue(status: str, ctx: Any) -> list[dict[str, Any]]:
    from functions.moderation.handler import lambda_handler

    response = lambda_handler(
        http_event("GET", "/admin/photos", query={"status": status}, claims=ORGANISER_CLAIMS), ctx
    )
    items: list[dict[str, Any]] = body_of(response)["items"]
    return items


def _processed(aws_env: Any, ctx: Any, **overrides: Any) -> str:
    photo_id = str(reserve(ctx, **overrides)["photo_id"])
    upload(aws_env, photo_id, corpus.jpeg(corpus.upright((640, 480))))
    process_pending(aws_env, ctx)
    return photo_id


def _report(photo_id: str, ctx: Any, ip: str = "203.0.113.7") -> dict[str, Any]:
    answer = api(
        "POST", f"/photos/{photo_id}/reports", ctx, body={"reason": "I don't like it"}, source_ip=ip
    )
    drain()
    return answer


def _public_copies(aws_env: Any, photo_id: str) -> list[str]:
    from tests.integration.test_upload_flow_support import s3

    listed = s3().list_objects_v2(
        Bucket=aws_env.bucket_names["media"], Prefix=f"public/{photo_id}/"
    )
    return sorted(o["Key"] for o in listed.get("Contents", []))


def _gallery(ctx: Any) -> list[str]:
    return [i["photo_id"] for i in body_of(api("GET", "/photos", ctx))["items"]]


# -- reports ------------------------------------------------------------------------------------
def test_after_an_organiser_restores_a_reported_photo_reports_flag_it_without_hiding_it(
    aws_env, lambda_context
):
    # Given a photo reported once (hidden, its copies gone), then approved again
    photo_id = _processed(aws_env, lambda_context)
    _moderate(photo_id, {"decision": "approve"}, lambda_context)
    assert _report(photo_id, lambda_context)["statusCode"] == 202
    assert _gallery(lambda_context) == []
    assert _public_copies(aws_env, photo_id) == []
    _moderate(photo_id, {"decision": "approve"}, lambda_context)
    copies = _public_copies(aws_env, photo_id)
    assert len(copies) == 2
    owed = _owed_settles()
    # When it is reported again, from anywhere
    for ip in ("198.51.100.1", "198.51.100.2"):
        assert _report(photo_id, lambda_context, ip)["statusCode"] == 202
    # Then it stays public: in the gallery, its copies there, no takedown owed
    assert _gallery(lambda_context) == [photo_id]
    assert _public_copies(aws_env, photo_id) == copies
    assert _owed_settles() == owed
    # and organisers see it flagged, first among approved photos
    other = _processed(aws_env, lambda_context, caption="Another")
    _moderate(other, {"decision": "approve"}, lambda_context)
    approved = _admin_queue("approved", lambda_context)
    assert [(i["photo_id"], i["flagged_reports"]) for i in approved] == [(photo_id, 2), (other, 0)]
    assert len(approved[0]["reports"]) == 3
    # until an organiser decides again, which answers the flags
    _moderate(photo_id, {"decision": "approve"}, lambda_context)
    restored = {i["photo_id"]: i for i in _admin_queue("approved", lambda_context)}[photo_id]
    assert restored["flagged_reports"] == 0
    assert restored["status"] == "approved"


def test_a_report_on_a_rejected_photo_changes_nothing(aws_env, lambda_context):
    # Given a photo approved, then rejected (its takedown performed)
    photo_id = _processed(aws_env, lambda_context)
    _moderate(photo_id, {"decision": "approve"}, lambda_context)
    _moderate(photo_id, {"decision": "reject", "reason_code": "duplicate"}, lambda_context)
    before, owed = photo_item(aws_env, photo_id), _owed_settles()
    # When someone reports it (a copy still in their browser)
    response = _report(photo_id, lambda_context)
    # Then it is received, and nothing changes: no new state, report or takedown
    assert response["statusCode"] == 202
    assert photo_item(aws_env, photo_id) == before
    assert _owed_settles() == owed


def test_reports_have_their_own_tighter_limit_per_ip(aws_env, lambda_context):
    from shared.config import load

    # Given the deployed limit of reports per IP and hour (far below the write limit)
    limit = load(AllSettings).reports_per_ip_per_hour
    assert limit < load(AllSettings).writes_per_ip_per_hour
    photo_id = _processed(aws_env, lambda_context)
    _moderate(photo_id, {"decision": "approve"}, lambda_context)
    # When one IP reports that many times, and once more
    answers = [_report(photo_id, lambda_context)["statusCode"] for _ in range(limit)]
    refused = _report(photo_id, lambda_context)
    # Then the last one is a 429 with Retry-After, and other IPs can still report
    assert answers == [202] * limit
    assert refused["statusCode"] == 429
    assert int(refused["headers"]["Retry-After"]) > 0
    assert refused["headers"]["Content-Type"] == "application/problem+json"
    assert _report(photo_id, lambda_context, "198.51.100.9")["statusCode"] == 202


# -- invalidations, owed through the outbox and retried until CloudFront accepts them -----------
class FlakyCloudFront:
    """Refuses the first `failures` requests as CloudFront does when too many are in flight."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.requests: list[dict[str, Any]] = []

    def create_invalidation(self, **request: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        self.requests.append(request)
        if self.failures:
            self.failures -= 1
            raise ClientError(
                {"Error": {"Code": "TooManyInvalidationsInProgress", "Message": "slow down"}},
                "CreateInvalidation",
            )
        return {"Invalidation": {"Id": "I1", "Status": "InProgress"}}


def _with_cdn(monkeypatch: Any, cloudfront: Any) -> None:
    from shared import config
    from shared.aws import set_client

    monkeypatch.setenv("CDN_DISTRIBUTION_ID", "E2TECHOGNITION")
    config.load.cache_clear()
    set_client("cloudfront", cloudfront)


def _owed_settles() -> list[str]:
    """The settle effects owed so far (performed or not), by id."""
    from shared.config import load
    from shared.dynamo import Table

    table = Table(load(AllSettings).table_name)
    items = [table.get(f"OUTBOX#{i}", "EFFECT", consistent=True) for i in _outbox_ids()]
    return sorted(i["effect_id"] for i in items if i and i["kind"] == "settle_photo")


def _outbox_ids() -> list[str]:
    import boto3

    ddb = boto3.client("dynamodb", region_name="eu-west-2")
    from infra.wiring import WIRING

    pages = ddb.get_paginator("scan").paginate(TableName=WIRING.table.name)
    return [
        i["pk"]["S"].removeprefix("OUTBOX#")
        for page in pages
        for i in page["Items"]
        if i["pk"]["S"].startswith("OUTBOX#")
    ]


def test_a_refused_invalidation_is_retried_until_cloudfront_accepts_it(
    aws_env, lambda_context, monkeypatch
):
    # Given an approved photo behind a CDN that refuses the first three invalidations
    photo_id = _processed(aws_env, lambda_context)
    _moderate(photo_id, {"decision": "approve"}, lambda_context)
    cloudfront = FlakyCloudFront(failures=3)
    _with_cdn(monkeypatch, cloudfront)
    # When an organiser takes it down, and the outbox performs what the takedown owes
    from functions.moderation.handler import lambda_handler

    answer = lambda_handler(
        http_event(
            "POST",
            f"/admin/photos/{photo_id}/decision",
            body={"decision": "reject", "reason_code": "inappropriate"},
            claims=ORGANISER_CLAIMS,
        ),
        lambda_context,
    )
    assert answer["statusCode"] == 200
    assert poller().drain() > 0
    # Then each refusal failed the effect back to the stream (not swallowed), and the retry was
    # accepted, under the same reference: CloudFront makes it once
    batches = [r["InvalidationBatch"] for r in cloudfront.requests]
    assert len(batches) == 4 and all(b == batches[0] for b in batches)
    assert batches[0]["CallerReference"].startswith("outbox-")
    assert batches[0]["Paths"]["Items"] == [
        f"/public/{photo_id}/display.jpg",
        f"/public/{photo_id}/thumb.jpg",
        f"/p/{photo_id}",
        f"/api/photos/{photo_id}",
        f"/photos/{photo_id}",
    ]
    assert _public_copies(aws_env, photo_id) == []
    assert [r["DistributionId"] for r in cloudfront.requests] == ["E2TECHOGNITION"] * 4


def test_a_report_owes_its_takedown_in_its_own_transaction(aws_env, lambda_context, monkeypatch):
    # Given a public photo behind a CDN
    photo_id = _processed(aws_env, lambda_context)
    _moderate(photo_id, {"decision": "approve"}, lambda_context)
    cloudfront = FlakyCloudFront(failures=0)
    _with_cdn(monkeypatch, cloudfront)
    owed = _owed_settles()
    # When it is reported (before the outbox runs)
    answer = api("POST", f"/photos/{photo_id}/reports", lambda_context, body={"reason": "not ok"})
    # Then the hide committed with one settle effect owed, and nothing public is listed
    assert answer["statusCode"] == 202
    assert len(_owed_settles()) == len(owed) + 1
    assert _gallery(lambda_context) == []
    # and once the outbox runs its copies are gone and the CDN forgets their exact paths
    drain()
    assert _public_copies(aws_env, photo_id) == []
    (request,) = cloudfront.requests
    assert request["InvalidationBatch"]["Paths"]["Quantity"] == 5


# -- the public rejection reason ----------------------------------------------------------------
def test_the_public_status_shows_a_preset_sentence_never_the_organisers_words(
    aws_env, lambda_context
):
    from tests.integration.test_moderation import sent

    # Given a photo rejected with the organiser's own words, naming a pupil
    photo_id = _processed(aws_env, lambda_context)
    _moderate(
        photo_id,
        {"decision": "reject", "reason": "pupil Tom Smith visible at the back"},
        lambda_context,
    )
    # When anyone holding its id asks for its status
    state = body_of(api("GET", f"/uploads/{photo_id}", lambda_context))
    # Then the reason is a general preset sentence, and the words went to the uploader only
    assert state["status"] == "rejected"
    assert "Tom" not in state["reason"]
    assert state["reason"] == "it didn't meet the gallery guidelines"
    assert "pupil Tom Smith visible at the back" in sent()[-1].body


# -- audit retention ----------------------------------------------------------------------------
def test_every_audit_item_of_a_photo_expires_with_personal_data(aws_env, lambda_context):
    from shared.config import load
    from shared.dynamo import Table
    from shared.people import retention_ttl

    # Given a photo's whole life: reserved, processed, approved, reported (free text), rejected
    photo_id = _processed(aws_env, lambda_context)
    _moderate(photo_id, {"decision": "approve"}, lambda_context)
    _report(photo_id, lambda_context)
    _moderate(photo_id, {"decision": "reject", "reason": "pupil visible"}, lambda_context)
    # Then every audit item carries the retention TTL that personal items get
    config = load(AllSettings)
    table = Table(config.table_name)
    items = table.query_all("pk = :pk", {":pk": f"AUDIT#PHOTO#{photo_id}"}, consistent=True)
    assert [i["action"] for i in items] == [
        "uploaded",
        "processed",
        "prescreened",
        "approved",
        "reported",
        "rejected",
    ]
    assert {i.get("ttl") for i in items} == {retention_ttl(config)}


def test_an_audit_item_written_without_a_ttl_gets_the_functions_retention(aws_env):
    from datetime import UTC, datetime

    from shared.audit import audit_item
    from shared.config import load
    from shared.people import retention_ttl

    item = audit_item(
        "MESSAGE#m1", at=datetime.now(UTC), actor="org", action="rejected", detail="names a pupil"
    )
    assert item["ttl"] == retention_ttl(load(AllSettings))


# -- opaque cursors -----------------------------------------------------------------------------
def test_the_gallery_cursor_reveals_no_key(aws_env, lambda_context):
    # Given two photos in the gallery
    ids = []
    for caption in ("One", "Two"):
        photo_id = _processed(aws_env, lambda_context, caption=caption)
        _moderate(photo_id, {"decision": "approve"}, lambda_context)
        ids.append(photo_id)
    # When the first page of one photo is read
    page = body_of(api("GET", "/photos", lambda_context, query={"limit": "1"}))
    cursor = page["next_cursor"]
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    # Then its cursor decodes to nothing readable, and still leads to the next page
    # (the key's names as JSON would spell them: two random bytes are "pk" once in 65,536)
    for readable in (*ids, "PHOTO", "GALLERY", "gsi1", '"pk"'):
        assert readable.encode() not in raw
    following = body_of(
        api("GET", "/photos", lambda_context, query={"limit": "1", "cursor": cursor})
    )
    assert {page["items"][0]["photo_id"], following["items"][0]["photo_id"]} == set(ids)
