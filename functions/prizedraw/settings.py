"""The prize draw's environment (both entry points: the API and the hourly run), validated once
per cold start.

Composed from the shared bases: where state lives and when the event is (`BaseConfig`), and who
may win, how many, and who is told (`DrawConfig`). No `MailConfig`: the draw sends nothing
itself, its emails are effects the outbox consumer sends (`shared.outbox`).
"""

from __future__ import annotations

from shared.config import BaseConfig, DrawConfig, load


class DrawSettings(BaseConfig, DrawConfig):
    """`organiser_emails` and `draw_excluded_emails` arrive as checked, lower-cased tuples."""


def settings() -> DrawSettings:
    loaded: DrawSettings = load(DrawSettings)  # cached: once per cold start
    return loaded
