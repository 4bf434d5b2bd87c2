"""Pledge, message and feedback rules with fakes: no AWS."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest

from functions.pledge import logic
from functions.pledge.models import DecisionIn, PledgeIn
from shared.dynamo import TransactionConflict
from shared.errors import BadRequest, Invalid, RateLimited

NOW = datetime(2027, 3, 9, 10, tzinfo=UTC)
BODY = {
    "name": " Ada ",
    "email": " Ada@School.Test ",
    "role": "teacher",
    "organisation": "Hill",
    "show_on_wall": True,
}


DETAILS = {"name": "Ada", "role": "teacher", "organisation": "Hill", "show_on_wall": True}
SETTINGS = logic.LinkSettings("https://site.test/", timedelta(days=7), timedelta(minutes=10))


def test_a_pledge_item_has_no_email_and_is_on_the_wall_only_by_choice():
    from functions.pledge.store import pledge_item, pledge_of

    record = logic.confirmed_pledge(DETAILS, None, person="p1", now=NOW, ttl=9)
    shown = pledge_item(record)
    hidden = pledge_item(
        logic.confirmed_pledge(
            {**DETAILS, "show_on_wall": False}, None, person="p1", now=NOW, ttl=9
        )
    )
    assert pledge_of(shown) == record  # the repository reads back what it wrote
    assert "@" not in json.dumps(shown)
    assert (shown["pk"], shown["sk"]) == ("PLEDGE#p1", "PLEDGE")
    assert shown["name"] == "Ada"
    assert shown["gsi1pk"] == "WALL#PLEDGES"
    assert shown["gsi1sk"] == f"2027-03-09T10:00:00Z#{shown['pledge_id']}"
    assert "gsi1pk" not in hidden
    assert (shown["gsi3pk"], shown["ttl"]) == ("PERSON#p1", 9)


def test_confirming_new_details_keeps_the_pledges_id_and_place_on_the_wall():
    first = logic.confirmed_pledge(DETAILS, None, person="p1", now=NOW, ttl=9)
    later = NOW + timedelta(hours=1)
    again = logic.confirmed_pledge(
        {**DETAILS, "name": "Ada L", "role": "other"}, first, person="p1", now=later, ttl=9
    )
    assert (again.pledge_id, again.created_at) == (first.pledge_id, first.created_at)
    assert (again.name, again.role, again.confirmed_at) == (
        "Ada L",
        "other",
        "2027-03-09T11:00:00Z",
    )


@pytest.mark.parametrize(
    ("before", "after", "deltas"),
    [
        (None, "teacher", {"count": 1, "role_teacher": 1}),
        ("teacher", "teacher", {}),
        ("teacher", "other", {"role_teacher": -1, "role_other": 1}),
    ],
)
def test_a_person_counts_once_and_a_repeat_only_moves_their_role(before, after, deltas):
    assert logic.counter_changes(before, after) == deltas


class FakeStore:
    def __init__(self, register: bool = True, confirmed: str | None = "pl1") -> None:
        self.register, self.confirmed = register, confirmed
        self.tokens: list[Any] = []
        self.owed: list[Any] = []

    def register_pledge(self, person, mailing):
        # one transaction in the store: the window, the token and the owed email, or nothing
        self.asked = (person, mailing.resend_after, mailing.ttl)
        if self.register:
            self.tokens.extend(
                (t.digest, t.purpose, person, t.expires_at, t.details) for t in mailing.tokens
            )
            self.owed.append(mailing.owed)
        return self.register

    def confirm_pledge(self, digest, *, now, ttl):
        self.confirming = digest
        return self.confirmed

    def register_signup(self, signup, mailing):
        raise NotImplementedError

    def redeem(self, digest, *, purpose, now):
        raise NotImplementedError


def pledge(store: Any, body: dict[str, Any] = BODY) -> tuple[bool, list[Any]]:
    owed = logic.pledge(
        store, PledgeIn.model_validate(body), person="p1", now=NOW, settings=SETTINGS
    )
    sent = [(effect.person, SimpleNamespace(**effect.payload)) for effect in store.owed]
    assert all(
        e.kind == "email" and e.payload["purpose"] == "pledge-confirmation" for e in store.owed
    )
    return owed, sent


def test_a_pledge_mails_one_confirm_link_and_stores_only_its_hash_with_the_details():
    store = FakeStore()
    ok, sent = pledge(store)
    assert ok is True
    ((person, email),) = sent
    assert (person, email.to) == ("p1", "ada@school.test")
    link = re.search(r"https://site.test/pledge/confirm\?token=([\w-]+)", email.text)
    assert link
    assert email.html and "pledge/confirm?token=" in email.html
    expires = int((NOW + timedelta(days=7)).timestamp())
    assert store.tokens == [
        (hashlib.sha256(link.group(1).encode()).hexdigest(), "pledge", "p1", expires, DETAILS)
    ]
    assert store.asked == ("p1", NOW - timedelta(minutes=10), expires)


def test_mail_to_an_unconfirmed_address_does_not_echo_the_name_typed():
    store = FakeStore()
    _, sent = pledge(store, {**BODY, "name": "Visit http://evil.example now"})
    ((_, email),) = sent
    assert email.text.startswith("Hello,\n")
    assert "evil" not in email.text + (email.html or "") + email.subject


def test_no_mail_and_no_token_when_the_store_says_not_now():
    store = FakeStore(register=False)
    assert pledge(store) == (False, [])
    assert store.tokens == []


def test_confirming_asks_by_hash_and_a_refused_token_is_a_bad_request():
    assert logic.confirm_pledge(cast(logic.PledgePort, FakeStore()), "tok", now=NOW, ttl=9) == "pl1"
    store = FakeStore(confirmed=None)
    with pytest.raises(BadRequest):
        logic.confirm_pledge(cast(logic.PledgePort, store), "tok", now=NOW, ttl=9)
    assert store.confirming == hashlib.sha256(b"tok").hexdigest()


def test_the_summary_lists_every_role_even_before_anyone_pledged():
    assert logic.summary_of(None).model_dump() == {
        "count": 0,
        "by_role": {"teacher": 0, "school_leader": 0, "technician": 0, "other": 0},
    }
    assert logic.summary_of({"count": 3, "role_technician": 3}).by_role["technician"] == 3


def test_a_rejection_without_reason_is_invalid_and_decisions_apply_from_known_states():
    with pytest.raises(Invalid):
        logic.transition(DecisionIn(decision="reject"))
    approve = logic.transition(DecisionIn(decision="approve"))
    reject = logic.transition(DecisionIn(decision="reject", reason="rude"))
    assert (approve.to, approve.allowed_from) == ("approved", ("pending", "rejected"))
    assert (reject.to, reject.allowed_from, reject.reason) == (
        "rejected",
        ("pending", "approved"),
        "rude",
    )


def envelope(note: object) -> str:
    """SES's notification as SNS wraps it for the feedback queue (raw delivery off)."""
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": "m1",
            "Message": json.dumps(note),
            "TopicArn": "arn:aws:sns:eu-west-2:123456789012:email-feedback",
            "Timestamp": "2027-03-09T10:00:00.000Z",
            "SignatureVersion": "1",
            "Signature": "x",
            "SigningCertURL": "https://sns.eu-west-2.amazonaws.com/c.pem",
            "UnsubscribeURL": "https://sns.eu-west-2.amazonaws.com/?Action=Unsubscribe",
        }
    )


