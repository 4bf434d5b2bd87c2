"""The hourly scheduled draw against moto: duplicates, the moderation wait and its deadline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.config import load
from tests.integration.test_draw_support import (
    await_moderation,
    decide,
    draw_now,
    emails_to,
    enter,
    table,
)

DAY = "2027-03-08"
BOSS = "boss@organisers.test"


@pytest.fixture
def fire(aws_env: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch):
    """Deliver the schedule's event at a given UTC instant."""
    monkeypatch.setenv("ORGANISER_EMAILS", BOSS)
    load.cache_clear()
    from functions.prizedraw import scheduled

    def _fire(at: datetime) -> dict[str, list[str]]:
        monkeypatch.setattr(scheduled, "utc_now", lambda: at)
        event = {"source": "schedule", "schedule": "draw-hourly"}
        result: dict[str, list[str]] = scheduled.lambda_handler(event, lambda_context)
        return result

    return _fire


def record(day: str = DAY) -> dict[str, Any]:
    item = table().get(f"DRAW#{day}", "DRAW", consistent=True)
    assert item is not None
    return item


def at(day: int, hour: int, minute: int = 5) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


def test_the_first_run_after_midnight_draws_the_day_just_ended(fire):
    enter(DAY, 1, 2, 3)
    # Before the day has ended (23:05 on the 8th) nothing is drawn
    assert fire(at(8, 23))["drawn"] == []
    # At 00:05 on the 9th the 8th is drawn by the schedule
    assert fire(at(9, 0))["drawn"] == [DAY]
    drawn = record()
    assert drawn["status"] == "drawn" and drawn["trigger"] == "schedule"
    assert drawn["entrant_count"] == 3 and len(drawn["winners"]) == 1
    assert len(emails_to(BOSS)) == 1


def test_a_duplicate_scheduler_delivery_draws_once(fire):
    # Given the schedule already drew the 8th
    enter(DAY, 1, 2, 3)
    fire(at(9, 0))
    first = record()
    # When Scheduler delivers the same event again (a retry), and the next hour runs
    again = fire(at(9, 0))
    later = fire(at(9, 1))
    # Then nothing is drawn again: same record, one winner, one organiser email
    assert again["drawn"] == [] and again["already"] == [DAY]
    assert later["drawn"] == []
    assert record() == first
    assert len(table().query_all("gsi1pk = :p", {":p": "WINNERS"}, index="gsi1")) == 1
    assert len(emails_to(BOSS)) == 1


def test_the_schedule_waits_for_moderation_then_draws(fire):
    # Given a photo of the 8th still awaits moderation
    enter(DAY, 1, 2)
    await_moderation(DAY, "late-1")
    # When the schedule runs twice: it waits, and tells the organisers once
    assert fire(at(9, 0))["waiting"] == [DAY]
    assert fire(at(9, 1))["waiting"] == [DAY]
    assert record()["status"] == "open"
    waiting = [m for m in emails_to(BOSS) if "waiting" in m.subject]
    assert len(waiting) == 1
    # And once the photo is decided, the next run draws with nothing pending
    decide("late-1")
    assert fire(at(9, 2))["drawn"] == [DAY]
    assert record()["pending_at_draw"] == 0


def test_the_deadline_ends_the_wait_and_the_record_says_how_many_were_pending(fire):
    # Given a photo never decided (deadline: 36 hours after the 8th ended, 12:00 on the 10th)
    enter(DAY, 1, 2)
    await_moderation(DAY, "stuck-1")
    before = fire(at(10, 11))
    assert before["waiting"] == [DAY]
    assert before["drawn"] == ["2027-03-09"]  # nothing of the 9th is pending: drawn at once
    assert record()["status"] == "open"
    # When the schedule runs after the deadline
    result = fire(at(10, 12))
    # Then the day is drawn, recording the one photo still pending
    assert DAY in result["drawn"]
    assert record()["pending_at_draw"] == 1
    assert any("1 photo(s)" in m.body for m in emails_to(BOSS) if "made" in m.subject)


def test_an_organiser_draw_first_leaves_the_schedule_nothing_to_do(fire):
    enter(DAY, 1)
    draw_now(DAY, at=at(8, 20))
    result = fire(at(9, 0))
    assert result["drawn"] == [] and result["already"] == [DAY]
    assert record()["trigger"] == "organiser"
