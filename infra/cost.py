"""Cost model (`make cost`): the synthesized template x a usage profile x a prices file.

    .venv/bin/python -m infra.cost [--template [SCENARIO=]PATH ...]

What exists, how big and how it is billed comes from the TEMPLATE (each function's memory and
architecture, tracing, alarms, dashboards, log retention, the table's billing mode and PITR, the
CDN, the queues' event source mappings, anything with a standing charge). How much it is used
comes from docs/usage.json (the busy week and the idle months), the prices from docs/prices.json
(eu-west-2, free tier off). A scenario with `settings` (e.g. monitoring off) is costed on the
template synthesized with those settings merged over cdk.json's. One scenario's goal is checked;
the others are compared with their goal for information. A report, not a gate: it always exits 0.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
PRICES = ROOT / "docs" / "prices.json"
USAGE = ROOT / "docs" / "usage.json"
GB = 1_000_000_000
SECONDS_PER_DAY = 86_400

Kind = Literal["request", "standing", "stored_data", "stored_media"]
Template = Mapping[str, Any]


# -- prices ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prices:
    source: str
    taken: str
    caveat: str
    hours_per_month: float
    items: Mapping[str, Mapping[str, Any]]
    standing_by_type: Mapping[str, Mapping[str, str]]
    standing_unpriced_types: frozenset[str]

    def __getitem__(self, key: str) -> float:
        return float(self.items[key]["price"])

    def unit(self, key: str) -> str:
        return str(self.items[key]["unit"])


def load_prices(path: Path = PRICES) -> Prices:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Prices(
        source=raw["source"],
        taken=raw["taken"],
        caveat=raw["caveat"],
        hours_per_month=float(raw["hours_per_month"]),
        items=raw["prices"],
        standing_by_type=raw["standing_by_type"],
        standing_unpriced_types=frozenset(raw["standing_unpriced_types"]),
    )


def load_usage(path: Path = USAGE) -> dict[str, Any]:
    usage: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return usage


# -- the template ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Function:
    logical_id: str
    name: str  # the wiring's function name when the handler is one of ours, else the logical id
    memory_mb: int
    architecture: str
    traced: bool


@dataclass(frozen=True)
class Standing:
    """A resource that costs money every hour it exists, whatever the traffic."""

    logical_id: str
    cfn_type: str
    what: str
    monthly_usd: float | None  # None: the prices file has no price for it (still reported)


@dataclass
class Facts:
    functions: dict[str, Function] = field(default_factory=dict)
    alarms: int = 0
    dashboards: int = 0
    log_groups: int = 0
    log_retention_days: int | None = None  # the longest; None = a group keeps logs forever
    table_billing: list[str] = field(default_factory=list)
    pitr: bool = False
    buckets: int = 0
    queues: int = 0
    sqs_mappings: int = 0
    distributions: int = 0
    http_apis: int = 0
    rest_apis: int = 0
    schedules: int = 0
    standing: list[Standing] = field(default_factory=list)
    # Rekognition calls per processed photo, from the functions' PRESCREEN_CHECKS setting.
    prescreen_calls: int = 0
    # The API behind the site's distribution (/api/*), and the routes whose answers it caches.
    api_behind_cdn: bool = False
    cdn_cached_routes: frozenset[str] = frozenset()


def _function_name(props: Mapping[str, Any], logical_id: str) -> str:
    handler = str(props.get("Handler", ""))
    if handler.startswith("functions."):
        from infra.wiring import WIRING

        for fn in WIRING.functions:
            if fn.handler == handler:
                return fn.name
    return logical_id


def _hours_cost(prices: Prices, key: str, per: str, count: float = 1) -> float:
    return prices[key] * count * (prices.hours_per_month if per == "hour" else 1)


_COUNTED = {
    "AWS::CloudWatch::Dashboard": "dashboards",
    "AWS::S3::Bucket": "buckets",
    "AWS::SQS::Queue": "queues",
    "AWS::CloudFront::Distribution": "distributions",
    "AWS::ApiGatewayV2::Api": "http_apis",
    "AWS::ApiGateway::RestApi": "rest_apis",
    "AWS::Scheduler::Schedule": "schedules",
}


# DetectFaces for "faces"; DetectModerationLabels too for "all" (shared/prescreen.py).
PRESCREEN_CALLS = {"all": 2, "faces": 1, "off": 0}


def _read_function(logical_id: str, props: Mapping[str, Any], facts: Facts) -> None:
    variables = (props.get("Environment") or {}).get("Variables") or {}
    if "PRESCREEN_CHECKS" in variables:
        facts.prescreen_calls = PRESCREEN_CALLS[str(variables["PRESCREEN_CHECKS"])]
    if "CDN_CACHE_ROUTES" in variables:
        facts.cdn_cached_routes = frozenset(json.loads(str(variables["CDN_CACHE_ROUTES"])))
    facts.functions[logical_id] = Function(
        logical_id,
        _function_name(props, logical_id),
        int(props.get("MemorySize", 128)),
        (props.get("Architectures") or ["x86_64"])[0],
        (props.get("TracingConfig") or {}).get("Mode") == "Active",
    )


def read_template(template: Template, prices: Prices) -> Facts:
    facts = Facts()
    retentions: list[int | None] = []
    for logical_id, resource in template.get("Resources", {}).items():
        kind = str(resource["Type"])
        props: Mapping[str, Any] = resource.get("Properties", {}) or {}
        if kind in _COUNTED:
            setattr(facts, _COUNTED[kind], getattr(facts, _COUNTED[kind]) + 1)
            if kind == "AWS::CloudFront::Distribution":
                behaviours = props.get("DistributionConfig", {}).get("CacheBehaviors", [])
                facts.api_behind_cdn |= any(b.get("PathPattern") == "/api/*" for b in behaviours)
        elif kind == "AWS::Lambda::Function":
            _read_function(logical_id, props, facts)
        elif kind == "AWS::CloudWatch::Alarm":
            facts.alarms += max(1, len(props.get("Metrics", [])))  # billed per alarm metric
        elif kind == "AWS::Logs::LogGroup":
            facts.log_groups += 1
            retentions.append(props.get("RetentionInDays"))
        elif kind in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
            _read_table(logical_id, kind, props, facts, prices)
        elif kind == "AWS::Lambda::EventSourceMapping":
            # A disabled mapping (queue_polling off) does not poll, so costs nothing idle.
            if props.get("Enabled", True) is not False:
                facts.sqs_mappings += _is_sqs_source(template, props.get("EventSourceArn"))
        else:
            standing = _standing(logical_id, kind, props, prices)
            if standing:
                facts.standing.append(standing)
    if retentions:
        facts.log_retention_days = (
            None if any(r is None for r in retentions) else max(int(r) for r in retentions if r)
        )
    return facts


def _standing(
    logical_id: str, kind: str, props: Mapping[str, Any], prices: Prices
) -> Standing | None:
    """A resource billed by the hour or month whatever the traffic (None if it is not one)."""
    if kind in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
        provisioned = bool(props.get("ProvisionedConcurrencyConfig"))
        return Standing(logical_id, kind, "provisioned concurrency", None) if provisioned else None
    # gateway endpoints (S3, DynamoDB) are free; interface endpoints are billed per AZ-hour
    if kind == "AWS::EC2::VPCEndpoint" and props.get("VpcEndpointType") == "Interface":
        zones = max(1, len(props.get("SubnetIds", [])))
        return Standing(
            logical_id,
            kind,
            f"interface VPC endpoint ({zones} AZ)",
            _hours_cost(prices, "vpc_interface_endpoint_hour", "hour", zones),
        )
    if kind in prices.standing_by_type:
        spec = prices.standing_by_type[kind]
        return Standing(
            logical_id,
            kind,
            spec["price_key"].replace("_", " "),
            _hours_cost(prices, spec["price_key"], spec["per"]),
        )
    if kind in prices.standing_unpriced_types:
        return Standing(logical_id, kind, "always-on compute or storage", None)
    return None


def _is_sqs_source(template: Template, arn: Any) -> bool:
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        target = template.get("Resources", {}).get(arn["Fn::GetAtt"][0], {})
        return bool(target.get("Type") == "AWS::SQS::Queue")
    return ":sqs:" in json.dumps(arn)


def _read_table(
    logical_id: str, kind: str, props: Mapping[str, Any], facts: Facts, prices: Prices
) -> None:
    billing = str(props.get("BillingMode") or "PROVISIONED")
    facts.table_billing.append(billing)
    if kind == "AWS::DynamoDB::GlobalTable":
        replicas = props.get("Replicas", [])
        facts.pitr = facts.pitr or any(
            (r.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled")
            for r in replicas
        )
        capacity = props.get("WriteProvisionedThroughputSettings")
        if billing == "PROVISIONED" or capacity:
            facts.standing.append(Standing(logical_id, kind, "provisioned capacity", None))
        return
    facts.pitr = facts.pitr or bool(
        (props.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled")
    )
    throughputs = [props.get("ProvisionedThroughput") or {}] + [
        gsi.get("ProvisionedThroughput") or {} for gsi in props.get("GlobalSecondaryIndexes", [])
    ]
    wcu = sum(int(t.get("WriteCapacityUnits", 0)) for t in throughputs)
    rcu = sum(int(t.get("ReadCapacityUnits", 0)) for t in throughputs)
    if billing == "PROVISIONED" or wcu or rcu:
        monthly = prices.hours_per_month * (
            wcu * prices["dynamodb_provisioned_wcu_hour"]
            + rcu * prices["dynamodb_provisioned_rcu_hour"]
        )
        facts.standing.append(
            Standing(logical_id, kind, f"provisioned capacity ({wcu} WCU, {rcu} RCU)", monthly)
        )


def synthesized_template(settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The stack synthesized in-process, bundling skipped (only asset hashes computed); `settings`
    are merged field by field over cdk.json's `techognition` context, as `cdk -c` would be."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from infra.app import build_app
    from infra.constants import CONTEXT_KEY

    context: dict[str, Any] = {"aws:cdk:bundling-stacks": []}
    if settings:
        context[CONTEXT_KEY] = dict(settings)
    app, stack = build_app(context=context)
    template: dict[str, Any] = app.synth().get_stack_artifact(stack.artifact_id).template
    return template


def settings_key(scenario: Mapping[str, Any]) -> str:
    """Scenarios with the same settings share one template ("" = cdk.json as it is)."""
    settings = scenario.get("settings") or {}
    return json.dumps(settings, sort_keys=True) if settings else ""


def templates_for(
    scenarios: Mapping[str, Mapping[str, Any]],
    given: Mapping[str, Template],
    synth: Callable[[Mapping[str, Any] | None], Template] = synthesized_template,
) -> dict[str, Template]:
    """The template of each scenario: given by scenario name, or (for scenarios without
    `settings`) given under "", else synthesized once per distinct settings."""
    by_settings: dict[str, Template] = {}
    if "" in given:
        by_settings[""] = given[""]
    chosen: dict[str, Template] = {}
    for name, scenario in scenarios.items():
        if name in given:
            chosen[name] = given[name]
            continue
        key = settings_key(scenario)
        if key not in by_settings:
            by_settings[key] = synth(scenario.get("settings") or None)
        chosen[name] = by_settings[key]
    return chosen


def custom_metric_names(root: Path = ROOT) -> list[str]:
    """Powertools (EMF) metric names the code emits: each is a CloudWatch custom metric."""
    pattern = re.compile(r"add_metric\(\s*name=\"([A-Za-z0-9_]+)\"")
    names = {
        name
        for folder in ("functions", "shared")
        for path in (root / folder).rglob("*.py")
        for name in pattern.findall(path.read_text(encoding="utf-8"))
    }
    return sorted(names)


# -- the estimate ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    service: str
    item: str
    quantity: float
    unit: str
    usd: float
    kind: Kind
    fix: str = ""


def operation_counts(scenario: Mapping[str, Any], usage: Mapping[str, Any]) -> dict[str, float]:
    """How many times each operation of docs/usage.json happens in the scenario."""
    images = usage["images"]
    uploads = float(scenario["uploads"])
    approved = uploads * float(scenario["approval_share"])
    thumbs = float(scenario["image_views"]) * float(images["thumbnail_share_of_views"])
    counts: dict[str, float] = defaultdict(float)
    counts.update(
        {
            "reserve_upload": uploads,
            "upload_file": uploads,
            "process_upload": uploads,
            "upload_status": uploads * float(scenario["status_polls_per_upload"]),
            "approve_photo": approved,
            "reject_photo": uploads - approved,
            "moderator_view": uploads,
            "gallery_page": math.ceil(thumbs / float(images["gallery_page_items"])),
            "scheduled_run": float(scenario["scheduled_runs"]),
            "nightly_draw": float(scenario["draws"]),
        }
    )
    for name, n in scenario["calls"].items():
        counts[name] += float(n)
    routed = sum(n for op, n in counts.items() if usage["operations"][op].get("route"))
    counts["other_api_read"] = max(0.0, float(scenario["api_calls"]) - routed)
    # Each effect a committed change owes (shared/outbox.py) is one outbox invocation.
    counts["outbox_effect"] += sum(n * usage["operations"][op].get("effects", 0)
                                   for op, n in list(counts.items()))
    emails = sum(n * usage["operations"][op].get("emails", 0) for op, n in counts.items())
    counts["bounce"] = emails * float(scenario["bounce_share"])
    return dict(counts)


def xray_traces(invocations: float, scenario: Mapping[str, Any], usage: Mapping[str, Any]) -> float:
    seconds = float(scenario["traffic_hours"]) * 3600
    reservoir = min(invocations, float(usage["xray"]["reservoir_per_second"]) * seconds)
    return reservoir + float(usage["xray"]["rate"]) * (invocations - reservoir)


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


def cdn_hits(
    requested: Mapping[str, float],
    ops: Mapping[str, Mapping[str, Any]],
    facts: Facts,
    scenario: Mapping[str, Any],
) -> dict[str, float]:
    """Requests of each operation the CDN answers from its cache: only for routes the template
    marks cacheable, at the hit ratio docs/usage.json assumes for that operation (a scenario may
    switch the cache off, to show what it saves)."""
    if not facts.api_behind_cdn or not scenario.get("cdn_cache", True):
        return {}
    return {op: n * float(ops[op].get("cdn_hit_ratio", 0.0)) for op, n in requested.items()
            if ops[op].get("route") in facts.cdn_cached_routes}


class _Estimate:
    """One scenario's lines, built service by service."""

    def __init__(
        self, facts: Facts, scenario: Mapping[str, Any], usage: Mapping[str, Any], prices: Prices
    ) -> None:
        self.facts, self.scenario, self.usage, self.prices = facts, scenario, usage, prices
        self.month_share = float(scenario["days"]) * 24 / prices.hours_per_month
        self.ops: Mapping[str, Mapping[str, Any]] = usage["operations"]
        requested = operation_counts(scenario, usage)
        # Every API call a browser makes; what the CDN answers from its cache never reaches
        # API Gateway, Lambda or DynamoDB (self.counts is what does).
        self.viewer_api_calls = sum(n for op, n in requested.items() if self.ops[op].get("route"))
        self.viewer_response_bytes = sum(n * float(self.ops[op].get("response_bytes", 0))
                                         for op, n in requested.items())
        self.cdn_hits = cdn_hits(requested, self.ops, facts, scenario)
        self.counts = {op: n - self.cdn_hits.get(op, 0.0) for op, n in requested.items()}
        self.api_calls = sum(n for op, n in self.counts.items() if self.ops[op].get("route"))
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

    def total(self, key: str) -> float:
        return sum(n * float(self.ops[op].get(key, 0)) for op, n in self.counts.items())

    def stored_share(self) -> float:
        return float(self.scenario["stored"]["average_fill"]) * self.month_share

    def compute(self) -> None:
        """Lambda GB-seconds at each function's memory and architecture (from the template),
        requests, and the HTTP API's requests."""
        by_name = {fn.name: fn for fn in self.facts.functions.values()}
        lam = self.usage["lambda"]
        gb_seconds: dict[str, float] = defaultdict(float)
        for op, n in self.counts.items():
            name = self.ops[op].get("function")
            if not name or not n:
                continue
            fn = by_name.get(name)
            if fn is None:
                raise KeyError(f"usage names function {name!r}, the template has none")
            ms = float(self.ops[op].get("duration_ms", lam["duration_ms"][name]))
            ms += float(lam["cold_start_share"]) * float(lam["init_ms"])  # INIT is billed
            self.invocations[fn.architecture] += n
            gb_seconds[fn.architecture] += n * ms / 1000 * fn.memory_mb / 1024
        for arch, gbs in sorted(gb_seconds.items()):
            key = "lambda_gb_second_arm64" if arch == "arm64" else "lambda_gb_second_x86_64"
            self.add("Lambda", f"compute ({arch})", gbs, "GB-s", gbs * self.prices[key])
        n = sum(self.invocations.values())
        self.add("Lambda", "requests", n, "requests", n / 1e6 * self.prices["lambda_request"])
        if self.facts.http_apis:
            self.add(
                "API Gateway",
                "HTTP API requests",
                self.api_calls,
                "requests",
                self.api_calls / 1e6 * self.prices["http_api_request"],
            )

    def dynamodb(self) -> None:
        """Request units per operation (each GSI an item is written to costs its own WRU),
        storage and PITR; a provisioned table shows up among the standing charges."""
        if not self.facts.table_billing:
            return
        wru, rru = self.total("wru"), self.total("rru")
        self.add(
            "DynamoDB",
            "write request units",
            wru,
            "WRU",
            wru / 1e6 * self.prices["dynamodb_write_request_unit"],
        )
        self.add(
            "DynamoDB",
            "read request units",
            rru,
            "RRU",
            rru / 1e6 * self.prices["dynamodb_read_request_unit"],
        )
        stored, storage = self.scenario["stored"], self.usage["storage"]
        gb = (
            (
                float(stored["uploads"]) * float(storage["table_bytes_per_upload"])
                + float(stored["other_writes"]) * float(storage["table_bytes_per_other_write"])
            )
            / GB
            * self.stored_share()
        )
        self.add(
            "DynamoDB",
            "table storage",
            gb,
            "GB-month",
            gb * self.prices["dynamodb_storage"],
            "stored_data",
        )
        if self.facts.pitr:
            self.add(
                "DynamoDB",
                "point-in-time recovery",
                gb,
                "GB-month",
                gb * self.prices["dynamodb_pitr"],
                "stored_data",
            )

    def media(self) -> None:
        """S3 requests and stored media, data out to the internet, the CDN."""
        images, prices = self.usage["images"], self.prices
        views = float(self.scenario["image_views"])
        misses = views * float(images["cdn_miss_ratio"]) if self.facts.distributions else 0
        puts = self.total("s3_put") + self.total("s3_post")
        gets = self.total("s3_get") + misses
        self.add(
            "S3",
            "PUT/COPY/POST requests",
            puts,
            "requests",
            puts / 1000 * prices["s3_put_copy_post_list"],
        )
        self.add(
            "S3",
            "GET requests (incl. CDN misses)",
            gets,
            "requests",
            gets / 1000 * prices["s3_get"],
        )
        stored = self.scenario["stored"]
        copies = float(stored["uploads"]) * (1 + float(self.scenario["approval_share"]))
        gb = copies * (float(images["display_bytes"]) + float(images["thumbnail_bytes"])) / GB
        gb *= self.stored_share()
        self.add(
            "S3",
            "media stored (private + public copies)",
            gb,
            "GB-month",
            gb * prices["s3_standard_storage"],
            "stored_media",
        )
        through_cdn = self.facts.api_behind_cdn and self.facts.distributions
        api_bytes = 0.0 if through_cdn else self.total("response_bytes")
        out_gb = (self.total("bytes_out") + api_bytes) / GB
        self.add(
            "Data transfer",
            "out to the internet (presigned GETs"
            + (")" if through_cdn else ", API responses)"),
            out_gb,
            "GB",
            out_gb * prices["data_transfer_out_internet"],
        )
        if self.facts.distributions:
            share = float(images["thumbnail_share_of_views"])
            cdn_gb = (
                views
                * (
                    share * float(images["thumbnail_bytes"])
                    + (1 - share) * float(images["display_bytes"])
                )
                / GB
            )
            self.add(
                "CloudFront",
                "data out (Europe)",
                cdn_gb,
                "GB",
                cdn_gb * prices["cloudfront_data_out_europe"],
            )
            self.add(
                "CloudFront",
                "HTTPS requests",
                views,
                "requests",
                views / 10_000 * prices["cloudfront_https_request_europe"],
            )
        if through_cdn:
            api_gb = self.viewer_response_bytes / GB
            hits = sum(self.cdn_hits.values())
            self.add("CloudFront", "API answers out (Europe)", api_gb, "GB",
                     api_gb * prices["cloudfront_data_out_europe"])
            self.add("CloudFront", f"API requests ({hits:,.0f} answered from the cache)",
                     self.viewer_api_calls, "requests",
                     self.viewer_api_calls / 10_000 * prices["cloudfront_https_request_europe"])

    def messaging(self) -> None:
        """SQS work and Lambda's idle long polls on every mapped queue (standing), SNS, SES,
        Rekognition, Cognito, the scheduler."""
        prices, days = self.prices, float(self.scenario["days"])
        sqs = self.total("sqs")
        self.add(
            "SQS",
            "requests (messages)",
            sqs,
            "requests",
            sqs / 1e6 * prices["sqs_standard_request"],
        )
        polling = self.usage["sqs_polling"]
        polls = (
            self.facts.sqs_mappings
            * float(polling["pollers_per_mapping"])
            * days
            * SECONDS_PER_DAY
            / float(polling["wait_seconds"])
        )
        self.add(
            "SQS",
            f"long polls by Lambda ({self.facts.sqs_mappings} mappings)",
            polls,
            "requests",
            polls / 1e6 * prices["sqs_standard_request"],
            "standing",
        )
        sns = self.total("sns")
        self.add(
            "SNS", "publishes (SES feedback)", sns, "publishes", sns / 1e6 * prices["sns_publish"]
        )
        emails = self.total("emails")
        self.add("SES", "emails", emails, "emails", emails / 1000 * prices["ses_email"])
        screened = self.counts.get("process_upload", 0.0) * self.facts.prescreen_calls
        self.add(
            "Rekognition",
            f"images analysed ({self.facts.prescreen_calls} calls a photo)",
            screened,
            "images",
            screened * prices["rekognition_image"],
        )
        mau = float(self.scenario["organisers_active"])
        self.add("Cognito", "organisers (Lite MAU)", mau, "MAU", mau * prices["cognito_lite_mau"])
        runs = self.total("scheduler") if self.facts.schedules else 0
        self.add(
            "EventBridge Scheduler",
            "invocations",
            runs,
            "invocations",
            runs / 1e6 * prices["scheduler_invocation"],
        )

    def observability(self, custom_metrics: list[str]) -> None:
        """Logs in and kept (retention from the template), alarms and dashboards (standing),
        EMF custom metrics, X-Ray traces (tracing Active on the functions)."""
        prices, share = self.prices, self.month_share
        log_gb = (
            self.total("log_bytes")
            + self.api_calls * float(self.usage["logs"]["api_access_log_bytes"])
        ) / GB
        self.add("CloudWatch", "logs ingested", log_gb, "GB", log_gb * prices["logs_ingestion"])
        kept = _log_storage_gb_months(self.facts, self.scenario, self.usage, self.counts, prices)
        self.add(
            "CloudWatch",
            "logs stored",
            kept,
            "GB-month",
            kept * prices["logs_storage"],
            "stored_data",
        )
        alarms, dashboards = self.facts.alarms, self.facts.dashboards
        self.add(
            "CloudWatch",
            f"alarms ({alarms})",
            alarms * share,
            "alarm-months",
            alarms * share * prices["cloudwatch_alarm"],
            "standing",
        )
        self.add(
            "CloudWatch",
            f"dashboards ({dashboards})",
            dashboards * share,
            "dashboard-months",
            dashboards * share * prices["cloudwatch_dashboard"],
            "standing",
        )
        invoked = sum(self.invocations.values())
        metric_months = len(custom_metrics) * (share if invoked else 0.0)  # billed while emitted
        self.add(
            "CloudWatch",
            f"custom metrics ({len(custom_metrics)}, EMF)",
            metric_months,
            "metric-months",
            metric_months * prices["cloudwatch_custom_metric"],
        )
        traced = invoked if any(f.traced for f in self.facts.functions.values()) else 0
        traces = xray_traces(traced, self.scenario, self.usage)
        self.add(
            "X-Ray",
            "traces recorded (default sampling)",
            traces,
            "traces",
            traces / 1e6 * prices["xray_trace_recorded"],
        )

    def standing(self) -> None:
        for s in self.facts.standing:
            monthly = s.monthly_usd if s.monthly_usd is not None else float("nan")
            self.add(
                "STANDING",
                f"{s.cfn_type} {s.logical_id}: {s.what}",
                self.month_share,
                "months",
                monthly * self.month_share,
                "standing",
            )


