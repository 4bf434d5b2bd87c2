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

The seed, hex, is the one item in the day's own partition `SEED#<day>` (`seed_key`): IAM's
`dynamodb:LeadingKeys` works per partition, so only the draw's functions may read it
(infra/wiring.py); moderation, which creates a day's commitment, may only write it. It is
revealed only in the drawn record.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.dynamo import Table, TransactionConflict
from shared.editions import record_window
from shared.people import person_keys
from shared.types import iso

ALGORITHM = "sha256-mod-v1"


def day_pk(day: str) -> str:
    return f"DRAW#{day}"


def seed_key(day: str) -> tuple[str, str]:
    return f"SEED#{day}", "SEED"


def ensure_commitment(table: Table, day: str, *, now: datetime) -> dict[str, Any]:
    """The day's public draw record, creating it (with a fresh secret seed) if it is new.

    Concurrent callers race on a transaction conditioned on absence: exactly one seed wins and
    every caller returns the same commitment.
    """
    existing = table.get(day_pk(day), "DRAW", consistent=True)
    if existing:
        return existing
    seed = secrets.token_bytes(32)
    record = {
        "pk": day_pk(day),
        "sk": "DRAW",
        "day": day,
        "status": "open",
        "algorithm": ALGORITHM,
        "commitment": hashlib.sha256(seed).hexdigest(),
        "created_at": iso(now),
        "gsi1pk": "DRAWS",
        "gsi1sk": day,
        "entry_seq": 0,
    }
    try:
        table.transact([
            {"Put": {"Item": record, "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {
                "Item": {"pk": seed_key(day)[0], "sk": seed_key(day)[1], "seed": seed.hex()},
                "ConditionExpression": "attribute_not_exists(pk)",
            }},
        ])
    except TransactionConflict:
        won = table.get(day_pk(day), "DRAW", consistent=True)
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


def record_entry(table: Table, entry: Entry, *, now: datetime, ttl: int) -> bool:
    """Enter a person in a day's draw once. False if already entered or the day is drawn."""
    ensure_commitment(table, entry.day, now=now)
    item = {
        "pk": day_pk(entry.day),
        "sk": f"ENTRY#{entry.entrant_id}",
        "entrant_id": entry.entrant_id,
        "display_name": entry.display_name,
        "school": entry.school,
        "photo_id": entry.photo_id,
        "entered_at": iso(now),
        "ttl": ttl,
        **person_keys(entry.entrant_id, "ENTRY", entry.day),
    }
    try:
        table.transact([
            {"Update": {
                "Key": {"pk": day_pk(entry.day), "sk": "DRAW"},
                "UpdateExpression": "ADD #seq :one",
                "ConditionExpression": "#s = :open",
                "ExpressionAttributeNames": {"#s": "status", "#seq": "entry_seq"},
                "ExpressionAttributeValues": {":open": "open", ":one": 1},
            }},
            {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
        ])
    except TransactionConflict:
        return False
    return True


def entries(table: Table, day: str) -> list[dict[str, Any]]:
    """All of a day's entries, by Query on its partition (never a Scan)."""
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


def entry(table: Table, day: str, entrant_id: str) -> dict[str, Any] | None:
    return table.get(day_pk(day), f"ENTRY#{entrant_id}", consistent=True)


# -- the frozen entrant list of a drawn day ----------------------------------------------------
ENTRANTS_PER_CHUNK = 16_000  # 17 bytes each: about 270 KB, well under the 400 KB item limit


def entrants_prefix(entrants_hash: str) -> str:
    return f"ENTRANTS#{entrants_hash}#"


def save_entrants(table: Table, day: str, entrants_hash: str, entrant_ids: list[str]) -> int:
    """Store the sorted list a draw hashed, in chunks keyed by its hash; returns the chunk count.

    Idempotent (same hash, same content), so it is written before the draw's transaction.
    """
    chunks = [
        entrant_ids[i:i + ENTRANTS_PER_CHUNK]
        for i in range(0, len(entrant_ids), ENTRANTS_PER_CHUNK)
    ]
    for n, chunk in enumerate(chunks):
        table.put({
            "pk": day_pk(day),
            "sk": f"{entrants_prefix(entrants_hash)}{n:05d}",
            "ids": "\n".join(chunk),
        })
    return len(chunks)


def saved_entrants(table: Table, day: str, entrants_hash: str) -> list[str]:
    chunks = table.query_all(
        "pk = :pk AND begins_with(sk, :prefix)",
        {":pk": day_pk(day), ":prefix": entrants_prefix(entrants_hash)},
        consistent=True,
    )
    return [i for chunk in chunks for i in str(chunk["ids"]).split("\n") if i]
