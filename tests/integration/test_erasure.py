"""Erasure against moto: nothing findable by the email after it, counters fixed, idempotent."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.api import call
from tests.events import MEMBER_CLAIMS, ORGANISER_CLAIMS, body_of
from tests.settings import AllSettings

EVE, OLI = "eve@school.test", "oli@school.test"
EVE_PHOTO, OLI_PHOTO = "photoEVE123", "photoOLI456"
NOW = datetime(2027, 3, 10, 12, tzinfo=UTC)


def photo(
    table: Any, s3: Any, bucket: str, person: str, email: str, photo_id: str, name: str
) -> None:
    """A photo as the upload function keeps it: personal fields, files, person index."""
    files = [f"private/{photo_id}/display.jpg", f"private/{photo_id}/thumb.jpg"]
    table.put(
        {
            "pk": f"PHOTO#{photo_id}",
            "sk": "PHOTO",
            "photo_id": photo_id,
            "email": email,
            "display_name": name,
            "school": "Hill School",
            "caption": "Titration day",
            "status": "approved",
            "files": files,
            "gsi1pk": "GALLERY",
            "gsi1sk": f"2027-03-09T10:00:00Z#{photo_id}",
            "gsi3pk": f"PERSON#{person}",
            "gsi3sk": f"PHOTO#{photo_id}",
        }
    )
    table.put({"pk": f"PHOTO#{photo_id}", "sk": "REPORT#1", "reason": "blurry"})
    for key in [
        *files,
        f"incoming/{photo_id}",
        f"public/{photo_id}/display.jpg",
        f"public/{photo_id}/thumb.jpg",
    ]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"jpeg")


def pledge(lambda_context: Any, email: str, role: str, name: str, *, confirm: bool) -> None:
    """Pledge as the site does: POST, then (if `confirm`) the emailed link's token."""
    from moto.ses.models import ses_backends

    assert (
        call(
            "POST",
            "/pledges",
            lambda_context,
            body={
                "name": name,
                "email": email,
                "role": role,
                "organisation": "Hill School",
                "show_on_wall": True,
            },
        )["statusCode"]
        == 202
    )
    if confirm:
        from tests.outbox import drain

        drain()  # the outbox consumer sends the confirmation
        sent = ses_backends["123456789012"]["eu-west-2"].sent_messages
        (message,) = [
            m
            for m in sent
            if email in m.destinations["ToAddresses"] and "/pledge/confirm" in m.body
        ]
        token = re.search(r"/pledge/confirm\?token=([\w-]+)", message.body)
        assert token
        assert (
            call("POST", "/pledges/confirm", lambda_context, body={"token": token.group(1)})[
                "statusCode"
            ]
            == 200
        )


def won(table: Any, entry: Any) -> None:
    """The entry's day drawn, the entry its one winner (as a draw leaves the day's record)."""
    winner = {
        "position": 1,
        "entrant_id": entry.entrant_id,
        "display_name": entry.display_name,
        "school": entry.school,
        "photo_id": entry.photo_id,
    }
    table.update(
        f"DRAW#{entry.day}",
        "DRAW",
        "SET #s = :d, winners = :w",
        names={"#s": "status"},
        values={":d": "drawn", ":w": [winner]},
    )


@pytest.fixture
def world(aws_env, lambda_context):
    """Eve and Oli, each with a photo, a confirmed pledge, a sign-up, a rate counter and draw
    entries; Eve won the drawn day 2027-03-09, and the day 2027-03-10 is still open."""
    import boto3

    from shared.config import load
    from shared.dynamo import Table
    from shared.entries import Entry, record_entry
    from shared.people import person_id
    from shared.ratelimit import hit

    config = load(AllSettings)
    table = Table(config.table_name)
    s3 = boto3.client("s3", region_name="eu-west-2")
    people = {}
    for email, photo_id, role, name in (
        (EVE, EVE_PHOTO, "teacher", "Eve Example"),
        (OLI, OLI_PHOTO, "technician", "Oli Other"),
    ):
        person = people[email] = person_id(config, email)
        photo(table, s3, config.media_bucket, person, email, photo_id, name)
        pledge(lambda_context, email, role, name, confirm=True)
        assert (
            call(
                "POST",
                "/signups",
                lambda_context,
                body={"email": email, "name": name, "consent": True},
            )["statusCode"]
            == 202
        )
        hit(table, f"UPLOADS#{person}", 30, 86400, NOW, person=person)
        for day in ("2027-03-09", "2027-03-10"):
            assert record_entry(
                table, Entry(day, person, name, "Hill School", photo_id), now=NOW, ttl=2_000_000_000
            )
    won(table, Entry("2027-03-09", people[EVE], "Eve Example", "Hill School", EVE_PHOTO))
    call("POST", "/messages", lambda_context, body={"message": "Anonymous thanks"})
    return {"table": table, "s3": s3, "bucket": config.media_bucket, "people": people}


