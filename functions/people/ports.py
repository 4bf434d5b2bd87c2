"""Assembling people's data: one `Ports` bundle per cold start (and per settings), shared by the
API and the feedback consumer."""

from __future__ import annotations

from functools import cache, partial

from functions.people.logic import Ports
from functions.people.settings import PeopleSettings, settings


def ports() -> Ports:
    return _ports(settings())


@cache
def _ports(config: PeopleSettings) -> Ports:
    from functions.people.store import PeopleStore, S3Files
    from shared.dynamo import Table
    from shared.people import person_id

    return Ports(
        store=PeopleStore(Table(config.table_name), S3Files(config.media_bucket)),
        person=partial(person_id, config),
    )
