"""Free event packs without AWS: postcodes, one school one key, the request window, the rules
of a request (with a fake store that keeps the email its commit owes) and the dispatch CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any, cast

import pytest
from pydantic import ValidationError

from functions.campaign import logic
from functions.campaign.logic import Claim, PackSettings
from functions.campaign.models import PackIn
from functions.campaign.postcode import normalise_postcode
from shared import outbox
from shared.errors import Conflict
from shared.mail import Email

SECRET = b"k" * 32
BODY = {
    "school": "Hilltop Academy",
    "contact_name": "Sam Technician",
    "email": "Sam@Hilltop.test",
    "address_line1": "1 School Lane",
    "town": "Leeds",
    "postcode": "ls1 4ap",
    "consent": True,
}


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("SW1A 1AA", "SW1A 1AA"),
        ("sw1a1aa", "SW1A 1AA"),
        ("  sw1a   1aa ", "SW1A 1AA"),
        ("SW1A\u00a01AA", "SW1A 1AA"),  # a no-break space from autofill or a pasted letterhead
        ("M1 1AE", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("gir 0aa", "GIR 0AA"),
        ("BFPO 801", "BFPO 801"),
        ("bfpo57", "BFPO 57"),
    ],
)
def test_uk_postcodes_are_written_one_way(typed, canonical):
    assert normalise_postcode(typed) == canonical


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "SW1A",
        "1AA",
        "SW1A 1A",
        "SW1A 1AAA",
        "QA1 1AA",  # Q never starts a postcode
        "AZ1 1AA",  # Z never second
        "SW1A 1CA",  # C never in the inward code
        "90210",
        "SW1A-1AA",
        "\uff33\uff371A 1AA",  # full-width letters
        "BFPO 0",
        "BFPO 12345",
        "=1+1",
    ],
)
def test_other_text_is_not_a_postcode(typed):
    with pytest.raises(ValueError, match="UK postcode"):
        normalise_postcode(typed)


def test_the_request_model_normalises_the_postcode_and_email():
    body = PackIn.model_validate(BODY)
    assert (body.postcode, body.email) == ("LS1 4AP", "sam@hilltop.test")


@pytest.mark.parametrize("field", ["school", "contact_name", "address_line1", "town"])
def test_address_fields_refuse_line_breaks_and_overlong_text(field):
    with pytest.raises(ValidationError):
        PackIn.model_validate({**BODY, field: "Line one\nLine two"})
    with pytest.raises(ValidationError):
        PackIn.model_validate({**BODY, field: "x" * 121})


def test_consent_is_required():
    with pytest.raises(ValidationError):
        PackIn.model_validate({**BODY, "consent": False})


def test_one_school_is_one_pack_id_however_its_name_and_postcode_are_typed():
    def pid(school: str, postcode: str, edition: str = "2027") -> str:
        return logic.pack_id_of(SECRET, edition, school, normalise_postcode(postcode))

    same = pid("Hilltop Academy", "LS1 4AP")
    assert pid("  hilltop   ACADEMY ", "ls14ap") == same
    assert pid("Hilltop\tAcademy", "LS1  4AP") == same
    # Another school, another postcode, another edition, another key are other packs
    assert pid("Hilltop School", "LS1 4AP") != same
    assert pid("Hilltop Academy", "LS1 4AQ") != same
    assert pid("Hilltop Academy", "LS1 4AP", edition="2028") != same
    assert logic.pack_id_of(b"other" * 8, "2027", "Hilltop Academy", "LS1 4AP") != same


def _packs(*, stock: int, closes: date) -> PackSettings:
    """The 2027 edition's packs, asked for from 11 January (London) to the end of `closes`."""
    return PackSettings.of(
        edition="2027",
        stock=stock,
        opens=date(2027, 1, 11),
        closes=closes,
        tz="Europe/London",
        site_url="https://site.test",
    )


def test_the_window_opens_and_closes_at_midnight_in_the_event_zone():
    settings = _packs(stock=10, closes=date(2027, 3, 31))
    assert not settings.window_open(datetime(2027, 1, 10, 23, 59, tzinfo=UTC))
    assert settings.window_open(datetime(2027, 1, 11, 0, 0, tzinfo=UTC))
    # 31 March is BST: the day ends at 23:00 UTC
    assert settings.window_open(datetime(2027, 3, 31, 22, 59, tzinfo=UTC))
    assert not settings.window_open(datetime(2027, 3, 31, 23, 0, tzinfo=UTC))


class FakeStore:
    def __init__(self, promised: int = 0) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.count = promised
        self.sent: list[Any] = []  # (person, email) of each effect committed with a request

    def promised(self, edition: str) -> int:
        return self.count

    def claim(self, record: Any, *, stock: int, owed: outbox.Effect, now: datetime) -> Claim:
        from functions.campaign.store import pack_item

        item = pack_item(record)  # as the repository stores it
        if item["pk"] in self.items:
            return Claim.ALREADY_REQUESTED
        if self.count >= stock:
            return Claim.SOLD_OUT
        self.count += 1
        self.items[item["pk"]] = item
        assert owed.kind == "email" and owed.payload["purpose"] == "pack-confirmation"
        fields = {k: owed.payload[k] for k in ("to", "subject", "text", "html")}
        self.sent.append((owed.person, Email(**fields)))
        return Claim.REQUESTED


