"""The adapters behind moderation's ports: the table (photos, audit, entries), S3, SES."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from functions.moderation.models import QueueStatus
from shared import audit, entries, photos
from shared.aws import client
from shared.dynamo import Item, Table, TransactionConflict, decode_cursor, encode_cursor
from shared.mail import Email, send
from shared.observability import logger
from shared.photos import Status

SIGNED_URL_TTL_S = 15 * 60


class DynamoPhotoStore:
    def __init__(self, table: Table, cursor_key: bytes) -> None:
        self.table = table
        self.cursor_key = cursor_key

    def get(self, photo_id: str) -> Item | None:
        return photos.get_photo(self.table, photo_id, consistent=True)

    def decide(
        self, photo: Item, to: Status, *, set_fields: dict[str, Any], remove: tuple[str, ...],
        flagged: bool, audit: Item,
    ) -> None:
        photos.move_with(
            self.table, photo, leaving=photos.DECIDABLE, to=to, puts=[audit],
            set_fields=set_fields, remove=remove, flagged=flagged,
            expected_version=int(photo["version"]),
        )

    def page(
        self, status: QueueStatus, *, limit: int, cursor: str | None
    ) -> tuple[list[Item], str | None]:
        scope = f"admin-photos:{status}"
        start = decode_cursor(cursor, secret=self.cursor_key, scope=scope)
        items, last = photos.queue_page(self.table, Status(status), limit=limit, start_key=start)
        return items, encode_cursor(last, secret=self.cursor_key, scope=scope)

    def trail(self, photo_id: str) -> list[dict[str, Any]]:
        return audit.trail(self.table, f"PHOTO#{photo_id}")


class S3Media:
    """Approved copies under public/ (behind the CDN); everything else only by signed URL."""

    def __init__(self, bucket: str, base_url: str) -> None:
        self.bucket = bucket
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"

    def publish(self, photo_id: str) -> None:
        s3 = client("s3")
        private = photos.derivative_keys(photo_id)
        public = photos.derivative_keys(photo_id, "public")
        for kind, key in private.items():
            # REPLACE: the private derivative's year-long immutable Cache-Control must not reach
            # browsers, as a takedown could never take back what they hold.
            s3.copy_object(Bucket=self.bucket, Key=public[kind],
                           CopySource={"Bucket": self.bucket, "Key": key},
                           MetadataDirective="REPLACE",
                           ContentType=photos.DERIVATIVE_CONTENT_TYPE,
                           CacheControl=photos.PUBLIC_CACHE_CONTROL)

    def unpublish(self, photo_id: str) -> bool:
        s3 = client("s3")
        listed = s3.list_objects_v2(Bucket=self.bucket, Prefix=f"public/{photo_id}/")
        keys = [obj["Key"] for obj in listed.get("Contents", [])]
        if not keys:
            return False
        s3.delete_objects(Bucket=self.bucket, Delete={
            "Objects": [{"Key": key} for key in keys], "Quiet": True,
        })
        return True

    def urls(self, photo: Item) -> tuple[str | None, str | None]:
        photo_id = photo["photo_id"]
        if photo["status"] == Status.APPROVED:
            public = photos.derivative_keys(photo_id, "public")
            return self.base_url + public["display"], self.base_url + public["thumb"]
        if photo["status"] in (Status.AWAITING_UPLOAD, Status.PROCESSING, Status.FAILED):
            return None, None  # no derivatives yet (or ever)
        private = photos.derivative_keys(photo_id)
        s3 = client("s3")
        signed = [
            str(s3.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": private[kind]},
                ExpiresIn=SIGNED_URL_TTL_S,
            ))
            for kind in ("display", "thumb")
        ]
        return signed[0], signed[1]


class TableDraw:
    """Draw entries through `shared.entries`: one per person per day, only while the day is open."""

    def __init__(self, table: Table, *, ttl: int, clock: Callable[[], datetime]) -> None:
        self.table, self.ttl, self.clock = table, ttl, clock

    def enter(self, photo: Item) -> bool:
        return entries.record_entry(self.table, entries.Entry(
            day=photo["day"], entrant_id=photo["person"], display_name=photo["display_name"],
            school=photo["school"], photo_id=photo["photo_id"],
        ), now=self.clock(), ttl=self.ttl)

    def withdraw(self, photo: Item) -> None:
        """An entry resting on a rejected photo moves to another approved photo of the same
        person and day, or goes; never once the day is drawn (its entrants are published)."""
        day, person, photo_id = photo["day"], photo["person"], photo["photo_id"]
        key = {"pk": entries.day_pk(day), "sk": f"ENTRY#{person}"}
        others = [
            p for p in self.table.query_all(
                "gsi3pk = :p AND begins_with(gsi3sk, :kind)",
                {":p": f"PERSON#{person}", ":kind": "PHOTO#"}, index="gsi3",
            )
            if p.get("status") == Status.APPROVED and p.get("day") == day
            and p.get("photo_id") != photo_id
        ]
        still_open = {"ConditionCheck": {
            "Key": {"pk": entries.day_pk(day), "sk": "DRAW"},
            "ConditionExpression": "#s = :open",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":open": "open"},
        }}
        change: dict[str, Any]
        if others:
            other = others[0]
            change = {"Update": {
                "Key": key,
                "UpdateExpression": "SET photo_id = :new, display_name = :n, school = :s",
                "ConditionExpression": "photo_id = :old",
                "ExpressionAttributeValues": {":new": other["photo_id"], ":old": photo_id,
                                              ":n": other["display_name"], ":s": other["school"]},
            }}
        else:
            change = {"Delete": {
                "Key": key,
                "ConditionExpression": "photo_id = :old",
                "ExpressionAttributeValues": {":old": photo_id},
            }}
        try:
            self.table.transact([still_open, change])
        except TransactionConflict as exc:
            # No entry on this photo (nothing to take back), or the day is already drawn.
            logger.info("draw entry kept", photo_id=photo_id, reasons=exc.reasons)
            return
        logger.info("draw entry withdrawn", photo_id=photo_id, moved=bool(others))


def mailer(table: Table, *, sender: str, configuration_set: str | None) -> Any:
    def _send(person: str, email: Email) -> bool:
        return send(table, sender, person, email, purpose="photo-decision",
                    configuration_set=configuration_set)

    return _send
