"""Moderation through its handler against moto: the queue, decisions, takedowns, audit, emails.

A decision owes its public copies, CDN invalidation, draw entry and email to the outbox
(shared/outbox.py): `decide` runs the outbox's consumer after each decision (`tests.outbox`),
as the table's stream does in the cloud."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from tests.events import MEMBER_CLAIMS, ORGANISER_CLAIMS, body_of, http_event
from tests.outbox import drain
from tests.settings import AllSettings

DAY = "2027-03-09"
UPLOADED = datetime(2027, 3, 9, 10, 0, tzinfo=UTC)


# -- helpers ---------------------------------------------------------------------------------
def _config() -> Any:
    from shared.config import load

    return load(AllSettings)


def _table() -> Any:
    from shared.dynamo import Table

    return Table(_config().table_name)


def _s3() -> Any:
    from shared.aws import client

    return client("s3")


def make_photo(
    *,
    email: str = "tess@school.test",
    caption: str = "Setting up the titration practical",
    prescreen: dict[str, Any] | None = None,
    status: str = "pending_moderation",
    uploaded: datetime = UPLOADED,
    day: str = DAY,
) -> str:
    """A photo as the upload side leaves it: reserved, processed, derivatives in private/."""
    from shared import photos
    from shared.media import derivative_keys
    from shared.people import person_id, retention_ttl
    from shared.types import new_id

    config, table = _config(), _table()
    photo_id = new_id()
    item = photos.new_photo_item(
        photo_id=photo_id,
        person=person_id(config, email),
        email=email,
        caption=caption,
        display_name="Tess",
        school="Hill School",
        content_type="image/jpeg",
        size_bytes=1000,
        day=day,
        now=uploaded,
        ttl=retention_ttl(config),
        ip_hash="ip",
    )
    photos.reserve(table, item)
    if status == "awaiting_upload":
        return photo_id
    if status == "failed":
        photos.move(
            table,
            item,
            leaving=(photos.Status.AWAITING_UPLOAD,),
            to=photos.Status.FAILED,
            set_fields={"reason": "not an image"},
        )
        return photo_id
    photos.move(table, item, leaving=(photos.Status.AWAITING_UPLOAD,), to=photos.Status.PROCESSING)
    if status == "processing":
        return photo_id
    for kind, key in derivative_keys(photo_id).items():
        _s3().put_object(
            Bucket=config.media_bucket,
            Key=key,
            Body=f"{kind}-{photo_id}".encode(),
            ContentType="image/jpeg",
            CacheControl="public, max-age=31536000, immutable",
        )
    result = prescreen or {"status": "ok", "flags": [], "labels": [], "faces_under_18": 0}
    photos.move(
        table,
        item,
        leaving=(photos.Status.PROCESSING,),
        to=photos.Status.PENDING_MODERATION,
        set_fields={"width": 1600, "height": 1200, "prescreen": result},
        flagged=result["status"] != "ok",
    )
    return photo_id


def call(event: dict[str, Any], lambda_context: Any) -> tuple[int, Any]:
    from functions.moderation.handler import lambda_handler

    response = lambda_handler(event, lambda_context)
    return response["statusCode"], body_of(response)


def decide(
    photo_id: str,
    body: dict[str, Any],
    ctx: Any,
    claims: dict[str, Any] | None = None,
    *,
    settled: bool = True,
) -> tuple[int, Any]:
    """The organiser's request, then (unless not `settled`) the outbox performs what it owes."""
    answer = call(
        http_event(
            "POST",
            f"/admin/photos/{photo_id}/decision",
            body=body,
            claims=claims or ORGANISER_CLAIMS,
        ),
        ctx,
    )
    if settled:
        drain()
    return answer


def photo(photo_id: str) -> dict[str, Any]:
    from shared.photos import get_photo

    found = get_photo(_table(), photo_id, consistent=True)
    assert found is not None
    return found


def public_keys() -> list[str]:
    listed = _s3().list_objects_v2(Bucket=_config().media_bucket, Prefix="public/")
    return sorted(o["Key"] for o in listed.get("Contents", []))


