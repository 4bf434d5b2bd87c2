"""The outbox consumer's settings: validated once from the environment (`shared.config.load`)."""

from __future__ import annotations

from shared.config import BaseConfig, CdnConfig, MailConfig, load


class EffectsSettings(BaseConfig, MailConfig, CdnConfig):
    """The outbox consumer sends email, copies and deletes files, invalidates CDN paths and
    enters approved photos in the draw (their entries expire with personal data)."""


def settings() -> EffectsSettings:
    loaded: EffectsSettings = load(EffectsSettings)  # validated once (load caches)
    return loaded
