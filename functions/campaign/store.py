"""DynamoDB adapter of the packs: "one per school" and "never more than the stock" are one
transaction, so no interleaving of concurrent requests can break either.

Layout (one table):
- `PACKSTOCK#<edition> / STOCK`: `promised`, the packs promised so far in that edition. The stock
  itself is configuration, so raising it is a deploy; the condition compares against it.
- `PACK#<pack_id> / PACK`: a request; `pack_id` is keyed by edition, school name and postcode
  (functions/campaign/logic.py), so a second request of one school finds the first.
  `gsi2pk = "PACKS#<edition>"` (the organisers' list, by request time), `gsi3pk` the person.
"""

from __future__ import annotations

import random
import time
from datetime import datetime
from typing import Any

from functions.campaign.logic import Claim, packs_list
from shared import outbox
from shared.dynamo import ConditionFailed, Item, Page, Table, TransactionConflict
from shared.errors import NotFound, RateLimited
from shared.types import iso

_ATTEMPTS = 8
_FAILED = "ConditionalCheckFailed"


def stock_key(edition: str) -> dict[str, str]:
    return {"pk": f"PACKSTOCK#{edition}", "sk": "STOCK"}


def pack_key(pack_id: str) -> dict[str, str]:
    return {"pk": f"PACK#{pack_id}", "sk": "PACK"}


class PackStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def promised(self, edition: str) -> int:
        key = stock_key(edition)
        found = self.table.get(key["pk"], key["sk"])
        return int(found.get("promised", 0)) if found else 0

    def claim(self, item: dict[str, Any], *, edition: str, stock: int, owed: outbox.Effect,
              now: datetime) -> Claim:
        """Count one more pack against the stock, store the request and owe its email, together
        or not at all.

        The school's existing request wins over an empty stock (its answer is "already
        requested"). DynamoDB cancels transactions that touch the same item at the same moment
        (TransactionConflict): those are tried again, briefly, with jitter. A lost answer is
        settled by `outbox.commit` (our effect is there: requested), not read as "already".
        """
        for attempt in range(_ATTEMPTS):
            try:
                outbox.commit(self.table, [
                    {"Update": {
                        "Key": stock_key(edition),
                        "UpdateExpression": "ADD promised :one",
                        "ConditionExpression": "attribute_not_exists(promised) OR "
                                               "promised < :stock",
                        "ExpressionAttributeValues": {":one": 1, ":stock": stock},
                    }},
                    {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
                ], [owed], now=now)
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
        raise RateLimited("Many pack requests are arriving at once: please try again.",
                          retry_after_s=1)

    def page(self, edition: str, limit: int, start: Item | None) -> Page:
        """The organisers' list of one edition, newest request first."""
        return self.table.query("gsi2pk = :p", {":p": packs_list(edition)}, index="gsi2",
                                limit=limit, start_key=start, forward=False)

    def every(self, edition: str) -> list[Item]:
        return self.table.query_all("gsi2pk = :p", {":p": packs_list(edition)}, index="gsi2")

    def mark_dispatched(self, pack_id: str, *, actor: str, now: datetime) -> Item:
        """Stamp the first dispatch (a repeat keeps it: the same answer again); 404 when the
        request does not exist (or was erased)."""
        key = pack_key(pack_id)
        try:
            return self.table.update(
                key["pk"], key["sk"],
                "SET dispatched_at = if_not_exists(dispatched_at, :at), "
                "dispatched_by = if_not_exists(dispatched_by, :by)",
                values={":at": iso(now), ":by": actor},
                condition="attribute_exists(pk)",
            )
        except ConditionFailed:
            raise NotFound("No such pack request.") from None
