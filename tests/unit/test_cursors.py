import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.dynamo import decode_cursor, encode_cursor
from shared.errors import BadRequest

SECRET = b"k" * 32
KEY = {"pk": "PHOTO#abc", "sk": "PHOTO", "gsi1pk": "GALLERY", "gsi1sk": "2027-03-08T23:12:00Z#abc"}


def test_a_cursor_round_trips_its_key():
    cursor = encode_cursor(KEY, secret=SECRET, scope="gallery")
    assert decode_cursor(cursor, secret=SECRET, scope="gallery") == KEY


def test_no_key_means_no_cursor_and_no_cursor_means_first_page():
    assert encode_cursor(None, secret=SECRET, scope="gallery") is None
    assert decode_cursor(None, secret=SECRET, scope="gallery") is None


def test_a_cursor_of_another_list_is_refused():
    cursor = encode_cursor(KEY, secret=SECRET, scope="gallery")
    with pytest.raises(BadRequest):
        decode_cursor(cursor, secret=SECRET, scope="admin-photos:approved")


def test_an_edited_cursor_is_refused():
    cursor = encode_cursor(KEY, secret=SECRET, scope="gallery")
    assert cursor is not None
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[-3] ^= 1  # flip one bit of the key
    forged = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(BadRequest):
        decode_cursor(forged, secret=SECRET, scope="gallery")


@given(st.text(max_size=300))
def test_any_garbage_cursor_is_a_bad_request_never_a_crash(garbage):
    with pytest.raises(BadRequest):
        decode_cursor(garbage or "x", secret=SECRET, scope="gallery")