def estimate(
    facts: Facts,
    scenario: Mapping[str, Any],
    usage: Mapping[str, Any],
    prices: Prices,
    custom_metrics: Iterable[str] = (),
) -> list[Line]:
    """Every cost line of one scenario. A standing charge without a price is NaN: loud."""
    est = _Estimate(facts, scenario, usage, prices)
    est.compute()
    est.dynamodb()
    est.media()
    est.messaging()
    est.observability(list(custom_metrics))
    est.standing()
    return est.lines


def _log_storage_gb_months(
    facts: Facts,
    scenario: Mapping[str, Any],
    usage: Mapping[str, Any],
    counts: Mapping[str, float],
    prices: Prices,
) -> float:
    """Busy week: half the week's ingestion kept on average. Idle month: the week's logs, if
    retention (from the template) still keeps them; compressed storage is ignored (upper bound)."""
    days = float(scenario["days"])
    month = prices.hours_per_month / 24
    if float(scenario["api_calls"]) or float(scenario["uploads"]):
        ops = usage["operations"]
        gb = sum(n * float(ops[op].get("log_bytes", 0)) for op, n in counts.items()) / GB
        return gb * 0.5 * days / month
    retention = facts.log_retention_days
    if retention is not None and float(scenario["days_after_event"]) >= retention:
        return 0.0
    busy = usage["scenarios"]["busy_week"]
    ops = usage["operations"]
    gb = (
        sum(
            n * float(ops[op].get("log_bytes", 0))
            for op, n in operation_counts(busy, usage).items()
        )
        / GB
    )
    return gb * days / month


