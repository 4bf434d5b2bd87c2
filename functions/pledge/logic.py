"""The pledge domain: pledges, double opt-in sign-ups, messages to government.

Plain functions over the models and stored records (`functions/pledge/records.py`), with storage
as a port (`PledgePort`), so the rules read without boto3; emails are effects the registering
transaction owes (`shared.outbox`). The invariants themselves ("counted once", "single-use
token", "decided from this state") are conditions in the store; the logic only chooses what to
ask for. People's data (erasure, the sign-ups' export, suppression) is `functions/people/`.
"""

from __future__ import annotations

import hashlib
import html
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

from functions.pledge.models import (
    ROLES,
    AdminMessage,
    DecisionIn,
    MessageIn,
    MessageStatus,
    PledgeIn,
    PledgeSummary,
    PublicMessage,
    SignupIn,
    WallPledge,
)
from functions.pledge.records import MessageRecord, PledgeRecord
from shared import outbox
from shared.dynamo import Item
from shared.errors import BadRequest, Invalid
from shared.mail import Email
from shared.pledges import SignupRecord, role_attribute
from shared.types import iso, new_id

CONFIRM, UNSUBSCRIBE, PLEDGE = "confirm", "unsubscribe", "pledge"  # token purposes


# -- tokens ------------------------------------------------------------------------------------
def new_token() -> tuple[str, str]:
    """A random link token and the only thing stored about it: its sha256."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Token:
    """A link token as stored: its hash, what it is for, until when; a pledge token also holds
    the details its confirmation publishes."""

    digest: str
    purpose: str
    expires_at: int
    ttl: int
    details: dict[str, Any] | None = None


@dataclass(frozen=True)
class Mailing:
    """What registering an address owes, in one transaction: the resend window stamped at
    `now` (refused if mailed after `resend_after`), the link `tokens`, and the `owed` email."""

    now: datetime
    resend_after: datetime
    ttl: int
    tokens: Sequence[Token]
    owed: outbox.Effect


# -- ports ---------------------------------------------------------------------------------
class PledgePort(Protocol):
    """Registering stamps the resend window, stores the tokens and owes the email in one
    transaction: True when this request did it (False: mailed recently, or confirmed)."""

    def register_pledge(self, person: str, mailing: Mailing) -> bool: ...

    def confirm_pledge(self, digest: str, *, now: datetime, ttl: int) -> str | None: ...

    def register_signup(self, signup: SignupRecord, mailing: Mailing) -> bool: ...

    def redeem(self, digest: str, *, purpose: str, now: datetime) -> bool: ...

    def summary(self) -> Mapping[str, Any] | None: ...

    def wall(self, limit: int, start: Item | None) -> tuple[list[PledgeRecord], Item | None]: ...

    def add_message(self, record: MessageRecord) -> None: ...

    def approved_messages(
        self, limit: int, start: Item | None
    ) -> tuple[list[MessageRecord], Item | None]: ...

    def every_approved_message(self) -> list[MessageRecord]: ...

    def messages_by_status(
        self, status: str, limit: int, start: Item | None
    ) -> tuple[list[MessageRecord], Item | None]: ...

    def decide_message(
        self, message_id: str, change: Transition, *, actor: str, now: datetime
    ) -> MessageRecord: ...


class CursorPort(Protocol):
    """Signs a list's last key into an opaque cursor and reads it back (`shared.http.Cursors`)."""

    def start(self, cursor: str | None, scope: str) -> Item | None: ...

    def next(self, last: Item | None, scope: str) -> str | None: ...


class WritePort(Protocol):
    """Counts one public write of the calling client (429 beyond its allowance)."""

    def count(self, app: Any, now: datetime) -> None: ...


def email_effect(person: str, email: Email, *, purpose: str) -> outbox.Effect:
    """The email as an effect owed by the change that commits it (sent by the outbox)."""
    return outbox.effect(
        "email",
        {
            "purpose": purpose,
            "to": email.to,
            "subject": email.subject,
            "text": email.text,
            "html": email.html,
        },
        person=person,
    )


@dataclass(frozen=True)
class LinkSettings:
    """Emailed links: where they point, how long they work, how often one address is mailed."""

    site_url: str
    token_ttl: timedelta
    resend_after: timedelta


@dataclass(frozen=True)
class Ports:
    """What the pledge API is assembled from, once per cold start (`handler.ports`)."""

    store: PledgePort
    cursors: CursorPort
    writes: WritePort
    links: LinkSettings
    person: Callable[[str], str]  # the keyed pseudonym of a normalised email
    retention_ttl: int  # when personal data is forgotten (epoch seconds)


def _greeting_safe(text: str, html_body: str) -> tuple[str, str]:
    """Mail to an address that has not confirmed anything says "Hello," and nothing the
    requester typed: anyone can type "Visit http://evil..." as a name and send it to anyone."""
    return "Hello,\n\n" + text, "<p>Hello,</p>" + html_body


