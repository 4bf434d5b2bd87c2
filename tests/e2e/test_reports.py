"""Reports and takedowns over HTTP on the local stack: a report hides a photo once; after an
organiser restores it, reports only flag it; public copies are briefly cached; every takedown's
effects are performed by the outbox (none left owed or dead-lettered); rejection reasons stay
private."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import aws_client, running_stack, wait_for
from tests.e2e.site_helpers import upload_photo
from tests.unit import test_imaging_corpus as corpus

pytestmark = pytest.mark.e2e


def _processed(api: str, caption: str) -> str:
    return upload_photo(
        api,
        caption=caption,
        email="prep.room@hill.sch.uk",
        name="Prep Room",
        school="Hill School",
        image=corpus.jpeg(corpus.upright((800, 600))),
    )


def _decide(api: str, auth: dict[str, str], photo_id: str, body: dict[str, Any]) -> None:
    decided = requests.post(
        f"{api}/admin/photos/{photo_id}/decision", json=body, headers=auth, timeout=10
    )
    assert decided.status_code == 200, decided.text
    if body["decision"] == "approve":  # listed once the outbox copied it to public/
        wait_for(lambda: _in_gallery(api, photo_id), timeout_s=30)


def _report(api: str, photo_id: str) -> int:
    return requests.post(
        f"{api}/photos/{photo_id}/reports", json={"reason": "Not nice"}, timeout=10
    ).status_code


def _in_gallery(api: str, photo_id: str) -> bool:
    return requests.get(f"{api}/photos/{photo_id}", timeout=10).status_code == 200


def _outbox_settled(stack: dict[str, Any]) -> bool:
    """No effect owed any more (the outbox's owed index is empty) and none dead-lettered."""
    import boto3

    from infra.wiring import OUTBOX_DEAD_LETTERS, WIRING

    session = {
        "endpoint_url": stack["aws_endpoint_url"],
        "region_name": stack["region"],
        "aws_access_key_id": "local",
        "aws_secret_access_key": "local",
    }
    owed = boto3.client("dynamodb", **session).query(
        TableName=WIRING.table.name,
        IndexName="gsi2",
        KeyConditionExpression="gsi2pk = :o",
        ExpressionAttributeValues={":o": {"S": "OUTBOX#owed"}},
        Select="COUNT",
    )["Count"]
    sqs = boto3.client("sqs", **session)
    url = sqs.get_queue_url(QueueName=OUTBOX_DEAD_LETTERS)["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return owed == 0 and [int(v) for v in attributes.values()] == [0, 0]


def test_reports_hide_a_photo_once_then_only_flag_it_for_organisers(api, stack, organiser_token):
    auth = {"Authorization": f"Bearer {organiser_token}"}
    # Given an approved photo, served with a short browser lifetime
    photo_id = _processed(api, "Reported and restored")
    _decide(api, auth, photo_id, {"decision": "approve"})
    image_url = requests.get(f"{api}/photos/{photo_id}", timeout=10).json()["image_url"]
    served = requests.get(image_url, timeout=10)
    assert served.status_code == 200
    cache = served.headers["cache-control"]
    max_age = int(re.search(r"(?:^|[ ,])max-age=(\d+)", cache).group(1))  # type: ignore[union-attr]
    assert max_age <= 3600 and "immutable" not in cache
    # When someone reports it, Then it leaves the gallery at once and its copies go
    assert _report(api, photo_id) == 202
    assert not _in_gallery(api, photo_id)
    wait_for(lambda: requests.get(image_url, timeout=10).status_code in (403, 404))
    # and a report on the hidden photo is received and changes nothing
    assert _report(api, photo_id) == 202
    reported = requests.get(
        f"{api}/admin/photos", params={"status": "reported"}, headers=auth, timeout=10
    ).json()["items"]
    (mine,) = [p for p in reported if p["photo_id"] == photo_id]
    assert len(mine["reports"]) == 1
    # When an organiser restores it, and people keep reporting it
    _decide(api, auth, photo_id, {"decision": "approve"})
    assert [_report(api, photo_id) for _ in range(3)] == [202, 202, 202]
    # Then it stays in the gallery, served, and organisers see it flagged first
    assert _in_gallery(api, photo_id)
    assert requests.get(image_url, timeout=10).status_code == 200
    approved = requests.get(
        f"{api}/admin/photos", params={"status": "approved"}, headers=auth, timeout=10
    ).json()["items"]
    assert approved[0]["photo_id"] == photo_id
    assert approved[0]["flagged_reports"] == 3
    # and every effect the decisions and the takedown owed was performed (none dead-lettered)
    wait_for(lambda: _outbox_settled(stack))


def _retention_ended(stack: dict[str, Any], photo_id: str) -> None:
    """What DynamoDB's TTL and the bucket's lifecycle do once retention ends (neither runs on
    the laptop): the photo's record and its private files are gone, its archive item stays."""
    from shared.media import photo_prefix

    ddb, s3 = aws_client(stack, "dynamodb"), aws_client(stack, "s3")
    (table,) = ddb.list_tables()["TableNames"]
    ddb.delete_item(TableName=table, Key={"pk": {"S": f"PHOTO#{photo_id}"}, "sk": {"S": "PHOTO"}})
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "media" in b["Name"])
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=photo_prefix(photo_id, "private"))
    for found in listed.get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=found["Key"])


