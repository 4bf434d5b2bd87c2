"""Pledges against moto: confirmed by email before they count, counted once, the summary, the
wall."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api import assert_one_mail_per_window, call, frozen_clock, mails
from tests.events import body_of
from tests.settings import AllSettings

PLEDGE = {
    "name": "Ada Lovelace",
    "email": "ada@school.test",
    "role": "teacher",
    "organisation": "Hill School",
    "show_on_wall": True,
}
NOW = datetime(2027, 3, 9, 12, tzinfo=UTC)
ACCEPTED = (202, '{"status":"confirmation_sent"}')


@pytest.fixture
def clock(monkeypatch):
    """The handler's clock, set by the test."""
    return frozen_clock(monkeypatch, NOW, "functions.pledge.handler")


@pytest.fixture
def serialisable_moto(atomic_dynamodb):
    from shared.config import load
    from shared.secret import server_secret

    server_secret(load(AllSettings).table_name)  # created before the threads start
    return atomic_dynamodb


def answer(response: dict[str, Any]) -> tuple[int, str]:
    return response["statusCode"], response["body"]


def summary(lambda_context: Any) -> Any:
    return body_of(call("GET", "/pledges/summary", lambda_context))


def wall(lambda_context: Any) -> list[dict[str, Any]]:
    return list(body_of(call("GET", "/pledges", lambda_context))["items"])


def token_of(message: Any) -> str:
    found = re.search(r"https://site\.test/pledge/confirm\?token=([A-Za-z0-9_-]+)", message.body)
    assert found, message.body
    return found.group(1)


def confirm(token: str, lambda_context: Any) -> dict[str, Any]:
    return call("POST", "/pledges/confirm", lambda_context, body={"token": token})


def pledge_and_confirm(lambda_context: Any, **changes: Any) -> str:
    body = {**PLEDGE, **changes}
    assert answer(call("POST", "/pledges", lambda_context, body=body)) == ACCEPTED
    confirmed = confirm(token_of(mails(body["email"].strip().lower())[-1]), lambda_context)
    assert confirmed["statusCode"] == 200, confirmed["body"]
    return str(body_of(confirmed)["pledge_id"])


def request_directly(
    email: str, role: str = "teacher", when: datetime = NOW, **changes: Any
) -> str:
    """The domain call the handler makes, without the resolver's per-request module state
    (threads): the emailed token."""
    from functions.pledge import logic
    from functions.pledge.models import PledgeIn
    from functions.pledge.store import PledgeStore
    from shared.config import load
    from shared.dynamo import Table
    from shared.people import person_id

    config = load(AllSettings)
    body = PledgeIn.model_validate({**PLEDGE, "email": email, "role": role, **changes})
    sent: list[str] = []

    class Capturing(PledgeStore):  # the email the pledge owes (the outbox would send it)
        def register_pledge(self, person: str, mailing: logic.Mailing) -> bool:
            sent.append(mailing.owed.payload["text"])
            return super().register_pledge(person, mailing)

    settings = logic.LinkSettings("https://site.test", timedelta(days=7), timedelta(0))
    logic.pledge(
        Capturing(Table(config.table_name)),
        body,
        person=person_id(config, body.email),
        now=when,
        settings=settings,
    )
    (text,) = sent
    found = re.search(r"token=([A-Za-z0-9_-]+)", text)
    assert found
    return found.group(1)


def confirm_directly(token: str, when: datetime = NOW) -> str:
    from functions.pledge import logic
    from functions.pledge.store import PledgeStore
    from shared.config import load
    from shared.dynamo import Table

    return logic.confirm_pledge(
        PledgeStore(Table(load(AllSettings).table_name)), token, now=when, ttl=2_000_000_000
    )


def test_a_pledge_is_accepted_and_mailed_but_counts_only_once_confirmed(
    aws_env, lambda_context, clock
):
    # When Ada pledges
    response = call("POST", "/pledges", lambda_context, body=PLEDGE)
    # Then the answer is 202, one email links to the site's confirm page, and nothing counts yet
    assert answer(response) == ACCEPTED
    (message,) = mails("ada@school.test")
    assert message.source == "hello@techognition.test"
    token = token_of(message)
    assert summary(lambda_context)["count"] == 0
    assert wall(lambda_context) == []
    # And only the token's hash is stored
    from shared.aws import client

    assert token not in str(client("dynamodb").scan(TableName=aws_env.table_name)["Items"])
    # When she confirms
    confirmed = confirm(token, lambda_context)
    # Then it counts under her role and is on the wall, with the id the confirmation gave
    assert confirmed["statusCode"] == 200
    pledge_id = body_of(confirmed)["pledge_id"]
    assert body_of(confirmed) == {"status": "confirmed", "pledge_id": pledge_id}
    assert summary(lambda_context) == {
        "count": 1,
        "by_role": {"teacher": 1, "school_leader": 0, "technician": 0, "other": 0},
    }
    assert [(p["pledge_id"], p["name"]) for p in wall(lambda_context)] == [
        (pledge_id, "Ada Lovelace")
    ]


