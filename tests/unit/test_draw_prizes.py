"""Daily prizes in the draw's logic, over an in-memory store that keeps the table's conditions:
named while open, frozen by the draw, and a draw's commit owes emails that name the prize it
froze."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from functions.prizedraw import logic
from functions.prizedraw.errors import PrizeFrozen, StaleRecord
from functions.prizedraw.models import PrizeRequest
from functions.prizedraw.notify import winner_email
from shared.calendar import EventCalendar
from shared.entries import Entry, StoredDraw, StoredPrize
from shared.errors import NotFound

DAY = "2027-03-09"
NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
CALENDAR = EventCalendar(date(2027, 3, 8), date(2027, 3, 14))
MICROSCOPE = PrizeRequest(
    title="A USB microscope", sponsor="Gratnells", description="For the prep room."
)


class FakeStore:
    """Only what the draw and the prize use; each write checks what the table's condition does."""

    def __init__(self) -> None:
        self.items: dict[str, StoredDraw] = {}
        self.entries = {
            f"{n:064x}": Entry(
                day=DAY,
                entrant_id=f"{n:064x}",
                display_name=f"Tech {n}",
                school="School",
                photo_id=f"p{n}",
            )
            for n in (1, 2, 3)
        }
        self.busy = 0  # contention to report before a write goes through
        self.before_commit: list[Any] = []  # called once each, just before the draw commits
        self.committed: list[Any] = []  # the effects each successful commit carried

    def ensure(self, day: str, now: datetime) -> StoredDraw:
        return self.items.setdefault(
            day, StoredDraw(day=day, commitment="c" * 64, entry_seq=len(self.entries))
        )

    def record(self, day: str) -> StoredDraw | None:
        return self.items.get(day)

    def records(self) -> list[StoredDraw]:
        return list(self.items.values())

    def seed(self, day: str) -> bytes:
        return b"\x01" * 32

    def entrant_ids(self, day: str) -> list[str]:
        return sorted(self.entries)

    def entry(self, day: str, entrant_id: str) -> Entry | None:
        return self.entries.get(entrant_id)

    def winners(self) -> dict[str, str]:
        return {}

    def awaiting(self, day: str) -> int:
        return 0

    def backlog_age(self, now: datetime) -> int:
        return 0

    def saved_entrants(self, day: str, entrants_hash: str) -> list[str]:
        return sorted(self.entries)

    def save_entrants(self, day: str, entrants_hash: str, entrant_ids: list[str]) -> int:
        return 1

    def commit_draw(self, commit: logic.DrawCommit) -> None:
        while self.before_commit:
            self.before_commit.pop(0)()
        read = commit.read
        item = self.items[read.day]
        if (
            item.status != "open"
            or item.entry_seq != read.entry_seq
            or item.prize_rev != read.prize_rev
        ):
            raise StaleRecord()
        self.items[read.day] = commit.record
        self.committed.append(commit.effects)

    def commit_redraw(self, commit: logic.RedrawCommit) -> None:
        raise AssertionError("not used here")

    def claim_waiting_notice(self, day: str, at: str, effects: list[Any], *, now: datetime) -> bool:
        return False

    def set_prize(self, day: str, prize: StoredPrize, *, actor: str, now: datetime) -> None:
        if self.busy:
            self.busy -= 1
            raise StaleRecord()
        item = self.items[day]
        if item.status != "open":
            raise PrizeFrozen()
        self.items[day] = item.model_copy(
            update={"prize": prize, "prize_rev": (item.prize_rev or 0) + 1}
        )


class Told:
    """Owes one stand-in effect per call: the prize the record it was given names."""

    def drawn(self, record: StoredDraw) -> list[Any]:
        return [("drawn", record.prize.model_dump(exclude_none=True) if record.prize else None)]

    def redrawn(self, record: StoredDraw, position: int) -> list[Any]:
        return []

    def waiting(self, day: str, pending: int, deadline: datetime) -> list[Any]:
        return []


def ports(store: FakeStore, told: Told | None = None) -> logic.Ports:
    return logic.Ports(
        draws=store, notifier=told or Told(), settings=logic.Settings(), calendar=CALENDAR
    )


def draw(store: FakeStore, told: Told) -> Any:
    return logic.run_draw(
        ports(store, told), DAY, trigger="organiser", force=False, actor="org", now=NOW
    )