def everything(world: dict[str, Any]) -> tuple[str, list[str]]:
    from shared.aws import client
    from tests.outbox import drain

    drain()  # the outbox performs what the erasure owes: files and CDN paths

    ddb = client("dynamodb")
    items = []
    for page in ddb.get_paginator("scan").paginate(TableName=world["table"].name):
        items.extend(page["Items"])
    keys = [
        o["Key"] for o in world["s3"].list_objects_v2(Bucket=world["bucket"]).get("Contents", [])
    ]
    return json.dumps(items), keys


def test_erasure_leaves_nothing_findable_by_that_email(world, lambda_context):
    # When an organiser erases Eve (spelled differently)
    response = call(
        "POST",
        "/admin/erasure",
        lambda_context,
        body={"email": " EVE@School.test"},
        claims=ORGANISER_CLAIMS,
    )
    # Then it says what went
    assert response["statusCode"] == 200
    assert body_of(response) == {
        "erased": {
            "photos": 1,
            "files": 5,
            "pledges": 1,
            "signups": 1,
            "messages": 0,
            "draw_entries": 2,
            "rate_limits": 1,
            "packs": 0,
        }
    }
    # And neither the table nor the bucket holds her email, name or photo any more
    table_text, keys = everything(world)
    for secret in (EVE, "Eve Example"):
        assert secret not in table_text
    assert not [k for k in keys if EVE_PHOTO in k]
    # but for the photo's audit trail, which keeps (by opaque id only) that it was erased
    from shared.audit import trail

    assert EVE_PHOTO not in table_text.replace(f"AUDIT#PHOTO#{EVE_PHOTO}", "")
    assert [(e["actor"], e["action"]) for e in trail(world["table"], f"PHOTO#{EVE_PHOTO}")] == [
        ("org-ann", "erased")
    ]
    # While Oli's data is untouched
    assert OLI in table_text
    assert "Oli Other" in table_text
    assert len([k for k in keys if OLI_PHOTO in k]) == 5


def test_erasure_corrects_the_counters_and_the_wall(world, lambda_context):
    call("POST", "/admin/erasure", lambda_context, body={"email": EVE}, claims=ORGANISER_CLAIMS)
    summary = body_of(call("GET", "/pledges/summary", lambda_context))
    assert summary["count"] == 1
    assert summary["by_role"] == {"teacher": 0, "school_leader": 0, "technician": 1, "other": 0}
    wall = body_of(call("GET", "/pledges", lambda_context))["items"]
    assert [p["name"] for p in wall] == ["Oli Other"]


def test_erasure_removes_an_unconfirmed_pledge_and_its_link(aws_env, lambda_context):
    # Given Pam pledged but never confirmed, and Oli confirmed
    pam = "pam@school.test"
    pledge(lambda_context, pam, "school_leader", "Pam Pending", confirm=False)
    pledge(lambda_context, OLI, "technician", "Oli Other", confirm=True)
    from moto.ses.models import ses_backends

    (mail,) = [
        m
        for m in ses_backends["123456789012"]["eu-west-2"].sent_messages
        if pam in m.destinations["ToAddresses"]
    ]
    token = re.search(r"token=([\w-]+)", mail.body)
    assert token
    from shared.aws import client

    before = client("dynamodb").scan(TableName=aws_env.table_name)["Items"]
    assert "Pam Pending" in json.dumps(before)  # kept with her link until she confirms
    # When an organiser erases Pam
    response = call(
        "POST", "/admin/erasure", lambda_context, body={"email": pam}, claims=ORGANISER_CLAIMS
    )
    assert response["statusCode"] == 200
    # Then her pending details and every item keyed by her are gone, and her link is dead
    from shared.config import load
    from shared.people import person_id

    items = client("dynamodb").scan(TableName=aws_env.table_name)["Items"]
    assert "Pam Pending" not in json.dumps(items)
    pseudonym = person_id(load(AllSettings), pam)
    assert [i["pk"]["S"] for i in items if pseudonym in json.dumps(i)] == [
        f"AUDIT#PERSON#{pseudonym}"
    ]  # the erasure's own audit entry
    assert (
        call("POST", "/pledges/confirm", lambda_context, body={"token": token.group(1)})[
            "statusCode"
        ]
        == 400
    )
    # And the counters never moved for her
    assert body_of(call("GET", "/pledges/summary", lambda_context))["count"] == 1


