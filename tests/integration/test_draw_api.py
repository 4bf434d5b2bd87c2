"""The prize draw API against moto: draws, the moderation guard, races, redraws, eligibility."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from functions.prizedraw.verify import check
from shared.config import load
from tests.events import MEMBER_CLAIMS
from tests.integration.test_draw_support import (
    NOW,
    await_moderation,
    count_calls,
    draw_api,
    draw_now,
    draw_ports,
    emails_to,
    enter,
    entrant,
    table,
)
from tests.settings import AllSettings

DAY = "2027-03-09"


@pytest.fixture
def call(aws_env: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch):
    return draw_api(lambda_context, monkeypatch, "boss@organisers.test, Second@Organisers.test")


def public(call: Any, day: str) -> tuple[dict[str, Any], list[str]]:
    _, record = call("GET", f"/draws/{day}", claims=None)
    _, entrants = call("GET", f"/draws/{day}/entrants", claims=None)
    return record, entrants["entrants"]


def test_every_event_day_is_listed_with_a_commitment_and_no_seed_before_the_draw(call):
    # When the public lists the draws and opens one
    status, listing = call("GET", "/draws", claims=None)
    _, record = call("GET", f"/draws/{DAY}", claims=None)
    # Then all seven event days are there, open, each committed; the seed is not revealed
    assert status == 200
    assert [i["day"] for i in listing["items"]] == [f"2027-03-{d:02d}" for d in range(8, 15)]
    assert all(len(i["commitment"]) == 64 and i["status"] == "open" for i in listing["items"])
    assert record["seed"] is None
    assert record["commitment"] == listing["items"][1]["commitment"]
    # And listing again changes no commitment
    assert call("GET", "/draws", claims=None)[1] == listing


def test_unknown_or_malformed_days(call):
    assert call("GET", "/draws/2027-04-01", claims=None)[0] == 404
    assert call("GET", "/draws/2027-02-30", claims=None)[0] == 422
    assert call("GET", "/draws/yesterday/entrants", claims=None)[0] == 422
    assert call("POST", "/admin/draws", {"day": "2027-04-01"})[0] == 422
    assert call("POST", "/admin/draws", {"day": DAY, "extra": 1})[0] == 422


def test_admin_routes_need_an_organiser(call):
    assert call("POST", "/admin/draws", {"day": DAY}, claims=None)[0] == 401
    assert call("POST", "/admin/draws", {"day": DAY}, claims=MEMBER_CLAIMS)[0] == 403
    assert (
        call(
            "POST",
            f"/admin/draws/{DAY}/redraw",
            {"position": 1, "reason": "x"},
            claims=MEMBER_CLAIMS,
        )[0]
        == 403
    )


def test_organiser_draw_is_recomputable_from_the_public_api_and_tells_everyone(call):
    # Given five people entered, one of them with two photos (a person enters once)
    enter(DAY, 1, 2, 3, 4, 5)
    enter(DAY, 3, photo_prefix="second")
    # When an organiser draws the day
    status, made = call("POST", "/admin/draws", {"day": DAY})
    # Then it is drawn with one winner and the public record recomputes to the same result
    assert status == 201
    assert made["status"] == "drawn" and made["trigger"] == "organiser"
    assert made["entrant_count"] == 5 and len(made["winners"]) == 1
    record, entrants = public(call, DAY)
    assert entrants == [entrant(n) for n in range(1, 6)]
    assert record == made
    assert check(record, entrants) == []
    # And the winner got their email, the organisers the list with the contact address
    winner = record["winners"][0]
    n = int(winner["entrant_id"], 16)
    assert len(emails_to(f"tech{n}@school.test")) == 1
    to_boss = emails_to("boss@organisers.test")
    assert len(to_boss) == 1 and f"tech{n}@school.test" in to_boss[0].body
    assert len(emails_to("second@organisers.test")) == 1
    # And the public listing shows display name, school and photo, not the entrant id or email
    _, listing = call("GET", "/draws", claims=None)
    shown = next(i for i in listing["items"] if i["day"] == DAY)["winners"]
    assert shown == [
        {
            "position": 1,
            "display_name": winner["display_name"],
            "school": winner["school"],
            "photo_id": winner["photo_id"],
        }
    ]


def test_a_second_draw_is_a_conflict_and_changes_nothing(call):
    enter(DAY, 1, 2, 3)
    _, first = call("POST", "/admin/draws", {"day": DAY})
    status, problem = call("POST", "/admin/draws", {"day": DAY, "force": True})
    assert status == 409 and problem["status"] == 409
    assert public(call, DAY)[0] == first


def test_a_day_with_no_entrants_is_drawn_with_no_winners(call):
    status, record = call("POST", "/admin/draws", {"day": DAY})
    assert status == 201
    assert record["winners"] == [] and record["entrant_count"] == 0
    assert check(*public(call, DAY)) == []


@pytest.mark.parametrize("people", [20, 0])  # with 0 no winner item can collide: the record must
def test_ten_concurrent_triggers_draw_once(call, atomic_dynamodb, people):
    # Given entrants (or none), and ten organisers clicking at the same moment
    if people:
        enter(DAY, *range(1, people + 1))
    from functions.prizedraw import logic

    start = threading.Barrier(10)
    outcomes: list[str] = []
    draw_ports()  # assembled once, as a warm function would have it

    def click() -> None:
        start.wait()
        try:
            draw_now(DAY)
            outcomes.append("drawn")
        except logic.AlreadyDrawn:
            outcomes.append("409")

    threads = [threading.Thread(target=click) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then exactly one draw happened; the other nine were told it was already made
    assert sorted(outcomes) == ["409"] * 9 + ["drawn"]
    winners = table().query_all("gsi1pk = :p", {":p": "WINNERS"}, index="gsi1")
    assert len(winners) == (1 if people else 0)
    assert len(emails_to("boss@organisers.test")) == 1
    audit = table().query_all("pk = :pk", {":pk": f"AUDIT#DRAW#{DAY}"})
    assert [a["action"] for a in audit] == ["drawn"]
    assert check(*public(call, DAY)) == []


def test_moderation_guard_blocks_an_organiser_draw_unless_forced(call):
    # Given a photo of the day still awaiting moderation
    enter(DAY, 1, 2)
    await_moderation(DAY, "waiting-1")
    # When an organiser draws without force, then with force
    status, problem = call("POST", "/admin/draws", {"day": DAY})
    assert status == 409 and "await moderation" in problem["detail"]
    assert public(call, DAY)[0]["status"] == "open"
    status, record = call("POST", "/admin/draws", {"day": DAY, "force": True})
    # Then the forced draw is made and records how many were pending
    assert status == 201 and record["pending_at_draw"] == 1
    assert "1 photo(s)" in emails_to("boss@organisers.test")[0].body


def test_redraw_replaces_one_position_with_the_next_k_and_keeps_the_reason(
    call, monkeypatch: pytest.MonkeyPatch
):
    # Given a two-winner draw among six
    monkeypatch.setenv("WINNERS_PER_DAY", "2")
    load.cache_clear()
    enter(DAY, *range(1, 7))
    _, made = call("POST", "/admin/draws", {"day": DAY})
    first = made["winners"][0]["entrant_id"]
    # When position 1 is redrawn because the winner is unreachable
    status, record = call(
        "POST", f"/admin/draws/{DAY}/redraw", {"position": 1, "reason": "  no reply after 14 days "}
    )
    # Then position 1 has someone new, the record keeps who and why, and it still verifies
    assert status == 200
    assert record["winners"][0]["entrant_id"] not in {first, made["winners"][1]["entrant_id"]}
    assert record["winners"][1] == made["winners"][1]
    assert [(r["position"], r["replaced_entrant_id"], r["reason"]) for r in record["redraws"]] == [
        (1, first, "no reply after 14 days")
    ]
    assert check(*public(call, DAY)) == []
    # And the replaced person holds no prize any more; the new one does
    holders = {
        i["entrant_id"] for i in table().query_all("gsi1pk = :p", {":p": "WINNERS"}, index="gsi1")
    }
    assert holders == {w["entrant_id"] for w in record["winners"]}
    # And a second redraw of the same position also replays
    _, again = call("POST", f"/admin/draws/{DAY}/redraw", {"position": 1, "reason": "declined"})
    assert len(again["redraws"]) == 2 and check(*public(call, DAY)) == []


def test_redraw_errors(call):
    assert call("POST", f"/admin/draws/{DAY}/redraw", {"position": 1, "reason": "x"})[0] == 409
    assert call("POST", "/admin/draws/2027-05-01/redraw", {"position": 1, "reason": "x"})[0] == 404
    enter(DAY, 1, 2)
    call("POST", "/admin/draws", {"day": DAY})
    assert call("POST", f"/admin/draws/{DAY}/redraw", {"position": 2, "reason": "x"})[0] == 422
    assert call("POST", f"/admin/draws/{DAY}/redraw", {"position": 0, "reason": "x"})[0] == 422
    assert call("POST", f"/admin/draws/{DAY}/redraw", {"position": 1, "reason": ""})[0] == 422
    # Two entrants, one redraw: the second redraw has nobody left (another reason: the same
    # request again is taken for a retry, and answered with the redraw it made)
    assert call("POST", f"/admin/draws/{DAY}/redraw", {"position": 1, "reason": "x"})[0] == 200
    assert call("POST", f"/admin/draws/{DAY}/redraw", {"position": 1, "reason": "y"})[0] == 409


def test_winners_are_excluded_on_later_days(call):
    # Given person 1 alone wins the 8th, then enters the 9th with person 2
    enter("2027-03-08", 1)
    _, first = call("POST", "/admin/draws", {"day": "2027-03-08"})
    assert first["winners"][0]["entrant_id"] == entrant(1)
    enter(DAY, 1, 2)
    # When the 9th is listed and drawn
    _, before = public(call, DAY)
    _, record = call("POST", "/admin/draws", {"day": DAY})
    # Then person 1 is not an entrant of the 9th: person 2 wins
    assert before == [entrant(2)]
    assert record["entrant_count"] == 1 and record["winners"][0]["entrant_id"] == entrant(2)
    assert check(*public(call, DAY)) == []


def test_excluded_emails_are_never_eligible(call, monkeypatch: pytest.MonkeyPatch):
    from shared.people import person_id

    # Given an organiser's address is configured as excluded and they have an entry
    monkeypatch.setenv("DRAW_EXCLUDED_EMAILS", "Organiser@Example.test")
    load.cache_clear()
    organiser_id = person_id(load(AllSettings), "organiser@example.test")
    from shared.entries import Entry, record_entry

    record_entry(table(), Entry(DAY, organiser_id, "Org", "HQ", "org-photo"), now=NOW, ttl=1)
    enter(DAY, 7)
    # When the day is drawn, then only the technician could win
    _, record = call("POST", "/admin/draws", {"day": DAY})
    assert record["entrant_count"] == 1 and record["winners"][0]["entrant_id"] == entrant(7)


def test_drawn_day_refuses_entries_and_keeps_its_list_after_an_erasure(call):
    enter(DAY, 1, 2, 3)
    call("POST", "/admin/draws", {"day": DAY})
    # A late approval is not an entry any more
    assert enter(DAY, 4) == [entrant(4)]
    # An erased entry does not change the published list
    table().delete(f"DRAW#{DAY}", f"ENTRY#{entrant(2)}")
    record, entrants = public(call, DAY)
    assert entrants == [entrant(n) for n in (1, 2, 3)]
    assert check(record, entrants) == []


def test_an_entry_accepted_while_the_draw_reads_is_not_left_out(aws_env):
    # Given a draw whose first commit attempt races a new entry
    from functions.prizedraw.logic import DrawCommit
    from functions.prizedraw.store import TableStore

    enter(DAY, 1)

    class Racing(TableStore):
        raced = False

        def commit_draw(self, commit: DrawCommit) -> None:
            if not Racing.raced:
                Racing.raced = True
                enter(DAY, 2)  # accepted: the day is still open
            super().commit_draw(commit)

    store = Racing(table())
    record = draw_now(DAY, store=store)
    # Then the draw retried and counted both entrants
    assert record.entrant_count == 2


def test_a_draw_reads_entries_by_query_never_by_scan(call):
    enter(DAY, *range(1, 30))
    counts = count_calls()
    call("POST", "/admin/draws", {"day": DAY})
    assert "Scan" not in counts and counts.get("Query", 0) >= 1
    assert counts.get("TransactWriteItems") == 1  # the record, the winner and the audit line


def test_an_earlier_editions_drawn_day_can_still_be_verified(
    aws_env: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
):
    # Given last year's week configured, one of its days entered and drawn
    monkeypatch.setenv("EVENT_START", "2026-03-09")
    monkeypatch.setenv("EVENT_END", "2026-03-15")
    last_year = draw_api(lambda_context, monkeypatch, "boss@organisers.test")
    enter("2026-03-10", 1, 2, 3)
    assert last_year("POST", "/admin/draws", {"day": "2026-03-10"})[0] == 201
    # When this year's week is configured
    monkeypatch.setenv("EVENT_START", "2027-03-08")
    monkeypatch.setenv("EVENT_END", "2027-03-14")
    this_year = draw_api(lambda_context, monkeypatch, "boss@organisers.test")
    # Then anyone can still fetch last year's entrants and recompute its draw from them
    record, entrants = public(this_year, "2026-03-10")
    assert entrants == [entrant(1), entrant(2), entrant(3)]
    assert record["status"] == "drawn"
    assert check(record, entrants) == []
    # and a day of that week never drawn, or of no week at all, has no entrants to show
    assert this_year("GET", "/draws/2026-03-11/entrants", claims=None)[0] == 404
    assert this_year("GET", "/draws/2025-03-11/entrants", claims=None)[0] == 404
