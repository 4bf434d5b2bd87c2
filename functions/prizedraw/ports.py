"""How the draw's two entry points (the API, `handler.py`, and the hourly run, `scheduled.py`)
are assembled: one `logic.Ports` bundle per cold start (`shared.assemble`), from the validated
environment (`settings.py`), with the adapters imported only here."""

from __future__ import annotations

from functools import partial

from functions.prizedraw import logic
from functions.prizedraw.settings import DrawSettings, settings
from shared.assemble import assembled


def _never_win(config: DrawSettings) -> frozenset[str]:
    """The pseudonyms of the configured exclusions and the organisers: the draw never handles
    their addresses."""
    from shared.people import person_id

    return frozenset(
        person_id(config, address)
        for address in (*config.draw_excluded_emails, *config.organiser_emails)
    )


def _build(config: DrawSettings) -> logic.Ports:
    from functions.prizedraw.notify import MailNotifier
    from functions.prizedraw.store import TableStore
    from shared.dynamo import Table
    from shared.people import calendar_of, person_id

    store = TableStore(Table(config.table_name))
    return logic.Ports(
        draws=store,
        notifier=MailNotifier(
            store,
            organisers=config.organiser_emails,
            person=partial(person_id, config),
            site_url=config.site_url,
        ),
        settings=logic.Settings(
            winners_per_day=config.winners_per_day,
            deadline_hours=config.draw_deadline_hours,
            excluded_ids=partial(_never_win, config),
        ),
        calendar=calendar_of(config),
    )


ports = assembled(settings, _build)  # one bundle per cold start
