"""The transactional outbox: the side effects a change owes, committed with the change.

A change that owes an email, file deletions, a CDN invalidation or a photo's settling (its
public copies, gallery listing, draw entry and CDN made to match a decision or a takedown)
writes one `OUTBOX#<id>` item per effect in the SAME DynamoDB transaction as the change itself,
so either both exist or neither does: no committed change without its effects, no effect of a
change that never happened. The table's stream (keys only, new items only: `infra/wiring.py`
filters on the key prefix) invokes the effects consumer (`functions/effects/`), which performs
the effect and then marks the item done. The request answers as soon as the transaction committed.

The item is its own state: it exists and has no `done_at` while the effect is owed (listed on
gsi2 under `OUTBOX#owed`, oldest first, for ops), and once done it loses its payload (an email's
address and link token) and leaves the index. A person's owed effects carry their gsi3 keys, so
an erasure drops them too. Items expire after `KEEP_S` whatever happened to them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from shared.dynamo import Item, Table, TransactionConflict
from shared.mail import Email
from shared.people import person_keys
from shared.types import iso, new_id

PREFIX = "OUTBOX#"
SK = "EFFECT"
OWED = "OUTBOX#owed"  # gsi2pk of effects not yet performed
# Longer than the stream's 24 hours: an effect that failed for a day can still be redriven.
KEEP_S = 14 * 86400

Kind = Literal["email", "delete_files", "settle_photo"]


class Effect(BaseModel):
    """One side effect owed by a committed change.

    - `email`: payload `{purpose, to, subject, text, html}`; `person` is the recipient's
      pseudonym (suppressed addresses are skipped; erasure drops the effect).
    - `delete_files`: payload `{keys: [...], prefixes: [...], invalidate: [paths]}`: the objects
      (and everything under the prefixes) are deleted, then the exact CDN paths invalidated.
    - `settle_photo`: payload `{photo_id, version, announce}`: the photo's public copies, its CDN
      paths, its gallery listing and its draw entry are made to match its CURRENT state (a
      decision, a report's takedown); `announce` (an email's fields, or absent) is owed to the
      uploader only if the photo is still at `version`, the decision that stood. The consumer
      owes it as an `email` effect of its own, `derived(effect_id, "email")`, put once.
    """

    model_config = ConfigDict(frozen=True)

    effect_id: str
    kind: Kind
    payload: dict[str, Any]
    person: str | None = None


def effect(kind: Kind, payload: Mapping[str, Any], *, person: str | None = None) -> Effect:
    return Effect(effect_id=new_id(), kind=kind, payload=dict(payload), person=person)


def email(message: Email, *, purpose: str, person: str | None) -> Effect:
    """`message` as an owed email; `person` (the recipient's pseudonym) lets a suppressed
    address skip it and an erasure drop it."""
    return effect(
        "email",
        {
            "purpose": purpose,
            "to": message.to,
            "subject": message.subject,
            "text": message.text,
            "html": message.html,
        },
        person=person,
    )


def settle_photo(
    photo_id: str, *, version: int, announce: Email | None = None, person: str | None = None
) -> Effect:
    """What a photo's change owes: its outside world made to match it (see `Effect`).

    `version` is the photo's version the change wrote; `announce` the uploader's email, owed
    only if that version is still current when the effect is performed; `person` (the
    uploader's pseudonym) lets an erasure drop the effect with the photo it is about.
    """
    payload: dict[str, Any] = {"photo_id": photo_id, "version": version}
    if announce is not None:
        payload["announce"] = {
            "to": announce.to,
            "subject": announce.subject,
            "text": announce.text,
            "html": announce.html,
        }
    return effect("settle_photo", payload, person=person)


def derived(effect_id: str, suffix: str) -> str:
    """The id of an effect that performing `effect_id` owes: the same on every retry, so the
    conditional put of `put` writes it once (a retried settle never sends twice)."""
    return f"{effect_id}-{suffix}"


def key(effect_id: str) -> dict[str, str]:
    return {"pk": f"{PREFIX}{effect_id}", "sk": SK}


def item(owed: Effect, *, now: datetime) -> Item:
    created = iso(now)
    stored: Item = {
        **key(owed.effect_id),
        "effect_id": owed.effect_id,
        "kind": owed.kind,
        "payload": owed.payload,
        "created_at": created,
        "ttl": int(now.timestamp()) + KEEP_S,
        "gsi2pk": OWED,
        "gsi2sk": f"{created}#{owed.effect_id}",
    }
    if owed.person:
        stored["person"] = owed.person
        stored.update(person_keys(owed.person, "OUTBOX", owed.effect_id))
    return stored


def put(owed: Effect, *, now: datetime) -> dict[str, Any]:
    """The outbox item of `owed` as one operation of a `Table.transact`."""
    return {"Put": {"Item": item(owed, now=now), "ConditionExpression": "attribute_not_exists(pk)"}}


def of(stored: Mapping[str, Any]) -> Effect:
    return Effect(
        effect_id=stored["effect_id"],
        kind=stored["kind"],
        payload=dict(stored.get("payload") or {}),
        person=stored.get("person"),
    )


def commit(
    table: Table,
    operations: Sequence[Mapping[str, Any]],
    effects: Sequence[Effect],
    *,
    now: datetime,
) -> None:
    """Write `operations` and the outbox items of `effects` in one transaction.

    When the transaction's answer is lost, the SDK sends it again: DynamoDB answers a retry
    carrying the same ClientRequestToken with success, an emulator may re-apply it and fail its
    conditions, and after the last retry nobody knows. Whether our own outbox item is there
    settles it: it is, so the change committed (and its answer is a success). Raises
    `TransactionConflict` (a condition failed: nothing was written) or the AWS error otherwise.
    """
    assert effects, "commit() is for changes that owe effects"
    try:
        table.transact([*operations, *(put(owed, now=now) for owed in effects)])
    except TransactionConflict:
        if is_committed(table, effects[0]):
            return
        raise
    except Exception as exc:
        from shared.aws import transient

        if transient(exc) and is_committed(table, effects[0]):
            return
        raise


def transact(
    table: Table,
    operations: Sequence[Mapping[str, Any]],
    effects: Sequence[Effect],
    *,
    now: datetime,
) -> None:
    """`commit` when the change owes effects; a plain transaction when it owes none."""
    if effects:
        commit(table, operations, effects, now=now)
    else:
        table.transact(list(operations))


def is_committed(table: Table, owed: Effect) -> bool:
    """Whether the transaction that wrote `owed` committed (its outbox item is there)."""
    found = table.get(**key(owed.effect_id), consistent=True)
    return found is not None


def owed(table: Table, *, limit: int = 50) -> list[Item]:
    """The oldest effects not yet performed (for ops: `functions/effects/redrive.py`)."""
    return table.query("gsi2pk = :o", {":o": OWED}, index="gsi2", limit=limit).items
