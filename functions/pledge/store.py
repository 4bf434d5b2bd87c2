"""DynamoDB adapter of the pledge domain: every invariant is a condition or a transaction.

Layout (one table):
- `PLEDGE#<person> / PLEDGE`: the pledge; `gsi1pk = "WALL#PLEDGES"` only when shown on the wall.
- `PLEDGES / SUMMARY`: `count` and `role_<role>` numbers, changed in the pledge's transaction.
- `SIGNUP#<person> / SIGNUP`: a sign-up (status pending | confirmed | unsubscribed);
  `gsi2pk = "SIGNUPS#confirmed"` while confirmed and subscribed (the export's Query).
- `TOKEN#<sha256> / TOKEN`: a link token's hash → the sign-up, its purpose and expiry.
- `MESSAGE#<id> / MESSAGE`: a message; `gsi2pk = "MESSAGES#<status>"`, and
  `gsi1pk = "WALL#MESSAGES"` only while approved.
"""

from __future__ import annotations

import random
import time
from datetime import datetime
from typing import Any

from functions.pledge.logic import CONFIRM, Transition, role_attribute
from shared.audit import audit_item
from shared.dynamo import ConditionFailed, Item, Page, Table, TransactionConflict
from shared.errors import Conflict, NotFound, RateLimited
from shared.people import person_keys
from shared.types import iso

SUMMARY_KEY = {"pk": "PLEDGES", "sk": "SUMMARY"}
CONFIRMED_SIGNUPS = "SIGNUPS#confirmed"
_ATTEMPTS = 8


def signup_key(person: str) -> dict[str, str]:
    return {"pk": f"SIGNUP#{person}", "sk": "SIGNUP"}


def token_key(digest: str) -> dict[str, str]:
    return {"pk": f"TOKEN#{digest}", "sk": "TOKEN"}


def counters_update(role: str, delta: int) -> dict[str, Any]:
    """The summary update of a pledge added (+1) or erased (-1), for a transaction."""
    return {"Update": {
        "Key": SUMMARY_KEY,
        "UpdateExpression": "ADD #count :d, #role :d",
        "ExpressionAttributeNames": {"#count": "count", "#role": role_attribute(role)},
        "ExpressionAttributeValues": {":d": delta},
    }}


class PledgeStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # -- pledges -----------------------------------------------------------------------------
    def add_pledge(self, person: str, item: dict[str, Any]) -> tuple[str, bool]:
        """Put the pledge and count it in one transaction, conditioned on its absence."""
        for attempt in range(_ATTEMPTS):
            try:
                self.table.transact([
                    {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
                    counters_update(item["role"], 1),
                ])
                return str(item["pledge_id"]), True
            except TransactionConflict as exc:
                if exc.reasons and exc.reasons[0] == "ConditionalCheckFailed":
                    existing = self.table.get(f"PLEDGE#{person}", "PLEDGE", consistent=True)
                    if existing:
                        return str(existing["pledge_id"]), False
                elif "TransactionConflict" not in exc.reasons:
                    raise  # not a race: nothing was written, and retrying would not help
                # A concurrent transaction held the items (or the pledge was just erased): retry.
                time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter only
        raise RateLimited("Many pledges are arriving at once: please try again.", retry_after_s=1)

    def summary(self) -> Item | None:
        return self.table.get(SUMMARY_KEY["pk"], SUMMARY_KEY["sk"])

    def wall(self, limit: int, start: Item | None) -> Page:
        return self.table.query("gsi1pk = :w", {":w": "WALL#PLEDGES"}, index="gsi1",
                                limit=limit, start_key=start, forward=False)

    # -- sign-ups ----------------------------------------------------------------------------
    def register_signup(self, person: str, details: dict[str, Any], *, now: datetime,
                        resend_after: datetime, ttl: int) -> bool:
        """Create or refresh a sign-up; True when a confirmation email should go out now.

        One conditional update: nothing changes (False) when the address is already confirmed
        or was mailed after `resend_after`, so concurrent sign-ups send at most one email.
        """
        key = signup_key(person)
        sets = ["#status = if_not_exists(#status, :pending)",
                "created_at = if_not_exists(created_at, :now)", "last_sent_at = :sent",
                "#ttl = :ttl", "gsi3pk = :g3pk", "gsi3sk = :g3sk"]
        removes = []
        names = {"#status": "status", "#ttl": "ttl"}
        values: dict[str, Any] = {
            ":pending": "pending", ":confirmed": "confirmed", ":now": iso(now),
            ":sent": int(now.timestamp()), ":cutoff": int(resend_after.timestamp()), ":ttl": ttl,
        }
        index = person_keys(person, "SIGNUP", person)
        values[":g3pk"], values[":g3sk"] = index["gsi3pk"], index["gsi3sk"]
        for field, value in details.items():
            names[f"#{field}"] = field
            if value is None:
                removes.append(f"#{field}")
            else:
                sets.append(f"#{field} = :{field}")
                values[f":{field}"] = value
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            self.table.update(
                key["pk"], key["sk"], expression, names=names, values=values,
                condition="(attribute_not_exists(pk) OR #status <> :confirmed) AND "
                          "(attribute_not_exists(last_sent_at) OR last_sent_at <= :cutoff)",
            )
        except ConditionFailed:
            return False
        return True

    def put_token(self, digest: str, *, purpose: str, person: str, expires_at: int,
                  ttl: int) -> None:
        self.table.put(
            {**token_key(digest), "purpose": purpose, "person": person, "expires_at": expires_at,
             "ttl": ttl, **person_keys(person, "TOKEN", digest[:16])},
            condition="attribute_not_exists(pk)",
        )

    def redeem(self, digest: str, *, purpose: str, now: datetime) -> bool:
        """Use a token once: its delete (conditioned on existing and unexpired) and the sign-up's
        change are one transaction, so a token can never work twice."""
        key = token_key(digest)
        found = self.table.get(key["pk"], key["sk"], consistent=True)
        epoch = int(now.timestamp())
        if not found or found.get("purpose") != purpose or found["expires_at"] <= epoch:
            return False
        person = found["person"]
        stamp = iso(now)
        if purpose == CONFIRM:
            change = ("SET #status = :s, confirmed_at = :now, gsi2pk = :g2pk, gsi2sk = :g2sk",
                      {":s": "confirmed", ":now": stamp, ":g2pk": CONFIRMED_SIGNUPS,
                       ":g2sk": f"{stamp}#{person}"})
        else:
            change = ("SET #status = :s, unsubscribed_at = :now REMOVE gsi2pk, gsi2sk",
                      {":s": "unsubscribed", ":now": stamp})
        try:
            self.table.transact([
                {"Delete": {
                    "Key": key,
                    "ConditionExpression": "attribute_exists(pk) AND expires_at > :now",
                    "ExpressionAttributeValues": {":now": epoch},
                }},
                {"Update": {
                    "Key": signup_key(person),
                    "UpdateExpression": change[0],
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": change[1],
                }},
            ])
        except TransactionConflict:
            return False
        return True

    def confirmed_signups(self) -> list[Item]:
        return self.table.query_all("gsi2pk = :c", {":c": CONFIRMED_SIGNUPS}, index="gsi2")

    # -- messages ----------------------------------------------------------------------------
    def add_message(self, item: dict[str, Any]) -> None:
        self.table.put(item, condition="attribute_not_exists(pk)")

    def approved_messages(self, limit: int, start: Item | None) -> Page:
        return self.table.query("gsi1pk = :w", {":w": "WALL#MESSAGES"}, index="gsi1",
                                limit=limit, start_key=start, forward=False)

    def messages_by_status(self, status: str, limit: int, start: Item | None) -> Page:
        return self.table.query("gsi2pk = :s", {":s": f"MESSAGES#{status}"}, index="gsi2",
                                limit=limit, start_key=start, forward=False)

    def decide_message(self, message_id: str, change: Transition, *, actor: str,
                       now: datetime) -> Item:
        """Apply a decision only from a state it applies to (409 otherwise), with its audit."""
        pk = f"MESSAGE#{message_id}"
        current = self.table.get(pk, "MESSAGE", consistent=True)
        if current is None:
            raise NotFound("No such message.")
        stamp = iso(now)
        sets = ["#status = :to", "decided_by = :by", "decided_at = :at", "gsi2pk = :g2pk"]
        values: dict[str, Any] = {":to": change.to, ":by": actor, ":at": stamp,
                                  ":g2pk": f"MESSAGES#{change.to}"}
        removes = []
        if change.to == "approved":
            sets += ["gsi1pk = :g1pk", "gsi1sk = :g1sk"]
            values.update({":g1pk": "WALL#MESSAGES", ":g1sk": current["gsi2sk"]})
        else:
            removes += ["gsi1pk", "gsi1sk"]
        if change.reason:
            sets.append("reason = :reason")
            values[":reason"] = change.reason
        else:
            removes.append("reason")
        allowed = {f":from{i}": s for i, s in enumerate(change.allowed_from)}
        values.update(allowed)
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        detail = change.to if not change.reason else f"{change.to}: {change.reason}"
        try:
            self.table.transact([
                {"Update": {
                    "Key": {"pk": pk, "sk": "MESSAGE"},
                    "UpdateExpression": expression,
                    "ConditionExpression": f"#status IN ({', '.join(allowed)})",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": values,
                }},
                {"Put": {"Item": audit_item(f"MESSAGE#{message_id}", at=now, actor=actor,
                                            action=change.to, detail=detail)}},
            ])
        except TransactionConflict as exc:
            raise Conflict(f"This message is {current['status']}: the decision does not apply."
                           ) from exc
        decided = self.table.get(pk, "MESSAGE", consistent=True)
        assert decided is not None
        return decided
