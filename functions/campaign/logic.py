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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from functions.campaign.models import AdminPack, Availability, PackIn
from functions.campaign.records import PackRecord
from shared import outbox
from shared.dynamo import Item
from shared.errors import Conflict
from shared.mail import Email
from shared.types import iso


class Claim(Enum):
    REQUESTED = "requested"
    ALREADY_REQUESTED = "already_requested"
    SOLD_OUT = "sold_out"


class PackPort(Protocol):
    def promised(self, edition: str) -> int: ...

    def claim(self, record: PackRecord, *, stock: int, owed: outbox.Effect, now: datetime) -> Claim:
        """REQUESTED: the pack is promised and `owed` committed with it; else nothing written."""
        ...

    def page(
        self, edition: str, limit: int, start: Item | None
    ) -> tuple[list[PackRecord], Item | None]: ...

    def every(self, edition: str) -> list[PackRecord]: ...

    def mark_dispatched(self, pack_id: str, *, actor: str, now: datetime) -> PackRecord: ...


class CursorPort(Protocol):
    """Signs a list's last key into an opaque cursor and reads it back (`shared.http.Cursors`)."""

    def start(self, cursor: str | None, scope: str) -> Item | None: ...

    def next(self, last: Item | None, scope: str) -> str | None: ...


class WritePort(Protocol):
    """Counts one public write of the calling client (429 beyond its allowance)."""

    def count(self, app: Any, now: datetime) -> None: ...


@dataclass(frozen=True)
class PackSettings:
    """One edition's packs: how many, and when schools may ask (UTC instants; None: no limit)."""

    edition: str
    stock: int
    opens_at: datetime | None
    closes_at: datetime | None  # the first instant at which requests are closed
    site_url: str

    @classmethod
    def of(
        cls,
        *,
        edition: str,
        stock: int,
        opens: date | None,
        closes: date | None,
        tz: str,
        site_url: str,
    ) -> PackSettings:
        """Open from the start of `opens` to the end of `closes`, both days in the event's zone."""
        zone = ZoneInfo(tz)
        return cls(
            edition=edition,
            stock=stock,
            opens_at=datetime.combine(opens, time(0), tzinfo=zone) if opens else None,
            closes_at=(
                datetime.combine(closes + timedelta(days=1), time(0), tzinfo=zone)
                if closes
                else None
            ),
            site_url=site_url,
        )

    def window_open(self, now: datetime) -> bool:
        return (self.opens_at is None or self.opens_at <= now) and (
            self.closes_at is None or now < self.closes_at
        )


@dataclass(frozen=True)
class Ports:
    """What the campaign API is assembled from, once per cold start (`handler.ports`)."""

    store: PackPort
    cursors: CursorPort
    writes: WritePort
    packs: PackSettings
    person: Callable[[str], str]  # the keyed pseudonym of a normalised email
    pack_secret: Callable[[], bytes]  # keys pack ids (read from the table when first needed)
    retention_ttl: int  # when personal data is forgotten (epoch seconds)
    table: Any  # the editions' reads (functions/campaign/stats.py)


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


def pack_record(
    body: PackIn, *, pack_id: str, person: str, edition: str, now: datetime, ttl: int
) -> PackRecord:
    """The request as stored: forgotten with the event's personal data."""
    return PackRecord(
        pack_id=pack_id,
        edition=edition,
        person=person,
        **body.model_dump(
            include={"school", "contact_name", "email", "address_line1", "town", "postcode"}
        ),
        address_line2=body.address_line2 or None,
        requested_at=iso(now),
        ttl=ttl,
    )


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


def request_pack(
    store: PackPort,
    body: PackIn,
    *,
    person: str,
    secret: bytes,
    settings: PackSettings,
    now: datetime,
    ttl: int,
) -> Claim:
    """Promise one pack to a school, if the window is open and stock is left, with its one
    email owed in the same commit; a repeat of the same school changes nothing and sends
    nothing. Conflict (409) when closed or sold out."""
    if not settings.window_open(now):
        raise Conflict("Pack requests are closed at the moment.")
    pack_id = pack_id_of(secret, settings.edition, body.school, body.postcode)
    record = pack_record(
        body, pack_id=pack_id, person=person, edition=settings.edition, now=now, ttl=ttl
    )
    owed = outbox.email(
        pack_email(body.email, site_url=settings.site_url),
        purpose="pack-confirmation",
        person=person,
    )
    claim = store.claim(record, stock=settings.stock, owed=owed, now=now)
    if claim is Claim.SOLD_OUT:
        raise Conflict("All the free packs have been promised: there are none left.")
    return claim


# -- organisers --------------------------------------------------------------------------------
def admin_pack(record: PackRecord) -> AdminPack:
    return AdminPack(**record.model_dump(include=set(AdminPack.model_fields)))


def admin_packs(ports: Ports, limit: int, cursor: str | None) -> tuple[list[AdminPack], str | None]:
    """A page of this edition's requests, newest first."""
    scope = f"admin-packs:{ports.packs.edition}"
    records, last = ports.store.page(ports.packs.edition, limit, ports.cursors.start(cursor, scope))
    return [admin_pack(r) for r in records], ports.cursors.next(last, scope)


# Column names a mail merge or a courier's bulk upload maps directly.
EXPORT_COLUMNS = (
    "pack_id",
    "contact_name",
    "school",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "email",
    "requested_at",
    "dispatched_at",
)


def export_rows(records: Iterable[PackRecord]) -> list[dict[str, Any]]:
    """The dispatch list, oldest request first (`shared.http.csv_response` neutralises every
    cell against formulas)."""
    ordered = sorted(records, key=lambda r: (r.requested_at, r.pack_id))
    return [r.model_dump(include=set(EXPORT_COLUMNS)) for r in ordered]
