"""The pledge API's settings, validated once per cold start."""

from __future__ import annotations

from shared.config import BaseConfig, SignupConfig, WriteLimitConfig, load


class PledgeSettings(BaseConfig, WriteLimitConfig, SignupConfig):
    """Pledges, sign-ups and messages: public writes limited per IP, confirmation links.

    No mail settings: the confirmation emails are owed to the outbox, which sends them."""


def settings() -> PledgeSettings:
    loaded: PledgeSettings = load(PledgeSettings)  # validated once per cold start (load caches)
    return loaded