def sent() -> list[Any]:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-2"].sent_messages)


def gallery_ids() -> list[str]:
    from shared.photos import gallery_page

    items, _ = gallery_page(_table(), edition="2027", limit=50, start_key=None)
    return [i["photo_id"] for i in items]


def draw_entries() -> list[dict[str, Any]]:
    from shared.entries import entries

    return entries(_table(), DAY)


FLAGGED = {
    "status": "flagged",
    "flags": ["may show pupils: check consent"],
    "labels": [],
    "faces_under_18": 2,
}


# -- authorisation ---------------------------------------------------------------------------
ROUTES = [
    ("GET", "/admin/photos", None),
    ("POST", "/admin/photos/abc123/decision", {}),
    ("POST", "/admin/photos/abc123/decision", {"decision": "approve"}),
    ("GET", "/admin/photos/abc123/audit", None),
]


def test_a_caller_without_verified_claims_gets_401_on_every_route(aws_env, lambda_context):
    # Given no authorizer claims (the gateway was bypassed) / When calling / Then 401
    for method, path, body in ROUTES:
        status, problem = call(http_event(method, path, body=body), lambda_context)
        assert (method, path, status, problem["status"]) == (method, path, 401, 401)


def test_a_member_outside_organisers_gets_403_on_every_route_even_with_a_bad_body(
    aws_env, lambda_context
):
    photo_id = make_photo()
    for method, path, body in [
        *ROUTES,
        ("POST", f"/admin/photos/{photo_id}/decision", {"decision": "approve"}),
    ]:
        status, problem = call(
            http_event(method, path, body=body, claims=MEMBER_CLAIMS), lambda_context
        )
        assert (method, path, status, problem["title"]) == (method, path, 403, "Forbidden")
    assert photo(photo_id)["status"] == "pending_moderation"


# -- the queue -------------------------------------------------------------------------------
def test_pending_queue_lists_flagged_first_with_private_fields_and_signed_urls(
    aws_env, lambda_context
):
    # Given an ordinary photo uploaded first and a flagged one uploaded later
    plain = make_photo(uploaded=datetime(2027, 3, 9, 9, 0, tzinfo=UTC))
    flagged = make_photo(
        caption="pupils at work",
        prescreen=FLAGGED,
        uploaded=datetime(2027, 3, 9, 11, 0, tzinfo=UTC),
    )
    # When an organiser lists the pending queue
    status, page = call(http_event("GET", "/admin/photos", claims=ORGANISER_CLAIMS), lambda_context)
    # Then the flagged one comes first, with everything an organiser needs
    assert status == 200
    assert [i["photo_id"] for i in page["items"]] == [flagged, plain]
    first = page["items"][0]
    assert first["email"] == "tess@school.test"
    assert first["prescreen"]["flags"] == ["may show pupils: check consent"]
    assert first["caption"] == "pupils at work"
    assert (first["school"], first["display_name"], first["day"]) == ("Hill School", "Tess", DAY)
    assert (first["width"], first["height"]) == (1600, 1200)
    for url, key in ((first["image_url"], "display"), (first["thumbnail_url"], "thumb")):
        assert f"private/{flagged}/{key}.jpg" in url
        assert "X-Amz-Signature=" in url
        assert "X-Amz-Expires=900" in url
    assert page["next_cursor"] is None


