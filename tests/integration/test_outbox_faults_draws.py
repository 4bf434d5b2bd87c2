"""Fault injection on the draw, the redraw, the nightly run and pack requests (issue 17).

The same botocore hook as `test_outbox_faults.py` fails chosen calls: "lost" (applied by moto,
then the answer times out) or "refused" (never reaches moto). The end state is counted in moto's
SES after the outbox consumer runs: each winner and each organiser told exactly once, a pack's
requester mailed exactly once, whatever the organiser or the school saw and retried.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.config import load
from tests.events import ORGANISER_CLAIMS, body_of, http_event
from tests.integration.test_draw_support import enter, entrant, table
from tests.integration.test_outbox_faults import faults, sent_to  # noqa: F401 - the fixture
from tests.outbox import drain

DAY = "2027-03-09"
FIRST_DAY = "2027-03-08"
BOSS = "boss@organisers.test"
PACK = {"school": "Hilltop Academy", "contact_name": "Sam Technician",
        "email": "sam@hilltop.test", "address_line1": "1 School Lane", "town": "Leeds",
        "postcode": "ls1 4ap", "consent": True}


@pytest.fixture
def organisers(aws_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORGANISER_EMAILS", BOSS)
    load.cache_clear()


def draw(lambda_context: Any, path: str = "/admin/draws",
         body: dict[str, Any] | None = None) -> tuple[int, Any]:
    from functions.prizedraw.handler import lambda_handler

    response = lambda_handler(http_event("POST", path, body=body or {"day": DAY},
                                         claims=ORGANISER_CLAIMS), lambda_context)
    return response["statusCode"], body_of(response)


def winner_addresses(day: str = DAY) -> list[str]:
    """The contact address of each current winner of `day` (tests' entrants: tech<n>@...)."""
    record = table().get(f"DRAW#{day}", "DRAW", consistent=True)
    assert record is not None and record["status"] == "drawn"
    numbers = {entrant(n): n for n in range(1, 10)}
    return [f"tech{numbers[w['entrant_id']]}@school.test" for w in record["winners"]]


def touches_outbox(params: dict[str, Any]) -> bool:
    return "OUTBOX#" in str(params.get("body"))


@pytest.mark.usefixtures("organisers")
@pytest.mark.parametrize("settled", [True, False], ids=["answer-settled", "fate-unknown"])
def test_a_draw_whose_commit_answer_is_lost_tells_the_winner_once(
        faults, lambda_context, settled):  # noqa: F811 - the imported fixture
    # Given entrants, and every answer to the draw's commit lost (moto applied it); when
    # `settled` is False, reading the commit's outbox item back fails too, so nobody can tell
    enter(DAY, 1, 2, 3)

    def rule(operation: str, params: dict[str, Any]) -> str | None:
        if operation == "TransactWriteItems" and touches_outbox(params):
            return "lost"
        if not settled and operation == "GetItem" and touches_outbox(params):
            return "refused"
        return None

    faults.rule = rule
    # When the organiser draws, then (the faults gone) presses again
    first, _ = draw(lambda_context)
    faults.rule = lambda _op, _p: None
    again, problem = draw(lambda_context)
    drain()
    drain()  # a redelivery sends nothing more
    # Then the first press answered the commit (201) or a clean 503, the retry "already drawn",
    assert faults.injected["lost"] >= 1
    assert first == (201 if settled else 503)
    assert (again, problem["status"]) == (409, 409)
    # and the winner and the organiser were each told exactly once
    (winner,) = winner_addresses()
    assert sent_to() == Counter({winner: 1, BOSS: 1})


@pytest.mark.usefixtures("organisers")
def test_the_draws_emails_go_once_each_when_sendemail_fails_its_first_tries(
        faults, lambda_context):  # noqa: F811 - the imported fixture
    # Given SES refuses each draw email's first six tries (more than the SDK's retries: an
    # inline send would give up)
    enter(DAY, 1, 2, 3)
    tries: Counter[str] = Counter()

    def first_sends_fail(operation: str, params: dict[str, Any]) -> str | None:
        if operation != "SendEmail":
            return None
        tries[str(params["body"])] += 1
        return "refused" if tries[str(params["body"])] <= 6 else None

    faults.rule = first_sends_fail
    # When the organiser draws and the outbox runs
    status, _ = draw(lambda_context)
    drain()
    drain()
    # Then the draw answered at once, and each email went exactly once after its failures
    assert status == 201
    assert faults.injected["refused"] == 12
    (winner,) = winner_addresses()
    assert sent_to() == Counter({winner: 1, BOSS: 1})


@pytest.mark.usefixtures("organisers")
def test_a_redraw_whose_commit_answer_is_lost_tells_the_new_winner_once(
        faults, lambda_context):  # noqa: F811 - the imported fixture
    # Given a drawn day whose emails went out
    enter(DAY, 1, 2, 3)
    assert draw(lambda_context)[0] == 201
    drain()
    (first_winner,) = winner_addresses()
    # When a redraw's commit is applied but its answers are lost
    faults.rule = lambda op, p: "lost" if op == "TransactWriteItems" and touches_outbox(p) else None
    status, record = draw(lambda_context, f"/admin/draws/{DAY}/redraw",
                          {"position": 1, "reason": "unreachable"})
    faults.rule = lambda _op, _p: None
    drain()
    drain()
    # Then the redraw answered its commit, and the new winner and the organiser (twice in all:
    # the draw and the redraw) were told once each
    assert status == 200, record
    assert faults.injected["lost"] >= 1
    (new_winner,) = winner_addresses()
    assert new_winner != first_winner and len(record["redraws"]) == 1
    assert sent_to() == Counter({first_winner: 1, new_winner: 1, BOSS: 2})


@pytest.mark.usefixtures("organisers")
def test_the_nightly_draw_failing_after_its_commit_still_tells_everyone_once(
        faults, lambda_context, monkeypatch):  # noqa: F811 - the imported fixture
    # Given the 8th (the first day) ended with entrants, and the nightly commit's answer lost
    # for good (its fate unknown)
    from functions.prizedraw import nightly

    enter(FIRST_DAY, 1, 2, 3)
    monkeypatch.setattr(nightly, "utc_now", lambda: datetime(2027, 3, 9, 0, 5, tzinfo=UTC))

    def rule(operation: str, params: dict[str, Any]) -> str | None:
        if operation == "TransactWriteItems" and touches_outbox(params):
            return "lost"
        return "refused" if operation == "GetItem" and touches_outbox(params) else None

    faults.rule = rule
    event = {"source": "schedule", "schedule": "draw-hourly"}
    # When the run fails (Scheduler retries it), and the retry finds the day drawn
    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the SDK raised last
        nightly.lambda_handler(event, lambda_context)
    faults.rule = lambda _op, _p: None
    retried = nightly.lambda_handler(event, lambda_context)
    drain()
    # Then the day was drawn once, and its winner and the organiser told once each
    assert retried["already"] == [FIRST_DAY]
    (winner,) = winner_addresses(FIRST_DAY)
    assert sent_to() == Counter({winner: 1, BOSS: 1})


@pytest.fixture
def pack_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.campaign import handler

    monkeypatch.setattr(handler, "utc_now", lambda: datetime(2027, 2, 1, 12, tzinfo=UTC))


def order(lambda_context: Any) -> int:
    from functions.campaign.handler import lambda_handler

    status: int = lambda_handler(http_event("POST", "/packs", body=PACK),
                                 lambda_context)["statusCode"]
    return status


@pytest.mark.usefixtures("pack_clock")
def test_a_pack_request_whose_commit_answer_is_lost_answers_202_and_mails_once(
        faults, lambda_context):  # noqa: F811 - the imported fixture
    # Given the pack's transaction applied but every answer to it lost
    faults.rule = lambda op, p: "lost" if op == "TransactWriteItems" and touches_outbox(p) else None
    # When a school asks for a pack, and asks again once the faults are gone
    first = order(lambda_context)
    faults.rule = lambda _op, _p: None
    again = order(lambda_context)
    drain()
    drain()
    # Then the commit was answered as requested (not "already requested"), the repeat changed
    # nothing, and the school got one email
    assert faults.injected["lost"] >= 1
    assert (first, again) == (202, 200)
    assert sent_to() == Counter({PACK["email"]: 1})


@pytest.mark.usefixtures("pack_clock")
def test_a_pack_email_goes_once_when_sendemail_fails_its_first_tries(
        faults, lambda_context):  # noqa: F811 - the imported fixture
    tries: Counter[str] = Counter()

    def first_sends_fail(operation: str, params: dict[str, Any]) -> str | None:
        if operation != "SendEmail":
            return None
        tries["send"] += 1
        return "refused" if tries["send"] <= 6 else None

    faults.rule = first_sends_fail
    status = order(lambda_context)
    drain()
    drain()
    assert status == 202
    assert faults.injected["refused"] == 6
    assert sent_to() == Counter({PACK["email"]: 1})
