"""The upload API's domain: reservations, statuses, the gallery and reports.

Processing an upload is the other half of the domain (`processing.py`). Plain functions.
Storage comes in as the table (shared.photos speaks to it with conditional writes) and `Media`
(the bucket, a port), so this module never imports boto3. Every state change is a write
conditioned on the state it leaves: duplicate, late and replayed events change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from functions.upload.models import GalleryPhoto, UploadCreated, UploadForm, UploadIn, UploadState
from functions.upload.reasons import Reason, explain
from functions.upload.settings import UploadApiSettings
from shared import audit, outbox, photos
from shared.dynamo import (
    Item,
    Table,
    TransactionConflict,
    decode_cursor,
    encode_cursor,
)
from shared.edition_query import current_edition
from shared.errors import NotFound, RateLimited, TooLarge
from shared.http import ListPage
from shared.media import UploadMedia as Media
from shared.media import derivative_keys, incoming_key
from shared.observability import logger
from shared.people import calendar_of, person_id, retention_ttl
from shared.photo_records import PhotoRecord, PublicPhotoRecord
from shared.photos import Status
from shared.ratelimit import hit, ip_key
from shared.secret import cursor_key
from shared.types import is_id, iso, new_id

HOUR = 3600
DAY = 86400
# An abandoned reservation disappears a day after its form expired (the TTL is lazy anyway);
# processing replaces this TTL with the retention horizon.
RESERVATION_GRACE_S = DAY
MAX_REPORTS_KEPT = 50
MAX_ATTEMPTS = 5
GALLERY_SCOPE = "gallery"
DEFAULT_REJECTION = "An organiser decided not to publish this photo."


@dataclass(frozen=True)
class Ports:
    """What the API's domain works with, built once per cold start (`handler.py`)."""

    table: Table
    media: Media
    settings: UploadApiSettings


def _subject(photo_id: str) -> str:
    return f"PHOTO#{photo_id}"


def _epoch(instant: datetime) -> int:
    return int(instant.timestamp())


# -- rate limits -------------------------------------------------------------------------------
def limit_ip(table: Table, config: UploadApiSettings, ip: str, now: datetime) -> str:
    """Count one write for this client IP (shared with every write route); its pseudonym."""
    key = ip_key(config, ip)
    hit(table, key, config.writes_per_ip_per_hour, HOUR, now)
    return key.removeprefix("IP#")


def limit_person_day(
    table: Table, config: UploadApiSettings, person: str, day: str, now: datetime
) -> None:
    """At most `uploads_per_email_per_day` reservations per person and event day.

    The key names the event day, so one counter covers the whole London day: we pass a fixed
    instant of that date so the fixed window never splits it at UTC midnight (BST), and answer
    Retry-After with the time left until the London day ends.
    """
    anchor = datetime.combine(datetime.fromisoformat(day).date(), time(12), tzinfo=UTC)
    try:
        hit(
            table,
            f"UPLOAD#{person}#{day}",
            config.uploads_per_email_per_day,
            DAY,
            anchor,
            person=person,
        )
    except RateLimited as exc:
        ends = calendar_of(config).day_ends_at(datetime.fromisoformat(day).date())
        raise RateLimited(
            "You've reached today's upload limit: please upload more photos tomorrow.",
            retry_after_s=max(1, int((ends - now).total_seconds())),
        ) from exc


