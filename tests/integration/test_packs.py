"""Free event packs against moto: one per school, never more than the stock (also under 50
concurrent requests), the window, one email, the organisers' list, CSV and dispatch, erasure."""

from __future__ import annotations

import csv
import io
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api import call, erase, frozen_clock
from tests.events import MEMBER_CLAIMS, ORGANISER_CLAIMS, body_of
from tests.settings import AllSettings

NOW = datetime(2027, 2, 1, 12, tzinfo=UTC)  # TEST_SETTINGS: open until the week ends (14 March)
PACK = {
    "school": "Hilltop Academy",
    "contact_name": "Sam Technician",
    "email": "sam@hilltop.test",
    "address_line1": "1 School Lane",
    "address_line2": "Little Hill",
    "town": "Leeds",
    "postcode": "ls1 4ap",
    "consent": True,
}
# A second school, another person
RIVERSIDE = {
    "school": "Riverside School",
    "email": "riv@school.test",
    "contact_name": "Riv Tech",
    "address_line1": "2 River Road",
    "address_line2": None,
}


@pytest.fixture
def clock(monkeypatch):
    return frozen_clock(monkeypatch, NOW, "functions.campaign.handler")


def order(lambda_context: Any, **changes: Any) -> dict[str, Any]:
    return call("POST", "/packs", lambda_context, body={**PACK, **changes})


def mails(to: str | None = None) -> list[Any]:
    """Emails in moto's SES once the outbox consumer has sent what commits owe."""
    from moto.ses.models import ses_backends

    from tests.outbox import drain

    drain()
    sent = ses_backends["123456789012"]["eu-west-2"].sent_messages
    return [m for m in sent if to is None or to in m.destinations["ToAddresses"]]


def availability(lambda_context: Any) -> dict[str, Any]:
    response = call("GET", "/packs/availability", lambda_context)
    assert response["statusCode"] == 200
    return dict(body_of(response))


def admin_list(lambda_context: Any, **query: str) -> dict[str, Any]:
    response = call("GET", "/admin/packs", lambda_context, claims=ORGANISER_CLAIMS, query=query)
    assert response["statusCode"] == 200, response["body"]
    return dict(body_of(response))


def table_text(aws_env: Any) -> str:
    from shared.aws import client

    return json.dumps(client("dynamodb").scan(TableName=aws_env.table_name)["Items"])


def test_a_school_orders_a_pack_once_and_gets_one_email(aws_env, lambda_context, clock, caplog):
    # When Sam orders a pack
    response = order(lambda_context)
    # Then it is requested, and one neutral email went to Sam
    assert (response["statusCode"], body_of(response)) == (202, {"status": "requested"})
    (message,) = mails()
    assert message.destinations["ToAddresses"] == ["sam@hilltop.test"]
    assert "Sam Technician" not in message.body and "School Lane" not in message.body
    assert availability(lambda_context) == {"open": True, "remaining": 999}
    # When the same school asks again, spelled otherwise, from another address
    clock["at"] += timedelta(days=1)
    again = order(
        lambda_context,
        school="  HILLTOP   academy",
        postcode="LS14AP",
        email="head@hilltop.test",
        contact_name="Head Teacher",
    )
    # Then nothing changed: the same pack, no email, no stock used
    assert (again["statusCode"], body_of(again)) == (200, {"status": "already_requested"})
    assert len(mails()) == 1
    assert availability(lambda_context)["remaining"] == 999
    (pack,) = admin_list(lambda_context)["items"]
    assert (pack["contact_name"], pack["email"], pack["postcode"]) == (
        "Sam Technician",
        "sam@hilltop.test",
        "LS1 4AP",
    )
    # And the logs hold none of the personal data
    logs = json.dumps([r.getMessage() + str(vars(r)) for r in caplog.records], default=str)
    for private in (
        "sam@hilltop.test",
        "head@hilltop.test",
        "School Lane",
        "Sam Technician",
        "LS1 4AP",
        "Hilltop",
    ):
        assert private not in logs
    assert "pack request" in logs


