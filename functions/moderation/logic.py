"""Moderation: organisers decide, and everything else follows from the decision that stands.

Plain functions over ports, no boto3. The rules:
- a decision is a conditional write from a decidable state at the version the organiser's request
  read; when another decision got there first, re-read and write again, so the LAST decision wins
  and every decision is audited, in the same transaction as the state change (no lost update);
- what a decision implies outside the record (public copies of the images, the CDN, the draw
  entry) is then made to match the photo's *current* state, re-checked until it stops changing,
  so two racing decisions can never leave a rejected photo's images public;
- the uploader's email goes out only for the decision that stood.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from functions.moderation import emails
from functions.moderation.models import AdminPhoto, PhotoDecisionIn, QueueStatus
from shared.audit import audit_item
from shared.cdn import Cdn
from shared.dynamo import ConditionFailed, Item
from shared.errors import Conflict, Forbidden, NotFound
from shared.mail import Email
from shared.observability import logger
from shared.photos import DECIDABLE, Status, is_flagged
from shared.types import iso

MAX_ATTEMPTS = 5  # decisions racing on one photo: each retry follows another organiser's write


# -- ports -------------------------------------------------------------------------------------
class PhotoStore(Protocol):
    def get(self, photo_id: str) -> Item | None: ...

    def decide(
        self, photo: Item, to: Status, *, set_fields: dict[str, Any], remove: tuple[str, ...],
        flagged: bool, audit: Item,
    ) -> None:
        """Move the photo from its read version to `to` and put `audit`, atomically;
        ConditionFailed if it changed since it was read."""
        ...

    def page(
        self, status: QueueStatus, *, limit: int, cursor: str | None
    ) -> tuple[list[Item], str | None]: ...

    def trail(self, photo_id: str) -> list[dict[str, Any]]: ...


class Media(Protocol):
    def publish(self, photo_id: str) -> None:
        """Copy the private derivatives to public/ (idempotent)."""
        ...

    def unpublish(self, photo_id: str) -> bool:
        """Delete the public copies; whether there were any."""
        ...

    def urls(self, photo: Item) -> tuple[str | None, str | None]:
        """(image_url, thumbnail_url) for organisers: public if approved, else signed."""
        ...


class Draw(Protocol):
    def enter(self, photo: Item) -> bool:
        """Enter the uploader in the photo's day once; False if already in or drawn."""
        ...

    def withdraw(self, photo: Item) -> None:
        """Take back an entry that rests on this photo (or move it to another approved one)."""
        ...


Mailer = Callable[[str, Email], bool]  # (person, email) -> sent?


@dataclass(frozen=True)
class Ports:
    store: PhotoStore
    media: Media
    draw: Draw
    cdn: Cdn
    mail: Mailer
    site_url: str


# -- the queue ---------------------------------------------------------------------------------
def admin_view(photo: Item, media: Media) -> AdminPhoto:
    image_url, thumbnail_url = media.urls(photo)
    reports = [
        {"reason": str(r.get("reason", "")), "at": r.get("at")}
        for r in photo.get("reports", []) if isinstance(r, dict)
    ]
    return AdminPhoto(
        photo_id=photo["photo_id"],
        status=photo["status"],
        caption=photo.get("caption", ""),
        display_name=photo.get("display_name", ""),
        school=photo.get("school", ""),
        email=photo.get("email", ""),
        day=photo.get("day", ""),
        uploaded_at=photo.get("uploaded_at", ""),
        width=photo.get("width"),
        height=photo.get("height"),
        image_url=image_url,
        thumbnail_url=thumbnail_url,
        prescreen=photo.get("prescreen"),
        reports=reports,  # type: ignore[arg-type]
        flagged_reports=int(photo.get("flagged_reports", 0)),
        decided_by=photo.get("decided_by"),
        decided_at=photo.get("decided_at"),
        reason=photo.get("decision_reason"),
    )