# -- reservations ------------------------------------------------------------------------------
def reserve(
    table: Table, media: Media, config: UploadApiSettings, body: UploadIn, *, ip: str, now: datetime
) -> UploadCreated:
    """Store the photo `awaiting_upload` and hand back a single-use upload form.

    Uploads made outside the event window are accepted (the gallery is open all year); they are
    simply never entries, as the draw only considers event days.
    """
    if body.size_bytes > config.max_upload_bytes:
        raise TooLarge(
            f"Photos can be at most {config.max_upload_bytes // (1024 * 1024)} MiB: "
            "please choose a smaller one."
        )
    ip_hash = limit_ip(table, config, ip, now)
    person = person_id(config, body.email)
    day = calendar_of(config).day_of(now).isoformat()
    limit_person_day(table, config, person, day, now)

    photo_id = new_id()
    expires = now + timedelta(seconds=config.upload_form_ttl_s)
    item = photos.new_photo_item(
        photo_id=photo_id,
        person=person,
        **body.model_dump(exclude={"consent"}),  # the uploader's details, as sent
        day=day,
        now=now,
        ttl=_epoch(expires) + RESERVATION_GRACE_S,
        ip_hash=ip_hash,
        edition=current_edition(config),
    )
    photos.reserve(table, item)
    audit.record(
        table,
        _subject(photo_id),
        at=now,
        actor="uploader",
        action="uploaded",
        detail=f"reserved {body.content_type}, {body.size_bytes} bytes",
        ttl=retention_ttl(config),
    )
    url, fields = media.presigned_post(
        incoming_key(photo_id),
        content_type=body.content_type,
        max_bytes=body.size_bytes,
        expires_s=config.upload_form_ttl_s,
    )
    logger.info("upload reserved", photo_id=photo_id, day=day)
    return UploadCreated(
        photo_id=photo_id, upload=UploadForm(url=url, fields=fields), expires_at=iso(expires)
    )


def upload_state(table: Table, photo_id: str) -> UploadState:
    item = photos.get_photo(table, photo_id) if is_id(photo_id) else None
    if item is None:
        raise NotFound("No such upload.")
    photo = PhotoRecord.of(item)
    status = photo.status
    if status == Status.REPORTED:  # the uploader sees a photo under review, not why
        status = Status.PENDING_MODERATION
    reason = None
    if status == Status.FAILED:
        reason = photo.reason or explain(Reason.NOT_PROCESSED)
    elif status == Status.REJECTED:
        reason = photo.reason or DEFAULT_REJECTION
    return UploadState.model_validate(
        {"photo_id": photo.photo_id, "status": status.value, "reason": reason}
    )


# -- the gallery -------------------------------------------------------------------------------
def media_url(config: UploadApiSettings, key: str) -> str:
    return config.media_base_url.rstrip("/") + "/" + key


def gallery_item(config: UploadApiSettings, item: Item) -> GalleryPhoto:
    photo = PublicPhotoRecord.of(item)
    keys = derivative_keys(photo.photo_id, "public")
    return GalleryPhoto(
        photo_id=photo.photo_id,
        caption=photo.caption,
        display_name=photo.display_name,
        school=photo.school,
        uploaded_at=photo.uploaded_at,
        image_url=media_url(config, keys["display"]),
        thumbnail_url=media_url(config, keys["thumb"]),
        width=photo.width,
        height=photo.height,
    )


def gallery(
    table: Table, config: UploadApiSettings, *, limit: int, cursor: str | None, edition: str
) -> ListPage[GalleryPhoto]:
    """An edition's approved photos, newest upload first: one Query per page, a signed cursor
    (scoped to the edition: a cursor of one year's gallery can't page through another's)."""
    secret = cursor_key(config.table_name)
    scope = f"{GALLERY_SCOPE}:{edition}"
    start = decode_cursor(cursor, secret=secret, scope=scope)
    items, last = photos.gallery_page(table, edition=edition, limit=limit, start_key=start)
    return ListPage[GalleryPhoto](
        items=[gallery_item(config, i) for i in items],
        next_cursor=encode_cursor(last, secret=secret, scope=scope),
    )


def gallery_photo(table: Table, config: UploadApiSettings, photo_id: str) -> GalleryPhoto:
    # The public archive item: there while approved, also after the record's retention ended.
    item = photos.get_public(table, photo_id) if is_id(photo_id) else None
    if item is None:
        raise NotFound("No such photo in the gallery.")
    return gallery_item(config, item)


# -- reports -----------------------------------------------------------------------------------
def limit_reports(table: Table, config: UploadApiSettings, ip: str, now: datetime) -> None:
    """Reports hide photos, so they have a tighter per-IP limit of their own."""
    try:
        hit(table, ip_key(config, ip, "REPORTS"), config.reports_per_ip_per_hour, HOUR, now)
    except RateLimited as exc:
        raise RateLimited(
            "You've sent a lot of reports from here recently: please try again later.",
            retry_after_s=exc.retry_after_s,
        ) from exc


