"""DynamoDB adapter of the pledge domain (the repository of pledges, sign-ups, link tokens and
messages): every invariant is a condition or a transaction.

Stored records (`functions/pledge/records.py`) become items, and items records, only here; the
key layout is `shared/pledges.py`'s. Beyond the keys:
- a pledge's unconfirmed details live only in its token, so nothing unconfirmed is shown;
- `PLEDGE#<person> / MAILED` stamps when this person was last sent a pledge confirmation (the
  throttle): the stamp, the link's token and the email (an outbox effect, `shared.outbox`) are
  written in one transaction, so a stamped window always has its email owed;
- the summary's `count` and `role_<role>` move in the confirming transaction;
- a used pledge token keeps the `pledge_id` it confirmed (the same answer again).
"""

from __future__ import annotations

import random
import time
from datetime import datetime
from typing import Any

from functions.pledge.logic import (
    CONFIRM,
    PLEDGE,
    Mailing,
    Token,
    Transition,
    confirmed_pledge,
    counter_changes,
)
from functions.pledge.records import MessageRecord, PledgeRecord
from shared import outbox
from shared.audit import audit_item
from shared.dynamo import Item, Table, TransactionConflict
from shared.editions import counter_op
from shared.errors import Conflict, NotFound, RateLimited
from shared.people import person_keys
from shared.pledges import (
    CONFIRMED_SIGNUPS,
    MESSAGE_WALL,
    PLEDGE_WALL,
    SUMMARY_KEY,
    SignupRecord,
    counters_change,
    mailed_key,
    message_key,
    message_queue,
    pledge_key,
    signup_key,
    token_key,
)
from shared.types import iso

_ATTEMPTS = 8
SIGNUP_DETAILS = {"email", "name", "role", "organisation"}


# -- records <-> items -------------------------------------------------------------------------
def pledge_item(record: PledgeRecord) -> Item:
    """The stored pledge: on the wall (gsi1, sparse) only by choice; found by its person (gsi3)."""
    item: Item = {
        **pledge_key(record.person),
        **record.model_dump(exclude={"person"}, exclude_none=True),
        **person_keys(record.person, "PLEDGE", record.pledge_id),
    }
    if record.show_on_wall:
        item["gsi1pk"], item["gsi1sk"] = PLEDGE_WALL, f"{record.created_at}#{record.pledge_id}"
    return item


def pledge_of(item: Item) -> PledgeRecord:
    return PledgeRecord(
        person=str(item["pk"]).removeprefix("PLEDGE#"),
        **_fields(item, PledgeRecord, exclude=frozenset({"person"})),
    )


def message_item(record: MessageRecord) -> Item:
    """A new message: in its status's queue (gsi2) by arrival."""
    return {
        **message_key(record.message_id),
        **record.model_dump(exclude_none=True),
        "gsi2pk": message_queue(record.status),
        "gsi2sk": f"{record.created_at}#{record.message_id}",
    }


def message_of(item: Item) -> MessageRecord:
    return MessageRecord(**_fields(item, MessageRecord))


