"""How the draw's two entry points (the API, `handler.py`, and the hourly run, `scheduled.py`)
are assembled: one `logic.Ports` bundle, built once per cold start from the validated
environment (`settings.py`), with the adapters imported only here."""

from __future__ import annotations

from functions.prizedraw import logic
from functions.prizedraw.settings import DrawSettings, settings

_built: tuple[DrawSettings, logic.Ports] | None = None


def _assemble(config: DrawSettings) -> logic.Ports:
    from functions.prizedraw.notify import MailNotifier
    from functions.prizedraw.store import TableStore
    from shared.dynamo import Table
    from shared.people import calendar_of, person_id

    store = TableStore(Table(config.table_name))
    organisers = [(address, person_id(config, address)) for address in config.organiser_emails]
    # Who may never win, as pseudonyms (the draw never handles their addresses): the configured
    # exclusions and the organisers.
    excluded = frozenset(person_id(config, address) for address in
                         (*config.draw_excluded_emails, *config.organiser_emails))
    return logic.Ports(
        draws=store,
        notifier=MailNotifier(store, organisers=organisers, site_url=config.site_url),
        settings=logic.Settings(winners_per_day=config.winners_per_day, excluded_ids=excluded,
                                deadline_hours=config.draw_deadline_hours),
        calendar=calendar_of(config),
    )


def ports() -> logic.Ports:
    """The bundle of this cold start: built again only when the environment is loaded again
    (`shared.config.load` is cached; tests clear it between environments)."""
    global _built  # noqa: PLW0603 - the one per-process bundle
    config = settings()
    if _built is None or _built[0] is not config:
        _built = (config, _assemble(config))
    return _built[1]