def test_a_past_win_stays_only_as_its_pseudonym(world, lambda_context):
    call("POST", "/admin/erasure", lambda_context, body={"email": EVE}, claims=ORGANISER_CLAIMS)
    table, eve = world["table"], world["people"][EVE]
    # The drawn day keeps Eve's entry (so the entrants hash still matches), as a pseudonym
    drawn_entry = table.get("DRAW#2027-03-09", f"ENTRY#{eve}", consistent=True)
    assert drawn_entry is not None
    assert {"display_name", "school", "photo_id", "gsi3pk"}.isdisjoint(drawn_entry)
    assert drawn_entry["entrant_id"] == eve
    (winner,) = table.get("DRAW#2027-03-09", "DRAW", consistent=True)["winners"]
    assert winner == {
        "position": 1,
        "entrant_id": eve,
        "display_name": None,
        "school": None,
        "photo_id": None,
    }
    # The public draw still answers, with the win and without the person
    for path, query in (("/draws", {"edition": "2027"}), ("/draws/2027-03-09", None)):
        answer = call("GET", path, lambda_context, query=query)
        assert answer["statusCode"] == 200, answer["body"]
        assert '"display_name":null' in answer["body"].replace(" ", "")
    # The open day forgets her entry entirely
    assert table.get("DRAW#2027-03-10", f"ENTRY#{eve}", consistent=True) is None
    assert table.get("DRAW#2027-03-10", f"ENTRY#{world['people'][OLI]}") is not None


def test_erasure_is_idempotent_and_audited_by_pseudonym(world, lambda_context):
    first = call(
        "POST", "/admin/erasure", lambda_context, body={"email": EVE}, claims=ORGANISER_CLAIMS
    )
    again = call(
        "POST", "/admin/erasure", lambda_context, body={"email": EVE}, claims=ORGANISER_CLAIMS
    )
    assert first["statusCode"] == again["statusCode"] == 200
    assert set(body_of(again)["erased"].values()) == {0}
    from shared.audit import trail

    entries = trail(world["table"], f"PERSON#{world['people'][EVE]}")
    assert [(e["actor"], e["action"]) for e in entries] == [("org-ann", "erasure")] * 2
    assert json.loads(entries[0]["detail"])["photos"] == 1
    assert EVE not in json.dumps(entries)


def test_erasure_is_for_organisers_only(world, lambda_context):
    member = call(
        "POST", "/admin/erasure", lambda_context, body={"email": EVE}, claims=MEMBER_CLAIMS
    )
    assert member["statusCode"] == 403
    table_text, _ = everything(world)
    assert EVE in table_text


def test_erasure_owes_every_cdn_path_of_the_photo_its_share_page_included(world, lambda_context):
    # When Eve is erased (before the outbox performs what that owes)
    response = call(
        "POST", "/admin/erasure", lambda_context, body={"email": EVE}, claims=ORGANISER_CLAIMS
    )
    assert response["statusCode"] == 200
    # Then the owed deletion invalidates the images, the share page and the cached API read
    from shared.aws import client
    from shared.cdn import paths

    items = client("dynamodb").scan(TableName=world["table"].name)["Items"]
    owed = [
        json.loads(i["payload"]["S"]) if "S" in i["payload"] else i["payload"]
        for i in items
        if i["pk"]["S"].startswith("OUTBOX#")
        and i.get("kind", {}).get("S") == "delete_files"
        and "payload" in i
    ]
    invalidated = {path for effect in owed for path in _strings(effect)}
    assert set(paths(EVE_PHOTO)) <= invalidated
    assert f"/p/{EVE_PHOTO}" in invalidated


def _strings(value: Any) -> list[str]:
    """Every string inside a DynamoDB-typed or plain JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
