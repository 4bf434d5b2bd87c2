"""Every function's settings at once, as the tests read the environment the stack gives them.

The functions each load their own model (`functions/<package>/settings.py`); a test that needs
the table's name, the retention or a limit reads this union of the same bases instead.
"""

from __future__ import annotations

from shared.config import (
    BaseConfig,
    CdnConfig,
    DrawConfig,
    MailConfig,
    PrescreenConfig,
    SignupConfig,
    UploadConfig,
)


class AllSettings(
    BaseConfig, MailConfig, CdnConfig, DrawConfig, PrescreenConfig, UploadConfig, SignupConfig
):
    """The union of the settings bases (each function's model picks some of them)."""
