"""The moderation API's settings: validated once from the environment (`shared.config.load`).

Moderation decides and owes the rest: the emails, copies, CDN invalidations and draw entries a
decision implies are the outbox consumer's (functions/effects/), so it needs neither mail, CDN
nor draw settings. What is left: where state lives (the table, the bucket whose private images
organisers see by signed URL), the public media base and the site's address (the uploader's
email links to the share page), all in `BaseConfig`.
"""

from __future__ import annotations

from shared.config import BaseConfig, load


class ModerationSettings(BaseConfig):
    """The moderation API (infra/settings.py builds the environment every function gets)."""


def settings() -> ModerationSettings:
    loaded: ModerationSettings = load(ModerationSettings)  # validated once (load caches)
    return loaded
