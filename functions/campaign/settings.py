"""The campaign API's settings, validated once per cold start."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from shared.config import BaseConfig, WriteLimitConfig, load


class CampaignSettings(BaseConfig, WriteLimitConfig):
    """Free event packs (infra/settings.py has the cloud's values). No mail settings: the
    confirmation email is owed to the outbox, which sends it."""

    # Packs promised at most in one edition; requests are taken from the first day to the last
    # (both in the event's zone, inclusive). Unset: open now, and until the event's last day.
    pack_stock: int = Field(default=1000, ge=0)
    packs_open: date | None = None
    packs_close: date | None = None


def settings() -> CampaignSettings:
    loaded: CampaignSettings = load(CampaignSettings)  # validated once (load caches)
    return loaded