# -- the report --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    total: float
    counted: float  # what the goal is measured against
    media: float
    goal: float
    passed: bool


def verdict(lines: list[Line], scenario: Mapping[str, Any]) -> Verdict:
    total = sum(line.usd for line in lines)
    media = sum(line.usd for line in lines if line.kind == "stored_media")
    counted = total - media if scenario["goal_excludes_stored_media"] else total
    goal = float(scenario["goal_usd"])
    return Verdict(total, counted, media, goal, counted < goal)


def sqs_polling_note(
    lines: list[Line], scenario: Mapping[str, Any], usage: Mapping[str, Any]
) -> list[str]:
    """When Lambda's idle SQS polling alone puts a scenario over its goal: say so, with what
    would remove it, the range AWS describes and what the always-free tier would leave."""
    v = verdict(lines, scenario)
    polls = [line for line in lines if line.service == "SQS" and line.kind == "standing"]
    polling_usd = sum(line.usd for line in polls)
    if v.passed or not polling_usd or v.counted - polling_usd >= v.goal:
        return []
    polling = usage["sqs_polling"]
    requests = sum(line.quantity for line in polls)
    per_request = polling_usd / requests
    high, low = float(polling["pollers_per_mapping"]), float(polling["pollers_per_mapping_low"])
    free = float(polling["always_free_requests_per_month"]) * float(scenario["days"]) / 30.4167
    all_sqs = sum(line.quantity for line in lines if line.service == "SQS")
    return [
        f"OVER only because of Lambda's SQS polling: {polls[0].item} ${polling_usd:.2f}; "
        f"without it ${v.counted - polling_usd:.2f} -> PASS.",
        "  - the fix: deploy with queue_polling false outside the event (the mappings are "
        "then disabled and do not poll)",
        f"  - assumption: {high:g} idle pollers per mapping, each a {polling['wait_seconds']} s "
        f"long poll; AWS may scale an idle mapping down to {low:g} "
        f"(${polling_usd * low / high:.2f} then). Source: {polling['source']}",
        f"  - the always-free tier's first {free:,.0f} SQS requests (ignored by design) would "
        f"leave ${max(0.0, all_sqs - free) * per_request:.2f} of it.",
    ]