def report(
    table: Table,
    config: UploadApiSettings,
    photo_id: str,
    reason: str,
    *,
    ip: str,
    now: datetime,
) -> str:
    """Take a reported photo down at once, or flag it; returns what happened.

    - `hidden`: a public photo leaves the gallery at once (its archive item goes in the hide's
      transaction), first in the organisers' queue; the same transaction owes its settle effect
      (shared/outbox.py), by which the outbox deletes its public copies and makes the CDN
      forget their exact paths, retried until done;
    - `flagged`: once an organiser approved it after a report, a report puts it first in the
      approved queue (`flagged_reports`) and it stays public, so nobody can keep the gallery
      empty by reporting;
    - `ignored`: it is already out of the gallery (reported, rejected): nothing changes.

    A photo of a past edition whose record expired (retention) is still in its gallery: its
    report rebuilds the record from the public archive item (`photos.archived_record`) and
    hides it as any approved photo, in one transaction conditioned on no record existing (a
    racing report that rebuilt it first is read again: `ignored`).
    """
    ip_hash = limit_ip(table, config, ip, now)
    limit_reports(table, config, ip, now)
    entry = {"reason": reason, "at": iso(now), "ip_hash": ip_hash}
    for _attempt in range(MAX_ATTEMPTS):
        item = photos.get_photo(table, photo_id, consistent=True) if is_id(photo_id) else None
        if item is not None and item["status"] in (Status.REPORTED, Status.REJECTED):
            logger.info("report on a photo already hidden", photo_id=photo_id)
            return "ignored"
        rebuilt = item is None and is_id(photo_id)
        if rebuilt:
            archived = photos.get_public(table, photo_id)
            if archived is not None:
                item = photos.archived_record(archived, ttl=retention_ttl(config))
            elif photos.get_photo(table, photo_id, consistent=True) is not None:
                continue  # a racing report rebuilt it between our two reads: read it again
        if item is None or item["status"] != Status.APPROVED:
            raise NotFound("No such photo in the gallery.")
        cleared = bool(item.get("cleared_after_report"))
        operations, owed = _report_ops(
            table, config, item, entry, reason, cleared=cleared, rebuilt=rebuilt, now=now
        )
        try:
            outbox.transact(table, operations, owed, now=now)
        except TransactionConflict:
            continue  # another report or a decision got there first: read again
        break
    else:
        raise NotFound("No such photo in the gallery.")
    if cleared:
        logger.info("approved photo flagged by a report", photo_id=photo_id)
        return "flagged"
    logger.info("photo reported", photo_id=photo_id)
    return "hidden"


def _report_ops(
    table: Table,
    config: UploadApiSettings,
    item: Item,
    entry: dict[str, Any],
    reason: str,
    *,
    cleared: bool,
    rebuilt: bool,
    now: datetime,
) -> tuple[list[dict[str, Any]], list[outbox.Effect]]:
    """The transaction of a report of `item` (as read, or rebuilt from its archive item) and
    the effects it owes."""
    photo_id = str(item["photo_id"])
    fields: dict[str, Any] = {
        "reports": [*item.get("reports", []), entry][-MAX_REPORTS_KEPT:],
        "report_count": int(item.get("report_count", 0)) + 1,
    }
    if cleared:
        fields["flagged_reports"] = int(item.get("flagged_reports", 0)) + 1
    puts = [
        audit.audit_item(
            _subject(photo_id),
            at=now,
            actor="public",
            action="flagged" if cleared else "reported",
            detail=reason,
            ttl=retention_ttl(config),
        )
    ]
    if rebuilt:  # never cleared: no decision is left of it
        operations = photos.rebuild_ops(
            table, item, to=Status.REPORTED, set_fields=fields, puts=puts
        )
    else:
        operations = photos.move_ops(
            table,
            item,
            leaving=(Status.APPROVED,),
            to=Status.APPROVED if cleared else Status.REPORTED,
            set_fields=fields,
            flagged=cleared,
            expected_version=int(item["version"]),
            puts=puts,
        )
    # Takedown: the outbox deletes the public copies and invalidates their CDN paths.
    owed = (
        []
        if cleared
        else [
            outbox.settle_photo(
                photo_id, version=int(item["version"]) + 1, person=item.get("person")
            )
        ]
    )
    return operations, owed
