"""The upload domain: reservations, statuses, the gallery, reports, and processing an upload.

Plain functions. Storage comes in as the table (shared.photos speaks to it with conditional
writes) and `Media` (the bucket, a port); image decoding and pre-screening come in as callables,
so this module never imports boto3 or Pillow. Every state change is a write conditioned on the
state it leaves: duplicate, late and replayed events change nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol
from urllib.parse import unquote_plus

from functions.upload.models import GalleryPhoto, UploadCreated, UploadForm, UploadIn, UploadState
from functions.upload.reasons import ImageRefused, Reason, explain
from shared import audit, photos
from shared.cdn import Cdn
from shared.config import ApiConfig
from shared.dynamo import ConditionFailed, Item, Table, decode_cursor, encode_cursor
from shared.edition_query import current_edition
from shared.errors import NotFound, RateLimited, TooLarge
from shared.http import ListPage
from shared.media import (
    DERIVATIVE_CONTENT_TYPE,
    Missing,
    TooBig,
    derivative_keys,
    incoming_key,
    photo_id_of,
)
from shared.media import UploadMedia as Media
from shared.observability import logger
from shared.people import calendar_of, person_id, retention_ttl
from shared.photos import Status
from shared.ratelimit import hit, ip_key
from shared.secret import cursor_key
from shared.types import is_id, iso, new_id

HOUR = 3600
DAY = 86400
# An abandoned reservation disappears a day after its form expired (the TTL is lazy anyway);
# processing replaces this TTL with the retention horizon.
RESERVATION_GRACE_S = DAY
SIZE_SLACK = 0  # the form's content-length-range is exact; S3 enforces it in the cloud
MAX_REPORTS_KEPT = 50
MAX_ATTEMPTS = 5
GALLERY_SCOPE = "gallery"
SYSTEM = "system"
DEFAULT_REJECTION = "An organiser decided not to publish this photo."


def _subject(photo_id: str) -> str:
    return f"PHOTO#{photo_id}"


def _epoch(instant: datetime) -> int:
    return int(instant.timestamp())


# -- rate limits -------------------------------------------------------------------------------
def limit_ip(table: Table, config: ApiConfig, ip: str, now: datetime) -> str:
    """Count one write for this client IP (shared with every write route); its pseudonym."""
    key = ip_key(config, ip)
    hit(table, key, config.writes_per_ip_per_hour, HOUR, now)
    return key.removeprefix("IP#")


def limit_person_day(table: Table, config: ApiConfig, person: str, day: str,
                     now: datetime) -> None:
    """At most `uploads_per_email_per_day` reservations per person and event day.

    The key names the event day, so one counter covers the whole London day: we pass a fixed
    instant of that date so the fixed window never splits it at UTC midnight (BST), and answer
    Retry-After with the time left until the London day ends.
    """
    anchor = datetime.combine(datetime.fromisoformat(day).date(), time(12), tzinfo=UTC)
    try:
        hit(table, f"UPLOAD#{person}#{day}", config.uploads_per_email_per_day, DAY, anchor,
            person=person)
    except RateLimited as exc:
        ends = calendar_of(config).day_ends_at(datetime.fromisoformat(day).date())
        raise RateLimited(
            "You've reached today's upload limit: please upload more photos tomorrow.",
            retry_after_s=max(1, int((ends - now).total_seconds())),
        ) from exc


# -- reservations ------------------------------------------------------------------------------
def reserve(
    table: Table, media: Media, config: ApiConfig, body: UploadIn, *, ip: str, now: datetime
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
        photo_id=photo_id, person=person, email=body.email, caption=body.caption,
        display_name=body.display_name, school=body.school, content_type=body.content_type,
        size_bytes=body.size_bytes, day=day, now=now,
        ttl=_epoch(expires) + RESERVATION_GRACE_S, ip_hash=ip_hash,
        edition=current_edition(config),
    )
    photos.reserve(table, item)
    audit.record(table, _subject(photo_id), at=now, actor="uploader", action="uploaded",
                 detail=f"reserved {body.content_type}, {body.size_bytes} bytes",
                 ttl=retention_ttl(config))
    url, fields = media.presigned_post(
        incoming_key(photo_id), content_type=body.content_type,
        max_bytes=body.size_bytes, expires_s=config.upload_form_ttl_s,
    )
    logger.info("upload reserved", photo_id=photo_id, day=day)
    return UploadCreated(photo_id=photo_id, upload=UploadForm(url=url, fields=fields),
                         expires_at=iso(expires))


def upload_state(table: Table, photo_id: str) -> UploadState:
    item = photos.get_photo(table, photo_id) if is_id(photo_id) else None
    if item is None:
        raise NotFound("No such upload.")
    status = Status(item["status"])
    if status == Status.REPORTED:  # the uploader sees a photo under review, not why
        status = Status.PENDING_MODERATION
    reason = None
    if status == Status.FAILED:
        reason = item.get("reason") or explain(Reason.NOT_PROCESSED)
    elif status == Status.REJECTED:
        reason = item.get("reason") or DEFAULT_REJECTION
    return UploadState(photo_id=photo_id, status=status.value, reason=reason)  # type: ignore[arg-type]


# -- the gallery -------------------------------------------------------------------------------
def media_url(config: ApiConfig, key: str) -> str:
    return config.media_base_url.rstrip("/") + "/" + key


def gallery_item(config: ApiConfig, item: Item) -> GalleryPhoto:
    keys = derivative_keys(item["photo_id"], "public")
    return GalleryPhoto(
        photo_id=item["photo_id"], caption=item["caption"], display_name=item["display_name"],
        school=item["school"], uploaded_at=item["uploaded_at"],
        image_url=media_url(config, keys["display"]),
        thumbnail_url=media_url(config, keys["thumb"]),
        width=int(item.get("width") or 0), height=int(item.get("height") or 0),
    )


def gallery(table: Table, config: ApiConfig, *, limit: int, cursor: str | None,
            edition: str) -> ListPage[GalleryPhoto]:
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


def gallery_photo(table: Table, config: ApiConfig, photo_id: str) -> GalleryPhoto:
    # The public archive item: there while approved, also after the record's retention ended.
    item = photos.get_public(table, photo_id) if is_id(photo_id) else None
    if item is None:
        raise NotFound("No such photo in the gallery.")
    return gallery_item(config, item)


# -- reports -----------------------------------------------------------------------------------
def limit_reports(table: Table, config: ApiConfig, ip: str, now: datetime) -> None:
    """Reports hide photos, so they have a tighter per-IP limit of their own."""
    try:
        hit(table, ip_key(config, ip, "REPORTS"), config.reports_per_ip_per_hour, HOUR, now)
    except RateLimited as exc:
        raise RateLimited(
            "You've sent a lot of reports from here recently: please try again later.",
            retry_after_s=exc.retry_after_s,
        ) from exc


def report(
    table: Table, media: Media, config: ApiConfig, photo_id: str, reason: str, *,
    ip: str, now: datetime, cdn: Cdn,
) -> str:
    """Take a reported photo down at once, or flag it; returns what happened.

    - `hidden`: a public photo leaves the gallery and the CDN, first in the organisers' queue;
    - `flagged`: once an organiser approved it after a report, a report puts it first in the
      approved queue (`flagged_reports`) and it stays public, so nobody can keep the gallery
      empty by reporting;
    - `ignored`: it is already out of the gallery (reported, rejected): nothing changes.
    """
    ip_hash = limit_ip(table, config, ip, now)
    limit_reports(table, config, ip, now)
    entry = {"reason": reason, "at": iso(now), "ip_hash": ip_hash}
    for _attempt in range(MAX_ATTEMPTS):
        item = photos.get_photo(table, photo_id, consistent=True) if is_id(photo_id) else None
        if item is not None and item["status"] in (Status.REPORTED, Status.REJECTED):
            logger.info("report on a photo already hidden", photo_id=photo_id)
            return "ignored"
        if item is None or item["status"] != Status.APPROVED:
            raise NotFound("No such photo in the gallery.")
        cleared = bool(item.get("cleared_after_report"))
        fields: dict[str, Any] = {
            "reports": [*item.get("reports", []), entry][-MAX_REPORTS_KEPT:],
            "report_count": int(item.get("report_count", 0)) + 1,
        }
        if cleared:
            fields["flagged_reports"] = int(item.get("flagged_reports", 0)) + 1
        try:
            photos.move_with(
                table, item, leaving=(Status.APPROVED,),
                to=Status.APPROVED if cleared else Status.REPORTED,
                set_fields=fields, flagged=cleared, expected_version=int(item["version"]),
                puts=[audit.audit_item(_subject(photo_id), at=now, actor="public",
                                       action="flagged" if cleared else "reported",
                                       detail=reason, ttl=retention_ttl(config))],
            )
        except ConditionFailed:
            continue  # another report or a decision got there first: read again
        break
    else:
        raise NotFound("No such photo in the gallery.")
    if cleared:
        logger.info("approved photo flagged by a report", photo_id=photo_id)
        return "flagged"
    # Takedown: the public copies go now and the CDN forgets them, so the URLs stop working.
    media.delete(photos.derivative_keys(photo_id, "public").values())
    cdn.invalidate(photo_id)
    logger.info("photo reported", photo_id=photo_id)
    return "hidden"


# -- processing --------------------------------------------------------------------------------
@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str  # already URL-decoded
    etag: str
    sequencer: str
    size: int

    @property
    def claim(self) -> str:
        return f"{self.etag}#{self.sequencer}"


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


def s3_objects(body: str) -> list[S3Object]:
    """The created objects an SQS body announces (none for a test event or anything else)."""
    try:
        event = json.loads(body)
    except ValueError:
        logger.warning("message body is not JSON: dropped")
        return []
    if not isinstance(event, dict) or event.get("Event") == "s3:TestEvent":
        return []
    found = []
    for record in event.get("Records") or []:
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record.get("s3") or {}
        obj = s3.get("object") or {}
        found.append(S3Object(
            bucket=str((s3.get("bucket") or {}).get("name", "")),
            key=unquote_plus(str(obj.get("key", ""))),  # S3 event keys are URL-encoded
            etag=str(obj.get("eTag", "")),
            sequencer=str(obj.get("sequencer", "")),
            size=int(obj.get("size", 0) or 0),
        ))
    return found


def process_upload(
    table: Table, media: Media, config: ApiConfig, obj: S3Object, *,
    process_image: ImageProcessor, prescreen: Prescreen, now: Callable[[], datetime],
) -> str:
    """Turn one uploaded object into derivatives and a photo awaiting moderation, once.

    Returns what happened (for logs and tests). Raises for anything that is not the file's
    fault, so the queue retries; the dead-letter queue ends such an upload as `failed`.
    """
    photo_id = photo_id_of(obj.key)
    if photo_id is None:
        logger.warning("object outside the upload layout ignored")
        return "ignored"
    item, outcome = _claim(table, media, config, photo_id, obj)
    if item is None:
        return outcome
    result = _derive(table, media, config, item, obj, process_image, now)
    if result is None:
        return "failed"

    keys = derivative_keys(photo_id, "private")
    media.write(keys["display"], result.display, content_type=DERIVATIVE_CONTENT_TYPE)
    media.write(keys["thumb"], result.thumbnail, content_type=DERIVATIVE_CONTENT_TYPE)
    screened = prescreen(result.display, str(item.get("caption", "")))
    flagged = photos.is_flagged({"prescreen": screened})
    at = now()
    subject = _subject(photo_id)
    try:
        photos.move_with(
            table, item, leaving=(Status.PROCESSING,), to=Status.PENDING_MODERATION,
            set_fields={
                "width": result.width, "height": result.height,
                "files": [keys["display"], keys["thumb"]], "prescreen": screened,
                "source_format": result.source_format, "processed_at": iso(at),
            },
            remove=("claim",), flagged=flagged,
            puts=[
                audit.audit_item(subject, at=at, actor=SYSTEM, action="processed",
                                 detail=f"{result.source_format} → {result.width}x{result.height}",
                                 ttl=retention_ttl(config)),
                audit.audit_item(subject, at=at + timedelta(microseconds=1), actor=SYSTEM,
                                 action="prescreened",
                                 detail=f"{screened.get('status')}: "
                                        + "; ".join(screened.get("flags", [])),
                                 ttl=retention_ttl(config)),
            ],
        )
    except ConditionFailed:
        # A duplicate of this same event finished first: the derivatives are the same bytes.
        logger.info("processing finished by another delivery", photo_id=photo_id)
        return "raced"
    media.delete([obj.key])  # data minimisation: only the re-encoded derivatives remain
    logger.info("upload processed", photo_id=photo_id, flagged=flagged)
    return "processed"


def _claim(table: Table, media: Media, config: ApiConfig, photo_id: str, obj: S3Object
           ) -> tuple[Item | None, str]:
    """The photo, claimed for processing this object; or None and why not."""
    item = photos.get_photo(table, photo_id, consistent=True)
    if item is None:  # its reservation expired: nothing may ever be made of it
        media.delete([obj.key])
        return None, "unknown"
    try:
        return photos.claim_processing(table, item, claim=obj.claim,
                                       ttl=retention_ttl(config)), "claimed"
    except ConditionFailed as exc:
        current = exc.item or item
    if current.get("status") == Status.PROCESSING:
        logger.info("upload already being processed", photo_id=photo_id)
        return None, "busy"
    # Past processing: a duplicate or late event, or a form used twice. What was made from the
    # first upload stays as it is (derivatives are never touched); the new object is a stray.
    media.delete([obj.key])
    logger.info("event for a photo past processing", photo_id=photo_id,
                status=current.get("status"))
    return None, "stale"


def _derive(
    table: Table, media: Media, config: ApiConfig, item: Item, obj: S3Object,
    process_image: ImageProcessor, now: Callable[[], datetime],
) -> Processed | None:
    """The derivatives of the claimed object, or None once the photo is marked failed."""
    max_bytes = int(item.get("size_bytes", config.max_upload_bytes)) + SIZE_SLACK
    try:
        try:
            data = media.read(obj.key, max_bytes=max_bytes)
        except TooBig:
            raise ImageRefused(Reason.TOO_LARGE) from None
        except Missing:
            # Gone while we held the claim (the lifecycle rule, or a racing duplicate that
            # finished): if the photo is still ours, it can't be made any more.
            raise ImageRefused(Reason.NOT_PROCESSED) from None
        return process_image(data)
    except ImageRefused as refused:
        _fail(table, media, item, refused.reason, obj.key, now())
        return None


def _fail(table: Table, media: Media, item: Item, reason: Reason, key: str,
          at: datetime) -> None:
    try:
        photos.move_with(
            table, item, leaving=(Status.PROCESSING,), to=Status.FAILED,
            set_fields={"reason": explain(reason), "reason_code": reason.value, "files": []},
            remove=("claim",),
            puts=[audit.audit_item(_subject(item["photo_id"]), at=at, actor=SYSTEM,
                                   action="failed", detail=reason.value, ttl=item.get("ttl"))],
        )
    except ConditionFailed:
        logger.info("failure already recorded", photo_id=item["photo_id"])
        return
    # the original, and anything an earlier, crashed attempt may have written
    media.delete([key, *derivative_keys(item["photo_id"], "private").values()])
    logger.info("upload failed", photo_id=item["photo_id"], reason=reason.value)


def fail_dead_letter(table: Table, photo_id: str, *, now: datetime) -> bool:
    """A message ran out of retries: end its photo `failed` unless it already moved on."""
    item = photos.get_photo(table, photo_id, consistent=True)
    if item is None:
        return False
    reason = Reason.NOT_PROCESSED
    try:
        photos.move_with(
            table, item, leaving=(Status.AWAITING_UPLOAD, Status.PROCESSING), to=Status.FAILED,
            set_fields={"reason": explain(reason), "reason_code": reason.value},
            remove=("claim",),
            puts=[audit.audit_item(_subject(photo_id), at=now, actor=SYSTEM, action="failed",
                                   detail="retries exhausted (dead-letter queue)")],
        )
    except ConditionFailed:
        return False
    logger.warning("upload failed after retries", photo_id=photo_id)
    return True
