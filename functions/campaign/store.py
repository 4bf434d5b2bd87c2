"""DynamoDB adapter of the packs: "one per school" and "never more than the stock" are one
transaction, so no interleaving of concurrent requests can break either.

Layout (one table):
- `PACKSTOCK#<edition> / STOCK` (`shared.editions.pack_stock_key`): `promised`, the packs promised
  so far in that edition. The stock itself is configuration, so raising it is a deploy; the
  condition compares against it. Erasing a request not yet dispatched gives its pack back.
- `PACK#<pack_id> / PACK`: a request; `pack_id` is keyed by edition, school name and postcode
  (functions/campaign/logic.py), so a second request of one school finds the first.
  `gsi2pk = "PACKS#<edition>"` (the organisers' list, by request time), `gsi3pk` the person.

Requests are `PackRecord`s (functions/campaign/records.py) everywhere else: this module alone
turns them into items and back.
"""

from __future__ import annotations

import random
import time
from datetime import datetime

from functions.campaign.logic import Claim
from functions.campaign.records import PackRecord
from shared import outbox
from shared.dynamo import ConditionFailed, Item, Table, TransactionConflict
from shared.editions import pack_stock_key
from shared.errors import NotFound, RateLimited
from shared.people import person_keys
from shared.types import iso

_ATTEMPTS = 8
_FAILED = "ConditionalCheckFailed"


def pack_key(pack_id: str) -> dict[str, str]:
    return {"pk": f"PACK#{pack_id}", "sk": "PACK"}


def packs_list(edition: str) -> str:
    return f"PACKS#{edition}"


def pack_item(record: PackRecord) -> Item:
    """The stored request: on the organisers' list of its edition (gsi2), found by erasure
    (gsi3), never on a public list."""
    return {
        **pack_key(record.pack_id),
        **record.model_dump(exclude={"person"}, exclude_none=True),
        "gsi2pk": packs_list(record.edition),
        "gsi2sk": f"{record.requested_at}#{record.pack_id}",
        **person_keys(record.person, "PACK", record.pack_id),
    }


def pack_of(item: Item) -> PackRecord:
    fields = {name: item[name] for name in PackRecord.model_fields if item.get(name) is not None}
    return PackRecord.model_validate(
        {**fields, "person": str(item["gsi3pk"]).removeprefix("PERSON#")}
    )


class PackStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def promised(self, edition: str) -> int:
        key = pack_stock_key(edition)
        found = self.table.get(key["pk"], key["sk"])
        return int(found.get("promised", 0)) if found else 0

    def claim(self, record: PackRecord, *, stock: int, owed: outbox.Effect, now: datetime) -> Claim:
        """Count one more pack against the stock, store the request and owe its email, together
        or not at all.

        The school's existing request wins over an empty stock (its answer is "already
        requested"). DynamoDB cancels transactions that touch the same item at the same moment
        (TransactionConflict): those are tried again, briefly, with jitter. A lost answer is
        settled by `outbox.commit` (our effect is there: requested), not read as "already".
        """
        for attempt in range(_ATTEMPTS):
            try:
                outbox.commit(
                    self.table,
                    [
                        {
                            "Update": {
                                "Key": pack_stock_key(record.edition),
                                "UpdateExpression": "ADD promised :one",
                                "ConditionExpression": "attribute_not_exists(promised) OR "
                                "promised < :stock",
                                "ExpressionAttributeValues": {":one": 1, ":stock": stock},
                            }
                        },
                        {
                            "Put": {
                                "Item": pack_item(record),
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                    ],
                    [owed],
                    now=now,
                )
                return Claim.REQUESTED
            except TransactionConflict as exc:
                reasons = exc.reasons + ["None"] * (2 - len(exc.reasons))
                if reasons[1] == _FAILED:
                    return Claim.ALREADY_REQUESTED
                if reasons[0] == _FAILED:
                    return Claim.SOLD_OUT
                if "TransactionConflict" not in reasons:
                    raise  # not a race: nothing was written, and retrying would not help
            time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter only
        raise RateLimited(
            "Many pack requests are arriving at once: please try again.", retry_after_s=1
        )

    def page(
        self, edition: str, limit: int, start: Item | None
    ) -> tuple[list[PackRecord], Item | None]:
        """The organisers' list of one edition, newest request first."""
        page = self.table.newest_first("gsi2", packs_list(edition), limit=limit, start_key=start)
        return [pack_of(i) for i in page.items], page.last_key

    def every(self, edition: str) -> list[PackRecord]:
        return [
            pack_of(i)
            for i in self.table.query_all("gsi2pk = :p", {":p": packs_list(edition)}, index="gsi2")
        ]

    def mark_dispatched(self, pack_id: str, *, actor: str, now: datetime) -> PackRecord:
        """Stamp the first dispatch (a repeat keeps it: the same answer again); 404 when the
        request does not exist (or was erased)."""
        key = pack_key(pack_id)
        try:
            return pack_of(
                self.table.update(
                    key["pk"],
                    key["sk"],
                    "SET dispatched_at = if_not_exists(dispatched_at, :at), "
                    "dispatched_by = if_not_exists(dispatched_by, :by)",
                    values={":at": iso(now), ":by": actor},
                    condition="attribute_exists(pk)",
                )
            )
        except ConditionFailed:
            raise NotFound("No such pack request.") from None
