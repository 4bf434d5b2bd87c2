"""DynamoDB adapter of the pledge domain: every invariant is a condition or a transaction.

Layout (one table):
- `PLEDGE#<person> / PLEDGE`: the confirmed pledge; `gsi1pk = "WALL#PLEDGES"` only when shown
  on the wall. Unconfirmed details live only in their token, so nothing unconfirmed is shown.
- `PLEDGE#<person> / MAILED`: when this person was last sent a pledge confirmation (the throttle).
  The stamp, the link's token and the email (an outbox effect, `shared.outbox`) are written in
  one transaction: a stamped window always has its email owed, so no fault can swallow it.
- `PLEDGES / SUMMARY`: `count` and `role_<role>` numbers, changed in the confirming transaction.
- `SIGNUP#<person> / SIGNUP`: a sign-up (status pending | confirmed | unsubscribed);
  `gsi2pk = "SIGNUPS#confirmed"` while confirmed and subscribed (the export's Query).
- `TOKEN#<sha256> / TOKEN`: a link token's hash → the person, its purpose and expiry; a pledge
  token also holds the details it confirms, and once used, the `pledge_id` it confirmed.
- `MESSAGE#<id> / MESSAGE`: a message; `gsi2pk = "MESSAGES#<status>"`, and
  `gsi1pk = "WALL#MESSAGES"` only while approved.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from functions.pledge.logic import (
    CONFIRM,
    PLEDGE,
    Token,
    Transition,
    confirmed_pledge,
    counter_changes,
    role_attribute,
)
from shared import outbox
from shared.audit import audit_item
from shared.dynamo import Item, Page, Table, TransactionConflict
from shared.editions import counter_op
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


def pledge_key(person: str) -> dict[str, str]:
    return {"pk": f"PLEDGE#{person}", "sk": "PLEDGE"}


def counters_change(deltas: dict[str, int]) -> dict[str, Any]:
    """One summary update adding each delta to its counter, for a transaction."""
    names = {f"#c{n}": name for n, name in enumerate(deltas)}
    return {"Update": {
        "Key": SUMMARY_KEY,
        "UpdateExpression": "ADD " + ", ".join(f"#c{n} :c{n}" for n in range(len(deltas))),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {f":c{n}": d for n, d in enumerate(deltas.values())},
    }}


def counters_update(role: str, delta: int) -> dict[str, Any]:
    """The summary update of a pledge added (+1) or erased (-1), for a transaction."""
    return counters_change({"count": delta, role_attribute(role): delta})


class PledgeStore:
    def __init__(self, table: Table, *, edition: str | None = None) -> None:
        self.table = table
        # The edition whose live numbers count what is confirmed or published now (the
        # configured one; the year of the change when not given).
        self.edition = edition

    def _edition(self, now: datetime) -> str:
        return self.edition or str(now.year)

    # -- pledges -----------------------------------------------------------------------------
    def register_pledge(self, person: str, *, now: datetime, resend_after: datetime,
                        ttl: int, tokens: Sequence[Token], owed: outbox.Effect) -> bool:
        """True when this request owes the pledge confirmation (at most one per resend window,
        however many pledges arrive at once): the sign-ups' throttle, on its own item."""
        return self._claim_mail({"pk": f"PLEDGE#{person}", "sk": "MAILED"}, person, "PLEDGEMAIL",
                                now=now, resend_after=resend_after, ttl=ttl, tokens=tokens,
                                owed=owed)

    def confirm_pledge(self, digest: str, *, now: datetime, ttl: int) -> str | None:
        """Publish the details a pledge token carries; the pledge's id, or None for a bad token.

        One transaction marks the token used, writes the pledge conditioned on the version just
        read, and moves the counters by what changed, so a person counts once whatever races. A
        used token answers its pledge_id again until it expires.
        """
        key = token_key(digest)
        epoch = int(now.timestamp())
        for attempt in range(_ATTEMPTS):
            token = self.table.get(key["pk"], key["sk"], consistent=True)
            if not token or token.get("purpose") != PLEDGE or token["expires_at"] <= epoch:
                return None
            if "pledge_id" in token:
                return str(token["pledge_id"])
            person = token["person"]
            existing = self.table.get(**pledge_key(person), consistent=True)
            item = confirmed_pledge(token["details"], existing, person=person, now=now, ttl=ttl)
            # Counted in this edition's numbers once, and taken back from it by erasure.
            item["edition"] = (existing or {}).get("edition") or self._edition(now)
            if existing is None:
                guard: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
            else:  # unchanged since read: otherwise the counters would move by the wrong roles
                guard = {"ConditionExpression": "pledge_id = :id AND #role = :role",
                         "ExpressionAttributeNames": {"#role": "role"},
                         "ExpressionAttributeValues": {":id": existing["pledge_id"],
                                                       ":role": existing["role"]}}
            deltas = counter_changes(existing["role"] if existing else None, item["role"])
            try:
                self.table.transact([
                    {"Update": {
                        "Key": key,
                        # The details are published now: the token need not keep them.
                        "UpdateExpression": "SET pledge_id = :id, used_at = :at REMOVE details",
                        "ConditionExpression": "attribute_exists(pk) AND expires_at > :now AND "
                                               "attribute_not_exists(pledge_id)",
                        "ExpressionAttributeValues": {":id": item["pledge_id"], ":at": iso(now),
                                                      ":now": epoch},
                    }},
                    {"Put": {"Item": item, **guard}},
                    *([counters_change(deltas)] if deltas else []),
                    *([counter_op(item["edition"], {"pledges": 1})] if existing is None else []),
                ])
                return str(item["pledge_id"])
            except TransactionConflict as exc:
                if not {"ConditionalCheckFailed", "TransactionConflict"} & set(exc.reasons):
                    raise  # not a race: nothing was written, and retrying would not help
            # The token was used, or the pledge changed or was erased, meanwhile: read again.
            time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter only
        raise RateLimited("Many pledges are arriving at once: please try again.", retry_after_s=1)

    def summary(self) -> Item | None:
        return self.table.get(SUMMARY_KEY["pk"], SUMMARY_KEY["sk"])

    def wall(self, limit: int, start: Item | None) -> Page:
        return self.table.query("gsi1pk = :w", {":w": "WALL#PLEDGES"}, index="gsi1",
                                limit=limit, start_key=start, forward=False)

    # -- sign-ups ----------------------------------------------------------------------------
    def register_signup(self, person: str, details: dict[str, Any], *, now: datetime,
                        resend_after: datetime, ttl: int, tokens: Sequence[Token],
                        owed: outbox.Effect) -> bool:
        """Create or refresh a sign-up; True when this request owes the confirmation email.

        Nothing changes (False) when the address is already confirmed or was mailed after
        `resend_after`, so concurrent sign-ups send at most one email.
        """
        return self._claim_mail(
            signup_key(person), person, "SIGNUP", now=now, resend_after=resend_after, ttl=ttl,
            tokens=tokens, owed=owed, details=details, pending_until_confirmed=True,
        )

    def _claim_mail(self, key: dict[str, str], person: str, kind: str, *, now: datetime,
                    resend_after: datetime, ttl: int, tokens: Sequence[Token],
                    owed: outbox.Effect, details: dict[str, Any] | None = None,
                    pending_until_confirmed: bool = False) -> bool:
        """Stamp `last_sent_at` on the item at `key` (and set `details`), store `tokens` and owe
        the email, in one transaction that only one of any concurrent requests wins: True when
        that one was this. A lost answer is settled by `outbox.commit` (our effect is there)."""
        sets = ["created_at = if_not_exists(created_at, :now)", "last_sent_at = :sent",
                "#ttl = :ttl", "gsi3pk = :g3pk", "gsi3sk = :g3sk"]
        removes = []
        names = {"#ttl": "ttl"}
        values: dict[str, Any] = {
            ":now": iso(now), ":sent": int(now.timestamp()),
            ":cutoff": int(resend_after.timestamp()), ":ttl": ttl,
        }
        index = person_keys(person, kind, person)
        values[":g3pk"], values[":g3sk"] = index["gsi3pk"], index["gsi3sk"]
        condition = "(attribute_not_exists(last_sent_at) OR last_sent_at <= :cutoff)"
        if pending_until_confirmed:
            sets.append("#status = if_not_exists(#status, :pending)")
            names["#status"] = "status"
            values.update({":pending": "pending", ":confirmed": "confirmed"})
            condition = f"(attribute_not_exists(pk) OR #status <> :confirmed) AND {condition}"
        for field, value in (details or {}).items():
            names[f"#{field}"] = field
            if value is None:
                removes.append(f"#{field}")
            else:
                sets.append(f"#{field} = :{field}")
                values[f":{field}"] = value
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        stamp = {"Update": {"Key": key, "UpdateExpression": expression,
                            "ConditionExpression": condition,
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": values}}
        try:
            outbox.commit(self.table, [stamp, *(self._token_put(t, person) for t in tokens)],
                          [owed], now=now)
        except TransactionConflict as exc:
            if exc.reasons and exc.reasons[0] == "ConditionalCheckFailed":
                return False  # mailed recently, or already confirmed
            if "TransactionConflict" in exc.reasons:
                return False  # a concurrent request for the same person is registering it
            raise
        return True

    @staticmethod
    def _token_put(token: Token, person: str) -> dict[str, Any]:
        return {"Put": {
            "Item": {**token_key(token.digest), "purpose": token.purpose, "person": person,
                     "expires_at": token.expires_at, "ttl": token.ttl,
                     **person_keys(person, "TOKEN", token.digest[:16]),
                     **({"details": token.details} if token.details else {})},
            "ConditionExpression": "attribute_not_exists(pk)",
        }}

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

    def every_approved_message(self) -> list[Item]:
        """The whole published list (the export to government): hundreds at most."""
        return self.table.query_all("gsi1pk = :w", {":w": "WALL#MESSAGES"}, index="gsi1")

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
        # The edition's `messages` counts published ones: it moves when publication changes,
        # and then the write is pinned to the state read (a race is a 409, never a miscount).
        published = int(change.to == "approved") - int(current["status"] == "approved")
        edition = str(current.get("edition") or self._edition(now))
        counted = [counter_op(edition, {"messages": published})] if published else []
        if published:
            sets.append("edition = :edition")
            values.update({":edition": edition, ":was": current["status"]})
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
                    "ConditionExpression": f"#status IN ({', '.join(allowed)})"
                                           + (" AND #status = :was" if published else ""),
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": values,
                }},
                {"Put": {"Item": audit_item(f"MESSAGE#{message_id}", at=now, actor=actor,
                                            action=change.to, detail=detail)}},
                *counted,
            ])
        except TransactionConflict as exc:
            raise Conflict(f"This message is {current['status']}: the decision does not apply."
                           ) from exc
        decided = self.table.get(pk, "MESSAGE", consistent=True)
        assert decided is not None
        return decided
