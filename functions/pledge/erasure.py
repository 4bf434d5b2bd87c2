"""Erasure of one person's data, everywhere, found through the person index (gsi3).

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
from datetime import datetime
from typing import Any

from functions.pledge.models import Erased
from functions.pledge.store import counters_update
from shared import outbox
from shared.audit import record
from shared.cdn import paths as cdn_paths
from shared.dynamo import Item, Table, TransactionConflict
from shared.editions import counter_op, photo_ops
from shared.entries import day_pk
from shared.observability import logger
from shared.photos import PUBLIC_SK

_PERSONAL_ENTRY_FIELDS = ("display_name", "school", "photo_id")
_COUNTED = {"SIGNUP": "signups", "MESSAGE": "messages", "RATE": "rate_limits", "PACK": "packs"}


class Eraser:
    def __init__(self, table: Table, s3: Any, bucket: str) -> None:
        self.table, self.s3, self.bucket = table, s3, bucket  # S3 only lists, to count files

    def erase(self, person: str, *, actor: str, now: datetime) -> Erased:
        counts = Erased()
        items = self.table.query_all("gsi3pk = :p", {":p": f"PERSON#{person}"}, index="gsi3")
        erased_photos: set[str] = set()
        for item in items:
            kind, _, ident = str(item.get("gsi3sk", "")).partition("#")
            if kind == "PHOTO":
                # A photo's record and its public archive item (`PHOTO#<id>#PUBLIC`, which
                # outlives the record) are one photo.
                ident = ident.split("#", 1)[0]
                if ident in erased_photos:
                    continue
                erased_photos.add(ident)
                counts.photos += 1
                counts.files += self._erase_photo(item, ident, now=now)
                record(self.table, f"PHOTO#{ident}", at=now, actor=actor, action="erased")
            elif kind == "PLEDGE":
                counts.pledges += self._erase_pledge(item)
            elif kind == "ENTRY":
                counts.draw_entries += self._erase_entry(item)
            elif kind == "MESSAGE" and item.get("status") == "approved":
                counts.messages += self._erase_published(item)
            else:  # sign-ups, tokens, messages, counters and any other personal item
                counts.files += self._delete_files(item.get("files", []), now=now)
                if self.table.delete(item["pk"], item["sk"]) is not None and kind in _COUNTED:
                    setattr(counts, _COUNTED[kind], getattr(counts, _COUNTED[kind]) + 1)
        self._scrub_winners(person)
        record(self.table, f"PERSON#{person}", at=now, actor=actor, action="erasure",
               detail=json.dumps(counts.model_dump(), sort_keys=True))
        logger.info("person erased", erased=counts.model_dump())
        return counts

    # -- photos ------------------------------------------------------------------------------
    def _erase_photo(self, item: Item, photo_id: str, *, now: datetime) -> int:
        """Owe the deletion of the photo's files and its exact CDN paths, then delete its
        partition (record, reports: off the gallery), the record last. Counts its files."""
        prefixes = [f"private/{photo_id}/", f"public/{photo_id}/"]
        keys = set(self._existing(item.get("files", [])))
        for prefix in prefixes:
            keys.update(self._listed(prefix))
        raw = f"incoming/{photo_id}"
        keys.update(k for k in self._listed(raw) if k == raw)
        # The prefixes too: a derivative written after this listing goes as well. Every CDN
        # path of the photo: its images, its share page and the cached API read of it.
        self._owe_deletion([*sorted(keys | set(item.get("files", []))), raw], prefixes,
                           cdn_paths(photo_id), now=now)
        parts = self.table.query_all("pk = :pk", {":pk": item["pk"]}, consistent=True)
        for part in sorted(parts, key=lambda p: p["sk"] == item["sk"]):
            if part["sk"] == PUBLIC_SK:
                self._erase_public(part)
            else:
                self.table.delete(part["pk"], part["sk"])
        return len(keys)

    def _erase_public(self, part: Item) -> None:
        """The public archive item goes with the edition's counters, in one transaction."""
        for _attempt in range(5):
            try:
                self.table.transact([
                    {"Delete": {"Key": {"pk": part["pk"], "sk": part["sk"]},
                                "ConditionExpression": "attribute_exists(pk)"}},
                    *photo_ops(self.table, part, -1),
                ])
                return
            except TransactionConflict as exc:
                if self.table.get(part["pk"], part["sk"], consistent=True) is None:
                    return  # gone meanwhile (a takedown or another erasure counted it)
                logger.info("archive erasure raced, retrying", reasons=exc.reasons)
        raise TransactionConflict(["TransactionConflict"])

    def _delete_files(self, files: Iterable[str], *, now: datetime) -> int:
        keys = set(self._existing(files))
        if keys:
            self._owe_deletion(sorted(keys), [], [], now=now)
        return len(keys)

    def _owe_deletion(self, keys: list[str], prefixes: list[str], paths: list[str], *,
                      now: datetime) -> None:
        owed = outbox.effect("delete_files", {"keys": sorted(set(keys)), "prefixes": prefixes,
                                              "invalidate": paths})
        outbox.commit(self.table, [], [owed], now=now)

    def _listed(self, prefix: str) -> list[str]:
        keys: list[str] = []
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return keys

    def _existing(self, files: Iterable[str]) -> list[str]:
        return [key for key in files if key in self._listed(key)]

    # -- pledges -----------------------------------------------------------------------------
    def _erase_pledge(self, item: Item) -> int:
        """Delete the pledge and take it off the counters, together or not at all."""
        try:
            self.table.transact([
                {"Delete": {"Key": {"pk": item["pk"], "sk": item["sk"]},
                            "ConditionExpression": "attribute_exists(pk)"}},
                counters_update(item["role"], -1),
                counter_op(str(item.get("edition") or str(item["created_at"])[:4]),
                           {"pledges": -1}),
            ])
        except TransactionConflict:
            return 0  # already gone (a concurrent erasure counted it)
        return 1

    def _erase_published(self, item: Item) -> int:
        """A published message goes with its edition's `messages` count, together."""
        try:
            self.table.transact([
                {"Delete": {"Key": {"pk": item["pk"], "sk": item["sk"]},
                            "ConditionExpression": "#s = :approved",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": {":approved": "approved"}}},
                counter_op(str(item.get("edition") or str(item["created_at"])[:4]),
                           {"messages": -1}),
            ])
        except TransactionConflict:
            # Unpublished or gone meanwhile: delete whatever is left, uncounted.
            return int(self.table.delete(item["pk"], item["sk"]) is not None)
        return 1

    # -- draw entries ------------------------------------------------------------------------
    def _erase_entry(self, item: Item) -> int:
        day = str(item["gsi3sk"]).split("#", 1)[1]
        try:
            self.table.transact([
                {"ConditionCheck": {
                    "Key": {"pk": day_pk(day), "sk": "DRAW"},
                    "ConditionExpression": "#s = :open",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":open": "open"},
                }},
                {"Delete": {"Key": {"pk": item["pk"], "sk": item["sk"]},
                            "ConditionExpression": "attribute_exists(pk)"}},
            ])
            return 1
        except TransactionConflict:
            pass
        # A drawn day: the entrant stays (the entrants hash must still match) as a pseudonym.
        self.table.update(
            item["pk"], item["sk"],
            "REMOVE " + ", ".join((*_PERSONAL_ENTRY_FIELDS, "gsi3pk", "gsi3sk")),
        )
        return 1

    def _scrub_winners(self, person: str) -> None:
        for draw in self.table.query_all("gsi1pk = :d", {":d": "DRAWS"}, index="gsi1"):
            winners = draw.get("winners") or []
            if not any(w.get("entrant_id") == person and
                       any(w.get(f) is not None for f in _PERSONAL_ENTRY_FIELDS)
                       for w in winners):
                continue
            scrubbed = [
                {**w, **dict.fromkeys(_PERSONAL_ENTRY_FIELDS)}
                if w.get("entrant_id") == person else w
                for w in winners
            ]
            # Nested None values are written as DynamoDB NULLs: the public shape keeps its keys.
            self.table.update(
                draw["pk"], draw["sk"], "SET winners = :w",
                values={":w": scrubbed},
                condition="attribute_exists(pk)",
            )

