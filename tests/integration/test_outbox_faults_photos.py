"""Fault injection on photo decisions and takedowns (issue 17): the scenarios the fault run found.

The same botocore hook as `test_outbox_faults.py` fails chosen calls of the functions' own
clients: "lost" (moto applied it, then the answer times out) or "refused" (it never reaches
moto). A decision commits its photo, audit and `settle_photo` effect in one transaction and
answers; the outbox consumer (run here by `tests.outbox`) copies, lists, enters and tells.
Asserted on the end state: the audit trail, the gallery, the bucket, and the emails counted in
moto's SES.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.events import ORGANISER_CLAIMS, http_event
from tests.integration.test_moderation import (
    call,
    decide,
    gallery_ids,
    make_photo,
    photo,
    public_keys,
)
from tests.integration.test_outbox_faults import (  # noqa: F401 - the fixture
    faults,
    one_in_five,
    sent_to,
)
from tests.integration.test_takedowns import FlakyCloudFront, _with_cdn
from tests.outbox import drain, poller

LIVE = "Your photo is live on the #TECHOGNITION gallery"
NOT_PUBLISHED = "Your #TECHOGNITION photo wasn't published"


def no_faults(_operation: str, _params: dict[str, Any]) -> None:
    return None


def actions(photo_id: str, ctx: Any) -> list[str]:
    _, trail = call(
        http_event("GET", f"/admin/photos/{photo_id}/audit", claims=ORGANISER_CLAIMS), ctx
    )
    return [i["action"] for i in trail["items"]]


def subjects() -> Counter[tuple[str, str]]:
    from moto.ses.models import ses_backends

    return Counter(
        (m.destinations["ToAddresses"][0], m.subject)
        for m in ses_backends["123456789012"]["eu-west-2"].sent_messages
    )


def gallery_read(photo_id: str, ctx: Any) -> int:
    from functions.upload.handler import lambda_handler

    status: int = lambda_handler(http_event("GET", f"/photos/{photo_id}"), ctx)["statusCode"]
    return status


def test_an_approval_whose_commit_answer_is_lost_answers_200_once_with_one_audit(
    faults, lambda_context
):
    # Given a pending photo, and every answer to the decision's commit lost (moto applied it)
    photo_id = make_photo()
    faults.rule = lambda op, params: (
        "lost" if op == "TransactWriteItems" and "OUTBOX#" in str(params.get("body")) else None
    )
    # When the organiser approves it, then presses again (the faults gone)
    first, body = decide(photo_id, {"decision": "approve"}, lambda_context, settled=False)
    faults.rule = no_faults
    again, _ = decide(photo_id, {"decision": "approve"}, lambda_context, settled=False)
    drain()
    drain()  # a redelivery changes nothing
    # Then the committed change answered 200 (not a 500), the second press too, one decision
    # is audited, and the photo is public with its uploader told exactly once
    assert faults.injected["lost"] >= 1
    assert (first, body["status"], again) == (200, "approved", 200)
    assert actions(photo_id, lambda_context) == ["approved"]
    assert photo(photo_id)["version"] == 4  # reserved 1, processing 2, pending 3, approved 4
    assert gallery_ids() == [photo_id]
    assert subjects() == Counter({("tess@school.test", LIVE): 1})


def test_a_public_copy_failing_keeps_the_photo_unlisted_until_its_copies_exist(
    faults, lambda_context
):
    # Given S3 refuses the first eight copies (more than the SDK's retries of one copy)
    photo_id = make_photo()
    copies: Counter[str] = Counter()

    def copies_refused(operation: str, _params: dict[str, Any]) -> str | None:
        if operation != "CopyObject":
            return None
        copies["tries"] += 1
        return "refused" if copies["tries"] <= 8 else None

    faults.rule = copies_refused
    # When the organiser approves it
    status, _ = decide(photo_id, {"decision": "approve"}, lambda_context, settled=False)
    assert status == 200
    # and the outbox's first tries fail
    stream = poller()
    stream.poll_once()
    stream.poll_once()
    # Then the photo is approved but nowhere public: no gallery, no page, no email
    assert photo(photo_id)["status"] == "approved"
    assert public_keys() == []
    assert gallery_ids() == []
    assert gallery_read(photo_id, lambda_context) == 404
    assert sent_to() == Counter()
    # When the stream retries it until the copies go through
    stream.drain()
    drain()
    # Then it is listed, its image reachable, its uploader told once
    assert faults.injected["refused"] == 8
    assert gallery_ids() == [photo_id]
    assert gallery_read(photo_id, lambda_context) == 200
    assert public_keys() == [f"public/{photo_id}/display.jpg", f"public/{photo_id}/thumb.jpg"]
    assert subjects() == Counter({("tess@school.test", LIVE): 1})


def test_a_takedown_whose_commit_answer_is_lost_invalidates_until_accepted(
    faults, lambda_context, monkeypatch
):
    # Given an approved photo behind a CDN that refuses the first three invalidations
    photo_id = make_photo()
    decide(photo_id, {"decision": "approve"}, lambda_context)
    cloudfront = FlakyCloudFront(failures=3)
    _with_cdn(monkeypatch, cloudfront)
    # When the takedown's commit answer is lost
    faults.rule = lambda op, params: (
        "lost" if op == "TransactWriteItems" and "OUTBOX#" in str(params.get("body")) else None
    )
    status, body = decide(
        photo_id,
        {"decision": "reject", "reason_code": "inappropriate"},
        lambda_context,
        settled=False,
    )
    faults.rule = no_faults
    drain()
    # Then it answered 200, is gone from the gallery and the bucket, and the CDN accepted the
    # fourth request of the same invalidation (one CallerReference)
    assert (status, body["status"]) == (200, "rejected")
    assert gallery_ids() == [] and public_keys() == []
    references = {r["InvalidationBatch"]["CallerReference"] for r in cloudfront.requests}
    assert len(cloudfront.requests) == 4 and len(references) == 1
    assert actions(photo_id, lambda_context) == ["approved", "rejected"]
    assert subjects() == Counter(
        {("tess@school.test", LIVE): 1, ("tess@school.test", NOT_PUBLISHED): 1}
    )


def test_under_20_percent_faults_no_decision_email_is_lost_or_sent_twice(faults, lambda_context):
    # Given twelve pending photos of twelve uploaders
    uploaders = [f"tech{n}@school.test" for n in range(12)]
    photos = {address: make_photo(email=address) for address in uploaders}
    # and a fifth of the functions' AWS calls failing: not applied, or applied with the answer
    # lost (SES only "not applied": see test_outbox_faults.py)
    faults.rule = one_in_five()
    # When an organiser approves two in three and rejects the rest, pressing again after a
    # 503 as Retry-After asks
    decisions = {
        address: (
            {"decision": "approve"} if n % 3 else {"decision": "reject", "reason_code": "duplicate"}
        )
        for n, address in enumerate(uploaders)
    }
    statuses: Counter[int] = Counter()
    for address, body in decisions.items():
        for _ in range(10):
            status, _ = decide(photos[address], body, lambda_context, settled=False)
            statuses[status] += 1
            if status != 503:
                break
        assert status == 200, (address, statuses)
    # and the outbox runs under the same faults, then once more after them
    drain()
    faults.rule = no_faults
    drain()
    # Then nothing answered but 200 or a clean 503, faults were really injected, each
    # decision is audited once, and each uploader was told exactly once, of their decision
    assert set(statuses) <= {200, 503}, statuses
    assert faults.injected["refused"] > 10 and faults.injected["lost"] > 10, faults.injected
    for address, body in decisions.items():
        assert actions(photos[address], lambda_context) == [
            "approved" if body["decision"] == "approve" else "rejected"
        ]
    assert subjects() == Counter(
        {
            (address, LIVE if body["decision"] == "approve" else NOT_PUBLISHED): 1
            for address, body in decisions.items()
        }
    )
    approved = {photos[a] for a, b in decisions.items() if b["decision"] == "approve"}
    assert set(gallery_ids()) == approved
    assert {k.split("/")[1] for k in public_keys()} == approved