def test_the_stored_request_is_private_expires_and_is_found_by_erasure(
    aws_env, lambda_context, clock
):
    from shared.config import load
    from shared.dynamo import Table
    from shared.people import person_id, retention_ttl

    order(lambda_context)
    (pack,) = admin_list(lambda_context)["items"]
    config = load(AllSettings)
    item = Table(config.table_name).get(f"PACK#{pack['pack_id']}", "PACK")
    assert item is not None
    assert item["ttl"] == retention_ttl(config)
    assert item["gsi3pk"] == f"PERSON#{person_id(config, 'sam@hilltop.test')}"
    assert "gsi1pk" not in item  # not on any public list


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("postcode", "90210"),
        ("postcode", "SW1A 1CA"),
        ("email", "Sam <sam@hilltop.test>"),
        ("school", ""),
        ("town", "Leeds\u202e"),
        ("consent", False),
        ("address_line2", "x" * 121),
    ],
)
def test_bad_input_is_a_422_problem_and_nothing_is_stored(
    aws_env, lambda_context, clock, field, value
):
    response = order(lambda_context, **{field: value})
    assert response["statusCode"] == 422
    assert response["headers"]["Content-Type"] == "application/problem+json"
    assert "sam@hilltop.test" not in response["body"]
    assert admin_list(lambda_context)["items"] == [] and mails() == []


def test_a_malformed_body_is_a_400(aws_env, lambda_context, clock):
    response = call("POST", "/packs", lambda_context, body="{not json")
    assert response["statusCode"] == 400


def test_requests_outside_the_window_are_409_and_availability_says_closed(
    aws_env, lambda_context, clock, monkeypatch
):
    from shared import config

    # Given requests open on 11 January (configuration)
    monkeypatch.setenv("PACKS_OPEN", "2027-01-11")
    config.load.cache_clear()
    # Before, and after the week's last day (the default close), asking is a conflict
    for at in (datetime(2027, 1, 10, 12, tzinfo=UTC), datetime(2027, 3, 15, 1, tzinfo=UTC)):
        clock["at"] = at
        response = order(lambda_context)
        assert response["statusCode"] == 409
        assert response["headers"]["Content-Type"] == "application/problem+json"
        assert "closed" in body_of(response)["detail"]
        assert availability(lambda_context) == {"open": False, "remaining": 1000}
    assert mails() == []
    # Within, it works
    clock["at"] = datetime(2027, 1, 11, 0, 1, tzinfo=UTC)
    assert order(lambda_context)["statusCode"] == 202


def test_fifty_concurrent_requests_for_the_last_ten_packs_promise_exactly_ten(
    atomic_dynamodb, lambda_context, clock, monkeypatch
):
    from shared import config
    from shared.dynamo import Table

    # Given a stock of 1,000 with 990 promised
    monkeypatch.setenv("PACK_STOCK", "1000")
    config.load.cache_clear()
    Table(atomic_dynamodb.table_name).put({"pk": "PACKSTOCK#2027", "sk": "STOCK", "promised": 990})

    # When 50 schools ask at the same moment
    def ask(n: int) -> int:
        response = order(
            lambda_context,
            school=f"School {n}",
            email=f"tech{n}@school.test",
            contact_name=f"Tech {n}",
        )
        return int(response["statusCode"])

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(ask, range(50)))
    # Then exactly ten are promised, the rest hear 409, and only the ten get an email
    assert sorted(statuses) == [202] * 10 + [409] * 40
    assert availability(lambda_context) == {"open": False, "remaining": 0}
    assert len(admin_list(lambda_context, limit="50")["items"]) == 10
    assert len(mails()) == 10


def test_organisers_list_newest_first_with_signed_cursors(aws_env, lambda_context, clock):
    for n in range(3):
        clock["at"] = NOW + timedelta(minutes=n)
        order(lambda_context, school=f"School {n}")
    first = admin_list(lambda_context, limit="2")
    assert [p["school"] for p in first["items"]] == ["School 2", "School 1"]
    assert set(first["items"][0]) == {
        "pack_id",
        "school",
        "contact_name",
        "email",
        "address_line1",
        "address_line2",
        "town",
        "postcode",
        "requested_at",
        "dispatched_at",
    }
    rest = admin_list(lambda_context, limit="2", cursor=first["next_cursor"])
    assert [p["school"] for p in rest["items"]] == ["School 0"]
    assert rest["next_cursor"] is None
    forged = call(
        "GET",
        "/admin/packs",
        lambda_context,
        claims=ORGANISER_CLAIMS,
        query={"cursor": first["next_cursor"][:-2] + "AA"},
    )
    assert forged["statusCode"] == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/packs"),
        ("GET", "/admin/packs/export"),
        ("POST", "/admin/packs/abc/dispatched"),
    ],
)
def test_the_organiser_routes_need_an_organiser(aws_env, lambda_context, clock, method, path):
    assert call(method, path, lambda_context)["statusCode"] == 401
    assert call(method, path, lambda_context, claims=MEMBER_CLAIMS)["statusCode"] == 403


