"""An approval the outbox has not settled yet is still awaited by the draw's moderation guard.

An organiser's approval commits the photo `approved` and owes its `settle_photo` effect; the
outbox (the table's stream, about a second later) enters the uploader in the day's draw, copies
the public images and lists the photo (`shared.photos.go_live`). Until that write the photo
keeps its awaiting keys (gsi4), so a draw made in between refuses or waits, as for a pending
photo, instead of silently leaving the approval out. Through the handlers against moto; the
outbox runs only where a test says so (`drain`), as the stream would.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api import erase
from tests.events import ORGANISER_CLAIMS, body_of, http_event
from tests.integration.test_draw_schedule import at, fire, record  # noqa: F401 - the fixture
from tests.integration.test_draw_support import draw_api, table
from tests.integration.test_moderation import (
    DAY,
    decide,
    draw_entries,
    gallery_ids,
    make_photo,
    photo,
)
from tests.integration.test_upload_flow_support import api
from tests.outbox import drain

APPROVE = {"decision": "approve"}
REJECT = {"decision": "reject", "reason_code": "inappropriate"}


@pytest.fixture
def draws(aws_env: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch):
    return draw_api(lambda_context, monkeypatch, "boss@organisers.test")


def awaited() -> int:
    """What the draw's guard counts for the day."""
    from shared.photos import awaiting_moderation

    return awaiting_moderation(table(), DAY)


def awaits(photo_id: str) -> bool:
    return "gsi4pk" in photo(photo_id)


def queue(status: str, ctx: Any) -> list[str]:
    """The organisers' moderation queue of `status` (what the console lists)."""
    from functions.moderation.handler import lambda_handler

    response = lambda_handler(
        http_event("GET", "/admin/photos", query={"status": status}, claims=ORGANISER_CLAIMS), ctx
    )
    return [i["photo_id"] for i in body_of(response)["items"]]


def report(photo_id: str, ctx: Any, ip: str) -> int:
    answer = api(
        "POST", f"/photos/{photo_id}/reports", ctx, body={"reason": "Not a lab"}, source_ip=ip
    )
    status: int = answer["statusCode"]
    return status


# -- the draw ---------------------------------------------------------------------------------
def test_an_organiser_draw_right_after_an_approval_waits_for_its_settle_then_includes_it(
    draws, lambda_context
):
    # Given a photo of the day approved a moment ago, its settle not run yet
    photo_id = make_photo()
    status, _ = decide(photo_id, APPROVE, lambda_context, settled=False)
    assert status == 200 and photo(photo_id)["status"] == "approved"
    # When an organiser draws the day at once
    status, problem = draws("POST", "/admin/draws", {"day": DAY})
    # Then the guard refuses, as for a photo still pending, and nothing is drawn without it
    assert status == 409 and "1 photo(s)" in problem["detail"]
    assert "await moderation" in problem["detail"]
    assert "just approved" in problem["detail"]  # says why the photo decided a moment ago counts
    assert draws("GET", f"/draws/{DAY}", claims=None)[1]["status"] == "open"
    # and the organisers' pending queue does not list it: it is decided
    assert queue("pending_moderation", lambda_context) == []
    assert queue("approved", lambda_context) == [photo_id]
    # When the outbox settles it (entered, copied, listed), and the organiser draws again
    drain()
    assert awaited() == 0 and gallery_ids() == [photo_id]
    status, drawn = draws("POST", "/admin/draws", {"day": DAY})
    # Then the draw is made with its uploader as the one entrant, nothing pending
    assert status == 201, drawn
    assert (drawn["entrant_count"], drawn["pending_at_draw"]) == (1, 0)
    assert [w["photo_id"] for w in drawn["winners"]] == [photo_id]


def test_a_forced_draw_before_the_settle_counts_the_approval_pending(draws, lambda_context):
    # Given an approval not settled yet
    photo_id = make_photo()
    decide(photo_id, APPROVE, lambda_context, settled=False)
    # When an organiser forces the draw
    status, drawn = draws("POST", "/admin/draws", {"day": DAY, "force": True})
    # Then the record says a photo was still pending (the entry was not there to draw)
    assert status == 201 and drawn["pending_at_draw"] == 1
    assert drawn["entrant_count"] == 0
    # and the late settle lists the photo without entering a drawn day
    drain()
    assert not awaits(photo_id) and gallery_ids() == [photo_id]
    assert draw_entries() == []


