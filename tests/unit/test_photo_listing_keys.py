"""`shared.photos.listing_keys`: the awaiting keys (gsi4) each move writes, keeps or drops."""

from __future__ import annotations

import pytest

from shared.photos import Status, awaiting_key, listing_keys

AWAITING_KEYS = {"gsi4pk": awaiting_key("2027-03-09", "p1"), "gsi4sk": "p1"}


def _photo(status: Status) -> dict[str, str]:
    return {
        "photo_id": "p1",
        "day": "2027-03-09",
        "uploaded_at": "2027-03-09T10:00:00Z",
        "status": status.value,
    }


def _gsi4(status: Status, to: Status) -> str:
    keys, drop = listing_keys(_photo(status), to, flagged=False)
    written = {k: v for k, v in keys.items() if k.startswith("gsi4")}
    dropped = {"gsi4pk", "gsi4sk"} <= set(drop)
    assert not (written and dropped)
    if written:
        assert written == AWAITING_KEYS
        return "set"
    return "dropped" if dropped else "kept"


@pytest.mark.parametrize(
    ("leaving", "to", "expected"),
    [
        (Status.AWAITING_UPLOAD, Status.PROCESSING, "set"),
        (Status.PROCESSING, Status.PENDING_MODERATION, "set"),
        (Status.PROCESSING, Status.FAILED, "dropped"),
        # a new approval is awaited until its settle lists it (`go_live` drops the keys)
        (Status.PENDING_MODERATION, Status.APPROVED, "set"),
        (Status.REPORTED, Status.APPROVED, "set"),
        (Status.REJECTED, Status.APPROVED, "set"),
        # still approved (a flag, a decision answering it): settled or not, as it was
        (Status.APPROVED, Status.APPROVED, "kept"),
        (Status.APPROVED, Status.REPORTED, "set"),
        (Status.PENDING_MODERATION, Status.REJECTED, "dropped"),
        (Status.APPROVED, Status.REJECTED, "dropped"),
        (Status.REPORTED, Status.REJECTED, "dropped"),
    ],
)
def test_each_move_sets_keeps_or_drops_the_awaiting_keys(
    leaving: Status, to: Status, expected: str
) -> None:
    assert _gsi4(leaving, to) == expected
