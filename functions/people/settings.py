"""The settings of people's data (people-api and people-email-feedback), validated once."""

from __future__ import annotations

from shared.config import BaseConfig, load


class PeopleSettings(BaseConfig):
    """Where people's data lives: the table and the media bucket (erasure counts a person's
    files); the server secret in the table keys each email's pseudonym."""


def settings() -> PeopleSettings:
    loaded: PeopleSettings = load(PeopleSettings)  # validated once per cold start (load caches)
    return loaded