def test_marking_dispatched_is_idempotent_and_shows_in_the_csv(aws_env, lambda_context, clock):
    order(lambda_context, contact_name="=cmd|' /C calc'!A0")
    order(lambda_context, school="Riverside School", postcode="M1 1AE", address_line2=None)
    packs = admin_list(lambda_context)["items"]
    hilltop = next(p for p in packs if p["school"] == "Hilltop Academy")
    # When an organiser marks Hilltop's pack dispatched, twice
    first = call(
        "POST",
        f"/admin/packs/{hilltop['pack_id']}/dispatched",
        lambda_context,
        claims=ORGANISER_CLAIMS,
    )
    clock["at"] += timedelta(hours=1)
    second = call(
        "POST",
        f"/admin/packs/{hilltop['pack_id']}/dispatched",
        lambda_context,
        claims=ORGANISER_CLAIMS,
    )
    # Then both answer the pack with the first time
    assert first["statusCode"] == second["statusCode"] == 200
    assert (
        body_of(first)["dispatched_at"]
        == body_of(second)["dispatched_at"]
        == "2027-02-01T12:00:00Z"
    )
    unknown = call(
        "POST", "/admin/packs/nosuchpack/dispatched", lambda_context, claims=ORGANISER_CLAIMS
    )
    assert unknown["statusCode"] == 404
    # And the CSV says so, with the formula neutralised
    response = call("GET", "/admin/packs/export", lambda_context, claims=ORGANISER_CLAIMS)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"].startswith("text/csv")
    rows = {r["school"]: r for r in csv.DictReader(io.StringIO(response["body"]))}
    assert rows["Hilltop Academy"]["dispatched_at"] == "2027-02-01T12:00:00Z"
    assert rows["Hilltop Academy"]["contact_name"] == "'=cmd|' /C calc'!A0"
    assert rows["Riverside School"]["dispatched_at"] == ""
    assert rows["Riverside School"]["address_line2"] == ""
    assert rows["Riverside School"]["postcode"] == "M1 1AE"


def test_erasure_deletes_the_persons_pack_requests(aws_env, lambda_context, clock):
    order(lambda_context)
    order(lambda_context, **RIVERSIDE)
    # When an organiser erases Sam
    erased = erase(lambda_context, "SAM@hilltop.test")
    # Then Sam's pack (and address) is gone and counted; the other school's stays
    assert erased["statusCode"] == 200
    assert body_of(erased)["erased"]["packs"] == 1
    assert [p["school"] for p in admin_list(lambda_context)["items"]] == ["Riverside School"]
    text = table_text(aws_env)
    for private in ("sam@hilltop.test", "1 School Lane", "Sam Technician", "Little Hill"):
        assert private not in text
    assert "2 River Road" in text


def test_erasing_a_request_not_yet_dispatched_gives_its_pack_back(aws_env, lambda_context, clock):
    # Given two schools' requests, Riverside's already dispatched
    order(lambda_context)
    order(lambda_context, **RIVERSIDE)
    riverside = next(
        p for p in admin_list(lambda_context)["items"] if p["school"] == "Riverside School"
    )
    dispatched = call(
        "POST",
        f"/admin/packs/{riverside['pack_id']}/dispatched",
        lambda_context,
        claims=ORGANISER_CLAIMS,
    )
    assert dispatched["statusCode"] == 200
    before = availability(lambda_context)["remaining"]
    # When both requesters are erased
    assert body_of(erase(lambda_context, "sam@hilltop.test"))["erased"]["packs"] == 1
    assert body_of(erase(lambda_context, "riv@school.test"))["erased"]["packs"] == 1
    # Then only the pack never sent is back in stock (the sent one was used)
    assert availability(lambda_context)["remaining"] == before + 1
    # and erasing again finds nothing and gives nothing back
    assert body_of(erase(lambda_context, "sam@hilltop.test"))["erased"]["packs"] == 0
    assert availability(lambda_context)["remaining"] == before + 1
    # And Hilltop, whose request is gone, may ask again
    again = order(lambda_context)
    assert again["statusCode"] == 202
    assert body_of(again) == {"status": "requested"}
    assert availability(lambda_context)["remaining"] == before
