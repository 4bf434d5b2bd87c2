"""The adapter behind moderation's store port: the table (photos, audit, the outbox).

Images are `shared.media.S3Media`'s (the one adapter of the media bucket): organisers' URLs.

A decision's side effects (public copies, CDN, draw entry, the uploader's email) are not done
here: the decision owes them in its own transaction (`shared.outbox`), and the outbox consumer
performs them (`functions/effects/settle.py`).
"""

from __future__ import annotations

from typing import Any

from functions.moderation.logic import Decision
from functions.moderation.models import QueueStatus
from shared import audit, outbox, photos
from shared.dynamo import (
    ConditionFailed,
    Table,
    TransactionConflict,
    decode_cursor,
    encode_cursor,
)
from shared.photo_records import PhotoRecord
from shared.photos import Status


class DynamoPhotoStore:
    def __init__(self, table: Table, cursor_key: bytes) -> None:
        self.table = table
        self.cursor_key = cursor_key

    def get(self, photo_id: str) -> PhotoRecord | None:
        item = photos.get_photo(self.table, photo_id, consistent=True)
        return None if item is None else PhotoRecord.of(item)

    def decide(self, photo: PhotoRecord, decision: Decision) -> None:
        read = photo.version
        operations = photos.move_ops(
            self.table,
            photo.item,  # as read: the write is pinned to its version
            leaving=photos.DECIDABLE,
            to=decision.to,
            puts=[decision.audit],
            set_fields=decision.set_fields,
            remove=decision.remove,
            flagged=photo.flagged,
            expected_version=read,
        )
        owed = outbox.settle_photo(
            photo.photo_id, version=read + 1, announce=decision.announce, person=photo.person
        )
        try:
            # A lost answer is settled by the effect's own item: committed, or not at all.
            outbox.commit(self.table, operations, [owed], now=decision.now)
        except TransactionConflict as exc:
            raise ConditionFailed(None) from exc

    def page(
        self, status: QueueStatus, *, limit: int, cursor: str | None
    ) -> tuple[list[PhotoRecord], str | None]:
        scope = f"admin-photos:{status}"
        start = decode_cursor(cursor, secret=self.cursor_key, scope=scope)
        items, last = photos.queue_page(self.table, Status(status), limit=limit, start_key=start)
        return [PhotoRecord.of(item) for item in items], encode_cursor(
            last, secret=self.cursor_key, scope=scope
        )

    def trail(self, photo_id: str) -> list[dict[str, Any]]:
        return audit.trail(self.table, f"PHOTO#{photo_id}")
