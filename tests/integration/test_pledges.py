"""Pledges against moto: counted once, the exact summary, the wall."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.events import body_of, http_event

PLEDGE = {"name": "Ada Lovelace", "email": "ada@school.test", "role": "teacher",
          "organisation": "Hill School", "show_on_wall": True}


@pytest.fixture
def serialisable_moto(atomic_dynamodb):
    from shared.config import ApiConfig, load
    from shared.secret import server_secret

    server_secret(load(ApiConfig).table_name)  # created before the threads start
    return atomic_dynamodb


def call(method: str, path: str, lambda_context: Any, **kwargs: Any) -> dict[str, Any]:
    from functions.pledge.handler import lambda_handler

    return lambda_handler(http_event(method, path, **kwargs), lambda_context)


def summary(lambda_context: Any) -> Any:
    return body_of(call("GET", "/pledges/summary", lambda_context))


def pledge_directly(email: str, role: str = "teacher",
                    when: datetime | None = None) -> tuple[str, bool]:
    """The domain call the handler makes, without the resolver's per-request module state."""
    from functions.pledge import logic
    from functions.pledge.models import PledgeIn
    from functions.pledge.store import PledgeStore
    from shared.config import ApiConfig, load
    from shared.dynamo import Table
    from shared.people import person_id

    config = load(ApiConfig)
    body = PledgeIn.model_validate({**PLEDGE, "email": email, "role": role})
    return logic.pledge(PledgeStore(Table(config.table_name)), body,
                        person=person_id(config, body.email),
                        now=when or datetime.now(UTC), ttl=2_000_000_000)


def test_a_first_pledge_is_created_and_counted(aws_env, lambda_context):
    # Given nobody has pledged
    # When Ada pledges
    response = call("POST", "/pledges", lambda_context, body=PLEDGE)
    # Then it is created and counted under her role
    assert response["statusCode"] == 201
    assert body_of(response)["pledge_id"]
    assert summary(lambda_context) == {
        "count": 1, "by_role": {"teacher": 1, "school_leader": 0, "technician": 0, "other": 0}}


def test_the_same_email_pledging_again_gets_the_same_pledge_and_counts_once(
        aws_env, lambda_context):
    # Given Ada has pledged
    first = body_of(call("POST", "/pledges", lambda_context, body=PLEDGE))
    # When she pledges again, spelled differently and with another role
    again = call("POST", "/pledges", lambda_context,
                 body={**PLEDGE, "email": "  ADA@School.TEST ", "role": "other"})
    # Then the answer is 200 with the same id, and she is counted once, as a teacher
    assert again["statusCode"] == 200
    assert body_of(again)["pledge_id"] == first["pledge_id"]
    assert summary(lambda_context)["count"] == 1
    assert summary(lambda_context)["by_role"]["other"] == 0


def test_twenty_concurrent_pledges_with_one_email_count_once(serialisable_moto):
    # When 20 threads pledge with the same email at once
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: pledge_directly("same@school.test"), range(20)))
    # Then exactly one created it, all got its id, and the counter says 1
    from functions.pledge.store import PledgeStore
    from shared.config import ApiConfig, load
    from shared.dynamo import Table

    assert sum(created for _, created in results) == 1
    assert len({pledge_id for pledge_id, _ in results}) == 1
    counters = PledgeStore(Table(load(ApiConfig).table_name)).summary()
    assert counters is not None
    assert counters["count"] == 1
    assert counters["role_teacher"] == 1


def test_twenty_concurrent_pledges_with_different_emails_count_twenty(
        serialisable_moto, lambda_context):
    roles = ["teacher", "school_leader", "technician", "other"]
    # When 20 different people pledge at once
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(
            lambda n: pledge_directly(f"person{n}@school.test", roles[n % 4]), range(20)))
    # Then all 20 are created and counted, 5 per role
    assert all(created for _, created in results)
    assert summary(lambda_context) == {
        "count": 20, "by_role": {"teacher": 5, "school_leader": 5, "technician": 5, "other": 5}}


