"""Daily prizes through the prize-draw handler against moto: named and renamed while the day is
open, shown on the public record, named in the winner's email, frozen by the draw (409), and
never changed under a drawn record by a rename racing the draw."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from functions.prizedraw.verify import check
from tests.events import MEMBER_CLAIMS
from tests.integration import test_draw_support as support
from tests.integration.test_draw_support import emails_to, enter, entrant, table
from tests.integration.test_text_fields import INJECTIONS

DAY = "2027-03-09"
MICROSCOPE = {
    "title": "A USB microscope",
    "sponsor": "Gratnells",
    "description": "A digital microscope for the prep room.",
}


@pytest.fixture
def call(aws_env: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch):
    return support.draw_api(lambda_context, monkeypatch, "boss@organisers.test")


def shown(call: Any, day: str = DAY) -> tuple[Any, Any]:
    """The prize on the day's record and in the listing."""
    _, record = call("GET", f"/draws/{day}", claims=None)
    _, listing = call("GET", "/draws", claims=None)
    return record["prize"], next(i for i in listing["items"] if i["day"] == day)["prize"]


def winner_email_text(record: dict[str, Any]) -> str:
    n = int(record["winners"][0]["entrant_id"], 16)
    (email,) = emails_to(f"tech{n}@school.test")
    return str(email.body)


def test_a_prize_is_named_renamed_and_shown_on_the_public_record(call):
    # Before any is named, every day shows none
    assert shown(call) == (None, None)
    # When an organiser names the day's prize
    status, prize = call("PUT", f"/admin/draws/{DAY}/prize", MICROSCOPE)
    # Then it is answered and shown on the record and in the listing
    assert status == 200 and prize == MICROSCOPE
    assert shown(call) == (MICROSCOPE, MICROSCOPE)
    # And a rename replaces the whole prize (no sponsor now), with an audit line for each
    status, prize = call("PUT", f"/admin/draws/{DAY}/prize", {"title": " Safety goggles "})
    renamed = {"title": "Safety goggles", "sponsor": None, "description": None}
    assert status == 200 and prize == renamed
    assert shown(call) == (renamed, renamed)
    audit = table().query_all("pk = :pk", {":pk": f"AUDIT#DRAW#{DAY}"})
    assert [(a["action"], a["actor"]) for a in audit] == [("prize", "org-ann")] * 2


def test_the_draw_freezes_the_prize_and_the_winner_email_names_it(call):
    enter(DAY, 1, 2, 3)
    call("PUT", f"/admin/draws/{DAY}/prize", MICROSCOPE)
    # When the day is drawn
    status, record = call("POST", "/admin/draws", {"day": DAY})
    # Then the record carries the prize, still recomputes, and the winner is told what they won
    assert status == 201 and record["prize"] == MICROSCOPE
    _, entrants = call("GET", f"/draws/{DAY}/entrants", claims=None)
    assert check(record, entrants["entrants"]) == []
    assert "Your prize: A USB microscope, given by Gratnells" in winner_email_text(record)
    (to_boss,) = emails_to("boss@organisers.test")
    assert "Prize: A USB microscope, given by Gratnells" in to_boss.body
    # And a later PUT is a 409 that changes nothing
    status, problem = call("PUT", f"/admin/draws/{DAY}/prize", {"title": "Something else"})
    assert status == 409 and problem["status"] == 409
    assert shown(call) == (MICROSCOPE, MICROSCOPE)
    assert call("GET", f"/draws/{DAY}", claims=None)[1] == record


def test_a_day_drawn_without_a_prize_stays_without_one(call):
    enter(DAY, 1)
    _, record = call("POST", "/admin/draws", {"day": DAY})
    assert record["prize"] is None and "Your prize" not in winner_email_text(record)
    assert call("PUT", f"/admin/draws/{DAY}/prize", MICROSCOPE)[0] == 409
    assert shown(call) == (None, None)


def test_prize_route_errors(call):
    assert call("PUT", f"/admin/draws/{DAY}/prize", MICROSCOPE, claims=None)[0] == 401
    assert call("PUT", f"/admin/draws/{DAY}/prize", MICROSCOPE, claims=MEMBER_CLAIMS)[0] == 403
    assert call("PUT", "/admin/draws/2027-04-01/prize", MICROSCOPE)[0] == 404
    assert call("PUT", "/admin/draws/2027-02-30/prize", MICROSCOPE)[0] == 422
    assert call("PUT", "/admin/draws/tomorrow/prize", MICROSCOPE)[0] == 422
    for body in (
        {},
        {"title": ""},
        {"title": "x" * 121},
        {"title": "x", "sponsor": "y" * 81},
        {"title": "x", "description": "y" * 501},
        {"title": "x", "winner": "me"},
    ):
        status, problem = call("PUT", f"/admin/draws/{DAY}/prize", body)
        assert (status, (problem or {}).get("status")) == (422, 422), (body, status, problem)
    assert call("PUT", f"/admin/draws/{DAY}/prize", "{not json")[0] == 400
    assert shown(call) == (None, None)


