"""Prize-draw entries and the daily commitments they are made under.

Written by moderation (an approval records its uploader's entry) and read by the prize draw;
neither imports the other, both use this module and the table.

Layout, all in the day's partition `DRAW#<day>`:
- `sk = "DRAW"`: the public record; created with its `commitment = sha256(seed)` and
  `status = "open"` before the day's first entry, and never re-created (conditional put).
- `sk = "ENTRY#<entrant_id>"`: one per person per day (conditional put), with the display name,
  school and photo of their first approved photo that day.
An entry is only accepted while the day's record is `open`, so a drawn day's entrants never
change afterwards and the published `entrants_hash` stays recomputable. Each accepted entry also
bumps the record's `entry_seq` in the same transaction: the draw commits on the `entry_seq` it
read, so an entry accepted while the draw was reading cannot be silently left out.
- `sk = "ENTRANTS#<entrants_hash>#<n>"`: the drawn day's frozen entrant list (written by the
  draw), so the published list survives a later erasure of an entry.

The record and the entry are typed here (`StoredDraw`, `Entry`) and turned into items and back
only here and in the draw's repository (`functions/prizedraw/store.py`), which writes the drawn
state.

The seed, hex, is the one item in the day's own partition `SEED#<day>` (`seed_key`): IAM's
`dynamodb:LeadingKeys` works per partition, so only the draw's functions may read it
(infra/wiring.py); moderation, which creates a day's commitment, may only write it. It is
revealed only in the drawn record.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from shared.commitment import ALGORITHM, commitment
from shared.dynamo import Item, Table, TransactionConflict
from shared.editions import record_window
from shared.people import person_keys
from shared.types import iso

DRAW_SK = "DRAW"
DRAWS = "DRAWS"  # gsi1pk of every day's record


def day_pk(day: str) -> str:
    return f"DRAW#{day}"


def seed_key(day: str) -> tuple[str, str]:
    return f"SEED#{day}", "SEED"


def still_open(day: str) -> dict[str, Any]:
    """A transaction's check that `day` is not drawn yet (its entrants may still change)."""
    return {
        "ConditionCheck": {
            "Key": {"pk": day_pk(day), "sk": DRAW_SK},
            "ConditionExpression": "#s = :open",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":open": "open"},
        }
    }


