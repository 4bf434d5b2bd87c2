"""Processing an upload: one created object → derivatives and a photo awaiting moderation, once.

Plain functions, the processing half of the upload domain (`logic.py` is the API's half).
Storage comes in as the table (shared.photos speaks to it with conditional writes) and
`UploadMedia` (the bucket, a port); image decoding and pre-screening come in as callables, so
this module never imports boto3 or Pillow. Every state change is a write conditioned on the
state it leaves: duplicate, late and replayed events change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from functions.upload.events import S3Object
from functions.upload.reasons import ImageRefused, Reason, explain
from functions.upload.settings import ProcessorSettings
from shared import audit, photos
from shared.dynamo import ConditionFailed, Item, Table
from shared.media import (
    DERIVATIVE_CONTENT_TYPE,
    Missing,
    TooBig,
    UploadMedia,
    derivative_keys,
    photo_id_of,
)
from shared.observability import logger
from shared.people import retention_ttl
from shared.photo_records import PhotoRecord
from shared.photos import Status
from shared.types import iso

SIZE_SLACK = 0  # the form's content-length-range is exact; S3 enforces it in the cloud
SYSTEM = "system"


class Processed(Protocol):
    @property
    def display(self) -> bytes: ...
    @property
    def thumbnail(self) -> bytes: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def source_format(self) -> str: ...


ImageProcessor = Callable[[bytes], Processed]
Prescreen = Callable[[bytes, str], dict[str, Any]]


@dataclass(frozen=True)
class Ports:
    """What processing works with, built once per cold start (`processor.py`)."""

    table: Table
    media: UploadMedia
    settings: ProcessorSettings
    process_image: ImageProcessor
    prescreen: Prescreen
    clock: Callable[[], datetime]


def process_upload(ports: Ports, obj: S3Object) -> str:
    """Turn one uploaded object into derivatives and a photo awaiting moderation, once.

    Returns what happened (for logs and tests). Raises for anything that is not the file's
    fault, so the queue retries; the dead-letter queue ends such an upload as `failed`.
    """
    photo_id = photo_id_of(obj.key)
    if photo_id is None:
        logger.warning("object outside the upload layout ignored")
        return "ignored"
    item, outcome = _claim(ports, photo_id, obj)
    if item is None:
        return outcome
    photo = PhotoRecord.of(item)
    result = _derive(ports, item, photo, obj)
    if result is None:
        return "failed"

    keys = derivative_keys(photo_id, "private")
    ports.media.write(keys["display"], result.display, content_type=DERIVATIVE_CONTENT_TYPE)
    ports.media.write(keys["thumb"], result.thumbnail, content_type=DERIVATIVE_CONTENT_TYPE)
    screened = ports.prescreen(result.display, photo.caption)
    flagged = photos.is_flagged({"prescreen": screened})
    try:
        _await_moderation(ports, item, result, keys, screened, flagged)
    except ConditionFailed:
        # A duplicate of this same event finished first: the derivatives are the same bytes.
        logger.info("processing finished by another delivery", photo_id=photo_id)
        return "raced"
    ports.media.delete([obj.key])  # data minimisation: only the re-encoded derivatives remain
    logger.info("upload processed", photo_id=photo_id, flagged=flagged)
    return "processed"


def _await_moderation(
    ports: Ports,
    item: Item,
    result: Processed,
    keys: dict[str, str],
    screened: dict[str, Any],
    flagged: bool,
) -> None:
    """processing → pending_moderation with its derivatives and pre-screen, audited."""
    subject = photos.photo_pk(item["photo_id"])
    at, ttl = ports.clock(), retention_ttl(ports.settings)
    photos.move_with(
        ports.table,
        item,
        leaving=(Status.PROCESSING,),
        to=Status.PENDING_MODERATION,
        set_fields={
            "width": result.width,
            "height": result.height,
            "files": [keys["display"], keys["thumb"]],
            "prescreen": screened,
            "source_format": result.source_format,
            "processed_at": iso(at),
        },
        remove=("claim",),
        flagged=flagged,
        puts=[
            audit.audit_item(
                subject,
                at=at,
                actor=SYSTEM,
                action="processed",
                detail=f"{result.source_format} → {result.width}x{result.height}",
                ttl=ttl,
            ),
            audit.audit_item(
                subject,
                at=at + timedelta(microseconds=1),
                actor=SYSTEM,
                action="prescreened",
                detail=f"{screened.get('status')}: " + "; ".join(screened.get("flags", [])),
                ttl=ttl,
            ),
        ],
    )


def _claim(ports: Ports, photo_id: str, obj: S3Object) -> tuple[Item | None, str]:
    """The photo, claimed for processing this object; or None and why not."""
    item = photos.get_photo(ports.table, photo_id, consistent=True)
    if item is None:  # its reservation expired: nothing may ever be made of it
        ports.media.delete([obj.key])
        return None, "unknown"
    try:
        return photos.claim_processing(
            ports.table, item, claim=obj.claim, ttl=retention_ttl(ports.settings)
        ), "claimed"
    except ConditionFailed as exc:
        current = exc.item or item
    if current.get("status") == Status.PROCESSING:
        logger.info("upload already being processed", photo_id=photo_id)
        return None, "busy"
    # Past processing: a duplicate or late event, or a form used twice. What was made from the
    # first upload stays as it is (derivatives are never touched); the new object is a stray.
    ports.media.delete([obj.key])
    logger.info(
        "event for a photo past processing", photo_id=photo_id, status=current.get("status")
    )
    return None, "stale"


def _derive(ports: Ports, item: Item, photo: PhotoRecord, obj: S3Object) -> Processed | None:
    """The derivatives of the claimed object, or None once the photo is marked failed."""
    reserved = photo.size_bytes
    max_bytes = (ports.settings.max_upload_bytes if reserved is None else reserved) + SIZE_SLACK
    try:
        try:
            data = ports.media.read(obj.key, max_bytes=max_bytes)
        except TooBig:
            raise ImageRefused(Reason.TOO_LARGE) from None
        except Missing:
            # Gone while we held the claim (the lifecycle rule, or a racing duplicate that
            # finished): if the photo is still ours, it can't be made any more.
            raise ImageRefused(Reason.NOT_PROCESSED) from None
        return ports.process_image(data)
    except ImageRefused as refused:
        _fail(ports, item, refused.reason, obj.key)
        return None


def _fail(ports: Ports, item: Item, reason: Reason, key: str) -> None:
    try:
        photos.move_with(
            ports.table,
            item,
            leaving=(Status.PROCESSING,),
            to=Status.FAILED,
            set_fields={"reason": explain(reason), "reason_code": reason.value, "files": []},
            remove=("claim",),
            puts=[
                audit.audit_item(
                    photos.photo_pk(item["photo_id"]),
                    at=ports.clock(),
                    actor=SYSTEM,
                    action="failed",
                    detail=reason.value,
                    ttl=item.get("ttl"),
                )
            ],
        )
    except ConditionFailed:
        logger.info("failure already recorded", photo_id=item["photo_id"])
        return
    # the original, and anything an earlier, crashed attempt may have written
    ports.media.delete([key, *derivative_keys(item["photo_id"], "private").values()])
    logger.info("upload failed", photo_id=item["photo_id"], reason=reason.value)


@dataclass(frozen=True)
class DeadLetterPorts:
    """What the dead-letter consumer works with, built once per cold start (`failures.py`)."""

    table: Table
    clock: Callable[[], datetime]


def fail_dead_letter(ports: DeadLetterPorts, photo_id: str) -> bool:
    """A message ran out of retries: end its photo `failed` unless it already moved on."""
    item = photos.get_photo(ports.table, photo_id, consistent=True)
    if item is None:
        return False
    reason = Reason.NOT_PROCESSED
    try:
        photos.move_with(
            ports.table,
            item,
            leaving=(Status.AWAITING_UPLOAD, Status.PROCESSING),
            to=Status.FAILED,
            set_fields={"reason": explain(reason), "reason_code": reason.value},
            remove=("claim",),
            puts=[
                audit.audit_item(
                    photos.photo_pk(photo_id),
                    at=ports.clock(),
                    actor=SYSTEM,
                    action="failed",
                    detail="retries exhausted (dead-letter queue)",
                )
            ],
        )
    except ConditionFailed:
        return False
    logger.warning("upload failed after retries", photo_id=photo_id)
    return True
