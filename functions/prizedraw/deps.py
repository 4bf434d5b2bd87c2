"""What the draw's entry points (API and schedule) build from the validated environment."""

from __future__ import annotations

from functions.prizedraw.logic import Settings
from functions.prizedraw.notify import MailNotifier
from functions.prizedraw.store import TableStore
from shared.calendar import EventCalendar
from shared.config import ApiConfig, load
from shared.dynamo import Table
from shared.people import calendar_of, person_id


def config() -> ApiConfig:
    loaded: ApiConfig = load(ApiConfig)  # validated once per cold start (load caches)
    return loaded


def store() -> TableStore:
    return TableStore(Table(config().table_name))


def notifier(table_store: TableStore) -> MailNotifier:
    return MailNotifier(table_store, config())


def calendar() -> EventCalendar:
    return calendar_of(config())


def settings() -> Settings:
    """Winners per day, the deadline, and who may never win: the configured excluded emails and
    the organisers (as pseudonyms: the draw never handles their addresses)."""
    cfg = config()
    emails = (*cfg.draw_excluded_emails, *cfg.organiser_emails)
    return Settings(
        winners_per_day=cfg.winners_per_day,
        excluded_ids=frozenset(person_id(cfg, email) for email in emails),
        deadline_hours=cfg.draw_deadline_hours,
    )
