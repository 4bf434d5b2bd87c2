"""The usage profile (docs/usage.json): what each operation costs in units, and how often each
happens in each scenario (the busy reference week, the idle months)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from infra.constants import PROJECT_ROOT

USAGE = PROJECT_ROOT / "docs" / "usage.json"

# The per-invocation footprints an operation may have, summed over a scenario by the model.
Footprint = Literal[
    "wru",
    "rru",
    "log_bytes",
    "response_bytes",
    "bytes_out",
    "s3_get",
    "s3_put",
    "s3_post",
    "sqs",
    "sns",
    "emails",
    "scheduler",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Operation(_Frozen):
    """One operation's footprint per occurrence (measured or assumed, as `basis` says)."""

    function: str | None = None  # the wiring's function that runs it; None: no function runs
    route: str | None = None  # the API route it calls, if it is one
    duration_ms: float | None = None  # overrides the function's usual duration
    cdn_hit_ratio: float = 0.0  # the share the CDN answers from its cache (cacheable routes)
    effects: float = 0.0  # outbox effects a committed change owes (shared/outbox.py)
    wru: float = 0.0
    rru: float = 0.0
    log_bytes: float = 0.0
    response_bytes: float = 0.0
    bytes_out: float = 0.0
    s3_get: float = 0.0
    s3_put: float = 0.0
    s3_post: float = 0.0
    sqs: float = 0.0
    sns: float = 0.0
    emails: float = 0.0
    scheduler: float = 0.0
    basis: str = ""

    def footprint(self, key: Footprint) -> float:
        value: float = getattr(self, key)
        return value


class LambdaUsage(_Frozen):
    duration_ms: dict[str, float]  # by function name
    init_ms: float
    cold_start_share: float


class Images(_Frozen):
    display_bytes: float
    thumbnail_bytes: float
    thumbnail_share_of_views: float
    gallery_page_items: float
    cdn_miss_ratio: float


class Logs(_Frozen):
    api_access_log_bytes: float


class XRay(_Frozen):
    reservoir_per_second: float
    rate: float


class SqsPolling(_Frozen):
    pollers_per_mapping: float
    pollers_per_mapping_low: float
    wait_seconds: int
    always_free_requests_per_month: float
    source: str


class Storage(_Frozen):
    table_bytes_per_upload: float
    table_bytes_per_other_write: float


class Stored(_Frozen):
    """What is stored during the scenario, and how full the store is on average."""

    uploads: float
    other_writes: float
    average_fill: float


class Scenario(_Frozen):
    title: str
    settings: dict[str, Any] = Field(default_factory=dict)  # merged over cdk.json's context
    cdn_cache: bool = True  # False: what the CDN's cache of API answers saves
    days: float
    uploads: float
    api_calls: float
    image_views: float
    approval_share: float
    status_polls_per_upload: float
    bounce_share: float
    traffic_hours: float
    organisers_active: float
    scheduled_runs: float
    draws: float
    calls: dict[str, float]  # further operations by name
    stored: Stored
    days_after_event: float
    goal_usd: float
    goal_checked: bool = True  # False: the goal is compared for information only
    goal_excludes_stored_media: bool
    subtotals_without: dict[str, str] = Field(default_factory=dict)  # service: why

    @property
    def busy(self) -> bool:
        """Traffic in the scenario (not an idle month)."""
        return bool(self.api_calls or self.uploads)


class Usage(_Frozen):
    lambda_: LambdaUsage = Field(alias="lambda")
    images: Images
    operations: dict[str, Operation]
    logs: Logs
    xray: XRay
    sqs_polling: SqsPolling
    storage: Storage
    scenarios: dict[str, Scenario]


def load_usage(path: Path = USAGE) -> Usage:
    return Usage.model_validate_json(path.read_text(encoding="utf-8"))