# -- the day's draw record ----------------------------------------------------------------------
class _Stored(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class StoredPrize(_Stored):
    title: str
    sponsor: str | None = None
    description: str | None = None


class StoredWinner(_Stored):
    position: int
    entrant_id: str
    # None once the winner's data is erased: a past win stays as its pseudonym.
    display_name: str | None = None
    school: str | None = None
    photo_id: str | None = None


class StoredRedraw(_Stored):
    position: int
    replaced_entrant_id: str
    reason: str
    at: str


class RedrawMark(_Stored):
    """The last redraw request a record took (`request`: a digest of who asked for which
    position and why), so that the same request retried is answered, not redrawn again."""

    request: str
    at: str


class StoredDraw(_Stored):
    """A day's draw record as stored: open (commitment only) or drawn (everything to replay it)."""

    day: str
    status: Literal["open", "drawn"] = "open"
    algorithm: str = ALGORITHM
    commitment: str
    created_at: str | None = None
    entry_seq: int | None = None  # accepted entries; the draw commits on the value it read
    prize: StoredPrize | None = None
    prize_rev: int | None = None  # renames of the prize; the draw commits on the value it read
    waiting_notice_at: str | None = None
    # The drawn state (`functions/prizedraw/store.py` writes it):
    seed: str | None = None
    entrants_hash: str | None = None
    entrant_count: int | None = None
    winners: tuple[StoredWinner, ...] = ()
    picked: tuple[str, ...] = ()
    disqualified: tuple[str, ...] = ()
    redraws: tuple[StoredRedraw, ...] = ()
    next_k: int | None = None
    version: int | None = None  # the redraws' optimistic lock
    excluded: tuple[str, ...] = ()
    drawn_at: str | None = None
    trigger: Literal["schedule", "organiser"] | None = None
    drawn_by: str | None = None
    pending_at_draw: int | None = None
    last_redraw: RedrawMark | None = None

    @property
    def drawn(self) -> bool:
        return self.status == "drawn"


def draw_key(day: str) -> dict[str, str]:
    return {"pk": day_pk(day), "sk": DRAW_SK}


def draw_of(item: Item) -> StoredDraw:
    return StoredDraw.model_validate(item)


def draw_item(draw: StoredDraw) -> Item:
    """The whole item (an open record's empty lists are not stored)."""
    fields = draw.model_dump(mode="json", exclude_none=True)
    return {
        **draw_key(draw.day),
        **{k: v for k, v in fields.items() if v != []},
        "gsi1pk": DRAWS,
        "gsi1sk": draw.day,
    }


def stored(draw: StoredDraw, fields: tuple[str, ...]) -> dict[str, Any]:
    """`fields` of `draw` as the table stores them (for an update's SET)."""
    dumped: dict[str, Any] = draw.model_dump(mode="json", include=set(fields), exclude_none=True)
    return dumped


def get_draw(table: Table, day: str) -> StoredDraw | None:
    item = table.get(day_pk(day), DRAW_SK, consistent=True)
    return draw_of(item) if item else None


def all_draws(table: Table) -> list[StoredDraw]:
    """Every day's record, of every edition (one Query on gsi1)."""
    return [draw_of(i) for i in table.query_all("gsi1pk = :p", {":p": DRAWS}, index="gsi1")]


def ensure_commitment(table: Table, day: str, *, now: datetime) -> StoredDraw:
    """The day's public draw record, creating it (with a fresh secret seed) if it is new.

    Concurrent callers race on a transaction conditioned on absence: exactly one seed wins and
    every caller returns the same commitment.
    """
    existing = get_draw(table, day)
    if existing:
        return existing
    seed = secrets.token_bytes(32)
    record = StoredDraw(day=day, commitment=commitment(seed), created_at=iso(now), entry_seq=0)
    try:
        table.transact(
            [
                {
                    "Put": {
                        "Item": draw_item(record),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "Item": {
                            "pk": seed_key(day)[0],
                            "sk": seed_key(day)[1],
                            "seed": seed.hex(),
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    except TransactionConflict:
        won = get_draw(table, day)
        assert won is not None, "commitment transaction cancelled without a winner"
        return won
    record_window(table, day)  # the edition's window, for GET /editions
    return record


@dataclass(frozen=True)
class Entry:
    day: str
    entrant_id: str
    display_name: str
    school: str
    photo_id: str


def entry_key(day: str, entrant_id: str) -> dict[str, str]:
    return {"pk": day_pk(day), "sk": f"ENTRY#{entrant_id}"}


def entry_item(entry: Entry, *, now: datetime, ttl: int) -> Item:
    return {
        **entry_key(entry.day, entry.entrant_id),
        "entrant_id": entry.entrant_id,
        "display_name": entry.display_name,
        "school": entry.school,
        "photo_id": entry.photo_id,
        "entered_at": iso(now),
        "ttl": ttl,
        **person_keys(entry.entrant_id, "ENTRY", entry.day),
    }


def entry_of(day: str, item: Item) -> Entry | None:
    """The entry of a stored item; None once erased (a drawn day keeps only its pseudonym)."""
    if not all(item.get(f) for f in ("display_name", "school", "photo_id")):
        return None
    return Entry(
        day=day,
        entrant_id=str(item["entrant_id"]),
        display_name=str(item["display_name"]),
        school=str(item["school"]),
        photo_id=str(item["photo_id"]),
    )


def record_entry(table: Table, entry: Entry, *, now: datetime, ttl: int) -> bool:
    """Enter a person in a day's draw once. False if already entered or the day is drawn."""
    ensure_commitment(table, entry.day, now=now)
    try:
        table.transact(
            [
                {
                    "Update": {
                        "Key": draw_key(entry.day),
                        "UpdateExpression": "ADD #seq :one",
                        "ConditionExpression": "#s = :open",
                        "ExpressionAttributeNames": {"#s": "status", "#seq": "entry_seq"},
                        "ExpressionAttributeValues": {":open": "open", ":one": 1},
                    }
                },
                {
                    "Put": {
                        "Item": entry_item(entry, now=now, ttl=ttl),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    except TransactionConflict:
        return False
    return True


def entries(table: Table, day: str) -> list[Item]:
    """All of a day's entry items, as stored, by Query on its partition (never a Scan): for
    checks and tests; the draw reads `entrant_ids` and `entry`."""
    return table.query_all(
        "pk = :pk AND begins_with(sk, :entry)",
        {":pk": day_pk(day), ":entry": "ENTRY#"},
        consistent=True,
    )


def entrant_ids(table: Table, day: str) -> list[str]:
    """The ids of a day's entries, by Query on its partition with only `entrant_id` projected:
    the same 1 MB pages as reading whole entries, but a fraction of the bytes to move and decode
    (what a 100,000-entrant draw spends its time on)."""
    from shared.aws import client
    from shared.dynamo import codec

    ddb = client("dynamodb")
    params: dict[str, Any] = {
        "TableName": table.name,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :entry)",
        "ExpressionAttributeValues": codec().dump({":pk": day_pk(day), ":entry": "ENTRY#"}),
        "ProjectionExpression": "entrant_id",
        "ConsistentRead": True,
    }
    ids: list[str] = []
    while True:
        page = ddb.query(**params)
        ids.extend(str(i["entrant_id"]["S"]) for i in page.get("Items", []) if "entrant_id" in i)
        if "LastEvaluatedKey" not in page:
            return ids
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def entry(table: Table, day: str, entrant_id: str) -> Entry | None:
    """A person's entry of `day`; None if there is none, or only its pseudonym (erased)."""
    item = table.get(**entry_key(day, entrant_id), consistent=True)
    return entry_of(day, item) if item else None


# -- the frozen entrant list of a drawn day ----------------------------------------------------
ENTRANTS_PER_CHUNK = 16_000  # 17 bytes each: about 270 KB, well under the 400 KB item limit


def entrants_prefix(entrants_hash: str) -> str:
    return f"ENTRANTS#{entrants_hash}#"


def save_entrants(table: Table, day: str, entrants_hash: str, entrant_ids: list[str]) -> int:
    """Store the sorted list a draw hashed, in chunks keyed by its hash; returns the chunk count.

    Idempotent (same hash, same content), so it is written before the draw's transaction.
    """
    chunks = [
        entrant_ids[i : i + ENTRANTS_PER_CHUNK]
        for i in range(0, len(entrant_ids), ENTRANTS_PER_CHUNK)
    ]
    for n, chunk in enumerate(chunks):
        table.put(
            {
                "pk": day_pk(day),
                "sk": f"{entrants_prefix(entrants_hash)}{n:05d}",
                "ids": "\n".join(chunk),
            }
        )
    return len(chunks)


def saved_entrants(table: Table, day: str, entrants_hash: str) -> list[str]:
    chunks = table.query_all(
        "pk = :pk AND begins_with(sk, :prefix)",
        {":pk": day_pk(day), ":prefix": entrants_prefix(entrants_hash)},
        consistent=True,
    )
    return [i for chunk in chunks for i in str(chunk["ids"]).split("\n") if i]