def render(
    title: str, lines: list[Line], scenario: Mapping[str, Any], notes: Iterable[str] = ()
) -> str:
    v = verdict(lines, scenario)
    by_service: dict[str, float] = defaultdict(float)
    for line in lines:
        by_service[line.service] += line.usd
    out = [f"## {title}", ""]
    out.append(f"{'service':<22} {'item':<52} {'quantity':>14} {'unit':<16} {'USD':>9}  kind")
    for line in lines:
        if not line.quantity and not line.usd:
            continue
        out.append(
            f"{line.service:<22} {line.item[:52]:<52} {line.quantity:>14,.2f} "
            f"{line.unit:<16} {line.usd:>9.4f}  {line.kind}"
        )
    out += ["", "per service:"]
    for service, usd in sorted(by_service.items(), key=lambda kv: -kv[1]):
        if usd:
            out.append(f"  {service:<24} {usd:>9.2f}")
    out.append(f"  {'TOTAL':<24} {v.total:>9.2f}")
    for service, label in (scenario.get("subtotals_without") or {}).items():
        rest = v.total - by_service.get(service, 0.0)
        out.append(f"  {'TOTAL without ' + service:<24} {rest:>9.2f}  ({label})")
    if scenario["goal_excludes_stored_media"]:
        out.append(f"  {'of which stored media':<24} {v.media:>9.2f}  (outside the goal)")
    out += _goal(lines, scenario, v)
    out += list(notes)
    return "\n".join(out)