def test_the_answer_is_the_same_for_a_new_a_repeated_and_a_confirmed_email(
    aws_env, lambda_context, clock
):
    answers = [call("POST", "/pledges", lambda_context, body=PLEDGE)]  # new
    answers.append(call("POST", "/pledges", lambda_context, body=PLEDGE))  # pending
    confirm(token_of(mails()[0]), lambda_context)
    clock["at"] += timedelta(minutes=11)
    answers.append(
        call("POST", "/pledges", lambda_context, body={**PLEDGE, "email": " ADA@School.TEST "})
    )  # confirmed
    # Identical status and body every time: nobody learns whether an address has pledged
    assert {answer(a) for a in answers} == {ACCEPTED}
    assert {a["headers"]["Content-Type"] for a in answers} == {"application/json"}


def test_confirming_again_gives_the_same_answer_and_counts_once(aws_env, lambda_context, clock):
    call("POST", "/pledges", lambda_context, body=PLEDGE)
    token = token_of(mails()[0])
    first, again = confirm(token, lambda_context), confirm(token, lambda_context)
    assert answer(first) == answer(again)
    assert first["statusCode"] == 200
    assert summary(lambda_context)["count"] == 1


def test_at_most_one_confirmation_email_per_address_per_ten_minutes(aws_env, lambda_context, clock):
    assert_one_mail_per_window(
        lambda: call("POST", "/pledges", lambda_context, body=PLEDGE), "ada@school.test", clock
    )


def test_pledging_again_with_new_details_and_confirming_updates_the_one_pledge(
    aws_env, lambda_context, clock
):
    # Given Ada's confirmed pledge as a teacher
    pledge_id = pledge_and_confirm(lambda_context)
    # When she pledges again later, as "other" with a new name, and confirms
    clock["at"] += timedelta(hours=1)
    again = pledge_and_confirm(
        lambda_context, name="Ada King", role="other", email="Ada@School.test"
    )
    # Then it is the same pledge with the new details, still counted once
    assert again == pledge_id
    assert summary(lambda_context) == {
        "count": 1,
        "by_role": {"teacher": 0, "school_leader": 0, "technician": 0, "other": 1},
    }
    assert [(p["pledge_id"], p["name"], p["role"]) for p in wall(lambda_context)] == [
        (pledge_id, "Ada King", "other")
    ]
    # When she confirms again without the wall, she leaves it but still counts
    clock["at"] += timedelta(hours=1)
    pledge_and_confirm(lambda_context, role="other", show_on_wall=False)
    assert wall(lambda_context) == []
    assert summary(lambda_context)["count"] == 1


def test_the_summary_and_the_wall_leave_out_unconfirmed_pledges(aws_env, lambda_context, clock):
    # Given Ada confirmed, and Bob (a school leader on the wall) never did
    pledge_and_confirm(lambda_context)
    bob = {**PLEDGE, "name": "Bob Unconfirmed", "email": "bob@school.test", "role": "school_leader"}
    assert answer(call("POST", "/pledges", lambda_context, body=bob)) == ACCEPTED
    # Then only Ada counts and shows
    assert summary(lambda_context) == {
        "count": 1,
        "by_role": {"teacher": 1, "school_leader": 0, "technician": 0, "other": 0},
    }
    assert [p["name"] for p in wall(lambda_context)] == ["Ada Lovelace"]


def test_mail_to_an_unconfirmed_address_does_not_echo_the_name_typed(
    aws_env, lambda_context, clock
):
    advert = "Visit http://evil.example to claim your prize"
    call(
        "POST", "/pledges", lambda_context, body={**PLEDGE, "name": advert, "organisation": "Hill"}
    )
    (message,) = mails()
    assert "evil.example" not in str(vars(message))
    assert message.body.startswith("<p>Hello,</p>")  # moto keeps the HTML part


@pytest.mark.parametrize("token", ["x" * 43, "short", "not a token!"])
def test_an_unknown_or_malformed_token_is_refused(aws_env, lambda_context, clock, token):
    response = confirm(token, lambda_context)
    assert response["statusCode"] in (400, 422)
    assert response["headers"]["Content-Type"] == "application/problem+json"


def test_an_expired_token_is_a_400_and_counts_nothing(aws_env, lambda_context, clock):
    call("POST", "/pledges", lambda_context, body=PLEDGE)
    token = token_of(mails()[0])
    clock["at"] += timedelta(days=7, seconds=1)
    response = confirm(token, lambda_context)
    assert response["statusCode"] == 400
    assert response["headers"]["Content-Type"] == "application/problem+json"
    assert summary(lambda_context)["count"] == 0


def test_pledge_and_sign_up_tokens_do_not_confirm_each_other(aws_env, lambda_context, clock):
    call("POST", "/pledges", lambda_context, body=PLEDGE)
    call(
        "POST",
        "/signups",
        lambda_context,
        body={"email": "sam@supporter.test", "name": "Sam", "consent": True},
    )
    pledge_token = token_of(mails("ada@school.test")[0])
    signup = re.search(r"/signup/confirm\?token=([\w-]+)", mails("sam@supporter.test")[0].body)
    assert signup
    assert confirm(signup.group(1), lambda_context)["statusCode"] == 400
    assert (
        call("POST", "/signups/confirm", lambda_context, body={"token": pledge_token})["statusCode"]
        == 400
    )
    assert confirm(pledge_token, lambda_context)["statusCode"] == 200


