"""The event calendar: which instants fall on which event day, in the event's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class EventCalendar:
    start: date
    end: date
    tz: str = "Europe/London"

    def day_of(self, instant: datetime) -> date:
        """The local calendar day of a UTC instant (23:12 BST on 8 March is 8 March)."""
        return instant.astimezone(ZoneInfo(self.tz)).date()

    def is_event_day(self, day: date) -> bool:
        return self.start <= day <= self.end

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def day_ends_at(self, day: date) -> datetime:
        """The UTC instant at which `day` is over in the event's zone (BST-aware)."""
        midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(self.tz))
        return midnight.astimezone(UTC)

    def ended_days(self, now: datetime) -> list[date]:
        """Event days that are already over at `now`."""
        return [d for d in self.days() if self.day_ends_at(d) <= now]

    def retention_until(self, retention_days: int) -> int:
        """Epoch seconds for the TTL of personal data: `retention_days` after the event ends."""
        return int((self.day_ends_at(self.end) + timedelta(days=retention_days)).timestamp())