def _fields(item: Item, model: type[Any], exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    return {
        name: item[name]
        for name in model.model_fields
        if name not in exclude and item.get(name) is not None
    }


class PledgeStore:
    def __init__(self, table: Table, *, edition: str | None = None) -> None:
        self.table = table
        # The edition whose live numbers count what is confirmed or published now (the
        # configured one; the year of the change when not given).
        self.edition = edition

    def _edition(self, now: datetime) -> str:
        return self.edition or str(now.year)

    # -- pledges -----------------------------------------------------------------------------
    def register_pledge(self, person: str, mailing: Mailing) -> bool:
        """True when this request owes the pledge confirmation (at most one per resend window,
        however many pledges arrive at once): the sign-ups' throttle, on its own item."""
        return self._claim_mail(mailed_key(person), person, "PLEDGEMAIL", mailing)

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
            found = self.table.get(**pledge_key(person), consistent=True)
            existing = pledge_of(found) if found else None
            record = confirmed_pledge(token["details"], existing, person=person, now=now, ttl=ttl)
            # Counted in this edition's numbers once, and taken back from it by erasure.
            record = record.model_copy(update={"edition": record.edition or self._edition(now)})
            item = pledge_item(record)
            if existing is None:
                guard: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
            else:  # unchanged since read: otherwise the counters would move by the wrong roles
                guard = {
                    "ConditionExpression": "pledge_id = :id AND #role = :role",
                    "ExpressionAttributeNames": {"#role": "role"},
                    "ExpressionAttributeValues": {
                        ":id": existing.pledge_id,
                        ":role": existing.role,
                    },
                }
            deltas = counter_changes(existing.role if existing else None, record.role)
            try:
                self.table.transact(
                    [
                        {
                            "Update": {
                                "Key": key,
                                # The details are published now: the token need not keep them.
                                "UpdateExpression": (
                                    "SET pledge_id = :id, used_at = :at REMOVE details"
                                ),
                                "ConditionExpression": (
                                    "attribute_exists(pk) AND expires_at > :now AND "
                                    "attribute_not_exists(pledge_id)"
                                ),
                                "ExpressionAttributeValues": {
                                    ":id": record.pledge_id,
                                    ":at": iso(now),
                                    ":now": epoch,
                                },
                            }
                        },
                        {"Put": {"Item": item, **guard}},
                        *([counters_change(deltas)] if deltas else []),
                        *(
                            [counter_op(str(record.edition), {"pledges": 1})]
                            if existing is None
                            else []
                        ),
                    ]
                )
                return record.pledge_id
            except TransactionConflict as exc:
                if not {"ConditionalCheckFailed", "TransactionConflict"} & set(exc.reasons):
                    raise  # not a race: nothing was written, and retrying would not help
            # The token was used, or the pledge changed or was erased, meanwhile: read again.
            time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter only
        raise RateLimited("Many pledges are arriving at once: please try again.", retry_after_s=1)

    def summary(self) -> Item | None:
        return self.table.get(SUMMARY_KEY["pk"], SUMMARY_KEY["sk"])

    def wall(self, limit: int, start: Item | None) -> tuple[list[PledgeRecord], Item | None]:
        page = self.table.newest_first("gsi1", PLEDGE_WALL, limit=limit, start_key=start)
        return [pledge_of(i) for i in page.items], page.last_key

    # -- sign-ups ----------------------------------------------------------------------------
    def register_signup(self, signup: SignupRecord, mailing: Mailing) -> bool:
        """Create or refresh a sign-up; True when this request owes the confirmation email.

        Nothing changes (False) when the address is already confirmed or was mailed after
        `resend_after`, so concurrent sign-ups send at most one email.
        """
        return self._claim_mail(
            signup_key(signup.person),
            signup.person,
            "SIGNUP",
            mailing,
            details=signup.model_dump(include=SIGNUP_DETAILS),
            pending_until_confirmed=True,
        )

    def _claim_mail(
        self,
        key: dict[str, str],
        person: str,
        kind: str,
        mailing: Mailing,
        *,
        details: dict[str, Any] | None = None,
        pending_until_confirmed: bool = False,
    ) -> bool:
        """Stamp `last_sent_at` on the item at `key` (and set `details`), store the mailing's
        tokens and owe its email, in one transaction that only one of any concurrent requests
        wins: True when that one was this. A lost answer is settled by `outbox.commit` (our
        effect is there)."""
        sets = [
            "created_at = if_not_exists(created_at, :now)",
            "last_sent_at = :sent",
            "#ttl = :ttl",
            "gsi3pk = :g3pk",
            "gsi3sk = :g3sk",
        ]
        removes = []
        names = {"#ttl": "ttl"}
        values: dict[str, Any] = {
            ":now": iso(mailing.now),
            ":sent": int(mailing.now.timestamp()),
            ":cutoff": int(mailing.resend_after.timestamp()),
            ":ttl": mailing.ttl,
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
        stamp = {
            "Update": {
                "Key": key,
                "UpdateExpression": expression,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }
        try:
            tokens = [self._token_put(t, person) for t in mailing.tokens]
            outbox.commit(self.table, [stamp, *tokens], [mailing.owed], now=mailing.now)
        except TransactionConflict as exc:
            if exc.reasons and exc.reasons[0] == "ConditionalCheckFailed":
                return False  # mailed recently, or already confirmed
            if "TransactionConflict" in exc.reasons:
                return False  # a concurrent request for the same person is registering it
            raise
        return True

    @staticmethod
    def _token_put(token: Token, person: str) -> dict[str, Any]:
        return {
            "Put": {
                "Item": {
                    **token_key(token.digest),
                    "purpose": token.purpose,
                    "person": person,
                    "expires_at": token.expires_at,
                    "ttl": token.ttl,
                    **person_keys(person, "TOKEN", token.digest[:16]),
                    **({"details": token.details} if token.details else {}),
                },
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

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
            change = (
                "SET #status = :s, confirmed_at = :now, gsi2pk = :g2pk, gsi2sk = :g2sk",
                {
                    ":s": "confirmed",
                    ":now": stamp,
                    ":g2pk": CONFIRMED_SIGNUPS,
                    ":g2sk": f"{stamp}#{person}",
                },
            )
        else:
            change = (
                "SET #status = :s, unsubscribed_at = :now REMOVE gsi2pk, gsi2sk",
                {":s": "unsubscribed", ":now": stamp},
            )
        try:
            self.table.transact(
                [
                    {
                        "Delete": {
                            "Key": key,
                            "ConditionExpression": "attribute_exists(pk) AND expires_at > :now",
                            "ExpressionAttributeValues": {":now": epoch},
                        }
                    },
                    {
                        "Update": {
                            "Key": signup_key(person),
                            "UpdateExpression": change[0],
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": change[1],
                        }
                    },
                ]
            )
        except TransactionConflict:
            return False
        return True

    # -- messages ----------------------------------------------------------------------------
    def add_message(self, record: MessageRecord) -> None:
        self.table.put(message_item(record), condition="attribute_not_exists(pk)")

    def approved_messages(
        self, limit: int, start: Item | None
    ) -> tuple[list[MessageRecord], Item | None]:
        page = self.table.newest_first("gsi1", MESSAGE_WALL, limit=limit, start_key=start)
        return [message_of(i) for i in page.items], page.last_key

    def every_approved_message(self) -> list[MessageRecord]:
        """The whole published list (the export to government): hundreds at most."""
        return [
            message_of(i)
            for i in self.table.query_all("gsi1pk = :w", {":w": MESSAGE_WALL}, index="gsi1")
        ]

    def messages_by_status(
        self, status: str, limit: int, start: Item | None
    ) -> tuple[list[MessageRecord], Item | None]:
        page = self.table.newest_first("gsi2", message_queue(status), limit=limit, start_key=start)
        return [message_of(i) for i in page.items], page.last_key

    def decide_message(
        self, message_id: str, change: Transition, *, actor: str, now: datetime
    ) -> MessageRecord:
        """Apply a decision only from a state it applies to (409 otherwise), with its audit."""
        key = message_key(message_id)
        current = self.table.get(key["pk"], key["sk"], consistent=True)
        if current is None:
            raise NotFound("No such message.")
        update, counted = self._decision(current, change, actor=actor, now=now)
        detail = change.to if not change.reason else f"{change.to}: {change.reason}"
        try:
            self.table.transact(
                [
                    {"Update": {"Key": key, **update}},
                    {
                        "Put": {
                            "Item": audit_item(
                                key["pk"], at=now, actor=actor, action=change.to, detail=detail
                            )
                        }
                    },
                    *counted,
                ]
            )
        except TransactionConflict as exc:
            raise Conflict(
                f"This message is {current['status']}: the decision does not apply."
            ) from exc
        decided = self.table.get(key["pk"], key["sk"], consistent=True)
        assert decided is not None
        return message_of(decided)

    def _decision(
        self, current: Item, change: Transition, *, actor: str, now: datetime
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The message's update (conditioned on the state it applies to) and the edition's
        count it moves, if publication changes."""
        sets = ["#status = :to", "decided_by = :by", "decided_at = :at", "gsi2pk = :g2pk"]
        values: dict[str, Any] = {
            ":to": change.to,
            ":by": actor,
            ":at": iso(now),
            ":g2pk": message_queue(change.to),
        }
        removes = []
        if change.to == "approved":
            sets += ["gsi1pk = :g1pk", "gsi1sk = :g1sk"]
            values.update({":g1pk": MESSAGE_WALL, ":g1sk": current["gsi2sk"]})
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
        return {
            "UpdateExpression": "SET "
            + ", ".join(sets)
            + (" REMOVE " + ", ".join(removes) if removes else ""),
            "ConditionExpression": f"#status IN ({', '.join(allowed)})"
            + (" AND #status = :was" if published else ""),
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": values,
        }, counted
