from datetime import UTC, date, datetime

import pytest
from pydantic import BaseModel, ValidationError

from shared.calendar import EventCalendar
from shared.pseudonym import pseudonym, subkey
from shared.types import Day, Email, iso, normalise_email


class _Form(BaseModel):
    email: Email
    day: Day


def test_email_is_trimmed_and_case_folded():
    # Given an address typed on a phone with stray capitals and spaces
    form = _Form(email="  Tech.Team@Crieff-High.SCH.uk ", day="2027-03-08")
    # Then the model keeps the one normalised spelling
    assert form.email == "tech.team@crieff-high.sch.uk"


@pytest.mark.parametrize("bad", ["", "no-at-sign", "a@b", "a b@c.uk", "a@@c.uk", "x@y..uk"])
def test_malformed_emails_are_refused(bad):
    with pytest.raises(ValueError, match="valid email"):
        normalise_email(bad)


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
