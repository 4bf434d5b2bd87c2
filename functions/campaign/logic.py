"""The campaign domain: free event packs for schools.

Plain functions over the models, with storage as a port (`PackPort`), so the rules read without
boto3. The invariants ("one pack per school", "never more than the stock") are one transaction
in the store, which also owes the confirmation email (an effect, `shared.outbox`); the logic
decides what to ask for and what the answer means.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from functions.campaign.models import AdminPack, Availability, PackIn
from shared import outbox
from shared.csvsafe import csv_text
from shared.errors import Conflict
from shared.mail import Email
from shared.people import person_keys
from shared.types import iso


class Claim(Enum):
    REQUESTED = "requested"
    ALREADY_REQUESTED = "already_requested"
    SOLD_OUT = "sold_out"


class PackPort(Protocol):
    def promised(self, edition: str) -> int: ...

    def claim(self, item: dict[str, Any], *, edition: str, stock: int, owed: outbox.Effect,
              now: datetime) -> Claim:
        """REQUESTED: the pack is promised and `owed` committed with it; else nothing written."""
        ...


@dataclass(frozen=True)
class PackSettings:
    """One edition's packs: how many, and when schools may ask (UTC instants; None: no limit)."""

    edition: str
    stock: int
    opens_at: datetime | None
    closes_at: datetime | None  # the first instant at which requests are closed
    site_url: str

    @classmethod
    def of(cls, *, edition: str, stock: int, opens: date | None, closes: date | None, tz: str,
           site_url: str) -> PackSettings:
        """Open from the start of `opens` to the end of `closes`, both days in the event's zone."""
        zone = ZoneInfo(tz)
        return cls(
            edition=edition,
            stock=stock,
            opens_at=datetime.combine(opens, time(0), tzinfo=zone) if opens else None,
            closes_at=(datetime.combine(closes + timedelta(days=1), time(0), tzinfo=zone)
                       if closes else None),
            site_url=site_url,
        )

    def window_open(self, now: datetime) -> bool:
        return ((self.opens_at is None or self.opens_at <= now)
                and (self.closes_at is None or now < self.closes_at))


# -- identity ----------------------------------------------------------------------------------
def school_key(school: str, postcode: str) -> str:
    """One school, however its name is typed: trimmed, case-folded, spaces collapsed (NFKC
    first, so full-width or ligature spellings are the same name). `postcode` is canonical."""
    name = " ".join(unicodedata.normalize("NFKC", school).split()).casefold()
    return f"{name}\0{postcode}"


def pack_id_of(secret: bytes, edition: str, school: str, postcode: str) -> str:
    """The pack's id is keyed by edition and school, so "one per school" is the existence of one
    item; keyed with the server secret, so nobody outside can work it out from a school's name."""
    message = f"{edition}\0{school_key(school, postcode)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:24]


# -- requests ----------------------------------------------------------------------------------
def availability(store: PackPort, settings: PackSettings, now: datetime) -> Availability:
    remaining = max(0, settings.stock - store.promised(settings.edition))
    return Availability(open=settings.window_open(now) and remaining > 0, remaining=remaining)


def pack_item(body: PackIn, *, pack_id: str, person: str, edition: str, now: datetime,
              ttl: int) -> dict[str, Any]:
    """The stored request: private (never on a public list), on the organisers' list of its
    edition (gsi2), found by erasure (gsi3) and forgotten with the event's personal data."""
    requested = iso(now)
    return {
        "pk": f"PACK#{pack_id}",
        "sk": "PACK",
        "pack_id": pack_id,
        "edition": edition,
        "school": body.school,
        "contact_name": body.contact_name,
        "email": body.email,
        "address_line1": body.address_line1,
        "address_line2": body.address_line2 or None,
        "town": body.town,
        "postcode": body.postcode,
        "requested_at": requested,
        "ttl": ttl,
        "gsi2pk": packs_list(edition),
        "gsi2sk": f"{requested}#{pack_id}",
        **person_keys(person, "PACK", pack_id),
    }


def packs_list(edition: str) -> str:
    return f"PACKS#{edition}"


def pack_email(to: str, *, site_url: str) -> Email:
    """The one email a request sends. Nothing the requester typed is in it (the address may
    not be theirs), so it cannot carry anyone's advert: it says what happens, and how to stop it."""
    site = site_url.rstrip("/")
    text = (
        "Hello,\n\n"
        "Thank you for asking for a free #TECHOGNITION event pack (posters, leaflets, badges "
        "and stickers) for your school. We have your request, and we will post the pack to the "
        "school address you gave before the week begins.\n\n"
        "We keep the address only to send the pack, and forget it with the rest of the week's "
        "personal data.\n\n"
        "If you did not ask for a pack, reply to this email and we will delete the request.\n\n"
        f"{site}/\n"
    )
    body = (
        "<p>Hello,</p>"
        "<p>Thank you for asking for a free #TECHOGNITION event pack (posters, leaflets, badges "
        "and stickers) for your school. We have your request, and we will post the pack to the "
        "school address you gave before the week begins.</p>"
        "<p>We keep the address only to send the pack, and forget it with the rest of the "
        "week's personal data.</p>"
        "<p>If you did not ask for a pack, reply to this email and we will delete the "
        "request.</p>"
        f'<p><a href="{html.escape(site)}/">#TECHOGNITION</a></p>'
    )
    return Email(to=to, subject="Your #TECHOGNITION event pack request", text=text, html=body)


def request_pack(store: PackPort, body: PackIn, *, person: str, secret: bytes,
                 settings: PackSettings, now: datetime, ttl: int) -> Claim:
    """Promise one pack to a school, if the window is open and stock is left, with its one
    email owed in the same commit; a repeat of the same school changes nothing and sends
    nothing. Conflict (409) when closed or sold out."""
    if not settings.window_open(now):
        raise Conflict("Pack requests are closed at the moment.")
    pack_id = pack_id_of(secret, settings.edition, body.school, body.postcode)
    item = pack_item(body, pack_id=pack_id, person=person, edition=settings.edition, now=now,
                     ttl=ttl)
    owed = outbox.email(pack_email(body.email, site_url=settings.site_url),
                        purpose="pack-confirmation", person=person)
    claim = store.claim(item, edition=settings.edition, stock=settings.stock, owed=owed,
                        now=now)
    if claim is Claim.SOLD_OUT:
        raise Conflict("All the free packs have been promised: there are none left.")
    return claim


# -- organisers --------------------------------------------------------------------------------
def admin_pack(item: Mapping[str, Any]) -> AdminPack:
    return AdminPack(
        pack_id=item["pack_id"], school=item["school"], contact_name=item["contact_name"],
        email=item["email"], address_line1=item["address_line1"],
        address_line2=item.get("address_line2"), town=item["town"], postcode=item["postcode"],
        requested_at=item["requested_at"], dispatched_at=item.get("dispatched_at"),
    )


# Column names a mail merge or a courier's bulk upload maps directly.
EXPORT_COLUMNS = ("pack_id", "contact_name", "school", "address_line1", "address_line2", "town",
                  "postcode", "email", "requested_at", "dispatched_at")


def export_csv(items: Iterable[Mapping[str, Any]]) -> str:
    """The dispatch list, oldest request first; every cell neutralised against formulas."""
    ordered = sorted(items, key=lambda i: (str(i["requested_at"]), str(i["pack_id"])))
    return csv_text(EXPORT_COLUMNS, ordered)
