"""Reports of archived photos against moto, through the handlers: a past edition's approved photo
whose private record and private files have expired (retention) is still in its gallery, and a
report takes it down as it would any approved photo. The report rebuilds a private record from
the public archive item (no email: none is left), hides it at once (`reported` for organisers),
and its settle copies the public images back to `private/` before deleting them, so an organiser
can approve it again (listed, public copies again) or reject it (it stays down)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from tests.events import ORGANISER_CLAIMS, body_of, http_event
from tests.integration.test_editions_stats import (
    OLD,
    _table,
    decide,
    expire_ttl,
    gallery,
    numbers,
    seed_pending,
)
from tests.integration.test_erasure import won
from tests.integration.test_upload_flow_support import api
from tests.outbox import drain
from tests.settings import AllSettings

OLD_DAY = OLD.date().isoformat()
EDITION = OLD_DAY[:4]


def _s3() -> Any:
    import boto3

    return boto3.client("s3", region_name="eu-west-2")


def _objects(aws_env: Any, prefix: str) -> list[str]:
    listed = _s3().list_objects_v2(Bucket=aws_env.bucket_names["media"], Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def _archived(aws_env: Any, ctx: Any, *, school: str = "Vale School") -> str:
    """Last year's approved photo, its day drawn, after its retention ended: the record, the
    draw entry and the audit gone (TTL), the private files gone (lifecycle); the archive item
    and the public copies stay."""
    from shared.entries import Entry

    expired = int(time.time()) - 86_400
    photo_id = seed_pending(
        aws_env, email="old@school.test", school=school, when=OLD, ttl=expired, caption="Old"
    )
    decide(photo_id, ctx)
    table = _table()
    entrant = ""
    for item in table.query_all("pk = :pk", {":pk": f"DRAW#{OLD_DAY}"}):
        if item["sk"].startswith("ENTRY#"):
            entrant = item["entrant_id"]
            table.update(
                item["pk"], item["sk"], "SET #t = :t", names={"#t": "ttl"}, values={":t": expired}
            )
    won(table, Entry(OLD_DAY, entrant, "Ann Tech", school, photo_id))
    assert expire_ttl(datetime.now(UTC)) >= 2
    assert table.get(f"PHOTO#{photo_id}", "PHOTO") is None
    private = _objects(aws_env, f"private/{photo_id}/")
    _s3().delete_objects(
        Bucket=aws_env.bucket_names["media"], Delete={"Objects": [{"Key": k} for k in private]}
    )
    assert len(_objects(aws_env, f"public/{photo_id}/")) == 2
    assert [p["photo_id"] for p in gallery(ctx, edition=EDITION)] == [photo_id]
    return photo_id


def _report(photo_id: str, ctx: Any, ip: str = "203.0.113.7") -> dict[str, Any]:
    return api(
        "POST", f"/photos/{photo_id}/reports", ctx, body={"reason": "My child"}, source_ip=ip
    )


def _queue(status: str, ctx: Any) -> list[dict[str, Any]]:
    from functions.moderation.handler import lambda_handler

    response = lambda_handler(
        http_event("GET", "/admin/photos", query={"status": status}, claims=ORGANISER_CLAIMS), ctx
    )
    assert response["statusCode"] == 200, response
    return list(body_of(response)["items"])


def _public_get(photo_id: str, ctx: Any) -> int:
    return int(api("GET", f"/photos/{photo_id}", ctx)["statusCode"])


def _emails_owed() -> int:
    import boto3

    from infra.wiring import WIRING

    ddb = boto3.client("dynamodb", region_name="eu-west-2")
    found = 0
    for page in ddb.get_paginator("scan").paginate(TableName=WIRING.table.name):
        found += sum(
            1
            for item in page["Items"]
            if item["pk"]["S"].startswith("OUTBOX#") and item["kind"]["S"] == "email"
        )
    return found


def _draw_day() -> list[dict[str, Any]]:
    return sorted(
        _table().query_all("pk = :pk", {":pk": f"DRAW#{OLD_DAY}"}, consistent=True),
        key=lambda i: i["sk"],
    )


# -- the takedown ------------------------------------------------------------------------------
def test_a_report_takes_an_archived_photo_out_of_its_gallery_for_organisers_to_decide(
    aws_env, lambda_context
):
    from shared.config import load
    from shared.people import person_id, retention_ttl

    # Given last year's approved photo, its private record and files expired
    photo_id = _archived(aws_env, lambda_context)
    assert numbers(lambda_context, EDITION)[:2] == (1, 1)
    # When a parent reports it
    response = _report(photo_id, lambda_context)
    # Then it is received and has left the gallery at once, and the edition's numbers moved
    assert response["statusCode"] == 202, response
    assert gallery(lambda_context, edition=EDITION) == []
    assert _public_get(photo_id, lambda_context) == 404
    assert numbers(lambda_context, EDITION)[:2] == (0, 0)
    # and its private record is rebuilt from the archive, reported, with nothing private
    config = load(AllSettings)
    record = _table().get(f"PHOTO#{photo_id}", "PHOTO", consistent=True)
    assert record is not None
    assert record["status"] == "reported"
    assert (record["archived"], record["published"], record["report_count"]) == (True, True, 1)
    assert "email" not in record
    assert record["person"] == person_id(config, "old@school.test")
    assert (record["caption"], record["school"], record["day"]) == ("Old", "Vale School", OLD_DAY)
    assert record["edition"] == EDITION
    assert abs(int(record["ttl"]) - retention_ttl(config)) < 60
    # and organisers have it in their reported queue, with the report
    (queued,) = _queue("reported", lambda_context)
    assert (queued["photo_id"], queued["status"], queued["email"]) == (photo_id, "reported", "")
    assert [r["reason"] for r in queued["reports"]] == ["My child"]
    # When the outbox performs the takedown
    drain()
    # Then its public copies are gone, copied back to private/ first (for organisers, and for
    # an approval again)
    assert _objects(aws_env, f"public/{photo_id}/") == []
    assert _objects(aws_env, f"private/{photo_id}/") == [
        f"private/{photo_id}/display.jpg",
        f"private/{photo_id}/thumb.jpg",
    ]
    # and the audit trail says who did what
    from functions.moderation.handler import lambda_handler

    trail = lambda_handler(
        http_event("GET", f"/admin/photos/{photo_id}/audit", claims=ORGANISER_CLAIMS),
        lambda_context,
    )
    assert [(i["actor"], i["action"]) for i in body_of(trail)["items"]] == [("public", "reported")]
    # and a photo that never was in a gallery still can't be reported
    from shared.types import new_id

    assert _report(new_id(), lambda_context)["statusCode"] == 404


def test_an_organiser_approving_it_again_lists_it_again_without_touching_its_drawn_day(
    aws_env, lambda_context
):
    # Given an archived photo of a drawn day, reported and taken down
    photo_id = _archived(aws_env, lambda_context)
    draw_before = _draw_day()
    assert _report(photo_id, lambda_context)["statusCode"] == 202
    drain()
    emails = _emails_owed()
    # When an organiser approves it again
    decided = decide(photo_id, lambda_context)  # and the outbox performs what it owes
    # Then it is listed again, with its public images, and counted again
    assert decided["status"] == "approved"
    assert [p["photo_id"] for p in gallery(lambda_context, edition=EDITION)] == [photo_id]
    assert _public_get(photo_id, lambda_context) == 200
    assert _objects(aws_env, f"public/{photo_id}/") == [
        f"public/{photo_id}/display.jpg",
        f"public/{photo_id}/thumb.jpg",
    ]
    assert numbers(lambda_context, EDITION)[:2] == (1, 1)
    assert [i["photo_id"] for i in _queue("approved", lambda_context)] == [photo_id]
    assert _queue("reported", lambda_context) == []
    # and nobody is emailed (no address is left), and its drawn day's draw is as it was
    assert _emails_owed() == emails
    assert _draw_day() == draw_before
    # and, approved after a report, a later report only flags it
    assert _report(photo_id, lambda_context, "198.51.100.9")["statusCode"] == 202
    drain()
    assert [p["photo_id"] for p in gallery(lambda_context, edition=EDITION)] == [photo_id]
    (flagged,) = _queue("approved", lambda_context)
    assert flagged["flagged_reports"] == 1


def test_an_organiser_rejecting_it_keeps_it_down(aws_env, lambda_context):
    # Given an archived photo reported and taken down
    photo_id = _archived(aws_env, lambda_context)
    assert _report(photo_id, lambda_context)["statusCode"] == 202
    drain()
    draw_before = _draw_day()
    # When an organiser rejects it
    decided = decide(photo_id, lambda_context, "reject")  # and the outbox performs what it owes
    # Then it stays out of the gallery and uncounted, its public copies gone
    assert decided["status"] == "rejected"
    assert gallery(lambda_context, edition=EDITION) == []
    assert _public_get(photo_id, lambda_context) == 404
    assert _objects(aws_env, f"public/{photo_id}/") == []
    assert numbers(lambda_context, EDITION)[:2] == (0, 0)
    assert [i["photo_id"] for i in _queue("rejected", lambda_context)] == [photo_id]
    assert _draw_day() == draw_before
    # and a later report changes nothing
    assert _report(photo_id, lambda_context, "198.51.100.9")["statusCode"] == 202
    assert _table().get(f"PHOTO#{photo_id}", "PHOTO", consistent=True)["status"] == "rejected"


def test_an_approval_before_the_takedown_was_performed_still_publishes_it(aws_env, lambda_context):
    # Given an archived photo reported, and its takedown not yet performed by the outbox
    photo_id = _archived(aws_env, lambda_context)
    assert _report(photo_id, lambda_context)["statusCode"] == 202
    # When an organiser approves it again, and the outbox then performs both settles
    decide(photo_id, lambda_context)
    # Then it is public again, its images where the gallery points
    assert [p["photo_id"] for p in gallery(lambda_context, edition=EDITION)] == [photo_id]
    assert len(_objects(aws_env, f"public/{photo_id}/")) == 2
    assert numbers(lambda_context, EDITION)[:2] == (1, 1)


def test_concurrent_reports_rebuild_one_record_and_move_the_numbers_once(aws_env, lambda_context):
    # Given an archived photo
    photo_id = _archived(aws_env, lambda_context)
    # When four people report it at the same moment, and one of them again
    start = threading.Barrier(4)
    answers: list[int] = []

    def report(n: int) -> None:
        start.wait()
        answers.append(_report(photo_id, lambda_context, f"198.51.100.{n}")["statusCode"])

    threads = [threading.Thread(target=report, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _report(photo_id, lambda_context, "198.51.100.99")["statusCode"] == 202
    drain()
    # Then every report is received, one record holds the one that hid it
    assert answers == [202] * 4
    record = _table().get(f"PHOTO#{photo_id}", "PHOTO", consistent=True)
    assert record is not None
    assert (record["status"], record["report_count"], len(record["reports"])) == ("reported", 1, 1)
    (queued,) = _queue("reported", lambda_context)
    assert queued["photo_id"] == photo_id
    # and the edition's numbers moved once
    assert numbers(lambda_context, EDITION)[:2] == (0, 0)
    assert _objects(aws_env, f"public/{photo_id}/") == []


def test_a_report_whose_rebuild_is_overtaken_between_its_two_reads_is_received(
    aws_env, lambda_context, monkeypatch
):
    from shared import photos

    # Given an archived photo, and a report that finds no record
    photo_id = _archived(aws_env, lambda_context)
    real_get_public = photos.get_public
    others: list[int] = []

    def overtaken(table: Any, wanted: str) -> Any:
        # When another report rebuilds and hides it before this one reads the archive item
        monkeypatch.setattr(photos, "get_public", real_get_public)
        other = threading.Thread(
            target=lambda: others.append(
                _report(photo_id, lambda_context, "198.51.100.1")["statusCode"]
            )
        )
        other.start()
        other.join()
        return real_get_public(table, wanted)

    monkeypatch.setattr(photos, "get_public", overtaken)
    mine = _report(photo_id, lambda_context, "198.51.100.2")
    # Then both are received (not a 404 for a photo just taken down), and it was hidden once
    assert (others, mine["statusCode"]) == ([202], 202)
    record = _table().get(f"PHOTO#{photo_id}", "PHOTO", consistent=True)
    assert record is not None
    assert (record["status"], record["report_count"]) == ("reported", 1)