@pytest.mark.parametrize("field", ["title", "sponsor"])
def test_prize_title_and_sponsor_are_single_line(call, field):
    # The winner's email quotes them: no second line, no bidi override can ride in
    wrong = [
        char
        for char in INJECTIONS
        if call(
            "PUT",
            f"/admin/draws/{DAY}/prize",
            {**MICROSCOPE, field: f"Goggles{char}Visit http://evil.example"},
        )[0]
        != 422
    ]
    assert wrong == []


def test_a_rename_landing_while_the_draw_reads_is_what_the_draw_names(call):
    # Given a prize, and a rename committed between the draw's read and its commit
    from functions.prizedraw.logic import DrawCommit
    from functions.prizedraw.store import TableStore

    enter(DAY, 1, 2)
    call("PUT", f"/admin/draws/{DAY}/prize", MICROSCOPE)
    goggles = {"title": "Safety goggles", "sponsor": "UNISON", "description": None}

    class Racing(TableStore):
        raced = False

        def commit_draw(self, commit: DrawCommit) -> None:
            if not Racing.raced:
                Racing.raced = True
                assert call("PUT", f"/admin/draws/{DAY}/prize", goggles)[0] == 200
            super().commit_draw(commit)

    store = Racing(table())
    # When the day is drawn
    record = support.draw_now(DAY, store=store)
    # Then its answer, the stored record and the email all name the prize the commit froze
    assert record.prize is not None and record.prize.model_dump() == goggles
    assert shown(call) == (goggles, goggles)
    assert "Your prize: Safety goggles, given by UNISON" in winner_email_text(record.model_dump())


def test_renames_racing_a_draw_never_leave_a_drawn_day_with_another_prize(call, atomic_dynamodb):
    # Given entrants, an organiser renaming the prize over and over, and a draw at the same time
    enter(DAY, *range(1, 11))
    support.draw_ports()  # assembled once, as a warm function would have it
    start = threading.Barrier(2)
    statuses: list[tuple[int, str]] = []
    drawn: list[Any] = []

    def rename() -> None:
        start.wait()
        for n in range(40):
            title = f"Prize version {n}"
            statuses.append((call("PUT", f"/admin/draws/{DAY}/prize", {"title": title})[0], title))

    def draw() -> None:
        start.wait()
        drawn.append(support.draw_now(DAY))

    threads = [threading.Thread(target=rename), threading.Thread(target=draw)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then renames succeeded until the draw and were refused after it, never after a refusal
    codes = [s for s, _ in statuses]
    assert set(codes) <= {200, 409}
    accepted = [t for s, t in statuses if s == 200]
    assert codes == [200] * len(accepted) + [409] * (len(codes) - len(accepted))
    # And the record the draw answered, the stored record and the winner's email all name the
    # last prize an organiser was told was saved (none, if the draw came first)
    (record,) = drawn
    last = accepted[-1] if accepted else None
    assert (record.prize.title if record.prize else None) == last
    stored, listed = shown(call)
    assert (stored["title"] if stored else None) == last and listed == stored
    text = winner_email_text(record.model_dump())
    assert (f"Your prize: {last}\n" in text) if last else ("Your prize" not in text)
    assert entrant(1)  # the entrants were real people of that day


def test_a_redrawn_winner_is_told_the_same_prize_and_the_record_keeps_it(call):
    enter(DAY, 1, 2, 3)
    call("PUT", f"/admin/draws/{DAY}/prize", MICROSCOPE)
    _, made = call("POST", "/admin/draws", {"day": DAY})
    # When position 1 is redrawn
    status, record = call(
        "POST", f"/admin/draws/{DAY}/redraw", {"position": 1, "reason": "no reply"}
    )
    # Then the new winner's email names the prize, and the record still carries it
    assert status == 200 and record["prize"] == MICROSCOPE
    assert record["winners"][0]["entrant_id"] != made["winners"][0]["entrant_id"]
    assert "Your prize: A USB microscope, given by Gratnells" in winner_email_text(record)
    assert shown(call) == (MICROSCOPE, MICROSCOPE)
