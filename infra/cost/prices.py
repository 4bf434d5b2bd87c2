"""The prices file (docs/prices.json): what each unit costs, and which resource types are billed
whatever the traffic."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from infra.constants import PROJECT_ROOT

PRICES = PROJECT_ROOT / "docs" / "prices.json"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class PriceItem(_Frozen):
    price: float = Field(ge=0)
    unit: str


class StandingSpec(_Frozen):
    """How a resource type with a standing charge is priced: a price key, per hour or month."""

    price_key: str
    per: Literal["hour", "month"]


class Prices(_Frozen):
    source: str
    taken: str
    caveat: str
    hours_per_month: float
    items: dict[str, PriceItem] = Field(alias="prices")
    standing_by_type: dict[str, StandingSpec]
    standing_unpriced_types: frozenset[str]

    def __getitem__(self, key: str) -> float:
        return self.items[key].price

    def unit(self, key: str) -> str:
        return self.items[key].unit

    def standing(self, key: str, per: Literal["hour", "month"], count: float = 1) -> float:
        """A month of `count` of something priced at `key` per hour or per month."""
        return self[key] * count * (self.hours_per_month if per == "hour" else 1)


def load_prices(path: Path = PRICES) -> Prices:
    return Prices.model_validate_json(path.read_text(encoding="utf-8"))