def feedback_addresses(body: str) -> list[tuple[str, str]]:
    from functions.people.logic import feedback_addresses
    from functions.people.models import SesFeedbackEnvelope

    return feedback_addresses(SesFeedbackEnvelope.model_validate_json(body).Message)


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        (
            {
                "notificationType": "Bounce",
                "bounce": {
                    "bounceType": "Permanent",
                    "bouncedRecipients": [{"emailAddress": "Bo <BO@X.test>"}],
                },
            },
            [("bo@x.test", "bounce")],
        ),
        (
            {
                "notificationType": "Bounce",
                "bounce": {
                    "bounceType": "Transient",
                    "bouncedRecipients": [{"emailAddress": "bo@x.test"}],
                },
            },
            [],
        ),
        (
            {
                "notificationType": "Complaint",
                "complaint": {
                    "complainedRecipients": [{"emailAddress": "c@x.test"}, {"emailAddress": "junk"}]
                },
            },
            [("c@x.test", "complaint")],
        ),
        # a configuration set's event destination says eventType
        (
            {
                "eventType": "Bounce",
                "bounce": {
                    "bounceType": "Undetermined",
                    "bouncedRecipients": [{"emailAddress": "u@x.test"}],
                },
            },
            [("u@x.test", "bounce")],
        ),
        ({"notificationType": "Delivery"}, []),
        ({"notificationType": "Bounce"}, []),
    ],
)
def test_feedback_names_the_addresses_to_suppress(note, expected):
    assert feedback_addresses(envelope(note)) == expected


