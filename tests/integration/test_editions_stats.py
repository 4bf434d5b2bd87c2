"""Editions and live numbers against moto, through the handlers: the counters move with every
approval, takedown, report, erasure, confirmation and publication (and only once for a retry);
two editions share one table, and the older one's archive outlives its retention expiry."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from tests.api import erase
from tests.events import ORGANISER_CLAIMS, body_of, http_event
from tests.integration.test_erasure import won
from tests.outbox import drain
from tests.settings import AllSettings

NOW = datetime(2027, 3, 9, 10, tzinfo=UTC)
OLD = datetime(2026, 3, 10, 10, tzinfo=UTC)
FAR = 4_102_444_800  # 2100: the current edition's TTL, not reached in these tests


def _table() -> Any:
    from shared.config import load
    from shared.dynamo import Table

    return Table(load(AllSettings).table_name)


def seed_pending(
    aws_env: Any,
    *,
    email: str,
    school: str,
    when: datetime = NOW,
    ttl: int = FAR,
    caption: str = "Titration day",
) -> str:
    """A processed photo awaiting moderation, as the processor leaves it (record + files)."""
    import boto3

    from shared import photos
    from shared.config import load
    from shared.editions import edition_of
    from shared.media import derivative_keys
    from shared.people import person_id
    from shared.types import new_id

    table, config = _table(), load(AllSettings)
    photo_id = new_id()
    day = when.date().isoformat()
    item = photos.new_photo_item(
        photo_id=photo_id,
        person=person_id(config, email),
        email=email,
        caption=caption,
        display_name="Ann Tech",
        school=school,
        content_type="image/jpeg",
        size_bytes=10,
        day=day,
        now=when,
        ttl=ttl,
        ip_hash="ip-pseudonym",
        edition=edition_of(day),
    )
    photos.reserve(table, item)
    files = list(derivative_keys(photo_id).values())
    photos.move(
        table,
        item,
        leaving=(photos.Status.AWAITING_UPLOAD,),
        to=photos.Status.PENDING_MODERATION,
        set_fields={"width": 640, "height": 480, "files": files},
    )
    s3 = boto3.client("s3", region_name="eu-west-2")
    for key in files:
        s3.put_object(Bucket=aws_env.bucket_names["media"], Key=key, Body=b"jpeg")
    return photo_id


def decide(photo_id: str, ctx: Any, decision: str = "approve") -> dict[str, Any]:
    from functions.moderation.handler import lambda_handler

    body = {"decision": decision}
    if decision == "reject":
        body.update({"reason": "Shows a pupil's face", "reason_code": "pupil_without_consent"})
    response = lambda_handler(
        http_event(
            "POST", f"/admin/photos/{photo_id}/decision", body=body, claims=ORGANISER_CLAIMS
        ),
        ctx,
    )
    assert response["statusCode"] == 200, response
    drain()  # what the decision owes: the gallery lists it once its copies exist
    return dict(body_of(response))


def campaign(path: str, ctx: Any, **query: str) -> dict[str, Any]:
    from functions.campaign.handler import lambda_handler

    response = lambda_handler(http_event("GET", path, query=query or None), ctx)
    assert response["statusCode"] == 200, response
    return dict(body_of(response))


def numbers(ctx: Any, edition: str = "2027") -> tuple[int, int, int, int]:
    body = campaign("/stats", ctx, edition=edition)
    assert body["edition"] == edition
    return body["photos"], body["schools"], body["pledges"], body["messages"]


def gallery(ctx: Any, **query: str) -> list[dict[str, Any]]:
    from functions.upload.handler import lambda_handler

    response = lambda_handler(http_event("GET", "/photos", query=query or None), ctx)
    assert response["statusCode"] == 200, response
    return list(body_of(response)["items"])


def expire_ttl(now: datetime) -> int:
    """Stands in for DynamoDB's TTL sweeper, which moto does not run: delete every item whose
    `ttl` (epoch seconds) is before `now`, as DynamoDB would (eventually) do."""
    import boto3

    ddb = boto3.client("dynamodb", region_name="eu-west-2")
    name, gone = _table().name, 0
    for page in ddb.get_paginator("scan").paginate(TableName=name):
        for item in page["Items"]:
            if "ttl" in item and int(item["ttl"]["N"]) < now.timestamp():
                ddb.delete_item(TableName=name, Key={"pk": item["pk"], "sk": item["sk"]})
                gone += 1
    return gone


# -- live numbers ------------------------------------------------------------------------------
def test_photo_numbers_follow_approvals_takedowns_reports_and_erasure(aws_env, lambda_context):
    from tests.integration.test_upload_flow_support import api

    assert numbers(lambda_context) == (0, 0, 0, 0)
    # Two photos of one school (spelt differently), one of another
    a = seed_pending(aws_env, email="ann@school.test", school="Hill School")
    b = seed_pending(aws_env, email="bob@school.test", school="  hill SCHOOL ")
    c = seed_pending(aws_env, email="cat@school.test", school="Dale Academy")
    decide(a, lambda_context)
    assert numbers(lambda_context)[:2] == (1, 1)
    decide(a, lambda_context)  # approving again (a retried request) counts once
    decide(b, lambda_context)
    decide(c, lambda_context)
    assert numbers(lambda_context)[:2] == (3, 2)
    # A rejection after approval takes one photo, and the school goes with its last photo
    decide(c, lambda_context, "reject")
    assert numbers(lambda_context)[:2] == (2, 1)
    decide(c, lambda_context, "reject")  # rejecting again changes nothing
    assert numbers(lambda_context)[:2] == (2, 1)
    # A report hides a photo: it stops counting; its school still has one
    report = api("POST", f"/photos/{a}/reports", lambda_context, body={"reason": "I don't like it"})
    assert report["statusCode"] == 202
    assert numbers(lambda_context)[:2] == (1, 1)
    assert [p["photo_id"] for p in gallery(lambda_context)] == [b]
    # Erasing the last photo's uploader takes the photo and the school
    erased = erase(lambda_context, "bob@school.test")
    assert erased["statusCode"] == 200
    assert numbers(lambda_context)[:2] == (0, 0)
    assert gallery(lambda_context) == []


def test_pledges_and_messages_count_once_and_erasure_takes_pledges_back(aws_env, lambda_context):
    from functions.pledge.handler import lambda_handler as pledge_api
    from tests.integration.test_erasure import pledge

    pledge(lambda_context, "pam@school.test", "teacher", "Pam", confirm=True)
    # The same person pledging again and confirming again still counts once
    pledge(lambda_context, "pam@school.test", "school_leader", "Pam", confirm=True)
    assert numbers(lambda_context)[2] == 1
    sent = pledge_api(
        http_event(
            "POST", "/messages", body={"message": "Technicians keep science lessons running."}
        ),
        lambda_context,
    )
    assert sent["statusCode"] == 202, sent
    message_id = body_of(sent)["message_id"]

    def decide_message(decision: str, reason: str | None = None, status: int = 200) -> None:
        body = {"decision": decision, **({"reason": reason} if reason else {})}
        response = pledge_api(
            http_event(
                "POST", f"/admin/messages/{message_id}/decision", body=body, claims=ORGANISER_CLAIMS
            ),
            lambda_context,
        )
        assert response["statusCode"] == status, response

    assert numbers(lambda_context)[3] == 0  # sent, not published
    decide_message("approve")
    decide_message("approve", status=409)  # a repeated publication changes nothing
    assert numbers(lambda_context)[3] == 1
    decide_message("reject", "Names a pupil")
    assert numbers(lambda_context)[3] == 0
    decide_message("approve")
    assert numbers(lambda_context) == (0, 0, 1, 1)
    erased = erase(lambda_context, "pam@school.test")
    assert erased["statusCode"] == 200
    # The pledge goes with its count; messages carry no email, so erasure can't reach them
    assert numbers(lambda_context) == (0, 0, 0, 1)


def test_twenty_concurrent_approvals_from_one_school_count_one_school(
    atomic_dynamodb, lambda_context
):
    ids = [
        seed_pending(atomic_dynamodb, email=f"t{n}@school.test", school="Hill School")
        for n in range(20)
    ]
    ids += [seed_pending(atomic_dynamodb, email="u@school.test", school="HILL SCHOOL")]
    errors: list[BaseException] = []
    start = threading.Barrier(len(ids))

    def approve(photo_id: str) -> None:
        try:
            start.wait()
            decide(photo_id, lambda_context)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=approve, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert numbers(lambda_context)[:2] == (21, 1)
    school = _table().get("EDITION#2027", "SCHOOL#hill school", consistent=True)
    assert school is not None and school["photos"] == 21


# -- two editions --------------------------------------------------------------------------------
def test_last_years_archive_outlives_its_retention_and_erasure_still_reaches_it(
    aws_env, lambda_context
):
    import boto3

    from functions.prizedraw.handler import lambda_handler as draw_api
    from shared.entries import Entry
    from tests.outbox import drain

    bucket = aws_env.bucket_names["media"]
    s3 = boto3.client("s3", region_name="eu-west-2")
    # Given last year's week: an approved photo entered in its draw, drawn, all of it with
    # last year's retention TTL (already passed)
    expired = int(time.time()) - 86_400
    old = seed_pending(
        aws_env,
        email="old@school.test",
        school="Vale School",
        when=OLD,
        ttl=expired,
        caption="Last year's titration",
    )
    decide(old, lambda_context)
    table = _table()
    for item in table.query_all("pk = :pk", {":pk": "DRAW#2026-03-10"}):
        if item["sk"].startswith("ENTRY#"):
            entrant = item["entrant_id"]
            table.update(
                item["pk"], item["sk"], "SET #t = :t", names={"#t": "ttl"}, values={":t": expired}
            )
    won(table, Entry("2026-03-10", entrant, "Ann Tech", "Vale School", old))
    # and this year's photo
    new = seed_pending(aws_env, email="new@school.test", school="Hill School")
    decide(new, lambda_context)
    # When DynamoDB's TTL sweeper has removed last year's private data
    assert expire_ttl(datetime.now(UTC)) >= 2  # the photo record, its draw entry, ...
    assert table.get(f"PHOTO#{old}", "PHOTO") is None
    # Then each year's gallery shows its own photos, last year's with its public fields only
    assert [p["photo_id"] for p in gallery(lambda_context)] == [new]
    (archived,) = gallery(lambda_context, edition="2026")
    assert (archived["photo_id"], archived["caption"], archived["school"]) == (
        old,
        "Last year's titration",
        "Vale School",
    )
    assert gallery(lambda_context, edition="2025") == []
    kept = table.get(f"PHOTO#{old}", "PUBLIC")
    assert kept is not None
    assert not {"email", "ip_hash", "ttl", "reports"} & set(kept)
    # and its draw is still public, winners and all
    draws = body_of(
        draw_api(http_event("GET", "/draws", query={"edition": "2026"}), lambda_context)
    )["items"]
    assert [(d["day"], d["status"], d["winners"][0]["photo_id"]) for d in draws] == [
        ("2026-03-10", "drawn", old)
    ]
    record = draw_api(http_event("GET", "/draws/2026-03-10"), lambda_context)
    assert record["statusCode"] == 200
    current = body_of(draw_api(http_event("GET", "/draws"), lambda_context))["items"]
    assert current and all(d["day"].startswith("2027-") for d in current)
    # and both editions are listed, newest first, the configured one current
    listed = campaign("/editions", lambda_context)["items"]
    assert [(e["edition"], e["current"]) for e in listed] == [("2027", True), ("2026", False)]
    assert (listed[0]["start"], listed[0]["end"]) == ("2027-03-08", "2027-03-14")
    assert listed[1]["start"] == listed[1]["end"] == "2026-03-10"
    assert numbers(lambda_context, "2026")[:2] == (1, 1)
    assert numbers(lambda_context)[:2] == (1, 1)
    # When the archived photo's uploader asks for erasure
    erased = erase(lambda_context, "old@school.test")
    assert erased["statusCode"] == 200
    assert body_of(erased)["erased"]["photos"] == 1
    drain()  # the outbox deletes the files
    # Then the archived photo, its files and its count are gone; this year's is untouched
    assert gallery(lambda_context, edition="2026") == []
    assert table.get(f"PHOTO#{old}", "PUBLIC") is None
    assert s3.list_objects_v2(Bucket=bucket, Prefix=f"public/{old}/").get("KeyCount") == 0
    assert numbers(lambda_context, "2026")[:2] == (0, 0)
    assert [p["photo_id"] for p in gallery(lambda_context)] == [new]


def test_an_unknown_edition_is_empty_and_a_malformed_one_a_problem(aws_env, lambda_context):
    from functions.campaign.handler import lambda_handler

    assert numbers(lambda_context, "2019") == (0, 0, 0, 0)
    bad = lambda_handler(http_event("GET", "/stats", query={"edition": "20x7"}), lambda_context)
    assert bad["statusCode"] in (400, 422)
    assert bad["headers"]["Content-Type"] == "application/problem+json"


def test_stats_are_one_read_and_editions_one_query(aws_env, lambda_context):
    from tests.spy import aws_calls

    with aws_calls("dynamodb") as calls:
        campaign("/stats", lambda_context)
        stats_calls = list(calls)
        calls.clear()
        campaign("/editions", lambda_context)
    assert stats_calls == ["get_item"]
    assert calls == ["query"]