def queue(
    ports: Ports, status: QueueStatus, *, limit: int, cursor: str | None
) -> tuple[list[AdminPhoto], str | None]:
    items, next_cursor = ports.store.page(status, limit=limit, cursor=cursor)
    return [admin_view(item, ports.media) for item in items], next_cursor


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

    for _attempt in range(MAX_ATTEMPTS):
        photo = ports.store.get(photo_id)
        if photo is None:
            raise NotFound("No such photo.")
        if photo["status"] not in DECIDABLE:
            raise Conflict(f"This photo is {photo['status']}: it can't be decided yet.")
        if _same_person(photo.get("email"), actor_email):
            raise Forbidden("Organisers can't decide on their own photos: ask another organiser.")
        # Stamped per attempt, after the read: a retry follows the write it lost to, so the
        # trail's order is the order in which decisions took effect.
        now = clock()
        fields["decided_at"] = iso(now)
        written = dict(fields)
        if to == Status.APPROVED and int(photo.get("report_count", 0)) > 0:
            # Approved after a report: later reports flag it for organisers but can't hide it.
            written["cleared_after_report"] = True
        # The audit keeps the photo's retention horizon (its own TTL, set when processed).
        audit = audit_item(f"PHOTO#{photo_id}", at=now, actor=actor, action=to.value,
                           detail=detail, ttl=photo.get("ttl"))
        try:
            ports.store.decide(photo, to, set_fields=written, remove=remove,
                               flagged=is_flagged(photo), audit=audit)
        except ConditionFailed:
            # Another decision, or approvals of the same school moving its count at once.
            logger.info("decision raced another, retrying", photo_id=photo_id)
            time.sleep(random.uniform(0, 0.02 * 2**_attempt))  # noqa: S311 - jitter only
            continue
        break
    else:
        raise Conflict("Other organisers are deciding on this photo right now: try again.")

    mine = int(photo["version"]) + 1
    logger.info("photo decided", photo_id=photo_id, decision=to.value, version=mine)
    current = settle(ports, photo_id)
    if current is None:
        raise NotFound("The photo was erased meanwhile.")
    if int(current["version"]) != mine:
        logger.info("decision superseded before it was announced", photo_id=photo_id)
    elif photo["status"] == to:
        logger.info("decision unchanged: uploader already told", photo_id=photo_id)
    else:
        _tell_uploader(ports, current)
    return admin_view(current, ports.media)


def settle(ports: Ports, photo_id: str) -> Item | None:
    """Make the images, CDN and draw entry match the photo's current state, until it holds."""
    current = ports.store.get(photo_id)
    for _ in range(MAX_ATTEMPTS):
        if current is None:
            return None
        _apply(ports, current)
        again = ports.store.get(photo_id)
        if again is None or again["version"] == current["version"]:
            return again
        current = again
    return current


def _apply(ports: Ports, photo: Item) -> None:
    photo_id = photo["photo_id"]
    if photo["status"] == Status.APPROVED:
        ports.media.publish(photo_id)
        if not ports.draw.enter(photo):
            logger.info("no new draw entry (already entered, or the day is drawn)",
                        photo_id=photo_id, day=photo.get("day"))
        return
    # Not public (any more): whenever it ever was, the CDN forgets its paths again, whoever
    # deleted the copies (a report, an earlier attempt): invalidations are cheap and idempotent.
    was_public = photo.get("published") or int(photo.get("report_count", 0)) > 0
    if ports.media.unpublish(photo_id) or was_public:
        ports.cdn.invalidate(photo_id)
    if photo["status"] == Status.REJECTED:
        ports.draw.withdraw(photo)


def _tell_uploader(ports: Ports, photo: Item) -> None:
    common = {"to": photo["email"], "display_name": photo.get("display_name", ""),
              "caption": photo.get("caption", "")}
    if photo["status"] == Status.APPROVED:
        email = emails.approved(**common, site_url=ports.site_url, photo_id=photo["photo_id"])
    else:
        # The organiser's own words go to the uploader here, and only here.
        reason = emails.technician_reason(photo.get("reason_code"), photo.get("reason_note"))
        email = emails.rejected(to=photo["email"], reason=reason, site_url=ports.site_url)
    ports.mail(photo["person"], email)
