"""Fault injection on the draw, the redraw, the scheduled run and pack requests (issue 17).

The same botocore hook as `test_outbox_faults.py` fails chosen calls: "lost" (applied by moto,
then the answer times out) or "refused" (never reaches moto). The end state is counted in moto's
SES after the outbox consumer runs: each winner and each organiser told exactly once, a pack's
requester mailed exactly once, whatever the organiser or the school saw and retried.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
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
PACK = {
    "school": "Hilltop Academy",
    "contact_name": "Sam Technician",
    "email": "sam@hilltop.test",
    "address_line1": "1 School Lane",
    "town": "Leeds",
    "postcode": "ls1 4ap",
    "consent": True,
}


@pytest.fixture
def organisers(aws_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORGANISER_EMAILS", BOSS)
    load.cache_clear()


def draw(
    lambda_context: Any, path: str = "/admin/draws", body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    from functions.prizedraw.handler import lambda_handler

    response = lambda_handler(
        http_event("POST", path, body=body or {"day": DAY}, claims=ORGANISER_CLAIMS), lambda_context
    )
    return response["statusCode"], body_of(response)


def winner_addresses(day: str = DAY) -> list[str]:
    """The contact address of each current winner of `day` (tests' entrants: tech<n>@...)."""
    record = table().get(f"DRAW#{day}", "DRAW", consistent=True)
    assert record is not None and record["status"] == "drawn"
    numbers = {entrant(n): n for n in range(1, 10)}
    return [f"tech{numbers[w['entrant_id']]}@school.test" for w in record["winners"]]


def touches_outbox(params: dict[str, Any]) -> bool:
    return "OUTBOX#" in str(params.get("body"))


Rule = Callable[[str, dict[str, Any]], str | None]


def commits_lost(*, settled: bool = True) -> Rule:
    """Every answer to a commit (a transaction writing outbox items) lost, moto having applied
    it; unless `settled`, reading the commit's outbox item back fails too, so nobody can tell."""

    def rule(operation: str, params: dict[str, Any]) -> str | None:
        if operation == "TransactWriteItems" and touches_outbox(params):
            return "lost"
        if not settled and operation == "GetItem" and touches_outbox(params):
            return "refused"
        return None

    return rule


def first_sends_refused(times: int, *, each_email: bool = True) -> Rule:
    """SES refuses the first `times` tries of each email (or of all sends together)."""
    tries: Counter[str] = Counter()

    def rule(operation: str, params: dict[str, Any]) -> str | None:
        if operation != "SendEmail":
            return None
        sent = str(params["body"]) if each_email else "send"
        tries[sent] += 1
        return "refused" if tries[sent] <= times else None

    return rule


def no_faults(_operation: str, _params: dict[str, Any]) -> None:
    return None


def told_once_each(*also: str, day: str = DAY) -> None:
    """Once the outbox has run (twice: a redelivery sends nothing more), the day's winner and
    the organiser (and `also`) were each told exactly once."""
    drain()
    drain()
    (winner,) = winner_addresses(day)
    assert sent_to() == Counter({winner: 1, BOSS: 1}) + Counter(also)


@pytest.mark.usefixtures("organisers")
@pytest.mark.parametrize("settled", [True, False], ids=["answer-settled", "fate-unknown"])
def test_a_draw_whose_commit_answer_is_lost_tells_the_winner_once(faults, lambda_context, settled):
    # Given entrants, and every answer to the draw's commit lost (moto applied it); when
    # `settled` is False, reading the commit's outbox item back fails too, so nobody can tell
    enter(DAY, 1, 2, 3)
    faults.rule = commits_lost(settled=settled)
    # When the organiser draws, then (the faults gone) presses again
    first, _ = draw(lambda_context)
    faults.rule = no_faults
    again, problem = draw(lambda_context)
    # Then the first press answered the commit (201) or a clean 503, the retry "already drawn",
    assert faults.injected["lost"] >= 1
    assert first == (201 if settled else 503)
    assert (again, problem["status"]) == (409, 409)
    # and the winner and the organiser were each told exactly once
    told_once_each()


@pytest.mark.usefixtures("organisers")
def test_the_draws_emails_go_once_each_when_sendemail_fails_its_first_tries(faults, lambda_context):
    # Given SES refuses each draw email's first six tries (more than the SDK's retries: an
    # inline send would give up)
    enter(DAY, 1, 2, 3)
    faults.rule = first_sends_refused(6)
    # When the organiser draws and the outbox runs
    status, _ = draw(lambda_context)
    # Then the draw answered at once, and each email went exactly once after its failures
    assert status == 201
    told_once_each()
    assert faults.injected["refused"] == 12


@pytest.mark.usefixtures("organisers")
def test_a_redraw_whose_commit_answer_is_lost_tells_the_new_winner_once(faults, lambda_context):
    # Given a drawn day whose emails went out
    enter(DAY, 1, 2, 3)
    assert draw(lambda_context)[0] == 201
    drain()
    (first_winner,) = winner_addresses()
    # When a redraw's commit is applied but its answers are lost
    faults.rule = commits_lost()
    status, record = draw(
        lambda_context, f"/admin/draws/{DAY}/redraw", {"position": 1, "reason": "unreachable"}
    )
    faults.rule = no_faults
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
def test_a_redraw_retried_after_its_commit_answer_was_lost_redraws_once(faults, lambda_context):
    # Given a drawn day whose emails went out
    enter(DAY, 1, 2, 3)
    status, made = draw(lambda_context)
    assert status == 201
    drain()
    (first_winner,) = winner_addresses()
    path, body = f"/admin/draws/{DAY}/redraw", {"position": 1, "reason": "unreachable"}
    # When a redraw's commit is applied but its answer is lost and nobody can tell (503),
    faults.rule = commits_lost(settled=False)
    first, problem = draw(lambda_context, path, body)
    faults.rule = no_faults
    # and the organiser presses redraw again, the same position for the same reason
    again, record = draw(lambda_context, path, body)
    # Then the first press answered a clean 503, and the retry the one redraw that was made
    assert faults.injected["lost"] >= 1
    assert (first, problem["status"]) == (503, 503)
    assert again == 200, record
    assert [(r["replaced_entrant_id"], r["reason"]) for r in record["redraws"]] == [
        (made["winners"][0]["entrant_id"], "unreachable")
    ]
    (new_winner,) = winner_addresses()
    assert new_winner != first_winner
    stored = table().get(f"DRAW#{DAY}", "DRAW", consistent=True)
    assert stored is not None
    assert record["winners"][0]["entrant_id"] == stored["winners"][0]["entrant_id"]
    # and the new winner and the organiser (for the draw and the one redraw) were told once
    told_once_each(first_winner, BOSS)
    # And another redraw, for another reason, is a new request: it is made
    status, later = draw(lambda_context, path, {"position": 1, "reason": "declined"})
    assert status == 200 and len(later["redraws"]) == 2


@pytest.mark.usefixtures("organisers")
def test_the_scheduled_draw_failing_after_its_commit_still_tells_everyone_once(
    faults, lambda_context, monkeypatch
):
    # Given the 8th (the first day) ended with entrants, and the scheduled run's commit answer
    # lost for good (its fate unknown)
    from functions.prizedraw import scheduled

    enter(FIRST_DAY, 1, 2, 3)
    monkeypatch.setattr(scheduled, "utc_now", lambda: datetime(2027, 3, 9, 0, 5, tzinfo=UTC))
    faults.rule = commits_lost(settled=False)
    event = {"source": "schedule", "schedule": "draw-hourly"}
    # When the run fails (Scheduler retries it), and the retry finds the day drawn
    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the SDK raised last
        scheduled.lambda_handler(event, lambda_context)
    faults.rule = no_faults
    retried = scheduled.lambda_handler(event, lambda_context)
    # Then the day was drawn once, and its winner and the organiser told once each
    assert retried["already"] == [FIRST_DAY]
    told_once_each(day=FIRST_DAY)


@pytest.fixture
def pack_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.campaign import handler

    monkeypatch.setattr(handler, "utc_now", lambda: datetime(2027, 2, 1, 12, tzinfo=UTC))


def order(lambda_context: Any) -> int:
    from functions.campaign.handler import lambda_handler

    status: int = lambda_handler(http_event("POST", "/packs", body=PACK), lambda_context)[
        "statusCode"
    ]
    return status


@pytest.mark.usefixtures("pack_clock")
def test_a_pack_request_whose_commit_answer_is_lost_answers_202_and_mails_once(
    faults, lambda_context
):
    # Given the pack's transaction applied but every answer to it lost
    faults.rule = commits_lost()
    # When a school asks for a pack, and asks again once the faults are gone
    first = order(lambda_context)
    faults.rule = no_faults
    again = order(lambda_context)
    drain()
    drain()
    # Then the commit was answered as requested (not "already requested"), the repeat changed
    # nothing, and the school got one email
    assert faults.injected["lost"] >= 1
    assert (first, again) == (202, 200)
    assert sent_to() == Counter({PACK["email"]: 1})


@pytest.mark.usefixtures("pack_clock")
def test_a_pack_email_goes_once_when_sendemail_fails_its_first_tries(faults, lambda_context):
    faults.rule = first_sends_refused(6, each_email=False)
    status = order(lambda_context)
    drain()
    drain()
    assert status == 202
    assert faults.injected["refused"] == 6
    assert sent_to() == Counter({PACK["email"]: 1})
