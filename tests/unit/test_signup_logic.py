"""Sign-up rules with fakes: tokens, the email, the throttle's effect, the CSV export."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest

from functions.pledge import logic
from functions.pledge.models import SignupIn
from shared.csvsafe import neutralise
from shared.errors import BadRequest

NOW = datetime(2027, 3, 9, 10, tzinfo=UTC)
SETTINGS = logic.LinkSettings("https://site.test/", timedelta(days=7), timedelta(minutes=10))


class FakeStore:
    def __init__(self, register: bool = True, redeem: bool = True) -> None:
        self.register, self.redeemed = register, redeem
        self.tokens: list[Any] = []
        self.owed: list[Any] = []

    def register_pledge(self, person, mailing):
        raise NotImplementedError

    def confirm_pledge(self, digest, *, now, ttl):
        raise NotImplementedError

    def register_signup(self, signup, mailing):
        # one transaction in the store: the window, the tokens and the owed email, or nothing
        self.resend_after = mailing.resend_after
        if self.register:
            self.tokens.extend((t.digest, t.purpose, t.expires_at) for t in mailing.tokens)
            self.owed.append(mailing.owed)
        return self.register

    def redeem(self, digest, *, purpose, now):
        self.asked = (digest, purpose)
        return self.redeemed


def signup(store: Any, sent: list[Any]) -> bool:
    body = SignupIn.model_validate({"email": "Sam@X.test", "name": "<b>Sam</b>", "consent": True})
    owed = logic.sign_up(store, body, person="p1", now=NOW, settings=SETTINGS, ttl=99)
    for effect in store.owed:  # the emails the outbox will send
        assert (effect.kind, effect.payload["purpose"]) == ("email", "signup-confirmation")
        sent.append((effect.person, SimpleNamespace(**effect.payload)))
    return owed


def test_a_signup_mails_both_links_and_stores_only_token_hashes():
    store, sent = FakeStore(), list[Any]()
    assert signup(store, sent) is True
    ((person, email),) = sent
    assert (person, email.to) == ("p1", "sam@x.test")
    confirm = re.search(r"https://site.test/signup/confirm\?token=([\w-]+)", email.text)
    unsubscribe = re.search(r"https://site.test/signup/unsubscribe\?token=([\w-]+)", email.text)
    assert confirm and unsubscribe
    assert email.html and "unsubscribe?token=" in email.html
    stored = {digest: (purpose, expires) for digest, purpose, expires in store.tokens}
    confirm_hash = hashlib.sha256(confirm.group(1).encode()).hexdigest()
    assert stored[confirm_hash] == ("confirm", int((NOW + timedelta(days=7)).timestamp()))
    assert hashlib.sha256(unsubscribe.group(1).encode()).hexdigest() in stored
    assert store.resend_after == NOW - timedelta(minutes=10)


def test_the_mail_greets_neutrally_and_never_echoes_the_name_typed():
    # Given a "name" that is really an advert (the address has confirmed nothing yet)
    store, sent = FakeStore(), list[Any]()
    # When it signs up
    signup(store, sent)
    # Then the email says "Hello," and nothing of what was typed as a name
    ((_, email),) = sent
    assert email.text.startswith("Hello,\n")
    assert email.html and email.html.startswith("<p>Hello,</p>")
    assert "Sam" not in email.text + email.html + email.subject


def test_no_mail_and_no_token_when_the_store_says_not_now():
    store, sent = FakeStore(register=False), list[Any]()
    assert signup(store, sent) is False
    assert (sent, store.tokens) == ([], [])


def test_tokens_are_random_and_hashed():
    (a, ha), (b, hb) = logic.new_token(), logic.new_token()
    assert a != b
    assert len(a) >= 43
    assert ha == hashlib.sha256(a.encode()).hexdigest() != hb


def test_redeeming_a_refused_token_is_a_bad_request_and_asks_by_hash():
    store = FakeStore(redeem=False)
    with pytest.raises(BadRequest):
        logic.redeem(cast(logic.PledgePort, store), "tok", purpose=logic.CONFIRM, now=NOW)
    assert store.asked == (hashlib.sha256(b"tok").hexdigest(), "confirm")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Hill School", "Hill School"),
        (None, ""),
        ("a=b", "a=b"),
    ],
)
def test_formula_like_cells_are_neutralised(cell, expected):
    assert neutralise(cell) == expected


def test_the_export_is_csv_with_a_header_row():
    from functions.people import logic as people
    from shared.http import csv_response
    from shared.pledges import SignupRecord

    record = SignupRecord(
        person="p1",
        email="a@x.test",
        name='Ann, "Jr"',
        role=None,
        organisation="=evil()",
        status="confirmed",
        confirmed_at="2027-03-09T10:00:00Z",
    )
    store = SimpleNamespace(confirmed_signups=lambda: [record])
    rows = people.signups_export(people.Ports(store=store, person=str))  # type: ignore[arg-type]
    text = csv_response(people.EXPORT_COLUMNS, rows, filename="signups.csv").body
    assert text is not None
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["email", "name", "role", "organisation", "confirmed_at"]
    assert lines[1] == ["a@x.test", 'Ann, "Jr"', "", "'=evil()", "2027-03-09T10:00:00Z"]
