"""The estimate: every cost line of one scenario, from what the template deploys (Facts), how
much it is used (Usage) and what each unit costs (Prices)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from .prices import Prices
from .template import Facts
from .usage import Footprint, Operation, Scenario, Usage

GB = 1_000_000_000
SECONDS_PER_DAY = 86_400

Kind = Literal["request", "standing", "stored_data", "stored_media"]

FIXES = {
    "Rekognition": 'pre-screening per photo: {"prescreen": "faces"} is one call (the face/age '
    'check safeguarding needs), "all" two, "off" none (docs/OPERATIONS.md, Pre-screening)',
    "SES": "one email per decision: send a daily digest per uploader, or email approvals only",
    "CloudFront": "image bytes dominate: WebP/AVIF thumbnails, smaller display images",
    "X-Ray": "a sampling rule (e.g. 1% after the reservoir), or tracing PassThrough",
    "CloudWatch": "a dashboard is $3/month and each alarm metric $0.10: after the event deploy "
    'with {"monitoring": false} (no alarms, no dashboard; docs/OPERATIONS.md "After the week")',
    "SQS": "Lambda's pollers long-poll each mapped queue all month: after the event deploy with "
    '{"queue_polling": false} (the mappings are disabled; what arrives waits in its queue for '
    "the queue's retention)",
    "Lambda": "shorter processor runs or less memory (docs/BENCHMARKS.md, Image processing)",
    "DynamoDB": "fewer index writes per operation (sparse GSIs), smaller items",
}


@dataclass(frozen=True)
class Line:
    service: str
    item: str
    quantity: float
    unit: str
    usd: float
    kind: Kind
    fix: str = ""


def operation_counts(scenario: Scenario, usage: Usage) -> dict[str, float]:
    """How many times each operation of docs/usage.json happens in the scenario."""
    ops = usage.operations
    counts: dict[str, float] = defaultdict(float)
    counts.update(_driven_counts(scenario, usage))
    for name, n in scenario.calls.items():
        counts[name] += n
    routed = sum(n for op, n in counts.items() if ops[op].route)
    counts["other_api_read"] = max(0.0, scenario.api_calls - routed)
    # Each effect a committed change owes (shared/outbox.py) is one outbox invocation.
    counts["outbox_effect"] += sum(n * ops[op].effects for op, n in list(counts.items()))
    emails = sum(n * ops[op].emails for op, n in counts.items())
    counts["bounce"] = emails * scenario.bounce_share
    return dict(counts)


def _driven_counts(scenario: Scenario, usage: Usage) -> dict[str, float]:
    """The operations that follow from the scenario's uploads, views and schedules."""
    images = usage.images
    uploads = scenario.uploads
    approved = uploads * scenario.approval_share
    thumbs = scenario.image_views * images.thumbnail_share_of_views
    return {
        "reserve_upload": uploads,
        "upload_file": uploads,
        "process_upload": uploads,
        "upload_status": uploads * scenario.status_polls_per_upload,
        "approve_photo": approved,
        "reject_photo": uploads - approved,
        "moderator_view": uploads,
        "gallery_page": math.ceil(thumbs / images.gallery_page_items),
        "scheduled_run": scenario.scheduled_runs,
        "nightly_draw": scenario.draws,
    }


def xray_traces(invocations: float, scenario: Scenario, usage: Usage) -> float:
    seconds = scenario.traffic_hours * 3600
    reservoir = min(invocations, usage.xray.reservoir_per_second * seconds)
    return reservoir + usage.xray.rate * (invocations - reservoir)


def cdn_hits(
    requested: Mapping[str, float],
    ops: Mapping[str, Operation],
    facts: Facts,
    scenario: Scenario,
) -> dict[str, float]:
    """Requests of each operation the CDN answers from its cache: only for routes the template
    marks cacheable, at the hit ratio docs/usage.json assumes for that operation (a scenario may
    switch the cache off, to show what it saves)."""
    if not facts.api_behind_cdn or not scenario.cdn_cache:
        return {}
    return {
        op: n * ops[op].cdn_hit_ratio
        for op, n in requested.items()
        if ops[op].route in facts.cdn_cached_routes
    }