def test_a_failed_transaction_leaves_no_half_written_pledge(aws_env, lambda_context):
    # Given the counters item cannot take an ADD (a corrupt, non-numeric count)
    from shared.config import ApiConfig, load
    from shared.dynamo import Table
    from shared.people import person_id

    config = load(ApiConfig)
    table = Table(config.table_name)
    table.put({"pk": "PLEDGES", "sk": "SUMMARY", "count": "corrupt"})
    # When Ada pledges
    with pytest.raises(Exception):  # noqa: B017, PT011 - moto's error type varies; no write is what matters
        pledge_directly("ada@school.test")
    # Then neither the pledge nor a counter change was written
    assert table.get(f"PLEDGE#{person_id(config, 'ada@school.test')}", "PLEDGE",
                     consistent=True) is None
    assert table.get("PLEDGES", "SUMMARY", consistent=True) == {
        "pk": "PLEDGES", "sk": "SUMMARY", "count": "corrupt"}


def test_the_summary_is_one_get_item(aws_env, lambda_context):
    # Given a pledge
    call("POST", "/pledges", lambda_context, body=PLEDGE)
    from shared.aws import client
    from shared.secret import server_secret

    server_secret.cache_clear()
    calls: list[str] = []
    ddb = client("dynamodb")
    ddb.meta.events.register("before-call.dynamodb.*",
                             lambda model, **_: calls.append(model.name))
    # When the summary is read
    summary(lambda_context)
    # Then the table was asked exactly once, by key
    assert calls == ["GetItem"]


def test_the_wall_shows_only_chosen_pledges_newest_first_without_emails(aws_env, lambda_context):
    # Given three pledges, one of which chose not to be shown
    start = datetime(2027, 3, 9, 10, tzinfo=UTC)
    pledge_directly("first@school.test", when=start)
    pledge_directly("second@school.test", when=start + timedelta(minutes=1))
    from functions.pledge import logic
    from functions.pledge.models import PledgeIn
    from functions.pledge.store import PledgeStore
    from shared.config import ApiConfig, load
    from shared.dynamo import Table

    hidden = PledgeIn.model_validate({**PLEDGE, "email": "hidden@school.test",
                                      "show_on_wall": False})
    logic.pledge(PledgeStore(Table(load(ApiConfig).table_name)), hidden, person="hidden0000",
                 now=start + timedelta(minutes=2), ttl=2_000_000_000)
    # When the wall is read a page of one at a time, following the cursors
    pages, cursor = [], None
    while True:
        query = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        page = body_of(call("GET", "/pledges", lambda_context, query=query))
        pages.append(page)
        cursor = page["next_cursor"]
        if not cursor:
            break
    items = [i for p in pages for i in p["items"]]
    # Then it lists the two shown pledges, newest first, with no email anywhere
    assert [i["created_at"] for i in items] == ["2027-03-09T10:01:00Z", "2027-03-09T10:00:00Z"]
    assert set(items[0]) == {"pledge_id", "name", "role", "organisation", "created_at"}
    assert all(len(p["items"]) <= 1 for p in pages)
    assert "@" not in str(pages)
    assert summary(lambda_context)["count"] == 3


def test_a_forged_wall_cursor_is_a_400(aws_env, lambda_context):
    response = call("GET", "/pledges", lambda_context, query={"cursor": "Zm9yZ2VkY3Vyc29y"})
    assert response["statusCode"] == 400


def test_a_pledge_with_an_unknown_role_is_a_422(aws_env, lambda_context):
    response = call("POST", "/pledges", lambda_context, body={**PLEDGE, "role": "headmaster"})
    assert response["statusCode"] == 422
    assert body_of(response)["errors"][0]["loc"] == ["body", "role"]
    assert "ada@" not in response["body"]


def test_one_ip_is_limited_in_writes_per_hour(aws_env, lambda_context, monkeypatch):
    # Given a limit of 2 writes an hour per IP
    from shared import config

    monkeypatch.setenv("WRITES_PER_IP_PER_HOUR", "2")
    config.load.cache_clear()
    # When one IP writes three times, and another IP once
    answers = [call("POST", "/pledges", lambda_context,
                    body={**PLEDGE, "email": f"p{n}@school.test"})["statusCode"] for n in range(3)]
    other = call("POST", "/pledges", lambda_context, body=PLEDGE, source_ip="198.51.100.9")
    # Then the third is refused with a Retry-After, and the other IP is unaffected
    assert answers == [201, 201, 429]
    assert other["statusCode"] == 201
    from shared.dynamo import Table

    table = Table(config.load(config.ApiConfig).table_name)
    from shared.aws import client

    raw = str(client("dynamodb").scan(TableName=table.name)["Items"])
    assert "203.0.113.7" not in raw  # the IP itself is never stored
