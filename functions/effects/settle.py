"""Settling a photo: its outside world made to match its CURRENT state (the `settle_photo` effect).

A decision or a report's takedown commits the photo's new state together with a `settle_photo`
effect (`shared.outbox.settle_photo`). Performing it, with the stream's retries behind it:

- approved: its uploader is entered in the day's draw (first: the draw must not miss an
  approval whose copies are slow), the private derivatives are copied to `public/`, THEN the
  photo's public archive item is listed in its gallery (`go_live`, conditioned on the photo
  still being approved at the version read). The public never sees a photo whose images are not
  there yet. The same write drops the photo's awaiting keys: until then the draw's moderation
  guard counts the approval as still awaited, so a draw made before the settle waits for it
  instead of drawing without its entry;
- anything else: the public copies are deleted and, if the photo ever was public, its exact CDN
  paths invalidated (CallerReference `outbox-<effect id>`: a retry is the same invalidation);
  a rejected photo's draw entry is withdrawn;
- an archived photo (its record rebuilt by a report after retention, `shared.photos`) first
  has its public copies copied back to `private/` (its private ones expired), and is never
  entered in (or withdrawn from) a draw: its day is long past;
- then the photo is read again, and the whole is repeated until its version stops changing, so
  two racing decisions (or a decision and a report) can never leave a rejected photo's images
  public, whichever effect runs last;
- the uploader's email (`announce`) is owed only for the decision that stood: the photo is still
  at the version that decision wrote. It is owed as an `email` effect of its own with an id
  derived from this one (`shared.outbox.derived`), put once: a settle retried after a fault
  never owes it twice, and the email effect's own retries send it (at least once, see perform.py).

Plain functions over ports, no boto3 (the adapters are in `store.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shared import outbox
from shared.dynamo import ConditionFailed
from shared.observability import logger
from shared.photo_records import PhotoRecord
from shared.photos import Status

MAX_ROUNDS = 5  # a photo changing under its settle this often is retried by the stream
PURPOSE = "photo-decision"
DONE = "done"
ANNOUNCED = "announced"
GONE = "gone"


class Unsettled(Exception):
    """The photo kept changing while it was settled: the effect fails and is retried."""


class Photos(Protocol):
    def get(self, photo_id: str) -> PhotoRecord | None: ...

    def go_live(self, photo: PhotoRecord) -> None:
        """List the approved photo in its gallery; ConditionFailed if it changed since read."""
        ...


class Copies(Protocol):
    def publish(self, photo_id: str) -> None:
        """Copy the private derivatives to public/ (idempotent)."""
        ...

    def unpublish(self, photo_id: str) -> bool:
        """Delete the public copies; whether there were any."""
        ...

    def restore(self, photo_id: str) -> None:
        """Copy the public copies back to private/ where a private one is missing (idempotent)."""
        ...


class Cdn(Protocol):
    def invalidate(self, photo_id: str, *, reference: str) -> None: ...


class Draw(Protocol):
    def enter(self, photo: PhotoRecord) -> bool:
        """Enter the uploader in the photo's day once; False if already in or drawn."""
        ...

    def withdraw(self, photo: PhotoRecord) -> None:
        """Take back an entry that rests on this photo (or move it to another approved one)."""
        ...


class Owed(Protocol):
    def owe(self, effect: outbox.Effect) -> None:
        """Write `effect` unless an effect of its id exists (performed or not)."""
        ...


@dataclass(frozen=True)
class Ports:
    photos: Photos
    copies: Copies
    cdn: Cdn
    draw: Draw
    owed: Owed


def settle(ports: Ports, effect: outbox.Effect) -> str:
    """Perform a `settle_photo` effect; its outcome."""
    photo_id = str(effect.payload["photo_id"])
    current = converge(ports, photo_id, reference=f"outbox-{effect.effect_id}")
    if current is None:
        logger.info("photo erased before it was settled", photo_id=photo_id)
        return GONE
    announce = effect.payload.get("announce")
    if not announce:
        return DONE
    if current.version != int(effect.payload["version"]):
        logger.info("decision superseded before it was announced", photo_id=photo_id)
        return DONE
    ports.owed.owe(
        outbox.Effect(
            effect_id=outbox.derived(effect.effect_id, "email"),
            kind="email",
            payload={"purpose": PURPOSE, **announce},
            person=effect.person,
        )
    )
    return ANNOUNCED


def converge(ports: Ports, photo_id: str, *, reference: str) -> PhotoRecord | None:
    """Apply the photo's current state outside, until a read after it finds the same version."""
    current = ports.photos.get(photo_id)
    for _ in range(MAX_ROUNDS):
        if current is None:
            return None
        applied = apply(ports, current, reference=reference)
        again = ports.photos.get(photo_id)
        if applied and (again is None or again.version == current.version):
            return again
        current = again
    raise Unsettled(f"photo {photo_id} kept changing: retried")


def apply(ports: Ports, photo: PhotoRecord, *, reference: str) -> bool:
    """Make the copies, gallery, CDN and draw match `photo`; False when it changed meanwhile."""
    photo_id = photo.photo_id
    if photo.archived:
        # Rebuilt by a report after its retention ended: its private files expired with its
        # record. The public ones go back to private/ before anything deletes them, so that
        # organisers see it and an approval publishes it again by the usual copy.
        ports.copies.restore(photo_id)
    if photo.status == Status.APPROVED:
        # The entry first: it depends on nothing else, and the draw must not miss an approval
        # whose copies are slow (a takedown meanwhile withdraws it in the next round). Not for
        # an archived photo: its day is long past (drawn, its entries expired), and approving
        # it again only relists it.
        if photo.archived:
            logger.info("archived photo: no draw entry", photo_id=photo_id, day=photo.day)
        elif not ports.draw.enter(photo):
            logger.info(
                "no new draw entry (already entered, or the day is drawn)",
                photo_id=photo_id,
                day=photo.day,
            )
        ports.copies.publish(photo_id)
        try:
            ports.photos.go_live(photo)
        except ConditionFailed:
            logger.info("photo changed while it was published: settling again", photo_id=photo_id)
            return False
        return True
    # Not public (any more): whenever it ever was, the CDN forgets its paths again, whoever
    # deleted the copies (an earlier try, a racing settle): invalidations are idempotent here.
    was_public = bool(photo.published) or photo.report_count > 0
    if ports.copies.unpublish(photo_id) or was_public:
        ports.cdn.invalidate(photo_id, reference=reference)
    if photo.status == Status.REJECTED and not photo.archived:  # (never entered)
        ports.draw.withdraw(photo)
    return True