def estimate(
    facts: Facts,
    scenario: Scenario,
    usage: Usage,
    prices: Prices,
    custom_metrics: Iterable[str] = (),
) -> list[Line]:
    """Every cost line of one scenario. A standing charge without a price is NaN: loud."""
    est = _Estimate(facts, scenario, usage, prices)
    est.compute()
    est.dynamodb()
    est.media()
    est.cdn()
    est.messaging()
    est.observability(list(custom_metrics))
    est.standing()
    return est.lines


class _Estimate:
    """One scenario's lines, built service by service."""

    def __init__(self, facts: Facts, scenario: Scenario, usage: Usage, prices: Prices) -> None:
        self.facts, self.scenario, self.usage, self.prices = facts, scenario, usage, prices
        self.month_share = scenario.days * 24 / prices.hours_per_month
        self.ops = usage.operations
        requested = operation_counts(scenario, usage)
        # Every API call a browser makes; what the CDN answers from its cache never reaches
        # API Gateway, Lambda or DynamoDB (self.counts is what does).
        self.viewer_api_calls = sum(n for op, n in requested.items() if self.ops[op].route)
        self.viewer_response_bytes = sum(
            n * self.ops[op].response_bytes for op, n in requested.items()
        )
        self.cdn_hits = cdn_hits(requested, self.ops, facts, scenario)
        self.counts = {op: n - self.cdn_hits.get(op, 0.0) for op, n in requested.items()}
        self.api_calls = sum(n for op, n in self.counts.items() if self.ops[op].route)
        self.invocations: dict[str, float] = defaultdict(float)  # by architecture
        self.lines: list[Line] = []

    def add(
        self,
        service: str,
        item: str,
        quantity: float,
        unit: str,
        usd: float,
        kind: Kind = "request",
    ) -> None:
        self.lines.append(Line(service, item, quantity, unit, usd, kind, FIXES.get(service, "")))

    def charge(
        self,
        service: str,
        item: str,
        quantity: float,
        unit: str,
        price: str,
        per: float = 1,
        kind: Kind = "request",
    ) -> None:
        """A line of `quantity` at the price of `price` for each `per` of it."""
        self.add(service, item, quantity, unit, quantity / per * self.prices[price], kind)

    def total(self, key: Footprint) -> float:
        return sum(n * self.ops[op].footprint(key) for op, n in self.counts.items())

    def stored_share(self) -> float:
        return self.scenario.stored.average_fill * self.month_share

    @property
    def through_cdn(self) -> bool:
        return bool(self.facts.api_behind_cdn and self.facts.distributions)

    def compute(self) -> None:
        """Lambda GB-seconds at each function's memory and architecture (from the template),
        requests, and the HTTP API's requests."""
        for arch, gbs in sorted(self._gb_seconds().items()):
            key = "lambda_gb_second_arm64" if arch == "arm64" else "lambda_gb_second_x86_64"
            self.charge("Lambda", f"compute ({arch})", gbs, "GB-s", key)
        n = sum(self.invocations.values())
        self.charge("Lambda", "requests", n, "requests", "lambda_request", 1e6)
        if self.facts.http_apis:
            self.charge(
                "API Gateway",
                "HTTP API requests",
                self.api_calls,
                "requests",
                "http_api_request",
                1e6,
            )

    def _gb_seconds(self) -> dict[str, float]:
        """GB-seconds by architecture (INIT is billed); counts invocations on the way."""
        by_name = {fn.name: fn for fn in self.facts.functions.values()}
        lam = self.usage.lambda_
        gb_seconds: dict[str, float] = defaultdict(float)
        for op, n in self.counts.items():
            name = self.ops[op].function
            if not name or not n:
                continue
            fn = by_name.get(name)
            if fn is None:
                raise KeyError(f"usage names function {name!r}, the template has none")
            duration = self.ops[op].duration_ms
            ms = duration if duration is not None else lam.duration_ms[name]
            ms += lam.cold_start_share * lam.init_ms
            self.invocations[fn.architecture] += n
            gb_seconds[fn.architecture] += n * ms / 1000 * fn.memory_mb / 1024
        return gb_seconds

    def dynamodb(self) -> None:
        """Request units per operation (each GSI an item is written to costs its own WRU),
        storage and PITR; a provisioned table shows up among the standing charges."""
        if not self.facts.table_billing:
            return
        wru, rru = self.total("wru"), self.total("rru")
        self.charge(
            "DynamoDB", "write request units", wru, "WRU", "dynamodb_write_request_unit", 1e6
        )
        self.charge("DynamoDB", "read request units", rru, "RRU", "dynamodb_read_request_unit", 1e6)
        stored, storage = self.scenario.stored, self.usage.storage
        table_bytes = (
            stored.uploads * storage.table_bytes_per_upload
            + stored.other_writes * storage.table_bytes_per_other_write
        )
        gb = table_bytes / GB * self.stored_share()
        self.charge(
            "DynamoDB", "table storage", gb, "GB-month", "dynamodb_storage", kind="stored_data"
        )
        if self.facts.pitr:
            self.charge(
                "DynamoDB",
                "point-in-time recovery",
                gb,
                "GB-month",
                "dynamodb_pitr",
                kind="stored_data",
            )

    def media(self) -> None:
        """S3 requests and stored media, data out to the internet."""
        images = self.usage.images
        views = self.scenario.image_views
        misses = views * images.cdn_miss_ratio if self.facts.distributions else 0
        puts = self.total("s3_put") + self.total("s3_post")
        gets = self.total("s3_get") + misses
        self.charge("S3", "PUT/COPY/POST requests", puts, "requests", "s3_put_copy_post_list", 1000)
        self.charge("S3", "GET requests (incl. CDN misses)", gets, "requests", "s3_get", 1000)
        copies = self.scenario.stored.uploads * (1 + self.scenario.approval_share)
        gb = copies * (images.display_bytes + images.thumbnail_bytes) / GB
        gb *= self.stored_share()
        self.charge(
            "S3",
            "media stored (private + public copies)",
            gb,
            "GB-month",
            "s3_standard_storage",
            kind="stored_media",
        )
        api_bytes = 0.0 if self.through_cdn else self.total("response_bytes")
        out_gb = (self.total("bytes_out") + api_bytes) / GB
        what = ")" if self.through_cdn else ", API responses)"
        self.charge(
            "Data transfer",
            "out to the internet (presigned GETs" + what,
            out_gb,
            "GB",
            "data_transfer_out_internet",
        )

    def cdn(self) -> None:
        """The CDN: image bytes and requests, and the API's calls and answers through it."""
        images, views = self.usage.images, self.scenario.image_views
        if self.facts.distributions:
            share = images.thumbnail_share_of_views
            per_view = share * images.thumbnail_bytes + (1 - share) * images.display_bytes
            cdn_gb = views * per_view / GB
            self.charge(
                "CloudFront", "data out (Europe)", cdn_gb, "GB", "cloudfront_data_out_europe"
            )
            self.charge(
                "CloudFront",
                "HTTPS requests",
                views,
                "requests",
                "cloudfront_https_request_europe",
                10_000,
            )
        if self.through_cdn:
            api_gb = self.viewer_response_bytes / GB
            hits = sum(self.cdn_hits.values())
            self.charge(
                "CloudFront", "API answers out (Europe)", api_gb, "GB", "cloudfront_data_out_europe"
            )
            self.charge(
                "CloudFront",
                f"API requests ({hits:,.0f} answered from the cache)",
                self.viewer_api_calls,
                "requests",
                "cloudfront_https_request_europe",
                10_000,
            )

    def messaging(self) -> None:
        """SQS work and Lambda's idle long polls on every mapped queue (standing), SNS, SES,
        Rekognition, Cognito, the scheduler."""
        mappings, calls = self.facts.sqs_mappings, self.facts.prescreen_calls
        self.charge(
            "SQS", "requests (messages)", self.total("sqs"), "requests", "sqs_standard_request", 1e6
        )
        self.charge(
            "SQS",
            f"long polls by Lambda ({mappings} mappings)",
            self._idle_polls(),
            "requests",
            "sqs_standard_request",
            1e6,
            "standing",
        )
        self.charge(
            "SNS", "publishes (SES feedback)", self.total("sns"), "publishes", "sns_publish", 1e6
        )
        self.charge("SES", "emails", self.total("emails"), "emails", "ses_email", 1000)
        screened = self.counts.get("process_upload", 0.0) * calls
        self.charge(
            "Rekognition",
            f"images analysed ({calls} calls a photo)",
            screened,
            "images",
            "rekognition_image",
        )
        mau = self.scenario.organisers_active
        self.charge("Cognito", "organisers (Lite MAU)", mau, "MAU", "cognito_lite_mau")
        runs = self.total("scheduler") if self.facts.schedules else 0
        self.charge(
            "EventBridge Scheduler", "invocations", runs, "invocations", "scheduler_invocation", 1e6
        )

    def _idle_polls(self) -> float:
        """Lambda's long polls on every mapped queue over the scenario, traffic or not."""
        polling = self.usage.sqs_polling
        return (
            self.facts.sqs_mappings
            * polling.pollers_per_mapping
            * self.scenario.days
            * SECONDS_PER_DAY
            / polling.wait_seconds
        )

    def observability(self, custom_metrics: list[str]) -> None:
        """Logs in and kept (retention from the template), alarms and dashboards (standing),
        EMF custom metrics, X-Ray traces (tracing Active on the functions)."""
        share, facts = self.month_share, self.facts
        access_logs = self.api_calls * self.usage.logs.api_access_log_bytes
        log_gb = (self.total("log_bytes") + access_logs) / GB
        self.charge("CloudWatch", "logs ingested", log_gb, "GB", "logs_ingestion")
        kept = log_storage_gb_months(facts, self.scenario, self.usage, self.counts, self.prices)
        self.charge(
            "CloudWatch", "logs stored", kept, "GB-month", "logs_storage", kind="stored_data"
        )
        self.charge(
            "CloudWatch",
            f"alarms ({facts.alarms})",
            facts.alarms * share,
            "alarm-months",
            "cloudwatch_alarm",
            kind="standing",
        )
        self.charge(
            "CloudWatch",
            f"dashboards ({facts.dashboards})",
            facts.dashboards * share,
            "dashboard-months",
            "cloudwatch_dashboard",
            kind="standing",
        )
        invoked = sum(self.invocations.values())
        metric_months = len(custom_metrics) * (share if invoked else 0.0)  # billed while emitted
        self.charge(
            "CloudWatch",
            f"custom metrics ({len(custom_metrics)}, EMF)",
            metric_months,
            "metric-months",
            "cloudwatch_custom_metric",
        )
        traced = invoked if any(f.traced for f in facts.functions.values()) else 0
        traces = xray_traces(traced, self.scenario, self.usage)
        self.charge(
            "X-Ray",
            "traces recorded (default sampling)",
            traces,
            "traces",
            "xray_trace_recorded",
            1e6,
        )

    def standing(self) -> None:
        for s in self.facts.standing:
            monthly = s.monthly_usd if s.monthly_usd is not None else float("nan")
            item = f"{s.cfn_type} {s.logical_id}: {s.what}"
            usd = monthly * self.month_share
            self.add("STANDING", item, self.month_share, "months", usd, "standing")


def log_storage_gb_months(
    facts: Facts,
    scenario: Scenario,
    usage: Usage,
    counts: Mapping[str, float],
    prices: Prices,
) -> float:
    """Busy week: half the week's ingestion kept on average. Idle month: the week's logs, if
    retention (from the template) still keeps them; compressed storage is ignored (upper bound)."""
    month = prices.hours_per_month / 24
    if scenario.busy:
        return _log_gb(counts, usage) * 0.5 * scenario.days / month
    retention = facts.log_retention_days
    if retention is not None and scenario.days_after_event >= retention:
        return 0.0
    busy = usage.scenarios["busy_week"]
    return _log_gb(operation_counts(busy, usage), usage) * scenario.days / month


def _log_gb(counts: Mapping[str, float], usage: Usage) -> float:
    return sum(n * usage.operations[op].log_bytes for op, n in counts.items()) / GB
