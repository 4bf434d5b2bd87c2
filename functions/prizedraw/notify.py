"""Emails about draws: winners hear what to do next; organisers get the list with contacts.

Each email is an effect (`shared.outbox`) the draw's own commit writes, one per recipient, so a
made draw always tells its winners and organisers, exactly once, even when the commit's answer
is lost and the organiser's retry is told "already drawn". The outbox consumer sends them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.prizedraw.store import TableStore
from shared import mail, outbox
from shared.config import ApiConfig
from shared.observability import logger
from shared.people import person_id
from shared.types import iso


def prize_line(prize: dict[str, Any] | None) -> str:
    """The prize as one line ("A microscope, given by Gratnells"); empty if none was named."""
    if not prize:
        return ""
    sponsor = f", given by {prize['sponsor']}" if prize.get("sponsor") else ""
    return f"{prize['title']}{sponsor}"


def winner_email(*, to: str, display_name: str, day: str, prize: dict[str, Any] | None,
                 site_url: str) -> mail.Email:
    """The winner's email, all of its text."""
    named = prize_line(prize)
    won = f"Your prize: {named}\n" if named else ""
    about = f"{prize['description']}\n" if prize and prize.get("description") else ""
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
    """Builds the draw's emails as outbox effects; sends nothing itself."""

    def __init__(self, store: TableStore, config: ApiConfig) -> None:
        self.store = store
        self.config = config
        self._contacts: dict[str, str | None] = {}  # photo id -> address, for a retried commit

    def _organisers(self, subject: str, text: str) -> list[outbox.Effect]:
        return [outbox.email(mail.Email(to=address, subject=subject, text=text),
                             purpose="draw-organisers", person=person_id(self.config, address))
                for address in self.config.organiser_emails]

    def _contact(self, photo_id: str) -> str | None:
        if photo_id not in self._contacts:
            self._contacts[photo_id] = self.store.contact_email(photo_id)
        return self._contacts[photo_id]

    def _winners(self, record: dict[str, Any],
                 winners: list[dict[str, Any]]) -> tuple[list[outbox.Effect], list[str]]:
        """The winners' emails, and the organisers' lines about them."""
        day = str(record["day"])
        owed, lines = [], []
        for w in winners:
            address = self._contact(str(w["photo_id"]))
            if address is None:
                logger.warning("winner has no contact email", day=day, position=w["position"])
            else:
                email = winner_email(to=address, display_name=str(w["display_name"]), day=day,
                                     prize=record.get("prize"), site_url=self.config.site_url)
                owed.append(outbox.email(email, purpose="draw-winner",
                                         person=str(w["entrant_id"])))
            lines.append(f"  {w['position']}. {w['display_name']} ({w['school']}), "
                         f"photo {w['photo_id']}, contact {address or '(no contact email found)'}")
        return owed, lines

    def drawn(self, record: dict[str, Any]) -> list[outbox.Effect]:
        day = str(record["day"])
        owed, lines = self._winners(record, list(record.get("winners", [])))
        pending = int(record.get("pending_at_draw") or 0)
        note = (f"\nNote: {pending} photo(s) of that day were still awaiting moderation.\n"
                if pending else "")
        return owed + self._organisers(
            f"Prize draw for {day}: made",
            f"The prize draw for {day} was made ({record.get('trigger')}) at "
            f"{record.get('drawn_at')} among {record.get('entrant_count')} entrant(s).\n"
            f"Prize: {prize_line(record.get('prize')) or '(none was named)'}\n"
            f"{note}\nWinners (private contact details):\n"
            + "\n".join(lines or ["  (no entrants: no winners)"]) + "\n",
        )

    def redrawn(self, record: dict[str, Any], position: int) -> list[outbox.Effect]:
        day = str(record["day"])
        winner = next(w for w in record["winners"] if w["position"] == position)
        owed, lines = self._winners(record, [winner])
        last = record["redraws"][-1]
        return owed + self._organisers(
            f"Prize draw for {day}: position {position} redrawn",
            f"Position {position} of the draw for {day} was redrawn ({last['reason']}).\n\n"
            "New winner (private contact details):\n" + "\n".join(lines) + "\n",
        )

    def waiting(self, day: str, pending: int, deadline: datetime) -> list[outbox.Effect]:
        return self._organisers(
            f"Prize draw for {day}: waiting for moderation",
            f"{pending} photo(s) of {day} still await moderation, so the draw waits. It is "
            f"re-checked every hour and is made at the latest at {iso(deadline)}.\n",
        )
