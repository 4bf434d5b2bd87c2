"""People's data: erasure of everything held about one email, the sign-ups' export, and the
addresses SES says bounce or complain (suppressed: never mailed again).

Plain functions over the ports; the DynamoDB and S3 work is in `functions/people/store.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any, Protocol

from functions.people.models import Erased, SesNotification
from shared.observability import logger
from shared.pledges import SignupRecord
from shared.types import normalise_email


class Found(Protocol):
    kind: str
    ident: str
    published: bool


class PeoplePort(Protocol):
    def personal(self, person: str) -> Iterable[Any]: ...
    def erase_photo(self, found: Any, *, actor: str, now: datetime) -> int: ...
    def erase_pledge(self, found: Any) -> int: ...
    def erase_entry(self, found: Any) -> int: ...
    def erase_published(self, found: Any) -> int: ...
    def erase_pack(self, found: Any) -> int: ...
    def erase_item(self, found: Any, *, now: datetime) -> tuple[bool, int]: ...
    def scrub_winners(self, person: str) -> None: ...
    def audit(
        self,
        subject: str,
        *,
        actor: str,
        action: str,
        now: datetime,
        detail: dict[str, int] | None = None,
    ) -> None: ...
    def confirmed_signups(self) -> list[SignupRecord]: ...
    def suppress(self, person: str, reason: str) -> None: ...


@dataclass(frozen=True)
class Ports:
    store: PeoplePort
    person: Callable[[str], str]  # the keyed pseudonym of a normalised email


# -- erasure -----------------------------------------------------------------------------------
# Kinds erased as plain items whose deletion is counted, and under which count.
_COUNTED = {"SIGNUP": "signups", "MESSAGE": "messages", "RATE": "rate_limits"}


def erase(ports: Ports, email: str, *, actor: str, now: datetime) -> Erased:
    """Erase everything the person index finds about `email`, then their names on published
    draws; audited by pseudonym with the counts. Erasing again finds (and counts) nothing."""
    person = ports.person(email)
    counts = Erased()
    erased_photos: set[str] = set()
    for found in ports.store.personal(person):
        if found.kind == "PHOTO":
            if found.ident in erased_photos:  # its record and its public archive item
                continue
            erased_photos.add(found.ident)
            counts.photos += 1
            counts.files += ports.store.erase_photo(found, actor=actor, now=now)
        else:
            _erase_item(ports.store, found, counts, now=now)
    ports.store.scrub_winners(person)
    ports.store.audit(
        f"PERSON#{person}", actor=actor, action="erasure", now=now, detail=counts.model_dump()
    )
    logger.info("person erased", erased=counts.model_dump())
    return counts


def _erase_item(store: PeoplePort, found: Found, counts: Erased, *, now: datetime) -> None:
    if found.kind == "PLEDGE":
        counts.pledges += store.erase_pledge(found)
    elif found.kind == "ENTRY":
        counts.draw_entries += store.erase_entry(found)
    elif found.kind == "MESSAGE" and found.published:
        counts.messages += store.erase_published(found)
    elif found.kind == "PACK":
        counts.packs += store.erase_pack(found)
    else:  # sign-ups, tokens, unpublished messages, counters and any other personal item
        deleted, files = store.erase_item(found, now=now)
        counts.files += files
        if deleted and found.kind in _COUNTED:
            field = _COUNTED[found.kind]
            setattr(counts, field, getattr(counts, field) + 1)


# -- export ------------------------------------------------------------------------------------
EXPORT_COLUMNS = ("email", "name", "role", "organisation", "confirmed_at")


def signups_export(ports: Ports) -> list[dict[str, Any]]:
    """The confirmed, subscribed sign-ups as export rows, in the order they confirmed."""
    records = sorted(ports.store.confirmed_signups(), key=lambda r: str(r.confirmed_at))
    logger.info("signups exported", rows=len(records))
    return [record.model_dump(include=set(EXPORT_COLUMNS)) for record in records]


# -- SES feedback ------------------------------------------------------------------------------
def feedback_addresses(note: SesNotification) -> list[tuple[str, str]]:
    """(normalised email, reason) to suppress from one SES notification.

    Permanent (and undetermined) bounces and every complaint suppress; a transient bounce
    (mailbox full, greylisting) does not, nor does any other kind. Recipients that are not
    addresses are skipped.
    """
    if note.kind == "Bounce" and note.bounce and note.bounce.bounceType != "Transient":
        recipients, reason = note.bounce.bouncedRecipients, "bounce"
    elif note.kind == "Complaint" and note.complaint:
        recipients, reason = note.complaint.complainedRecipients, "complaint"
    else:
        return []
    found = []
    for recipient in recipients:
        try:
            found.append((normalise_email(parseaddr(recipient.emailAddress)[1]), reason))
        except ValueError:
            continue
    return found


def suppress_feedback(ports: Ports, note: SesNotification) -> int:
    """Suppress (by pseudonym) every address the notification names; how many."""
    found = feedback_addresses(note)
    for email, reason in found:
        ports.store.suppress(ports.person(email), reason)
    return len(found)
