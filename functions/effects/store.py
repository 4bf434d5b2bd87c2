"""The adapters behind the settle effect's ports (`settle.py`): the table and CloudFront (the
public copies are `shared.media.S3Media`'s, the one adapter of the media bucket)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from shared import entries, outbox, photos
from shared.aws import client
from shared.cdn import paths
from shared.dynamo import ConditionFailed, Table, TransactionConflict
from shared.observability import logger
from shared.photo_records import PhotoRecord
from shared.photos import Status


class TablePhotos:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, photo_id: str) -> PhotoRecord | None:
        item = photos.get_photo(self.table, photo_id, consistent=True)
        return None if item is None else PhotoRecord.of(item)

    def go_live(self, photo: PhotoRecord) -> None:
        photos.go_live(self.table, photo.item)  # as read: pinned to its version


class CloudFrontPaths:
    """The exact paths of a photo (`shared.cdn.paths`); none locally (no distribution)."""

    def __init__(self, distribution_id: str | None) -> None:
        self.distribution_id = distribution_id

    def invalidate(self, photo_id: str, *, reference: str) -> None:
        if not self.distribution_id:
            return
        items = paths(photo_id)
        # Any refusal (throttled, too many in flight) fails the effect and is retried: a
        # takedown the CDN keeps serving is no takedown. The same reference is the same request.
        client("cloudfront").create_invalidation(
            DistributionId=self.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(items), "Items": items},
                "CallerReference": reference,
            },
        )
        logger.info("cdn invalidated", photo_id=photo_id)


class TableOwed:
    """Effects owed by performing another: put once (`attribute_not_exists`)."""

    def __init__(self, table: Table, *, clock: Callable[[], datetime]) -> None:
        self.table, self.clock = table, clock

    def owe(self, effect: outbox.Effect) -> None:
        try:
            self.table.put(
                outbox.item(effect, now=self.clock()), condition="attribute_not_exists(pk)"
            )
        except ConditionFailed:  # owed by an earlier try of the same settle (maybe sent since)
            logger.info("effect already owed", effect_id=effect.effect_id)


class TableDraw:
    """Draw entries through `shared.entries`: one per person per day, only while the day is open."""

    def __init__(self, table: Table, *, ttl: int, clock: Callable[[], datetime]) -> None:
        self.table, self.ttl, self.clock = table, ttl, clock

    def enter(self, photo: PhotoRecord) -> bool:
        return entries.record_entry(
            self.table,
            entries.Entry(
                day=photo.day,
                entrant_id=_person(photo),
                display_name=photo.display_name,
                school=photo.school,
                photo_id=photo.photo_id,
            ),
            now=self.clock(),
            ttl=self.ttl,
        )

    def withdraw(self, photo: PhotoRecord) -> None:
        """An entry resting on a rejected photo moves to another approved photo of the same
        person and day, or goes; never once the day is drawn (its entrants are published)."""
        day, photo_id = photo.day, photo.photo_id
        still_open = {
            "ConditionCheck": {
                "Key": {"pk": entries.day_pk(day), "sk": "DRAW"},
                "ConditionExpression": "#s = :open",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":open": "open"},
            }
        }
        others = self._other_approved(photo)
        try:
            self.table.transact([still_open, _moved_or_gone(photo, others[0] if others else None)])
        except TransactionConflict as exc:
            # No entry on this photo (nothing to take back), or the day is already drawn.
            logger.info("draw entry kept", photo_id=photo_id, reasons=exc.reasons)
            return
        logger.info("draw entry withdrawn", photo_id=photo_id, moved=bool(others))

    def _other_approved(self, photo: PhotoRecord) -> list[PhotoRecord]:
        """The person's other approved photos of the same day (their public archive items
        share the index: only the records are read)."""
        found = self.table.query_all(
            "gsi3pk = :p AND begins_with(gsi3sk, :kind)",
            {":p": f"PERSON#{_person(photo)}", ":kind": "PHOTO#"},
            index="gsi3",
        )
        records = [PhotoRecord.of(item) for item in found if item.get("sk") == photos.PHOTO_SK]
        return [
            p
            for p in records
            if p.status == Status.APPROVED and p.day == photo.day and p.photo_id != photo.photo_id
        ]


def _person(photo: PhotoRecord) -> str:
    """The uploader's id: every processed photo has one (a draw port never sees another)."""
    if photo.person is None:
        raise ValueError(f"photo {photo.photo_id} has no uploader")
    return photo.person


def _moved_or_gone(photo: PhotoRecord, other: PhotoRecord | None) -> dict[str, Any]:
    key = {"pk": entries.day_pk(photo.day), "sk": f"ENTRY#{_person(photo)}"}
    if other is not None:
        return {
            "Update": {
                "Key": key,
                "UpdateExpression": "SET photo_id = :new, display_name = :n, school = :s",
                "ConditionExpression": "photo_id = :old",
                "ExpressionAttributeValues": {
                    ":new": other.photo_id,
                    ":old": photo.photo_id,
                    ":n": other.display_name,
                    ":s": other.school,
                },
            }
        }
    return {
        "Delete": {
            "Key": key,
            "ConditionExpression": "photo_id = :old",
            "ExpressionAttributeValues": {":old": photo.photo_id},
        }
    }
