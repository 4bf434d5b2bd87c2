"""Editions (one year's week, named by its year) and their live numbers.

One item per edition, `EDITION#<year> / EDITION`, without TTL (an edition's record is public and
outlives the retention period): its counters (`photos`, `schools`, `pledges`, `messages`), its
window (`start`, `end`: the first and last draw day seen) and `gsi1pk = "EDITIONS"` /
`gsi1sk = <year>`, so GET /stats is one GetItem and GET /editions one Query.

The counters move only inside the transactions that make the changes they count (`counter_op`,
`photo_ops`). Distinct schools: `EDITION#<year> / SCHOOL#<name trimmed and case-folded>` holds
how many public photos a school has; the `schools` counter moves when that count crosses 0 ↔ 1,
and the school item's update is conditioned on the side of that line it was read on, so a race
cancels the transaction (the caller re-reads and retries) instead of counting a school twice.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date
from typing import Any

from shared.dynamo import ConditionFailed, Item, Table

EDITIONS = "EDITIONS"
EDITION_SK = "EDITION"
COUNTERS = ("photos", "schools", "pledges", "messages")


def edition_of(day: str | date) -> str:
    """The edition a day belongs to: its year (the week is in March)."""
    return str(day)[:4]


def edition_key(edition: str) -> dict[str, str]:
    return {"pk": f"EDITION#{edition}", "sk": EDITION_SK}


def school_name(school: str) -> str:
    return school.strip().casefold()


def school_key(edition: str, school: str) -> dict[str, str]:
    return {"pk": f"EDITION#{edition}", "sk": f"SCHOOL#{school_name(school)}"}


def pack_stock_key(edition: str) -> dict[str, str]:
    """`promised`: the free event packs promised so far in `edition` (functions/campaign/)."""
    return {"pk": f"PACKSTOCK#{edition}", "sk": "STOCK"}


def counter_op(edition: str, deltas: dict[str, int]) -> dict[str, Any]:
    """One Update adding `deltas` to an edition's counters (creating its item), for a
    transaction."""
    names = {"#g1": "gsi1pk", "#g1s": "gsi1sk", "#ed": "edition"}
    values: dict[str, Any] = {":g1": EDITIONS, ":ed": edition}
    adds = []
    for n, (name, delta) in enumerate(sorted(deltas.items())):
        names[f"#c{n}"] = name
        values[f":c{n}"] = delta
        adds.append(f"#c{n} :c{n}")
    expression = "SET #g1 = :g1, #g1s = :ed, #ed = :ed"
    if adds:
        expression += " ADD " + ", ".join(adds)
    return {
        "Update": {
            "Key": edition_key(edition),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def photo_ops(table: Table, photo: Item, delta: int) -> list[dict[str, Any]]:
    """The transaction items that count a photo becoming public (+1) or leaving (-1): its
    edition's `photos`, its school's photo count and, at 0 ↔ 1, the `schools` counter.

    Reads the school's count now; the school Update is conditioned on it still being on the same
    side of 0 ↔ 1, so a racing approval or takedown cancels the transaction (retry with a fresh
    read) rather than miscounting.
    """
    if delta not in (1, -1):
        raise ValueError("a photo counts once")
    edition = str(photo.get("edition") or edition_of(photo["day"]))
    key = school_key(edition, str(photo.get("school", "")))
    current = table.get(key["pk"], key["sk"], consistent=True)
    count = int((current or {}).get("photos", 0))
    values: dict[str, Any] = {":d": delta}
    if delta == 1 and count == 0:
        condition, schools = "attribute_not_exists(#p) OR #p <= :zero", 1
        values[":zero"] = 0
    elif delta == 1:
        condition, schools = "#p > :zero", 0
        values[":zero"] = 0
    elif count <= 1:  # the school's last public photo goes (or a count that never was)
        condition, schools = "#p = :one", -1
        values[":one"] = 1
    else:
        condition, schools = "#p > :one", 0
        values[":one"] = 1
    school = {
        "Update": {
            "Key": key,
            "UpdateExpression": "SET #sc = :s ADD #p :d",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#p": "photos", "#sc": "school"},
            "ExpressionAttributeValues": {**values, ":s": str(photo.get("school", "")).strip()},
        }
    }
    deltas = {"photos": delta}
    if schools:
        deltas["schools"] = schools
    return [school, counter_op(edition, deltas)]


def record_window(table: Table, day: str) -> None:
    """Widen the edition's window to include `day` (a draw day): idempotent, race-safe."""
    edition = edition_of(day)
    key = edition_key(edition)
    for attribute, widen in (("start", ">"), ("end", "<")):
        with suppress(ConditionFailed):  # already as wide
            table.update(
                key["pk"],
                key["sk"],
                "SET #w = :day, gsi1pk = :g1, gsi1sk = :ed, #ed = :ed",
                names={"#w": attribute, "#ed": "edition"},
                values={":day": day, ":g1": EDITIONS, ":ed": edition},
                condition=f"attribute_not_exists(#w) OR #w {widen} :day",
            )


def stats(table: Table, edition: str) -> dict[str, int]:
    """An edition's live numbers: one GetItem."""
    key = edition_key(edition)
    item = table.get(key["pk"], key["sk"]) or {}
    return {name: max(0, int(item.get(name, 0))) for name in COUNTERS}


def editions(table: Table) -> list[Item]:
    """Every edition with data, newest first: one Query."""
    return table.query_all("gsi1pk = :e", {":e": EDITIONS}, index="gsi1", forward=False)
