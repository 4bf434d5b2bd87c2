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


# The pledge wall's last key: its pk is the pledger's pseudonym, the value a draw publishes as
# `entrant_id`. A readable cursor would link a wall pledger to a draw entrant.
PSEUDONYM = "3f9a1c0e7b2d4a6f8e1c2b3a4d5e6f70"
WALL_KEY = {
    "pk": f"PLEDGE#{PSEUDONYM}",
    "sk": "PLEDGE",
    "gsi1pk": "WALL#PLEDGES",
    "gsi1sk": "2027-03-09T10:00:00Z#x1",
}


def _decoded(cursor: str | None) -> bytes:
    assert cursor is not None
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


@pytest.mark.parametrize(("scope", "key"), [("pledges", WALL_KEY), ("gallery", KEY)])
def test_a_cursor_reveals_nothing_of_its_key(scope, key):
    # Given a list's last key, When it becomes a cursor
    raw = _decoded(encode_cursor(key, secret=SECRET, scope=scope))
    # Then no part of the key can be read from it: not the pseudonym (in any spelling), not a
    # key prefix, not a value, not the JSON around them
    for value in key.values():
        for part in str(value).split("#"):
            assert part.encode() not in raw
            assert part.encode().hex().encode() not in raw
    assert bytes.fromhex(PSEUDONYM) not in raw
    for marker in (b"PLEDGE", b"pk", b"gsi1", b'{"', b"WALL", b"GALLERY"):
        assert marker not in raw


def test_the_same_key_gives_unrelated_cursors_in_two_lists():
    # Given one key listed in two lists (the same person's pseudonym in both)
    a = _decoded(encode_cursor(WALL_KEY, secret=SECRET, scope="pledges"))
    b = _decoded(encode_cursor(WALL_KEY, secret=SECRET, scope="pledges:teacher"))
    # Then the two cursors share no run of bytes that could link them
    assert len(a) == len(b)
    assert sum(x == y for x, y in zip(a, b, strict=True)) < len(a) // 4


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=7))
def test_any_flipped_bit_of_a_cursor_is_refused(position, bit):
    raw = bytearray(_decoded(encode_cursor(WALL_KEY, secret=SECRET, scope="pledges")))
    raw[position % len(raw)] ^= 1 << bit
    forged = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(BadRequest):
        decode_cursor(forged, secret=SECRET, scope="pledges")


def test_a_cursor_made_with_another_secret_is_refused():
    cursor = encode_cursor(KEY, secret=b"other" * 8, scope="gallery")
    with pytest.raises(BadRequest):
        decode_cursor(cursor, secret=SECRET, scope="gallery")
