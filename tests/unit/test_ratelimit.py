"""The fixed-window limiter with a fake table that honours the limit condition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.dynamo import ConditionFailed
from shared.errors import RateLimited
from shared.ratelimit import hit

T0 = datetime(2027, 3, 9, 10, 0, 0, tzinfo=UTC)


class CounterTable:
    """Evaluates the limiter's update as DynamoDB would: ADD unless count >= limit."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def update(self, pk, sk, expression, *, names, values, condition):
        item = self.items.setdefault((pk, sk), {})
        if item.get("count", 0) >= values[":limit"]:
            raise ConditionFailed(item)
        item["count"] = item.get("count", 0) + values[":one"]
        item["ttl"] = values[":ttl"]
        if ":g3pk" in values:
            item["gsi3pk"] = values[":g3pk"]
        return item


def test_the_limit_allows_exactly_n_per_window_then_answers_with_retry_after():
    table = CounterTable()
    for n in range(3):
        hit(table, "IP#a", 3, 3600, T0 + timedelta(minutes=n))  # type: ignore[arg-type]
    with pytest.raises(RateLimited) as refused:
        hit(table, "IP#a", 3, 3600, T0 + timedelta(minutes=20))  # type: ignore[arg-type]
    assert refused.value.retry_after_s == 40 * 60
    # A new window starts afresh, and other keys were never affected
    hit(table, "IP#a", 3, 3600, T0 + timedelta(hours=1))  # type: ignore[arg-type]
    hit(table, "IP#b", 3, 3600, T0 + timedelta(minutes=20))  # type: ignore[arg-type]


def test_counters_expire_after_their_window_and_personal_ones_are_indexed_for_erasure():
    table = CounterTable()
    hit(table, "UPLOADS#p1", 30, 86400, T0, person="p1")  # type: ignore[arg-type]
    ((key, item),) = table.items.items()
    day_start = int(datetime(2027, 3, 9, tzinfo=UTC).timestamp())
    assert key == ("RATE#UPLOADS#p1", str(day_start))
    assert day_start + 86400 <= item["ttl"] <= day_start + 86400 + 600
    assert item["gsi3pk"] == "PERSON#p1"