@pytest.mark.parametrize(
    "body", ["", "{", json.dumps({"Message": "nope"}), "[]", envelope("not an object")]
)
def test_unreadable_feedback_is_refused_at_the_edge(body):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        feedback_addresses(body)


class FlakyTable:
    """A pledge token, and transactions cancelled first as DynamoDB does when another one holds
    the counters."""

    def __init__(self, conflicts: int, reasons: list[str] | None = None) -> None:
        self.conflicts, self.reasons = conflicts, reasons
        self.written: list[Any] = []

    def transact(self, operations):
        if self.conflicts:
            self.conflicts -= 1
            raise TransactionConflict(self.reasons or ["None", "None", "TransactionConflict"])
        self.written.append(operations)

    def get(self, pk, sk, **_kwargs):
        if pk.startswith("TOKEN#"):
            return {
                "pk": pk,
                "sk": sk,
                "purpose": "pledge",
                "person": "p1",
                "details": DETAILS,
                "expires_at": int(NOW.timestamp()) + 60,
            }
        return None


def confirm(table: Any) -> str | None:
    from functions.pledge import store

    return store.PledgeStore(table).confirm_pledge("d" * 64, now=NOW, ttl=9)


def test_a_confirmation_retries_when_a_concurrent_transaction_holds_the_counters(monkeypatch):
    monkeypatch.setattr("functions.pledge.store.time.sleep", lambda _s: None)
    table = FlakyTable(conflicts=3)
    pledge_id = confirm(table)
    ((token, put, counters, edition),) = table.written
    assert pledge_id == put["Put"]["Item"]["pledge_id"]
    assert token["Update"]["ExpressionAttributeValues"][":id"] == pledge_id
    assert counters["Update"]["ExpressionAttributeValues"] == {":c0": 1, ":c1": 1}
    # the edition's live number moves in the same transaction
    assert edition["Update"]["Key"] == {"pk": f"EDITION#{NOW.year}", "sk": "EDITION"}
    assert edition["Update"]["ExpressionAttributeValues"][":c0"] == 1


def test_a_confirmation_gives_up_politely_when_the_counters_stay_busy(monkeypatch):
    monkeypatch.setattr("functions.pledge.store.time.sleep", lambda _s: None)
    with pytest.raises(RateLimited):
        confirm(FlakyTable(conflicts=99))


def test_a_confirmation_does_not_retry_a_transaction_that_failed_for_another_reason(monkeypatch):
    monkeypatch.setattr("functions.pledge.store.time.sleep", lambda _s: None)
    table = FlakyTable(conflicts=1, reasons=["None", "ValidationError", "None"])
    with pytest.raises(TransactionConflict):
        confirm(table)
    assert table.written == []