# -- pledges -----------------------------------------------------------------------------------
PLEDGE_DETAILS = ("name", "role", "organisation", "show_on_wall")


def pledge_details(body: PledgeIn) -> dict[str, Any]:
    """What a confirmation will publish: kept with its token until then, never on the pledge."""
    return body.model_dump(include=set(PLEDGE_DETAILS))


def confirmed_pledge(
    details: Mapping[str, Any],
    existing: PledgeRecord | None,
    *,
    person: str,
    now: datetime,
    ttl: int,
) -> PledgeRecord:
    """The pledge after confirming `details`: a new one, or the person's one pledge with new
    details (same id, same place on the wall, same edition)."""
    return PledgeRecord(
        person=person,
        pledge_id=existing.pledge_id if existing else new_id(),
        **{field: details[field] for field in PLEDGE_DETAILS},
        created_at=existing.created_at if existing else iso(now),
        confirmed_at=iso(now),
        ttl=ttl,
        edition=existing.edition if existing else None,
    )


def counter_changes(before: str | None, after: str) -> dict[str, int]:
    """Summary deltas (`count`, `role_<role>`) of a pledge confirmed with role `after` when it
    had role `before` (None: not pledged). A person counts once: a repeat moves their role."""
    if before is None:
        return {"count": 1, role_attribute(after): 1}
    if before == after:
        return {}
    return {role_attribute(before): -1, role_attribute(after): 1}


def pledge_email(to: str, *, site_url: str, token: str) -> Email:
    url = f"{site_url.rstrip('/')}/pledge/confirm?{urlencode({'token': token})}"
    text, body = _greeting_safe(
        "Thank you for pledging to recognise school science technicians during "
        "#TECHOGNITION. Your pledge counts, and appears on the pledge wall if you chose that, "
        "once you confirm it: open this link and press the confirm button.\n\n"
        f"{url}\n\n"
        "If you did not pledge, ignore this email: nothing is counted or shown without your "
        "confirmation.\n",
        "<p>Thank you for pledging to recognise school science technicians during "
        "#TECHOGNITION. Your pledge counts, and appears on the pledge wall if you chose that, "
        "once you confirm it.</p>"
        f'<p><a href="{html.escape(url)}">Confirm my pledge</a></p>'
        "<p>If you did not pledge, ignore this email: nothing is counted or shown without your "
        "confirmation.</p>",
    )
    return Email(to=to, subject="Please confirm your #TECHOGNITION pledge", text=text, html=body)


def pledge(
    store: PledgePort, body: PledgeIn, *, person: str, now: datetime, settings: LinkSettings
) -> bool:
    """Owe a mail with a link that confirms exactly these details, unless this address was
    mailed recently. Nothing counts yet, and the caller's answer is the same either way."""
    expires = int((now + settings.token_ttl).timestamp())
    token, digest = new_token()
    email = pledge_email(body.email, site_url=settings.site_url, token=token)
    return store.register_pledge(
        person,
        Mailing(
            now=now,
            resend_after=now - settings.resend_after,
            ttl=expires,
            tokens=[Token(digest, PLEDGE, expires, expires, pledge_details(body))],
            owed=email_effect(person, email, purpose="pledge-confirmation"),
        ),
    )


def confirm_pledge(store: PledgePort, token: str, *, now: datetime, ttl: int) -> str:
    """The confirmed pledge's id, the same however often the link is used before it expires."""
    pledge_id = store.confirm_pledge(token_hash(token), now=now, ttl=ttl)
    if pledge_id is None:
        raise BadRequest("This link is not valid: it may have expired.")
    return pledge_id


def summary_of(counters: Mapping[str, Any] | None) -> PledgeSummary:
    counters = counters or {}
    return PledgeSummary(
        count=int(counters.get("count", 0)),
        by_role={role: int(counters.get(role_attribute(role), 0)) for role in ROLES},
    )


def wall_item(record: PledgeRecord) -> WallPledge:
    return WallPledge(**record.model_dump(include=set(WallPledge.model_fields)))


WALL = "pledge-wall"  # the wall's cursor scope


def wall(ports: Ports, limit: int, cursor: str | None) -> tuple[list[WallPledge], str | None]:
    records, last = ports.store.wall(limit, ports.cursors.start(cursor, WALL))
    return [wall_item(r) for r in records], ports.cursors.next(last, WALL)


