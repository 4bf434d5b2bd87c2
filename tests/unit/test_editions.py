"""Editions and live numbers, without AWS: which transaction items count a photo, how schools
cross 0 <-> 1, and how the editions list merges the configured one with those on record."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from functions.campaign import stats as campaign_stats
from shared import editions


class FakeTable:
    """Answers `get` from a dict and `query_all` with a fixed list: enough for the reads here."""

    def __init__(
        self,
        items: dict[tuple[str, str], dict[str, Any]] | None = None,
        listed: list[dict[str, Any]] | None = None,
    ) -> None:
        self.items = items or {}
        self.listed = listed or []

    def get(self, pk: str, sk: str, *, consistent: bool = False) -> dict[str, Any] | None:
        return self.items.get((pk, sk))

    def query_all(self, *_args: Any, **_kwargs: Any) -> list[dict[str, Any]]:
        return self.listed


PHOTO = {"day": "2027-03-09", "edition": "2027", "school": "  Hill SCHOOL "}
SCHOOL = ("EDITION#2027", "SCHOOL#hill school")


def _deltas(ops: list[dict[str, Any]]) -> dict[str, int]:
    update = ops[1]["Update"]
    names, values = update["ExpressionAttributeNames"], update["ExpressionAttributeValues"]
    return {names[f"#c{n}"]: values[f":c{n}"] for n in range(4) if f"#c{n}" in names}


@pytest.mark.parametrize(
    ("count", "delta", "condition", "deltas"),
    [
        (None, 1, "attribute_not_exists(#p) OR #p <= :zero", {"photos": 1, "schools": 1}),
        (0, 1, "attribute_not_exists(#p) OR #p <= :zero", {"photos": 1, "schools": 1}),
        (3, 1, "#p > :zero", {"photos": 1}),
        (1, -1, "#p = :one", {"photos": -1, "schools": -1}),
        (4, -1, "#p > :one", {"photos": -1}),
    ],
)
def test_a_school_counts_once_and_only_while_it_has_a_public_photo(count, delta, condition, deltas):
    items = {} if count is None else {SCHOOL: {"photos": count}}
    ops = editions.photo_ops(FakeTable(items), PHOTO, delta)  # type: ignore[arg-type]
    school, counters = ops
    # The school item is keyed by its name trimmed and case-folded, and conditioned on the side
    # of 0 <-> 1 it was read on (a racing approval cancels the transaction, never miscounts)
    assert (school["Update"]["Key"]["pk"], school["Update"]["Key"]["sk"]) == SCHOOL
    assert school["Update"]["ConditionExpression"] == condition
    assert counters["Update"]["Key"] == {"pk": "EDITION#2027", "sk": "EDITION"}
    assert _deltas(ops) == deltas


def test_a_photo_counts_in_its_own_edition_not_its_upload_year():
    early = {"day": "2026-11-28", "edition": "2027", "school": "Vale"}  # sent before the week
    ops = editions.photo_ops(FakeTable(), early, 1)  # type: ignore[arg-type]
    assert ops[1]["Update"]["Key"]["pk"] == "EDITION#2027"


def test_a_photo_counts_one_at_a_time():
    with pytest.raises(ValueError, match="once"):
        editions.photo_ops(FakeTable(), PHOTO, 2)  # type: ignore[arg-type]


def test_the_counters_item_is_listed_as_an_edition():
    update = editions.counter_op("2026", {"pledges": 1})["Update"]
    assert update["ExpressionAttributeValues"][":g1"] == "EDITIONS"
    assert update["ExpressionAttributeValues"][":ed"] == "2026"
    assert "ADD #c0 :c0" in update["UpdateExpression"]


def test_editions_are_newest_first_with_the_configured_one_current():
    listed = [
        {"edition": "2026", "start": "2026-03-09", "end": "2026-03-15"},
        {"edition": "2019", "start": "2019-03-11", "end": "2019-03-15"},
    ]
    result = campaign_stats.list_editions(
        FakeTable(listed=listed),  # type: ignore[arg-type]
        current="2027",
        start=date(2027, 3, 8),
        end=date(2027, 3, 14),
    )
    assert [(e.edition, e.current) for e in result.items] == [
        ("2027", True),
        ("2026", False),
        ("2019", False),
    ]
    assert result.items[0].start == date(2027, 3, 8)
    assert result.items[1].end == date(2026, 3, 15)


def test_missing_numbers_read_as_zero():
    table = FakeTable({("EDITION#2027", "EDITION"): {"photos": 3, "schools": -1}})
    assert editions.stats(table, "2027") == {  # type: ignore[arg-type]
        "photos": 3,
        "schools": 0,
        "pledges": 0,
        "messages": 0,
    }