def test_a_prize_is_shown_on_the_open_day_and_can_be_renamed():
    store = FakeStore()
    # When an organiser names the prize, then renames it without a sponsor
    first = logic.set_prize(ports(store), DAY, MICROSCOPE, actor="org", now=NOW)
    logic.set_prize(ports(store), DAY, PrizeRequest(title="Goggles"), actor="org", now=NOW)
    # Then the answer is the prize, and the public record and listing show the latest one
    assert first.model_dump() == {
        "title": "A USB microscope",
        "sponsor": "Gratnells",
        "description": "For the prep room.",
    }
    expected = {"title": "Goggles", "sponsor": None, "description": None}
    assert logic.get_draw(ports(store), DAY, NOW).model_dump()["prize"] == expected
    listing = logic.list_draws(ports(store), NOW).model_dump()["items"]
    assert [i["prize"] for i in listing if i["day"] == DAY] == [expected]
    assert all(i["prize"] is None for i in listing if i["day"] != DAY)


def test_a_drawn_day_keeps_its_prize_and_refuses_a_new_one():
    store, told = FakeStore(), Told()
    logic.set_prize(ports(store), DAY, MICROSCOPE, actor="org", now=NOW)
    record = draw(store, told)
    with pytest.raises(logic.AlreadyDrawn):
        logic.set_prize(ports(store), DAY, PrizeRequest(title="Other"), actor="org", now=NOW)
    assert record.prize is not None and record.prize.title == "A USB microscope"
    assert logic.get_draw(ports(store), DAY, NOW).prize == record.prize
    assert store.committed == [
        [
            (
                "drawn",
                {
                    "title": "A USB microscope",
                    "sponsor": "Gratnells",
                    "description": "For the prep room.",
                },
            )
        ]
    ]


def test_a_prize_renamed_while_the_draw_reads_is_the_one_the_draw_names():
    # Given a prize, and a rename that lands between the draw's read and its commit
    store, told = FakeStore(), Told()
    logic.set_prize(ports(store), DAY, MICROSCOPE, actor="org", now=NOW)
    store.before_commit.append(
        lambda: logic.set_prize(
            ports(store),
            DAY,
            PrizeRequest(title="Lab coat", sponsor="UNISON"),
            actor="org2",
            now=NOW,
        )
    )
    # When the day is drawn
    record = draw(store, told)
    # Then the draw, the emails its commit owes and the stored record all name the prize that
    # was frozen (the commit that read the old prize failed its condition)
    assert record.prize is not None and record.prize.title == "Lab coat"
    assert store.committed == [[("drawn", {"title": "Lab coat", "sponsor": "UNISON"})]]
    assert store.items[DAY].prize == StoredPrize(title="Lab coat", sponsor="UNISON")


def test_contention_is_retried_and_days_outside_the_event_are_not_found():
    store = FakeStore()
    store.ensure(DAY, NOW)
    store.busy = 2
    assert logic.set_prize(ports(store), DAY, MICROSCOPE, actor="o", now=NOW).title
    with pytest.raises(NotFound):
        logic.set_prize(ports(store), "2027-04-01", MICROSCOPE, actor="o", now=NOW)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 121},
        {"title": "ok", "sponsor": "x" * 81},
        {"title": "ok", "sponsor": ""},
        {"title": "ok", "description": "x" * 501},
        {"title": "ok", "extra": 1},
        {"title": "A\nVisit http://evil.example"},
    ],
)
def test_prize_bodies_out_of_bounds_are_refused(body):
    with pytest.raises(ValidationError):
        PrizeRequest.model_validate(body)


def test_prize_text_is_trimmed_and_a_description_may_have_lines():
    prize = PrizeRequest.model_validate(
        {"title": "  Goggles ", "sponsor": "x" * 80, "description": "One.\nTwo."}
    )
    assert (prize.title, prize.description) == ("Goggles", "One.\nTwo.")


def test_the_winner_email_names_the_prize_and_sponsor_or_says_nothing_of_one():
    named = winner_email(
        to="a@b.test",
        display_name="Sam",
        day=DAY,
        prize=StoredPrize(
            title="A USB microscope", sponsor="Gratnells", description="For the prep room."
        ),
        site_url="https://techognition.org.uk/",
    )
    plain = winner_email(
        to="a@b.test",
        display_name="Sam",
        day=DAY,
        prize=None,
        site_url="https://techognition.org.uk",
    )
    assert "Your prize: A USB microscope, given by Gratnells\nFor the prep room.\n" in named.text
    assert "Your prize" not in plain.text and "Gratnells" not in plain.text
    assert named.subject == plain.subject == "You won a #TECHOGNITION prize"
    assert "https://techognition.org.uk/draws/2027-03-09" in named.text
