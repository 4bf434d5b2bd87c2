"""Moderation: organisers decide, and everything else follows from the decision that stands.

Plain functions over ports, no boto3. The rules:
- a decision is a conditional write from a decidable state at the version the organiser's request
  read; when another decision got there first, re-read and write again, so the LAST decision wins
  and every decision is audited, in the same transaction as the state change (no lost update);
- the same transaction owes a `settle_photo` effect (the transactional outbox, shared/outbox.py):
  the outbox consumer (functions/effects/settle.py) makes the public copies, the gallery listing,
  the CDN and the draw entry match the photo's *current* state, and tells the uploader only if
  this decision still stands then. The request answers as soon as the change committed (a lost
  commit answer is settled by `outbox.commit`), so no fault after the commit loses an effect;
- pressing the same decision again (a retry after a lost answer, a double click) records nothing:
  the photo already says it. A decision that changes something (another reason, answering the
  reports flagged since) is recorded and audited.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from functions.moderation import emails
from functions.moderation.models import (
    AdminPhoto,
    PhotoDecisionIn,
    PhotoPrescreen,
    PhotoReport,
    QueueStatus,
)
from shared.audit import audit_item
from shared.dynamo import ConditionFailed, Item
from shared.errors import Conflict, Forbidden, NotFound
from shared.mail import Email
from shared.observability import logger
from shared.photo_records import PhotoRecord
from shared.photos import DECIDABLE, Status
from shared.types import iso

MAX_ATTEMPTS = 5  # decisions racing on one photo: each retry follows another organiser's write
# What a decision stamps whoever presses it: not a change of the decision itself.
_STAMPS = ("decided_by", "decided_at")


# -- ports -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Decision:
    """One decision as committed: the state it moves the photo to, the fields it writes and
    drops, its audit item, and the uploader's email it owes (only when the state changes)."""

    to: Status
    set_fields: dict[str, Any]
    remove: tuple[str, ...]
    audit: Item
    announce: Email | None
    now: datetime


class PhotoStore(Protocol):
    def get(self, photo_id: str) -> PhotoRecord | None: ...

    def decide(self, photo: PhotoRecord, decision: Decision) -> None:
        """Move the photo from its read version as `decision` says, put its audit and owe the
        photo's settle effect (with the announcement), atomically; ConditionFailed if it
        changed since it was read."""
        ...

    def page(
        self, status: QueueStatus, *, limit: int, cursor: str | None
    ) -> tuple[list[PhotoRecord], str | None]: ...

    def trail(self, photo_id: str) -> list[dict[str, Any]]: ...


class Media(Protocol):
    def public_urls(self, photo_id: str) -> tuple[str, str]:
        """(display, thumbnail) URLs of the public copies (behind the CDN)."""
        ...

    def signed_urls(self, photo_id: str) -> tuple[str, str]:
        """(display, thumbnail) signed GET URLs of the private derivatives."""
        ...


@dataclass(frozen=True)
class Ports:
    store: PhotoStore
    media: Media
    site_url: str


# -- the queue ---------------------------------------------------------------------------------
def _urls(photo: PhotoRecord, media: Media) -> tuple[str | None, str | None]:
    """Organisers' image URLs: the public copies once approved (the outbox copies them), the
    private derivatives by signed URL before; none before processing made them (or ever)."""
    if photo.status == Status.APPROVED:
        return media.public_urls(photo.photo_id)
    if photo.status in (Status.AWAITING_UPLOAD, Status.PROCESSING, Status.FAILED):
        return None, None
    return media.signed_urls(photo.photo_id)


# The fields organisers see as they are stored; the others are mapped in `admin_view` (the
# record's `reason` is the uploader's sentence: organisers read `decision_reason`).
_MAPPED = {"status", "prescreen", "reports", "reason"}
_AS_STORED = (set(AdminPhoto.model_fields) & set(PhotoRecord.model_fields)) - _MAPPED


def admin_view(photo: PhotoRecord, media: Media) -> AdminPhoto:
    image_url, thumbnail_url = _urls(photo, media)
    prescreen = photo.prescreen
    return AdminPhoto(
        **photo.model_dump(include=_AS_STORED),
        status=photo.status.value,
        image_url=image_url,
        thumbnail_url=thumbnail_url,
        prescreen=None if prescreen is None else PhotoPrescreen.model_validate(prescreen),
        reports=[PhotoReport(reason=r.reason, at=r.at) for r in photo.reports],
        reason=photo.decision_reason,
    )


def queue(
    ports: Ports, status: QueueStatus, *, limit: int, cursor: str | None
) -> tuple[list[AdminPhoto], str | None]:
    photos, next_cursor = ports.store.page(status, limit=limit, cursor=cursor)
    return [admin_view(photo, ports.media) for photo in photos], next_cursor


def audit_trail(ports: Ports, photo_id: str) -> list[dict[str, Any]]:
    """Oldest first; 404 only when there is neither a photo nor any record of one."""
    items = ports.store.trail(photo_id)
    if not items and ports.store.get(photo_id) is None:
        raise NotFound("No such photo.")
    return items


# -- decisions ---------------------------------------------------------------------------------
def _same_person(a: str | None, b: str | None) -> bool:
    return bool(a and b) and str(a).strip().casefold() == str(b).strip().casefold()


def _organiser_detail(body: PhotoDecisionIn) -> str:
    return ": ".join(p for p in (body.reason_code, body.reason) if p)


