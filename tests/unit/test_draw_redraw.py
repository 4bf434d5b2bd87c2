"""Redraws in the draw's logic, over the in-memory store of `test_draw_prizes.py`: the same
request retried soon after (its answer lost, or a 503) is answered with the redraw it made; a
new request, or the same one later, redraws again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from functions.prizedraw import logic
from functions.prizedraw.errors import StaleRecord
from shared.entries import Entry
from tests.unit.test_draw_prizes import DAY, NOW, FakeStore, Told, draw, ports


class RedrawStore(FakeStore):
    """Four entrants, and a redraw's commit on the version it read, as the table's condition."""

    def __init__(self) -> None:
        super().__init__()
        self.entries[f"{4:064x}"] = Entry(
            day=DAY, entrant_id=f"{4:064x}", display_name="Tech 4", school="School", photo_id="p4"
        )
        self.redraws_committed = 0

    def commit_redraw(self, commit: logic.RedrawCommit) -> None:
        read = commit.read
        if self.items[read.day].version != read.version:
            raise StaleRecord()
        self.items[read.day] = commit.record
        self.redraws_committed += 1


def redraw(
    store: RedrawStore, *, actor: str = "org", reason: str = "unreachable", minutes: float = 0
) -> Any:
    return logic.redraw(
        ports(store),
        DAY,
        position=1,
        reason=reason,
        actor=actor,
        now=NOW + timedelta(minutes=minutes),
    )


def test_the_same_redraw_request_again_within_minutes_is_answered_not_redrawn():
    # Given a drawn day whose position 1 was redrawn
    store = RedrawStore()
    draw(store, Told())
    first = redraw(store)
    # When the same organiser sends the same request again a minute later
    again = redraw(store, minutes=1)
    # Then it is answered with the record as it stands: one redraw, one commit
    assert again == first
    assert len(again.redraws) == 1 and store.redraws_committed == 1


def test_another_request_or_the_same_one_later_redraws_again():
    store = RedrawStore()
    draw(store, Told())
    first = redraw(store)
    # Another reason, another organiser, or the same request after the window: each a redraw
    by_reason = redraw(store, reason="declined", minutes=1)
    by_other = redraw(store, actor="org2", minutes=2)
    assert store.redraws_committed == 3
    assert [len(r.redraws) for r in (first, by_reason, by_other)] == [1, 2, 3]
    holders = {r.winners[0].entrant_id for r in (first, by_reason, by_other)}
    assert len(holders) == 3


def test_the_same_request_after_the_retry_window_redraws_again():
    store = RedrawStore()
    draw(store, Told())
    redraw(store)
    later = redraw(store, minutes=logic.REDRAW_RETRY_WINDOW.total_seconds() / 60 + 1)
    assert len(later.redraws) == 2 and store.redraws_committed == 2
