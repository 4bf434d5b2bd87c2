"""Assembling people's data: one `Ports` bundle per cold start (`shared.assemble`), shared by the
API and the feedback consumer."""

from __future__ import annotations

from functools import partial

from functions.people.logic import Ports
from functions.people.settings import PeopleSettings, settings
from shared.assemble import assembled


def _build(config: PeopleSettings) -> Ports:
    from functions.people.store import PeopleStore
    from shared.dynamo import Table
    from shared.media import S3Media
    from shared.people import person_id

    return Ports(
        store=PeopleStore(Table(config.table_name), S3Media(config.media_bucket)),
        person=partial(person_id, config),
    )


ports = assembled(settings, _build)  # one bundle per cold start
