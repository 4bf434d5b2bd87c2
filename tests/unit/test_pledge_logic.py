"""Pledge, message and feedback rules with fakes: no AWS."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.pledge import logic
from functions.pledge.models import DecisionIn, PledgeIn
from shared.dynamo import TransactionConflict
from shared.errors import Invalid, RateLimited

NOW = datetime(2027, 3, 9, 10, tzinfo=UTC)
BODY = {"name": " Ada ", "email": " Ada@School.Test ", "role": "teacher",
        "organisation": "Hill", "show_on_wall": True}


def test_a_pledge_item_has_no_email_and_is_on_the_wall_only_by_choice():
    shown = logic.pledge_item(PledgeIn.model_validate(BODY), person="p1", now=NOW, ttl=9)
    hidden = logic.pledge_item(PledgeIn.model_validate({**BODY, "show_on_wall": False}),
                               person="p1", now=NOW, ttl=9)
    assert "@" not in json.dumps(shown)
    assert shown["pk"] == "PLEDGE#p1"
    assert shown["name"] == "Ada"
    assert shown["gsi1pk"] == "WALL#PLEDGES"
    assert shown["gsi1sk"].startswith("2027-03-09T10:00:00Z#")
    assert "gsi1pk" not in hidden
    assert (shown["gsi3pk"], shown["ttl"]) == ("PERSON#p1", 9)


def test_the_summary_lists_every_role_even_before_anyone_pledged():
    assert logic.summary_of(None).model_dump() == {
        "count": 0, "by_role": {"teacher": 0, "school_leader": 0, "technician": 0, "other": 0}}
    assert logic.summary_of({"count": 3, "role_technician": 3}).by_role["technician"] == 3


def test_a_rejection_without_reason_is_invalid_and_decisions_apply_from_known_states():
    with pytest.raises(Invalid):
        logic.transition(DecisionIn(decision="reject"))
    approve = logic.transition(DecisionIn(decision="approve"))
    reject = logic.transition(DecisionIn(decision="reject", reason="rude"))
    assert (approve.to, approve.allowed_from) == ("approved", ("pending", "rejected"))
    assert (reject.to, reject.allowed_from, reject.reason) == (
        "rejected", ("pending", "approved"), "rude")


def envelope(note: object) -> str:
    return json.dumps({"Type": "Notification", "Message": json.dumps(note)})


@pytest.mark.parametrize(("note", "expected"), [
    ({"notificationType": "Bounce", "bounce": {"bounceType": "Permanent",
      "bouncedRecipients": [{"emailAddress": "Bo <BO@X.test>"}]}}, [("bo@x.test", "bounce")]),
    ({"notificationType": "Bounce", "bounce": {"bounceType": "Transient",
      "bouncedRecipients": [{"emailAddress": "bo@x.test"}]}}, []),
    ({"notificationType": "Complaint", "complaint": {
      "complainedRecipients": [{"emailAddress": "c@x.test"}, {"emailAddress": "junk"}]}},
     [("c@x.test", "complaint")]),
    ({"notificationType": "Delivery"}, []),
])
def test_feedback_names_the_addresses_to_suppress(note, expected):
    assert logic.feedback_addresses(envelope(note)) == expected


@pytest.mark.parametrize("body", ["", "{", json.dumps({"Message": "nope"}), "[]"])
def test_unreadable_feedback_names_nobody(body):
    assert logic.feedback_addresses(body) == []


class FlakyTable:
    """Cancels the first transactions as DynamoDB does when another one holds the counters."""

    def __init__(self, conflicts: int, reasons: list[str] | None = None) -> None:
        self.conflicts, self.reasons = conflicts, reasons
        self.written: list[Any] = []

    def transact(self, operations):
        if self.conflicts:
            self.conflicts -= 1
            raise TransactionConflict(self.reasons or ["None", "TransactionConflict"])
        self.written.append(operations)

    def get(self, *_args, **_kwargs):
        return None


def test_a_pledge_retries_when_a_concurrent_transaction_holds_the_counters(monkeypatch):
    from functions.pledge import store

    monkeypatch.setattr("functions.pledge.store.time.sleep", lambda _s: None)
    table = FlakyTable(conflicts=3)
    item = logic.pledge_item(PledgeIn.model_validate(BODY), person="p1", now=NOW, ttl=9)
    pledge_id, created = store.PledgeStore(table).add_pledge("p1", item)  # type: ignore[arg-type]
    assert (pledge_id, created) == (item["pledge_id"], True)
    assert len(table.written) == 1


def test_a_pledge_gives_up_politely_when_the_counters_stay_busy(monkeypatch):
    from functions.pledge import store

    monkeypatch.setattr("functions.pledge.store.time.sleep", lambda _s: None)
    item = logic.pledge_item(PledgeIn.model_validate(BODY), person="p1", now=NOW, ttl=9)
    with pytest.raises(RateLimited):
        store.PledgeStore(FlakyTable(conflicts=99)).add_pledge("p1", item)  # type: ignore[arg-type]


def test_a_pledge_does_not_retry_a_transaction_that_failed_for_another_reason(monkeypatch):
    from functions.pledge import store

    monkeypatch.setattr("functions.pledge.store.time.sleep", lambda _s: None)
    table = FlakyTable(conflicts=1, reasons=["None", "ValidationError"])
    item = logic.pledge_item(PledgeIn.model_validate(BODY), person="p1", now=NOW, ttl=9)
    with pytest.raises(TransactionConflict):
        store.PledgeStore(table).add_pledge("p1", item)  # type: ignore[arg-type]
    assert table.written == []