def test_queue_pages_with_a_cursor_and_refuses_a_forged_one(aws_env, lambda_context):
    ids = {make_photo() for _ in range(3)}
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        status, page = call(
            http_event("GET", "/admin/photos", query=query, claims=ORGANISER_CLAIMS), lambda_context
        )
        assert status == 200
        seen += [i["photo_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids)
    status, _ = call(
        http_event("GET", "/admin/photos", query={"cursor": "forged" * 4}, claims=ORGANISER_CLAIMS),
        lambda_context,
    )
    assert status == 400


def test_an_unknown_queue_status_is_a_422(aws_env, lambda_context):
    status, problem = call(
        http_event("GET", "/admin/photos", query={"status": "processing"}, claims=ORGANISER_CLAIMS),
        lambda_context,
    )
    assert status == 422
    assert problem["errors"]


# -- decisions -------------------------------------------------------------------------------
def test_approval_publishes_enters_the_draw_audits_and_emails(aws_env, lambda_context):
    # Given a pending photo
    photo_id = make_photo()
    # When an organiser approves it
    status, body = decide(photo_id, {"decision": "approve"}, lambda_context, settled=False)
    # Then the answer is the committed decision, while the public sees nothing yet
    assert status == 200
    assert body["status"] == "approved"
    assert body["decided_by"] == "org-ann"
    assert body["image_url"] == f"https://media.test/public/{photo_id}/display.jpg"
    assert gallery_ids() == []
    assert public_keys() == []
    assert sent() == []
    # And once the outbox performed what the decision owes, it is public, with public URLs
    drain()
    assert gallery_ids() == [photo_id]
    assert public_keys() == [f"public/{photo_id}/display.jpg", f"public/{photo_id}/thumb.jpg"]
    head = _s3().head_object(Bucket=_config().media_bucket, Key=f"public/{photo_id}/display.jpg")
    assert head["ContentType"] == "image/jpeg"
    # public copies: an hour in browsers at most (a takedown can't reach them), never immutable
    assert head["CacheControl"] == "public, max-age=3600, s-maxage=86400"
    # and its uploader has one draw entry for the day
    (entry,) = draw_entries()
    assert entry["photo_id"] == photo_id
    assert entry["entrant_id"] == photo(photo_id)["person"]
    # and the decision is audited with the organiser as actor
    _, trail = call(
        http_event("GET", f"/admin/photos/{photo_id}/audit", claims=ORGANISER_CLAIMS),
        lambda_context,
    )
    assert [(i["actor"], i["action"]) for i in trail["items"]] == [("org-ann", "approved")]
    # and the uploader got a kind note
    (mail,) = sent()
    assert mail.destinations["ToAddresses"] == ["tess@school.test"]
    assert mail.subject == "Your photo is live on the #TECHOGNITION gallery"


def test_rejection_requires_a_reason(aws_env, lambda_context):
    photo_id = make_photo()
    status, problem = decide(photo_id, {"decision": "reject"}, lambda_context)
    assert status == 422
    assert problem["errors"]
    assert photo(photo_id)["status"] == "pending_moderation"


def test_rejection_with_a_preset_code_tells_the_uploader_kindly(aws_env, lambda_context):
    photo_id = make_photo()
    status, body = decide(
        photo_id, {"decision": "reject", "reason": "pupil_without_consent"}, lambda_context
    )
    assert status == 200
    assert body["status"] == "rejected"
    assert body["reason"] == "pupil_without_consent"
    stored = photo(photo_id)
    assert "school agreed" in stored["reason"]
    assert gallery_ids() == []
    assert public_keys() == []
    assert draw_entries() == []
    (mail,) = sent()
    assert mail.subject == "Your #TECHOGNITION photo wasn't published"
    assert "wasn't published because it may show pupils" in mail.body


def test_rejection_with_free_text_and_a_code_keeps_both_in_the_audit(aws_env, lambda_context):
    photo_id = make_photo()
    status, _ = decide(
        photo_id,
        {
            "decision": "reject",
            "reason_code": "duplicate",
            "reason": "Same as the one from this morning",
        },
        lambda_context,
    )
    assert status == 200
    _, trail = call(
        http_event("GET", f"/admin/photos/{photo_id}/audit", claims=ORGANISER_CLAIMS),
        lambda_context,
    )
    assert trail["items"][-1]["detail"] == "duplicate: Same as the one from this morning"
    # the words reach the uploader by email; the public status shows the preset sentence only
    assert "Same as the one from this morning" in sent()[0].body
    assert photo(photo_id)["reason"] == "it looks like a photo already in the gallery"


def test_takedown_of_an_approved_photo_unpublishes_it_and_keeps_both_decisions(
    aws_env, lambda_context
):
    # Given an approved photo
    photo_id = make_photo()
    decide(photo_id, {"decision": "approve"}, lambda_context)
    # When an organiser takes it down
    status, body = decide(
        photo_id, {"decision": "reject", "reason_code": "inappropriate"}, lambda_context
    )
    # Then it is off the gallery, its public copies are gone and its draw entry withdrawn
    assert status == 200
    assert body["status"] == "rejected"
    assert body["image_url"] is not None
    assert "/private/" in body["image_url"] or "private%2F" in body["image_url"]
    assert gallery_ids() == []
    assert public_keys() == []
    assert draw_entries() == []
    _, trail = call(
        http_event("GET", f"/admin/photos/{photo_id}/audit", claims=ORGANISER_CLAIMS),
        lambda_context,
    )
    assert [i["action"] for i in trail["items"]] == ["approved", "rejected"]
    assert [m.subject for m in sent()] == [
        "Your photo is live on the #TECHOGNITION gallery",
        "Your #TECHOGNITION photo wasn't published",
    ]
    # and it can be approved again (a decision can always be changed)
    status, body = decide(photo_id, {"decision": "approve"}, lambda_context)
    assert body["status"] == "approved"
    assert gallery_ids() == [photo_id]
    assert "reason" not in photo(photo_id)


def test_taking_down_one_of_two_approved_photos_moves_the_entry_to_the_other(
    aws_env, lambda_context
):
    first, second = make_photo(), make_photo()
    decide(first, {"decision": "approve"}, lambda_context)
    decide(second, {"decision": "approve"}, lambda_context)
    assert [e["photo_id"] for e in draw_entries()] == [first]  # one entry per person per day
    decide(first, {"decision": "reject", "reason": "blurry"}, lambda_context)
    assert [e["photo_id"] for e in draw_entries()] == [second]


def test_an_approval_after_the_day_was_drawn_publishes_but_does_not_enter(aws_env, lambda_context):
    from shared.entries import day_pk, ensure_commitment

    ensure_commitment(_table(), DAY, now=UPLOADED)
    _table().update(
        day_pk(DAY), "DRAW", "SET #s = :d", names={"#s": "status"}, values={":d": "drawn"}
    )
    photo_id = make_photo()
    status, body = decide(photo_id, {"decision": "approve"}, lambda_context)
    assert status == 200
    assert body["status"] == "approved"
    assert draw_entries() == []


def test_a_decision_on_an_undecidable_photo_is_a_409(aws_env, lambda_context):
    for state in ("awaiting_upload", "processing", "failed"):
        photo_id = make_photo(status=state)
        for body in ({"decision": "approve"}, {"decision": "reject", "reason": "blurry"}):
            status, problem = decide(photo_id, body, lambda_context)
            assert (state, status, problem["status"]) == (state, 409, 409)
        assert photo(photo_id)["status"] == state
    assert sent() == []


def test_an_organiser_cannot_decide_on_their_own_photo(aws_env, lambda_context):
    photo_id = make_photo(email=" Ann@Organisers.test")
    status, _ = decide(photo_id, {"decision": "approve"}, lambda_context)
    assert status == 403
    assert photo(photo_id)["status"] == "pending_moderation"


def test_a_decision_on_an_unknown_photo_is_a_404(aws_env, lambda_context):
    status, _ = decide("nope", {"decision": "approve"}, lambda_context)
    assert status == 404
    status, _ = call(
        http_event("GET", "/admin/photos/nope/audit", claims=ORGANISER_CLAIMS), lambda_context
    )
    assert status == 404


def test_a_reported_photo_can_be_restored_or_removed(aws_env, lambda_context):
    from shared import photos

    photo_id = make_photo()
    decide(photo_id, {"decision": "approve"}, lambda_context)
    item = photo(photo_id)
    photos.move(_table(), item, leaving=(photos.Status.APPROVED,), to=photos.Status.REPORTED)
    _, page = call(
        http_event("GET", "/admin/photos", query={"status": "reported"}, claims=ORGANISER_CLAIMS),
        lambda_context,
    )
    assert [i["photo_id"] for i in page["items"]] == [photo_id]
    status, body = decide(photo_id, {"decision": "approve"}, lambda_context)
    assert (status, body["status"]) == (200, "approved")
    assert gallery_ids() == [photo_id]


# -- concurrency -----------------------------------------------------------------------------
def test_concurrent_decisions_on_one_photo_last_wins_and_both_are_audited(atomic_dynamodb):
    """Two organisers read the same version; both write: one is refused by the version
    condition, re-reads and writes after the other. No lost update, no stale public copy."""
    from functions.moderation import logic
    from functions.moderation.handler import _ports
    from functions.moderation.models import PhotoDecisionIn
    from shared.aws import set_client

    photo_id = make_photo()
    version_before = photo(photo_id)["version"]
    real = _ports()
    both_read = threading.Barrier(2, timeout=10)
    first_reads: set[int] = set()
    lock = threading.Lock()

    class RacingStore:
        """The real store, except that each thread's first read waits for the other's."""

        def __getattr__(self, name: str) -> Any:
            return getattr(real.store, name)

        def get(self, pid: str) -> Any:
            item = real.store.get(pid)
            with lock:
                first = threading.get_ident() not in first_reads
                first_reads.add(threading.get_ident())
            if first:
                both_read.wait()
            return item

    ports = logic.Ports(store=RacingStore(), media=real.media, site_url=real.site_url)

    def run(body: dict[str, Any], actor: str) -> str:
        result = logic.decide(
            ports,
            photo_id,
            PhotoDecisionIn(**body),
            actor=actor,
            actor_email=None,
            clock=lambda: datetime.now(UTC),
        )
        return result.status

    with ThreadPoolExecutor(max_workers=2) as pool:
        approving = pool.submit(run, {"decision": "approve"}, "org-ann")
        rejecting = pool.submit(run, {"decision": "reject", "reason": "blurry"}, "org-bob")
        approving.result(timeout=20)
        rejecting.result(timeout=20)

    set_client("dynamodb", None)
    drain()  # the outbox settles both decisions, in any order
    final = photo(photo_id)
    trail = logic.audit_trail(ports, photo_id)
    # Both decisions are audited, the version moved twice, and the last audited one stands
    assert sorted(i["action"] for i in trail) == ["approved", "rejected"]
    assert final["version"] == version_before + 2
    assert final["status"] == trail[-1]["action"]
    # and the outside world matches the state that stands
    if final["status"] == "approved":
        assert gallery_ids() == [photo_id]
        assert len(public_keys()) == 2
        assert len(draw_entries()) == 1
    else:
        assert gallery_ids() == []
        assert public_keys() == []
        assert draw_entries() == []
    # and the uploader heard only of the decision that stood
    assert [m.subject for m in sent()] == [
        "Your photo is live on the #TECHOGNITION gallery"
        if final["status"] == "approved"
        else "Your #TECHOGNITION photo wasn't published"
    ]


# -- pressing again ----------------------------------------------------------------------------
def test_pressing_approve_again_records_no_second_decision(aws_env, lambda_context):
    # Given an approved photo
    photo_id = make_photo()
    decide(photo_id, {"decision": "approve"}, lambda_context)
    version = photo(photo_id)["version"]
    # When the organiser presses approve again (a lost answer, a double click)
    status, body = decide(photo_id, {"decision": "approve"}, lambda_context)
    # Then it answers the photo as it stands, and nothing is recorded or sent again
    assert (status, body["status"]) == (200, "approved")
    assert photo(photo_id)["version"] == version
    _, trail = call(
        http_event("GET", f"/admin/photos/{photo_id}/audit", claims=ORGANISER_CLAIMS),
        lambda_context,
    )
    assert [i["action"] for i in trail["items"]] == ["approved"]
    assert len(sent()) == 1