def _decision_fields(
    body: PhotoDecisionIn, to: Status, *, actor: str, detail: str
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """What the photo record says about its decision, and what an earlier one said that goes.

    `reason` is public (GET /uploads/{id}, on rejection only): a preset sentence, never the
    organiser's words, which are kept as `reason_note` for the uploader's email and as
    `decision_reason` for organisers. Any decision answers the reports flagged since the last.
    """
    fields: dict[str, Any] = {"decision": body.decision, "decided_by": actor}
    remove = ["flagged_reports"]
    if to == Status.REJECTED:
        fields["reason"] = emails.public_reason(body.reason_code)
        optional = {"reason_code": body.reason_code, "reason_note": body.reason}
        fields.update({k: v for k, v in optional.items() if v})
        remove += [k for k, v in optional.items() if not v]
    else:
        fields["published"] = True  # a later takedown must make the CDN forget it
        remove += ["reason", "reason_code", "reason_note"]
    if detail:
        fields["decision_reason"] = detail
    else:
        remove.append("decision_reason")
    return fields, tuple(remove)


def decide(
    ports: Ports,
    photo_id: str,
    body: PhotoDecisionIn,
    *,
    actor: str,
    actor_email: str | None,
    clock: Callable[[], datetime],
) -> AdminPhoto:
    """Approve or reject (or take down) a photo; the last of racing decisions wins."""
    to = Status.APPROVED if body.decision == "approve" else Status.REJECTED
    detail = _organiser_detail(body)
    fields, remove = _decision_fields(body, to, actor=actor, detail=detail)
    for attempt in range(MAX_ATTEMPTS):
        photo = _decidable(ports, photo_id, actor_email)
        written = _written(photo, to, fields)
        if _stands(photo, to, written, remove):
            logger.info("decision already stands: nothing recorded", photo_id=photo_id)
            return admin_view(photo, ports.media)
        decided = _record(
            ports, photo, to, written, remove, detail=detail, actor=actor, now=clock()
        )
        if decided is not None:
            return admin_view(decided, ports.media)
        # Another decision, or approvals of the same school moving its count at once.
        logger.info("decision raced another, retrying", photo_id=photo_id)
        time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter only
    raise Conflict("Other organisers are deciding on this photo right now: try again.")


def _decidable(ports: Ports, photo_id: str, actor_email: str | None) -> PhotoRecord:
    photo = ports.store.get(photo_id)
    if photo is None:
        raise NotFound("No such photo.")
    if photo.status not in DECIDABLE:
        raise Conflict(f"This photo is {photo.status}: it can't be decided yet.")
    if _same_person(photo.email, actor_email):
        raise Forbidden("Organisers can't decide on their own photos: ask another organiser.")
    return photo


def _written(photo: PhotoRecord, to: Status, fields: dict[str, Any]) -> dict[str, Any]:
    written = dict(fields)
    if to == Status.APPROVED and photo.report_count > 0:
        # Approved after a report: later reports flag it for organisers but can't hide it.
        written["cleared_after_report"] = True
    return written


def _stands(
    photo: PhotoRecord, to: Status, written: dict[str, Any], remove: tuple[str, ...]
) -> bool:
    """Whether the photo already says what this decision would write (nothing to record)."""
    says = photo.model_dump(include={*written, *remove})
    return (
        photo.status == to
        and all(says[k] == v for k, v in written.items() if k not in _STAMPS)
        and not any(says[k] for k in remove)
    )


def _record(
    ports: Ports,
    photo: PhotoRecord,
    to: Status,
    written: dict[str, Any],
    remove: tuple[str, ...],
    *,
    detail: str,
    actor: str,
    now: datetime,
) -> PhotoRecord | None:
    """Commit the decision with its audit and its settle effect; the photo as decided, or None
    when it changed since it was read."""
    photo_id = photo.photo_id
    # Stamped per attempt, after the read: a retry follows the write it lost to, so the trail's
    # order is the order in which decisions took effect.
    stamped = {**written, "decided_at": iso(now)}
    # The audit keeps the photo's retention horizon (its own TTL, set when processed).
    audit = audit_item(
        f"PHOTO#{photo_id}",
        at=now,
        actor=actor,
        action=to.value,
        detail=detail,
        ttl=photo.ttl,
    )
    decided = photo.changed(to, set_fields=stamped, remove=remove)
    # The uploader hears of a change of state only (a new reason or answered flags: no email),
    # and only if there is an address: an archived photo's record, rebuilt by a report after
    # its retention ended (`shared.photos.archived_record`), has none.
    announce = _announcement(ports, decided) if photo.status != to and photo.email else None
    try:
        ports.store.decide(photo, Decision(to, stamped, remove, audit, announce, now))
    except ConditionFailed:
        return None
    logger.info("photo decided", photo_id=photo_id, decision=to.value, version=decided.version)
    return decided


def _announcement(ports: Ports, photo: PhotoRecord) -> Email:
    """The uploader's email about `photo` as decided (sent only if the decision still stands
    when the outbox settles it)."""
    if photo.status == Status.APPROVED:
        return emails.approved(
            to=photo.email,
            display_name=photo.display_name,
            caption=photo.caption,
            site_url=ports.site_url,
            photo_id=photo.photo_id,
        )
    # The organiser's own words go to the uploader here, and only here.
    reason = emails.technician_reason(photo.reason_code, photo.reason_note)
    return emails.rejected(to=photo.email, reason=reason, site_url=ports.site_url)