def _goal(lines: list[Line], scenario: Mapping[str, Any], v: Verdict) -> list[str]:
    """The verdict against the scenario's goal (checked, or for information) and, when over,
    what dominates and how each could be cut."""
    out: list[str] = []
    mark = "PASS" if v.passed else "OVER"
    basis = "excluding stored media" if scenario["goal_excludes_stored_media"] else "all in"
    if scenario.get("goal_checked", True):
        out.append(f"goal: < ${v.goal:.2f} ({basis}): ${v.counted:.2f} -> {mark}")
    else:
        out.append(
            f"for information (goal not checked here): < ${v.goal:.2f} ({basis}): "
            f"${v.counted:.2f} -> would be {mark}"
        )
    if not v.passed:
        counted: dict[str, float] = defaultdict(float)
        for line in lines:
            if line.kind != "stored_media" or not scenario["goal_excludes_stored_media"]:
                counted[line.service] += line.usd
        top = sorted(((s, u) for s, u in counted.items() if u > 0), key=lambda kv: -kv[1])[:3]
        out.append("dominated by: " + ", ".join(f"{s} ${u:.2f}" for s, u in top))
        for service, _ in top:
            if FIXES.get(service):
                out.append(f"  - {service}: {FIXES[service]}")
    return out


def describe(facts: Facts, settings: Mapping[str, Any] | None = None) -> str:
    functions = ", ".join(
        f"{f.name} {f.memory_mb} MB {f.architecture}{' traced' if f.traced else ''}"
        for f in sorted(facts.functions.values(), key=lambda f: f.name)
    )
    standing = "; ".join(f"{s.cfn_type} {s.logical_id}" for s in facts.standing) or "none"
    which = f" (settings {json.dumps(dict(settings))})" if settings else ""
    return "\n".join(
        [
            f"From the template{which}:",
            f"  functions ({len(facts.functions)}): {functions}",
            f"  table billing: {', '.join(facts.table_billing) or 'no table'}; PITR "
            f"{'on' if facts.pitr else 'off'}; buckets {facts.buckets}; queues {facts.queues} "
            f"({facts.sqs_mappings} polled by Lambda); distributions {facts.distributions}; "
            f"HTTP APIs {facts.http_apis}",
            f"  alarms {facts.alarms}; dashboards {facts.dashboards}; "
            f"log groups {facts.log_groups} (retention {facts.log_retention_days} days); "
            f"schedules {facts.schedules}",
            f"  other resources with a standing charge: {standing}",
        ]
    )


