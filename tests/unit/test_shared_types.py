import re
from datetime import UTC, date, datetime
from typing import Annotated

import pytest
from pydantic import BaseModel, ValidationError

from shared.calendar import EventCalendar
from shared.pseudonym import pseudonym, subkey
from shared.types import Day, Email, bounded, iso, normalise_email
from tests.integration.test_email_addresses import ORDINARY, REFUSED


class _Form(BaseModel):
    email: Email
    day: Day


def test_email_is_trimmed_and_case_folded():
    # Given an address typed on a phone with stray capitals and spaces
    form = _Form(email="  Tech.Team@Crieff-High.SCH.uk ", day="2027-03-08")
    # Then the model keeps the one normalised spelling
    assert form.email == "tech.team@crieff-high.sch.uk"


@pytest.mark.parametrize(
    "bad", ["", " ", "no-at-sign", "a@b", "a b@c.uk", "a@@c.uk", "x@y..uk", *REFUSED]
)
def test_anything_but_a_plain_address_is_refused(bad):
    with pytest.raises(ValueError, match="plain address") as refused:
        normalise_email(bad)
    # and the message does not quote the address (validation errors are logged and answered)
    assert bad.strip() not in str(refused.value) or not bad.strip()


@pytest.mark.parametrize("address", ORDINARY)
def test_ordinary_addresses_keep_their_trimmed_case_folded_spelling(address):
    assert normalise_email(address) == address.strip().casefold()


def test_an_international_domain_is_kept_in_the_ascii_form_ses_sends_to():
    assert normalise_email("Tech@Bücher.example") == "tech@xn--bcher-kva.example"
    assert normalise_email("tech@xn--bcher-kva.example") == "tech@xn--bcher-kva.example"


def test_a_local_part_ses_cannot_send_to_is_refused():
    # SES takes only ASCII before the @ (no SMTPUTF8)
    with pytest.raises(ValueError, match="plain address"):
        normalise_email("jöe@school.sch.uk")


class _Text(BaseModel):
    name: Annotated[str, bounded(80)]
    message: Annotated[str, bounded(500, multiline=True)] | None = None


# The Unicode line and paragraph separators, bidi embeddings, overrides and isolates
SEPARATORS_AND_BIDI = [
    "\u2028",
    "\u2029",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
]
# C0 (with the line breaks and tab), DEL, C1, then the above
UNSAFE = ["\n", "\r", "\t", "\x00", "\x0b", "\x1b", "\x7f", "\x85", "\x9b", *SEPARATORS_AND_BIDI]
FINE = [
    "Ada Lovelace",
    "Si\u00e2n O'Brien-Jones",
    "Zo\u00eb & Za\u00efd",
    "\u0645\u062e\u062a\u0628\u0631 (lab)",  # Arabic
    "\u05de\u05e2\u05d1\u05d3\u05d4 \u200f2",  # Hebrew, with an implicit RTL mark
    "Tech team \U0001f469\u200d\U0001f52c",  # an emoji sequence joined by U+200D
    "St. Mary's, Year 7/8 \u2013 100%",
]


@pytest.mark.parametrize("char", UNSAFE, ids=lambda c: f"U+{ord(c):04X}")
def test_single_line_text_refuses_control_characters_and_bidi_overrides(char):
    # Anywhere, the ends included: "Visit http://evil.example" must not start a new line
    for text in (f"Ada{char}Visit http://evil.example", f"Ada{char}", f"{char}Ada"):
        with pytest.raises(ValidationError, match="must not contain"):
            _Text(name=text)


@pytest.mark.parametrize("text", FINE)
def test_single_line_text_keeps_names_in_any_script(text):
    assert _Text(name=f"  {text} ").name == text


def test_multi_line_text_keeps_line_breaks_as_lf_and_nothing_else_of_the_kind():
    kept = _Text(name="Sam", message="Dear Minister,\r\n\r\nThank you.\rSam\n")
    assert kept.message == "Dear Minister,\n\nThank you.\nSam"
    for char in UNSAFE:
        if char in "\r\n":
            continue
        with pytest.raises(ValidationError, match="must not contain"):
            _Text(name="Sam", message=f"Dear Minister,\n{char}Thank you.")


def test_the_published_pattern_refuses_what_the_validator_refuses():
    # The OpenAPI schema tells clients the same rule the server applies
    properties = _Text.model_json_schema()["properties"]
    single = re.compile(properties["name"]["pattern"])
    multi = re.compile(properties["message"]["anyOf"][0]["pattern"])
    assert properties["name"]["maxLength"] == 80 and properties["name"]["minLength"] == 1
    for char in UNSAFE:
        assert not single.match(f"a{char}b")
        assert bool(multi.match(f"a{char}b")) == (char in "\r\n")
    assert all(single.match(text) and multi.match(text) for text in FINE)


def test_text_fields_still_refuse_what_is_not_a_string():
    with pytest.raises(ValidationError, match="valid string"):
        _Text(name=42)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["2027-02-30", "2027-3-8", "yesterday"])
def test_days_must_be_real_calendar_days(bad):
    with pytest.raises(ValidationError):
        _Form(email="a@b.uk", day=bad)


def test_late_night_upload_in_summer_time_belongs_to_the_local_day():
    calendar = EventCalendar(date(2027, 3, 22), date(2027, 3, 30))
    # BST starts on 28 March 2027: 23:30 UTC that evening is already 00:30 on the 29th in London
    assert calendar.day_of(datetime(2027, 3, 28, 23, 30, tzinfo=UTC)) == date(2027, 3, 29)
    # 23:12 GMT on 8 March is still 8 March
    march = EventCalendar(date(2027, 3, 8), date(2027, 3, 14))
    assert march.day_of(datetime(2027, 3, 8, 23, 12, tzinfo=UTC)) == date(2027, 3, 8)


def test_a_day_ends_at_local_midnight_across_the_clock_change():
    calendar = EventCalendar(date(2027, 3, 27), date(2027, 3, 29))
    # 28 March 2027 is the BST switch: that day ends at 23:00 UTC, the day before at 00:00 UTC
    assert calendar.day_ends_at(date(2027, 3, 27)) == datetime(2027, 3, 28, 0, 0, tzinfo=UTC)
    assert calendar.day_ends_at(date(2027, 3, 28)) == datetime(2027, 3, 28, 23, 0, tzinfo=UTC)
    ended = calendar.ended_days(datetime(2027, 3, 28, 23, 0, tzinfo=UTC))
    assert ended == [date(2027, 3, 27), date(2027, 3, 28)]


def test_event_days_run_from_start_to_end_inclusive():
    calendar = EventCalendar(date(2027, 3, 8), date(2027, 3, 14))
    assert len(calendar.days()) == 7
    assert calendar.is_event_day(date(2027, 3, 14))
    assert not calendar.is_event_day(date(2027, 3, 15))


def test_pseudonym_is_16_hex_of_hmac_and_depends_on_the_secret():
    import hashlib
    import hmac

    secret = b"s" * 32
    expected = hmac.new(secret, b"a@b.uk", hashlib.sha256).hexdigest()[:16]
    assert pseudonym(secret, "a@b.uk") == expected
    assert pseudonym(b"t" * 32, "a@b.uk") != expected
    assert subkey(secret, "cursor") != subkey(secret, "ip")


def test_iso_is_utc_with_z():
    assert iso(datetime(2027, 3, 8, 23, 12, 5, 999, tzinfo=UTC)) == "2027-03-08T23:12:05Z"