def test_a_photo_kept_after_retention_can_still_be_reported_and_restored(
    api, stack, organiser_token
):
    auth = {"Authorization": f"Bearer {organiser_token}"}
    # Given an approved photo whose record and private files have expired (its archive stays)
    photo_id = _processed(api, "Kept after retention")
    _decide(api, auth, photo_id, {"decision": "approve"})
    image_url = requests.get(f"{api}/photos/{photo_id}", timeout=10).json()["image_url"]
    _retention_ended(stack, photo_id)
    assert _in_gallery(api, photo_id)
    # When someone reports it
    assert _report(api, photo_id) == 202
    # Then it leaves the gallery at once, its image stops being served, and organisers see it
    assert not _in_gallery(api, photo_id)
    wait_for(lambda: requests.get(image_url, timeout=10).status_code in (403, 404))
    reported = requests.get(
        f"{api}/admin/photos", params={"status": "reported"}, headers=auth, timeout=10
    ).json()["items"]
    assert [p["photo_id"] for p in reported if p["photo_id"] == photo_id] == [photo_id]
    # When an organiser approves it again, Then it is listed and served again
    _decide(api, auth, photo_id, {"decision": "approve"})
    assert requests.get(image_url, timeout=10).status_code == 200
    wait_for(lambda: _outbox_settled(stack))


def test_a_rejection_shows_its_preset_sentence_publicly_not_the_organisers_words(
    api, organiser_token
):
    auth = {"Authorization": f"Bearer {organiser_token}"}
    photo_id = _processed(api, "Rejected with words")
    _decide(
        api,
        auth,
        photo_id,
        {
            "decision": "reject",
            "reason_code": "pupil_without_consent",
            "reason": "Tom in 9B is visible by the fume cupboard",
        },
    )
    state = requests.get(f"{api}/uploads/{photo_id}", timeout=10).json()
    assert state["status"] == "rejected"
    assert "Tom" not in state["reason"]
    assert "school agreed" in state["reason"]


def test_reports_have_their_own_per_ip_limit(tmp_path: Path) -> None:
    # Given a stack allowing 3 reports per IP and hour (and many more writes)
    with running_stack(tmp_path, REPORTS_PER_IP_PER_HOUR="3") as stack:
        api = stack["api_url"]
        # When one client reports 4 times (to a photo that isn't there: counted all the same)
        answers = [
            requests.post(f"{api}/photos/nothere/reports", json={"reason": "x"}, timeout=10)
            for _ in range(4)
        ]
    # Then the fourth is a 429 problem with Retry-After
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert answers[-1].headers["content-type"] == "application/problem+json"