def _template_argument(value: str) -> tuple[str, Path]:
    """`PATH` (the template of scenarios without settings) or `SCENARIO=PATH`."""
    name, sep, path = value.partition("=")
    return (name, Path(path)) if sep else ("", Path(value))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--template",
        action="append",
        default=[],
        type=_template_argument,
        metavar="[SCENARIO=]PATH",
        help="a synthesized template, for the scenarios without settings or for SCENARIO "
        "(repeatable; default: synth each scenario's settings in-process)",
    )
    parser.add_argument("--usage", type=Path, default=USAGE)
    parser.add_argument("--prices", type=Path, default=PRICES)
    args = parser.parse_args(argv)
    prices = load_prices(args.prices)
    usage = load_usage(args.usage)
    scenarios: dict[str, Any] = usage["scenarios"]
    unknown = sorted(name for name, _ in args.template if name and name not in scenarios)
    if unknown:
        parser.error(f"--template names unknown scenarios {unknown}; known: {sorted(scenarios)}")
    given = {name: json.loads(path.read_text(encoding="utf-8")) for name, path in args.template}
    templates = templates_for(scenarios, given)
    facts = {name: read_template(template, prices) for name, template in templates.items()}
    metrics = custom_metric_names()
    print(f"# Cost model ({prices.source.split(':')[0]})")
    print(f"Prices taken {prices.taken}: {prices.caveat}")
    described: set[int] = set()
    for name, scenario in scenarios.items():
        if id(templates[name]) not in described:
            described.add(id(templates[name]))
            print(describe(facts[name], scenario.get("settings")))
    for name, scenario in scenarios.items():
        lines = estimate(facts[name], scenario, usage, prices, metrics)
        checked = scenario.get("goal_checked", True)
        notes = sqs_polling_note(lines, scenario, usage) if checked else []
        print()
        print(render(scenario["title"], lines, scenario, notes))
    return 0  # a report, not a gate


if __name__ == "__main__":
    raise SystemExit(main())