NOW = datetime(2027, 2, 1, 12, tzinfo=UTC)
OPEN = _packs(stock=2, closes=date(2027, 3, 14))


def request(
    store: FakeStore,
    sent: list[Any],
    body: dict[str, Any] = BODY,
    *,
    settings: PackSettings = OPEN,
    now: datetime = NOW,
) -> Claim:
    store.sent = sent
    return logic.request_pack(
        cast(logic.PackPort, store),
        PackIn.model_validate(body),
        person="p1",
        secret=SECRET,
        settings=settings,
        now=now,
        ttl=123,
    )


def test_a_request_stores_the_pack_privately_and_sends_one_neutral_email():
    store, sent = FakeStore(), list[Any]()
    assert request(store, sent) is Claim.REQUESTED
    (item,) = store.items.values()
    assert item["gsi3pk"] == "PERSON#p1" and item["gsi3sk"] == f"PACK#{item['pack_id']}"
    assert item["ttl"] == 123 and "gsi1pk" not in item  # never on a public list
    assert item["gsi2pk"] == "PACKS#2027"
    ((who, email),) = sent
    assert (who, email.to) == ("p1", "sam@hilltop.test")
    # Nothing typed reaches the mailbox: no name, school or address
    for typed in ("Sam", "Hilltop", "School Lane", "Leeds", "LS1"):
        assert typed not in email.text and typed not in (email.html or "")
    assert email.text.startswith("Hello,\n")


def test_a_repeat_of_the_same_school_changes_nothing_and_sends_nothing():
    store, sent = FakeStore(), list[Any]()
    request(store, sent)
    again = {
        **BODY,
        "school": "HILLTOP  academy",
        "postcode": "LS14AP",
        "email": "someone@else.test",
        "contact_name": "Another",
    }
    assert request(store, sent, again) is Claim.ALREADY_REQUESTED
    assert len(sent) == 1 and store.count == 1
    (item,) = store.items.values()
    assert item["email"] == "sam@hilltop.test"


def test_sold_out_and_closed_are_conflicts():
    store, sent = FakeStore(promised=2), list[Any]()
    with pytest.raises(Conflict, match="none left"):
        request(store, sent)
    with pytest.raises(Conflict, match="closed"):
        request(FakeStore(), sent, now=datetime(2027, 3, 15, 12, tzinfo=UTC))
    assert sent == []


def test_availability_is_closed_when_the_stock_is_gone_or_outside_the_window():
    assert logic.availability(cast(logic.PackPort, FakeStore()), OPEN, NOW).model_dump() == {
        "open": True,
        "remaining": 2,
    }
    assert logic.availability(
        cast(logic.PackPort, FakeStore(promised=2)), OPEN, NOW
    ).model_dump() == {
        "open": False,
        "remaining": 0,
    }
    # A lowered stock never shows a negative number
    assert logic.availability(cast(logic.PackPort, FakeStore(promised=5)), OPEN, NOW).remaining == 0
    before = datetime(2027, 1, 1, tzinfo=UTC)
    assert logic.availability(cast(logic.PackPort, FakeStore()), OPEN, before).model_dump() == {
        "open": False,
        "remaining": 2,
    }


def test_the_dispatch_csv_neutralises_formulas_and_lists_the_oldest_first():
    from functions.campaign.records import PackRecord
    from shared.http import csv_response

    def item(pack_id: str, at: str, **extra: Any) -> PackRecord:
        return PackRecord(
            **{
                "pack_id": pack_id,
                "edition": "2027",
                "person": "p1",
                "school": "Hilltop",
                "contact_name": "Sam",
                "email": "sam@x.test",
                "address_line1": "1 Lane",
                "address_line2": None,
                "town": "Leeds",
                "postcode": "LS1 4AP",
                "requested_at": at,
                "ttl": 9,
                **extra,
            }
        )

    rows = logic.export_rows(
        [
            item(
                "b",
                "2027-02-02T10:00:00Z",
                contact_name='=HYPERLINK("http://x")',
                dispatched_at="2027-02-03T09:00:00Z",
            ),
            item("a", "2027-02-01T10:00:00Z", school="+44 Academy", address_line2="@home"),
        ]
    )
    text = csv_response(logic.EXPORT_COLUMNS, rows, filename="packs.csv").body
    assert text is not None
    assert text.endswith("\r\n")
    lines = list(csv.DictReader(io.StringIO(text)))
    assert [r["pack_id"] for r in lines] == ["a", "b"]
    assert lines[0]["school"] == "'+44 Academy" and lines[0]["address_line2"] == "'@home"
    assert lines[1]["contact_name"] == '\'=HYPERLINK("http://x")'
    assert lines[0]["dispatched_at"] == "" and lines[1]["dispatched_at"] == "2027-02-03T09:00:00Z"
    assert list(lines[0]) == list(logic.EXPORT_COLUMNS)