# -- sign-ups ----------------------------------------------------------------------------------
def signup_email(to: str, *, site_url: str, confirm: str, unsubscribe: str) -> Email:
    base = site_url.rstrip("/")
    confirm_url = f"{base}/signup/confirm?{urlencode({'token': confirm})}"
    unsubscribe_url = f"{base}/signup/unsubscribe?{urlencode({'token': unsubscribe})}"
    text, body = _greeting_safe(
        "Thank you for joining the #TECHOGNITION mailing list. Please confirm that you want our "
        "emails by opening this link and pressing the confirm button:\n\n"
        f"{confirm_url}\n\n"
        "If you did not ask for this, ignore this email and you will hear nothing more.\n\n"
        f"Unsubscribe: {unsubscribe_url}\n",
        "<p>Thank you for joining the #TECHOGNITION mailing list. Please confirm that you want "
        "our emails:</p>"
        f'<p><a href="{html.escape(confirm_url)}">Confirm my sign-up</a></p>'
        "<p>If you did not ask for this, ignore this email and you will hear nothing more.</p>"
        f'<p><a href="{html.escape(unsubscribe_url)}">Unsubscribe</a></p>',
    )
    return Email(to=to, subject="Please confirm your #TECHOGNITION sign-up", text=text, html=body)


def sign_up(
    store: PledgePort,
    body: SignupIn,
    *,
    person: str,
    now: datetime,
    settings: LinkSettings,
    ttl: int,
) -> bool:
    """Register (or refresh) a sign-up and owe a confirmation email, unless one went out
    recently or the address is already confirmed. The caller's answer is the same either way."""
    signup = SignupRecord(
        person=person,
        email=body.email,
        name=body.name,
        role=body.role,
        organisation=body.organisation,
    )
    confirm, confirm_digest = new_token()
    unsubscribe, unsubscribe_digest = new_token()
    expires = int((now + settings.token_ttl).timestamp())
    email = signup_email(
        body.email, site_url=settings.site_url, confirm=confirm, unsubscribe=unsubscribe
    )
    return store.register_signup(
        signup,
        Mailing(
            now=now,
            resend_after=now - settings.resend_after,
            ttl=ttl,
            tokens=[
                Token(confirm_digest, CONFIRM, expires, expires),
                Token(unsubscribe_digest, UNSUBSCRIBE, ttl, ttl),
            ],
            owed=email_effect(person, email, purpose="signup-confirmation"),
        ),
    )


def redeem(store: PledgePort, token: str, *, purpose: str, now: datetime) -> None:
    """Use a link token once; a bad, expired or used token is a 400."""
    if not store.redeem(token_hash(token), purpose=purpose, now=now):
        raise BadRequest("This link is not valid: it may have expired or been used already.")


# -- export ----------------------------------------------------------------------------------
MESSAGE_COLUMNS = ("message", "name", "role", "published_at")


def messages_export(records: Iterable[MessageRecord]) -> list[dict[str, Any]]:
    """The published messages in the order they were published (approved; a message approved
    again after a takedown counts from its latest approval)."""
    rows = [
        {
            "message": r.message,
            "name": r.name,
            "role": r.role,
            "published_at": r.decided_at or r.created_at,
        }
        for r in records
    ]
    return sorted(rows, key=lambda r: str(r["published_at"]))


# -- messages ------------------------------------------------------------------------------
def new_message(body: MessageIn, *, now: datetime, ttl: int) -> MessageRecord:
    """A message as received: pending moderation."""
    return MessageRecord(
        message_id=new_id(),
        message=body.message,
        name=body.name,
        role=body.role,
        status="pending",
        created_at=iso(now),
        ttl=ttl,
    )


@dataclass(frozen=True)
class Transition:
    to: MessageStatus
    allowed_from: tuple[MessageStatus, ...]
    reason: str | None


def transition(decision: DecisionIn) -> Transition:
    """Approve what is pending or was rejected; reject (take down) what is pending or approved."""
    if decision.decision == "approve":
        return Transition("approved", ("pending", "rejected"), decision.reason)
    if not decision.reason:
        raise Invalid(
            "A rejection needs a reason.",
            errors=[{"loc": ["body", "reason"], "msg": "required to reject"}],
        )
    return Transition("rejected", ("pending", "approved"), decision.reason)


def public_message(record: MessageRecord) -> PublicMessage:
    return PublicMessage(**record.model_dump(include=set(PublicMessage.model_fields)))


def admin_message(record: MessageRecord) -> AdminMessage:
    return AdminMessage(**record.model_dump(include=set(AdminMessage.model_fields)))


PUBLISHED = "messages"  # the approved list's cursor scope


def approved_messages(
    ports: Ports, limit: int, cursor: str | None
) -> tuple[list[PublicMessage], str | None]:
    records, last = ports.store.approved_messages(limit, ports.cursors.start(cursor, PUBLISHED))
    return [public_message(r) for r in records], ports.cursors.next(last, PUBLISHED)


def message_queue(
    ports: Ports, status: MessageStatus, limit: int, cursor: str | None
) -> tuple[list[AdminMessage], str | None]:
    """A page of the organisers' queue of messages in `status`, newest first."""
    scope = f"admin-messages:{status}"
    records, last = ports.store.messages_by_status(
        status, limit, ports.cursors.start(cursor, scope)
    )
    return [admin_message(r) for r in records], ports.cursors.next(last, scope)