def test_twenty_concurrent_confirmations_of_one_person_count_once(serialisable_moto):
    # Given one person's ten links (pledged ten times, in two roles) and two clicks on each
    tokens = [request_directly("same@school.test", ["teacher", "other"][n % 2]) for n in range(10)]
    # When all twenty confirmations arrive at once
    with ThreadPoolExecutor(max_workers=20) as pool:
        ids = list(pool.map(confirm_directly, tokens * 2))
    # Then there is one pledge, counted once under the role it ended with
    from functions.pledge.store import PledgeStore
    from shared.config import load
    from shared.dynamo import Table
    from shared.people import person_id

    config = load(AllSettings)
    store = PledgeStore(Table(config.table_name))
    assert len(set(ids)) == 1
    stored = store.table.get(
        f"PLEDGE#{person_id(config, 'same@school.test')}", "PLEDGE", consistent=True
    )
    counters = store.summary()
    assert stored is not None
    assert counters is not None
    assert counters["count"] == 1
    assert counters[f"role_{stored['role']}"] == 1
    assert counters.get("role_teacher", 0) + counters.get("role_other", 0) == 1


def test_twenty_concurrent_confirmations_of_different_people_count_twenty(
    serialisable_moto, lambda_context
):
    roles = ["teacher", "school_leader", "technician", "other"]
    tokens = [request_directly(f"person{n}@school.test", roles[n % 4]) for n in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        ids = list(pool.map(confirm_directly, tokens))
    assert len(set(ids)) == 20
    assert summary(lambda_context) == {
        "count": 20,
        "by_role": {"teacher": 5, "school_leader": 5, "technician": 5, "other": 5},
    }


def test_a_failed_confirmation_leaves_no_half_written_pledge(aws_env, lambda_context):
    # Given the counters item cannot take an ADD (a corrupt, non-numeric count)
    from shared.config import load
    from shared.dynamo import Table
    from shared.people import person_id

    config = load(AllSettings)
    table = Table(config.table_name)
    token = request_directly("ada@school.test")
    table.put({"pk": "PLEDGES", "sk": "SUMMARY", "count": "corrupt"})
    # When Ada confirms
    with pytest.raises(Exception):  # noqa: B017, PT011 - moto's error type varies; no write is what matters
        confirm_directly(token)
    # Then neither the pledge nor a counter change was written, and the link still works
    assert (
        table.get(f"PLEDGE#{person_id(config, 'ada@school.test')}", "PLEDGE", consistent=True)
        is None
    )
    assert table.get("PLEDGES", "SUMMARY", consistent=True) == {
        "pk": "PLEDGES",
        "sk": "SUMMARY",
        "count": "corrupt",
    }
    table.delete("PLEDGES", "SUMMARY")
    assert confirm_directly(token)


def test_the_summary_is_one_get_item(aws_env, lambda_context, clock):
    # Given a confirmed pledge
    pledge_and_confirm(lambda_context)
    from shared.aws import client
    from shared.secret import forget

    forget()
    calls: list[str] = []
    ddb = client("dynamodb")
    ddb.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    # When the summary is read
    summary(lambda_context)
    # Then the table was asked exactly once, by key
    assert calls == ["GetItem"]


def test_the_wall_shows_only_chosen_pledges_newest_first_without_emails(aws_env, lambda_context):
    # Given three confirmed pledges, one of which chose not to be shown
    start = datetime(2027, 3, 9, 10, tzinfo=UTC)
    confirm_directly(request_directly("first@school.test"), when=start)
    confirm_directly(request_directly("second@school.test"), when=start + timedelta(minutes=1))
    confirm_directly(
        request_directly("hidden@school.test", show_on_wall=False),
        when=start + timedelta(minutes=2),
    )
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
    assert mails() == []


def test_one_ip_is_limited_in_writes_per_hour(aws_env, lambda_context, monkeypatch):
    # Given a limit of 2 writes an hour per IP
    from shared import config

    monkeypatch.setenv("WRITES_PER_IP_PER_HOUR", "2")
    config.load.cache_clear()
    # When one IP writes three times (a confirmation is a write too), and another IP once
    answers = [
        call("POST", "/pledges", lambda_context, body={**PLEDGE, "email": f"p{n}@school.test"})[
            "statusCode"
        ]
        for n in range(2)
    ]
    answers.append(confirm("x" * 43, lambda_context)["statusCode"])
    other = call("POST", "/pledges", lambda_context, body=PLEDGE, source_ip="198.51.100.9")
    # Then the third is refused with a Retry-After, and the other IP is unaffected
    assert answers == [202, 202, 429]
    assert other["statusCode"] == 202
    from shared.dynamo import Table

    table = Table(config.load(AllSettings).table_name)
    from shared.aws import client

    raw = str(client("dynamodb").scan(TableName=table.name)["Items"])
    assert "203.0.113.7" not in raw  # the IP itself is never stored
