"""Emails about draws: winners hear what to do next; organisers get the list with contacts.

Best effort by design: the draw is already committed when these go out, so a failing send is
logged (without the address) and never turns a made draw into an error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.prizedraw.store import TableStore
from shared import mail
from shared.config import ApiConfig
from shared.observability import logger, metrics
from shared.people import person_id
from shared.types import iso


def _addresses(raw: str) -> list[str]:
    return [a.strip().casefold() for a in raw.split(",") if a.strip()]


def prize_line(prize: dict[str, Any] | None) -> str:
    """The prize as one line ("A microscope, given by Gratnells"); empty if none was named."""
    if not prize:
        return ""
    sponsor = f", given by {prize['sponsor']}" if prize.get("sponsor") else ""
    return f"{prize['title']}{sponsor}"


def winner_email(*, to: str, display_name: str, day: str, prize: dict[str, Any] | None,
                 site_url: str) -> mail.Email:
    """The winner's email, all of its text (whoever sends it: here, or later an outbox)."""
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
    def __init__(self, store: TableStore, config: ApiConfig) -> None:
        self.store = store
        self.config = config

    def _send(self, person: str, email: mail.Email, purpose: str) -> None:
        try:
            mail.send(self.store.table, self.config.sender_email, person, email, purpose=purpose,
                      configuration_set=self.config.ses_configuration_set)
        except Exception as exc:
            logger.warning("draw email failed", purpose=purpose, error_type=type(exc).__name__)
            metrics.add_metric(name="DrawEmailFailed", unit="Count", value=1)

    def _organisers(self, subject: str, text: str) -> None:
        for address in _addresses(self.config.organiser_emails):
            self._send(person_id(self.config, address),
                       mail.Email(to=address, subject=subject, text=text), "draw-organisers")

    def _tell_winner(self, day: str, winner: dict[str, Any],
                     prize: dict[str, Any] | None) -> str | None:
        address = self.store.contact_email(str(winner["photo_id"]))
        if address is None:
            logger.warning("winner has no contact email", day=day, position=winner["position"])
            return None
        email = winner_email(to=address, display_name=str(winner["display_name"]), day=day,
                             prize=prize, site_url=self.config.site_url)
        self._send(str(winner["entrant_id"]), email, "draw-winner")
        return address

    def _winner_lines(self, record: dict[str, Any],
                      winners: list[dict[str, Any]]) -> list[str]:
        day = str(record["day"])
        lines = []
        for w in winners:
            contact = self._tell_winner(day, w, record.get("prize")) or "(no contact email found)"
            lines.append(f"  {w['position']}. {w['display_name']} ({w['school']}), "
                         f"photo {w['photo_id']}, contact {contact}")
        return lines

    def drawn(self, record: dict[str, Any]) -> None:
        day = str(record["day"])
        winners = list(record.get("winners", []))
        lines = self._winner_lines(record, winners) or ["  (no entrants: no winners)"]
        pending = int(record.get("pending_at_draw") or 0)
        note = (f"\nNote: {pending} photo(s) of that day were still awaiting moderation.\n"
                if pending else "")
        self._organisers(
            f"Prize draw for {day}: made",
            f"The prize draw for {day} was made ({record.get('trigger')}) at "
            f"{record.get('drawn_at')} among {record.get('entrant_count')} entrant(s).\n"
            f"Prize: {prize_line(record.get('prize')) or '(none was named)'}\n"
            f"{note}\nWinners (private contact details):\n" + "\n".join(lines) + "\n",
        )

    def redrawn(self, record: dict[str, Any], position: int) -> None:
        day = str(record["day"])
        winner = next(w for w in record["winners"] if w["position"] == position)
        lines = self._winner_lines(record, [winner])
        last = record["redraws"][-1]
        self._organisers(
            f"Prize draw for {day}: position {position} redrawn",
            f"Position {position} of the draw for {day} was redrawn ({last['reason']}).\n\n"
            "New winner (private contact details):\n" + "\n".join(lines) + "\n",
        )

    def waiting(self, day: str, pending: int, deadline: datetime) -> None:
        self._organisers(
            f"Prize draw for {day}: waiting for moderation",
            f"{pending} photo(s) of {day} still await moderation, so the draw waits. It is "
            f"re-checked every hour and is made at the latest at {iso(deadline)}.\n",
        )
