"""The `?edition=` query parameter of the public lists (GET /photos, /draws, /stats)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.config import BaseConfig
from shared.editions import edition_of

EditionParam = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{4}$",
        description="An edition (its year, e.g. 2027); default: the current one",
    ),
]


def current_edition(config: BaseConfig) -> str:
    """The configured event window is the current edition."""
    return edition_of(config.event_start)


def chosen(config: BaseConfig, edition: str | None) -> str:
    return edition or current_edition(config)