def test_the_schedule_waits_for_an_approval_not_yet_settled_then_draws_it(fire, lambda_context):
    # Given the 9th's one photo approved just before midnight, its settle not run yet
    photo_id = make_photo()
    decide(photo_id, APPROVE, lambda_context, settled=False)
    # When the schedule runs after the 9th ended
    first = fire(at(10, 0))
    # Then it waits for the approval instead of drawing the day without it
    assert DAY in first["waiting"] and DAY not in first["drawn"]
    # When the outbox has settled it, the next run draws it with its uploader entered
    drain()
    assert DAY in fire(at(10, 1))["drawn"]
    drawn = record(DAY)
    assert (drawn["entrant_count"], drawn["pending_at_draw"]) == (1, 0)


# -- every other path ------------------------------------------------------------------------------
def test_a_settle_drops_the_awaiting_key_once_and_a_settle_run_again_changes_nothing(
    aws_env, lambda_context
):
    # Given an approved photo, not settled: awaited, at the version the approval wrote
    photo_id = make_photo()
    decide(photo_id, APPROVE, lambda_context, settled=False)
    version = photo(photo_id)["version"]
    assert awaits(photo_id) and awaited() == 1
    # When the outbox settles it, and the settle is performed again (a redrive, a retry)
    drain()
    from functions.effects.handler import performer
    from functions.effects.settle import converge

    converge(performer().settle_ports(), photo_id, reference="outbox-again")
    drain()
    # Then it is entered, listed and no longer awaited; listing did not change its version
    assert not awaits(photo_id) and awaited() == 0
    assert photo(photo_id)["version"] == version
    assert gallery_ids() == [photo_id]
    assert [e["photo_id"] for e in draw_entries()] == [photo_id]


def test_a_rejection_before_the_settle_leaves_nothing_awaited(aws_env, lambda_context):
    # Given an approval, then a rejection before the approval's settle ran
    photo_id = make_photo()
    decide(photo_id, APPROVE, lambda_context, settled=False)
    decide(photo_id, REJECT, lambda_context, settled=False)
    # Then the rejection dropped the awaiting key at once
    assert not awaits(photo_id) and awaited() == 0
    # and the settles (of a photo no longer approved) neither list nor enter it, nor re-add it
    drain()
    assert photo(photo_id)["status"] == "rejected"
    assert not awaits(photo_id) and gallery_ids() == [] and draw_entries() == []


def test_takedown_and_re_approval_await_until_settled_and_a_flag_never_re_adds_the_key(
    aws_env, lambda_context
):
    # Given an approved, settled photo
    photo_id = make_photo()
    decide(photo_id, APPROVE, lambda_context)
    assert not awaits(photo_id)
    # When a report takes it down: it awaits an organiser again
    assert report(photo_id, lambda_context, "203.0.113.1") == 202
    drain()
    assert photo(photo_id)["status"] == "reported" and awaits(photo_id)
    # When an organiser approves it again: awaited until its settle lists it
    decide(photo_id, APPROVE, lambda_context, settled=False)
    assert awaits(photo_id) and awaited() == 1
    drain()
    assert not awaits(photo_id) and gallery_ids() == [photo_id]
    # When another report only flags it (approved after a report: no settle owed)
    assert report(photo_id, lambda_context, "203.0.113.2") == 202
    drain()
    # Then it stays approved and listed, and nothing awaits it
    assert photo(photo_id)["flagged_reports"] == 1
    assert photo(photo_id)["status"] == "approved" and not awaits(photo_id)
    assert awaited() == 0


def test_an_erasure_before_the_settle_leaves_nothing_awaited(aws_env, lambda_context):
    # Given an approval not settled yet
    photo_id = make_photo(email="eve@school.test")
    decide(photo_id, APPROVE, lambda_context, settled=False)
    assert awaited() == 1
    # When its uploader is erased, then the outbox runs
    assert erase(lambda_context, "eve@school.test")["statusCode"] == 200
    drain()
    # Then nothing of it is awaited, listed or entered
    assert awaited() == 0 and gallery_ids() == [] and draw_entries() == []
