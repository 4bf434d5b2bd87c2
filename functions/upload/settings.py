"""The upload functions' settings: each validated once from the environment (`shared.config.load`).

Three functions, three models composed from `shared.config`'s bases (infra/settings.py builds
the environment every function gets):
- the API (`handler.py`): reservations (the form's limits, per-IP and per-person limits), the
  gallery, reports;
- the processor (`processor.py`): the pre-screen, and the size limit of an upload whose record
  lost its reserved size;
- the dead-letter consumer (`failures.py`): the table only.
"""

from __future__ import annotations

from shared.config import BaseConfig, PrescreenConfig, UploadConfig, load


class UploadApiSettings(BaseConfig, UploadConfig):
    """The upload API: where state lives, the event's week, the upload form's limits."""


class ProcessorSettings(BaseConfig, PrescreenConfig, UploadConfig):
    """The upload processor: the pre-screen's mode, checks and confidence; `max_upload_bytes`."""


class FailuresSettings(BaseConfig):
    """The dead-letter consumer: it only marks photos failed."""


# Each validated once per cold start (`load` caches): what `shared.assemble.assembled` reads.
def api_settings() -> UploadApiSettings:
    loaded: UploadApiSettings = load(UploadApiSettings)
    return loaded


def processor_settings() -> ProcessorSettings:
    loaded: ProcessorSettings = load(ProcessorSettings)
    return loaded


def failures_settings() -> FailuresSettings:
    loaded: FailuresSettings = load(FailuresSettings)
    return loaded
