"""Emails about draws: winners hear what to do next; organisers get the list with contacts.

Each email is an effect (`shared.outbox`) the draw's own commit writes, one per recipient, so a
made draw always tells its winners and organisers, exactly once, even when the commit's answer
is lost and the organiser's retry is told "already drawn". The outbox consumer sends them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from shared import mail, outbox
from shared.entries import StoredDraw, StoredPrize, StoredWinner
from shared.observability import logger
from shared.types import iso


class Contacts(Protocol):
    def contact_email(self, photo_id: str) -> str | None: ...


def prize_line(prize: StoredPrize | None) -> str:
    """The prize as one line ("A microscope, given by Gratnells"); empty if none was named."""
    if prize is None:
        return ""
    sponsor = f", given by {prize.sponsor}" if prize.sponsor else ""
    return f"{prize.title}{sponsor}"


def winner_email(
    *, to: str, display_name: str, day: str, prize: StoredPrize | None, site_url: str
) -> mail.Email:
    """The winner's email, all of its text."""
    named = prize_line(prize)
    won = f"Your prize: {named}\n" if named else ""
    about = f"{prize.description}\n" if prize and prize.description else ""
    text = (
        f"Hello {display_name},\n\n"
        f"Congratulations! Your #TECHOGNITION photo has won a prize in the draw for {day}.\n\n"
        + (f"{won}{about}\n" if won else "")
        + "What to do next: reply to this email within 14 days with the postal address of your "
        "school (for the attention of you, the winner) so that our sponsors can send your "
        "prize. If we do not hear from you, the prize may be redrawn.\n\n"
        f"You can check the draw yourself: {site_url.rstrip('/')}/draws/{day}\n\n"
        "Thank you for everything technicians do,\nThe #TECHOGNITION team"
    )
    return mail.Email(to=to, subject="You won a #TECHOGNITION prize", text=text)


class MailNotifier:
    """Builds the draw's emails as outbox effects; sends nothing itself.

    `person` keys an address's pseudonym: it lets a suppressed organiser's address skip its
    email and an erasure drop it.
    """

    def __init__(
        self,
        contacts: Contacts,
        *,
        organisers: Sequence[str],
        person: Callable[[str], str],
        site_url: str,
    ) -> None:
        self.contacts = contacts
        self.organisers = tuple(organisers)
        self.person = person
        self.site_url = site_url

    def _organisers(self, subject: str, text: str) -> list[outbox.Effect]:
        return [
            outbox.email(
                mail.Email(to=address, subject=subject, text=text),
                purpose="draw-organisers",
                person=self.person(address),
            )
            for address in self.organisers
        ]

    def _winners(
        self, record: StoredDraw, winners: Sequence[StoredWinner]
    ) -> tuple[list[outbox.Effect], list[str]]:
        """The winners' emails, and the organisers' lines about them."""
        owed, lines = [], []
        for w in winners:
            address = self.contacts.contact_email(str(w.photo_id)) if w.photo_id else None
            if address is None:
                logger.warning("winner has no contact email", day=record.day, position=w.position)
            else:
                email = winner_email(
                    to=address,
                    display_name=str(w.display_name),
                    day=record.day,
                    prize=record.prize,
                    site_url=self.site_url,
                )
                owed.append(outbox.email(email, purpose="draw-winner", person=w.entrant_id))
            lines.append(
                f"  {w.position}. {w.display_name} ({w.school}), "
                f"photo {w.photo_id}, contact {address or '(no contact email found)'}"
            )
        return owed, lines

    def drawn(self, record: StoredDraw) -> list[outbox.Effect]:
        day = record.day
        owed, lines = self._winners(record, record.winners)
        pending = record.pending_at_draw or 0
        note = (
            f"\nNote: {pending} photo(s) of that day were still awaiting moderation.\n"
            if pending
            else ""
        )
        return owed + self._organisers(
            f"Prize draw for {day}: made",
            f"The prize draw for {day} was made ({record.trigger}) at "
            f"{record.drawn_at} among {record.entrant_count} entrant(s).\n"
            f"Prize: {prize_line(record.prize) or '(none was named)'}\n"
            f"{note}\nWinners (private contact details):\n"
            + "\n".join(lines or ["  (no entrants: no winners)"])
            + "\n",
        )

    def redrawn(self, record: StoredDraw, position: int) -> list[outbox.Effect]:
        day = record.day
        winner = next(w for w in record.winners if w.position == position)
        owed, lines = self._winners(record, [winner])
        last = record.redraws[-1]
        return owed + self._organisers(
            f"Prize draw for {day}: position {position} redrawn",
            f"Position {position} of the draw for {day} was redrawn ({last.reason}).\n\n"
            "New winner (private contact details):\n" + "\n".join(lines) + "\n",
        )

    def waiting(self, day: str, pending: int, deadline: datetime) -> list[outbox.Effect]:
        return self._organisers(
            f"Prize draw for {day}: waiting for moderation",
            f"{pending} photo(s) of {day} still await moderation, so the draw waits. It is "
            f"re-checked every hour and is made at the latest at {iso(deadline)}.\n",
        )
