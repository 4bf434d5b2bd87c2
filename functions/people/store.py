"""DynamoDB and S3 adapters of people's data: a person's items found through the person index
(gsi3), each erased the way its kind needs; confirmed sign-ups; suppressed addresses.

Every personal item carries `gsi3pk = "PERSON#<pseudonym>"` (photos, pledges, sign-ups and their
tokens, draw entries, rate-limit counters, pack requests), so one Query finds all of it without
knowing which function wrote it. Erasing is idempotent: what is gone is not found again, and an
entry of a drawn day is kept only as its pseudonym (off the index) so the published draw stays
verifiable.

Files (and the CDN's copies of public ones) are deleted by the outbox (`shared.outbox`): the
deletion is owed, in the table, before the records that find the files are deleted, so a
failure in between leaves the photo findable and erasing again owes the (idempotent) deletion
again, and a failing S3 or CloudFront is retried by the outbox instead of failing the erasure.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared import outbox
from shared.audit import record
from shared.cdn import paths as cdn_paths
from shared.dynamo import Item, Table, TransactionConflict
from shared.editions import counter_op, pack_stock_key, photo_ops
from shared.entries import still_open
from shared.mail import suppress
from shared.media import S3Media, incoming_key, photo_prefixes
from shared.observability import logger
from shared.photos import PUBLIC_SK
from shared.pledges import CONFIRMED_SIGNUPS, SignupRecord, counters_update

_PERSONAL_ENTRY_FIELDS = ("display_name", "school", "photo_id")


def _edition(item: Item) -> str:
    """The edition whose counters an item moved (the year it was made, before editions)."""
    return str(item.get("edition") or str(item["created_at"])[:4])


@dataclass(frozen=True)
class Personal:
    """One item found about a person: its kind (`PHOTO`, `PLEDGE`, `ENTRY`, `MESSAGE`, `SIGNUP`,
    `TOKEN`, `RATE`, `PACK`...), its id (a photo's, for both its record and its public archive
    item) and whether it is published; the stored item goes back to the store to be erased."""

    kind: str
    ident: str
    published: bool
    item: Item


class PeopleStore:
    def __init__(self, table: Table, media: S3Media) -> None:
        # The media bucket is only listed here (to count a person's files): the outbox deletes.
        self.table, self.media = table, media

    def personal(self, person: str) -> list[Personal]:
        """Everything the person index (gsi3) finds about `person`."""
        found = []
        for item in self.table.query_all("gsi3pk = :p", {":p": f"PERSON#{person}"}, index="gsi3"):
            kind, _, ident = str(item.get("gsi3sk", "")).partition("#")
            if kind == "PHOTO":  # `PHOTO#<id>` and its archive item's `PHOTO#<id>#PUBLIC`
                ident = ident.split("#", 1)[0]
            found.append(Personal(kind, ident, item.get("status") == "approved", item))
        return found

    def audit(
        self,
        subject: str,
        *,
        actor: str,
        action: str,
        now: datetime,
        detail: dict[str, int] | None = None,
    ) -> None:
        record(
            self.table,
            subject,
            at=now,
            actor=actor,
            action=action,
            detail=json.dumps(detail, sort_keys=True) if detail is not None else "",
        )

    # -- sign-ups and suppression ------------------------------------------------------------
    def confirmed_signups(self) -> list[SignupRecord]:
        return [
            SignupRecord.of(item)
            for item in self.table.query_all("gsi2pk = :c", {":c": CONFIRMED_SIGNUPS}, index="gsi2")
        ]

    def suppress(self, person: str, reason: str) -> None:
        suppress(self.table, person, reason)

    # -- photos ------------------------------------------------------------------------------
    def erase_photo(self, found: Personal, *, actor: str, now: datetime) -> int:
        """Owe the deletion of the photo's files and its exact CDN paths, then delete its
        partition (record, reports: off the gallery), the record last, and audit it. Counts
        its files."""
        item, photo_id = found.item, found.ident
        prefixes = photo_prefixes(photo_id)
        keys = set(self._existing(item.get("files", []))) | set(self.media.photo_objects(photo_id))
        raw = incoming_key(photo_id)
        # The prefixes too: a derivative written after this listing goes as well. Every CDN
        # path of the photo: its images, its share page and the cached API read of it.
        self._owe_deletion(
            [*sorted(keys | set(item.get("files", []))), raw],
            prefixes,
            cdn_paths(photo_id),
            now=now,
        )
        parts = self.table.query_all("pk = :pk", {":pk": item["pk"]}, consistent=True)
        for part in sorted(parts, key=lambda p: p["sk"] == item["sk"]):
            if part["sk"] == PUBLIC_SK:
                self._erase_public(part)
            else:
                self.table.delete(part["pk"], part["sk"])
        self.audit(f"PHOTO#{photo_id}", actor=actor, action="erased", now=now)
        return len(keys)

    def _erase_public(self, part: Item) -> None:
        """The public archive item goes with the edition's counters, in one transaction."""
        for _attempt in range(5):
            try:
                self.table.transact(
                    [
                        {
                            "Delete": {
                                "Key": {"pk": part["pk"], "sk": part["sk"]},
                                "ConditionExpression": "attribute_exists(pk)",
                            }
                        },
                        *photo_ops(self.table, part, -1),
                    ]
                )
                return
            except TransactionConflict as exc:
                if self.table.get(part["pk"], part["sk"], consistent=True) is None:
                    return  # gone meanwhile (a takedown or another erasure counted it)
                logger.info("archive erasure raced, retrying", reasons=exc.reasons)
        raise TransactionConflict(["TransactionConflict"])

    def erase_item(self, found: Personal, *, now: datetime) -> tuple[bool, int]:
        """Any other personal item (sign-ups, tokens, unpublished messages, counters, packs):
        owe its files' deletion, then delete it. (Whether it was there, its files.)"""
        keys = set(self._existing(found.item.get("files", [])))
        if keys:
            self._owe_deletion(sorted(keys), [], [], now=now)
        return self.table.delete(found.item["pk"], found.item["sk"]) is not None, len(keys)

    def _owe_deletion(
        self, keys: list[str], prefixes: list[str], paths: list[str], *, now: datetime
    ) -> None:
        owed = outbox.effect(
            "delete_files", {"keys": sorted(set(keys)), "prefixes": prefixes, "invalidate": paths}
        )
        outbox.commit(self.table, [], [owed], now=now)

    def _existing(self, files: Iterable[str]) -> list[str]:
        return [key for key in files if key in self.media.listed(key)]

    # -- pledges -----------------------------------------------------------------------------
    def erase_pledge(self, found: Personal) -> int:
        """Delete the pledge and take it off the counters, together or not at all."""
        item = found.item
        counted = self._delete_counted(
            item,
            {"ConditionExpression": "attribute_exists(pk)"},
            [counters_update(item["role"], -1), counter_op(_edition(item), {"pledges": -1})],
        )
        return int(counted)  # not counted: already gone (a concurrent erasure counted it)

    def erase_published(self, found: Personal) -> int:
        """A published message goes with its edition's `messages` count, together."""
        item = found.item
        if self._delete_counted(
            item,
            {
                "ConditionExpression": "#s = :approved",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":approved": "approved"},
            },
            [counter_op(_edition(item), {"messages": -1})],
        ):
            return 1
        # Unpublished or gone meanwhile: delete whatever is left, uncounted.
        return int(self.table.delete(item["pk"], item["sk"]) is not None)

    def _delete_counted(
        self, item: Item, condition: dict[str, Any], counts: list[dict[str, Any]]
    ) -> bool:
        """Delete `item` on `condition` and move the `counts` with it, in one transaction:
        False (nothing written) when the condition failed."""
        delete = {"Key": {"pk": item["pk"], "sk": item["sk"]}, **condition}
        try:
            self.table.transact([{"Delete": delete}, *counts])
        except TransactionConflict:
            return False
        return True

    # -- packs -------------------------------------------------------------------------------
    def erase_pack(self, found: Personal) -> int:
        """A pack request goes; one not yet dispatched also gives its pack back to its
        edition's stock, in the same transaction (a dispatched pack was sent: it stays used)."""
        item = found.item
        give_back = {
            "Update": {
                "Key": pack_stock_key(str(item["edition"])),
                "UpdateExpression": "ADD promised :minus_one",
                "ConditionExpression": "promised > :zero",
                "ExpressionAttributeValues": {":minus_one": -1, ":zero": 0},
            }
        }
        undispatched = {
            "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(dispatched_at)"
        }
        if self._delete_counted(item, undispatched, [give_back]):
            return 1
        # Dispatched, or gone meanwhile: delete whatever is left, the stock as it is.
        return int(self.table.delete(item["pk"], item["sk"]) is not None)

    # -- draw entries ------------------------------------------------------------------------
    def erase_entry(self, found: Personal) -> int:
        """An entry of a day still open goes; on a drawn day it stays as its pseudonym."""
        item = found.item
        day = str(item["gsi3sk"]).split("#", 1)[1]
        try:
            self.table.transact(
                [
                    still_open(day),
                    {
                        "Delete": {
                            "Key": {"pk": item["pk"], "sk": item["sk"]},
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                ]
            )
            return 1
        except TransactionConflict:
            pass
        # A drawn day: the entrant stays (the entrants hash must still match) as a pseudonym.
        self.table.update(
            item["pk"],
            item["sk"],
            "REMOVE " + ", ".join((*_PERSONAL_ENTRY_FIELDS, "gsi3pk", "gsi3sk")),
        )
        return 1

    def scrub_winners(self, person: str) -> None:
        """The person's name, school and photo leave every published draw they won."""
        for draw in self.table.query_all("gsi1pk = :d", {":d": "DRAWS"}, index="gsi1"):
            winners = draw.get("winners") or []
            if not any(
                w.get("entrant_id") == person
                and any(w.get(f) is not None for f in _PERSONAL_ENTRY_FIELDS)
                for w in winners
            ):
                continue
            scrubbed = [
                {**w, **dict.fromkeys(_PERSONAL_ENTRY_FIELDS)}
                if w.get("entrant_id") == person
                else w
                for w in winners
            ]
            # Nested None values are written as DynamoDB NULLs: the public shape keeps its keys.
            self.table.update(
                draw["pk"],
                draw["sk"],
                "SET winners = :w",
                values={":w": scrubbed},
                condition="attribute_exists(pk)",
            )
