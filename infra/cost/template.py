"""What the synthesized template says is deployed, as far as it is billed: each function's memory,
architecture and tracing, the table's billing and PITR, counts of what is priced per unit, the
queues Lambda polls, the CDN in front of the API, and anything with a standing charge."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.constants import PROJECT_ROOT

from .prices import Prices
from .usage import Scenario

Template = Mapping[str, Any]
Props = Mapping[str, Any]

# DetectFaces for "faces"; DetectModerationLabels too for "all" (shared/prescreen.py).
PRESCREEN_CALLS = {"all": 2, "faces": 1, "off": 0}

_COUNTED = {
    "AWS::CloudWatch::Dashboard": "dashboards",
    "AWS::S3::Bucket": "buckets",
    "AWS::SQS::Queue": "queues",
    "AWS::CloudFront::Distribution": "distributions",
    "AWS::ApiGatewayV2::Api": "http_apis",
    "AWS::ApiGateway::RestApi": "rest_apis",
    "AWS::Scheduler::Schedule": "schedules",
}


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


def read_template(template: Template, prices: Prices) -> Facts:
    reader = _Reader(template, prices)
    for logical_id, resource in template.get("Resources", {}).items():
        reader.read(logical_id, str(resource["Type"]), resource.get("Properties", {}) or {})
    return reader.finish()


class _Reader:
    """Reads the template resource by resource into Facts."""

    def __init__(self, template: Template, prices: Prices) -> None:
        self.template, self.prices = template, prices
        self.facts = Facts()
        self.retentions: list[int | None] = []
        self.by_type: dict[str, Callable[[str, str, Props], None]] = {
            "AWS::Lambda::Function": self._function,
            "AWS::CloudWatch::Alarm": self._alarm,
            "AWS::Logs::LogGroup": self._log_group,
            "AWS::DynamoDB::Table": self._table,
            "AWS::DynamoDB::GlobalTable": self._global_table,
            "AWS::Lambda::EventSourceMapping": self._mapping,
        }

    def read(self, logical_id: str, kind: str, props: Props) -> None:
        if kind in _COUNTED:
            self._counted(kind, props)
        else:
            self.by_type.get(kind, self._other)(logical_id, kind, props)

    def finish(self) -> Facts:
        if self.retentions:
            self.facts.log_retention_days = (
                None
                if any(r is None for r in self.retentions)
                else max(int(r) for r in self.retentions if r)
            )
        return self.facts

    def _counted(self, kind: str, props: Props) -> None:
        facts = self.facts
        setattr(facts, _COUNTED[kind], getattr(facts, _COUNTED[kind]) + 1)
        if kind == "AWS::CloudFront::Distribution":
            behaviours = props.get("DistributionConfig", {}).get("CacheBehaviors", [])
            facts.api_behind_cdn |= any(b.get("PathPattern") == "/api/*" for b in behaviours)

    def _function(self, logical_id: str, _kind: str, props: Props) -> None:
        facts = self.facts
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

    def _alarm(self, _logical_id: str, _kind: str, props: Props) -> None:
        self.facts.alarms += max(1, len(props.get("Metrics", [])))  # billed per alarm metric

    def _log_group(self, _logical_id: str, _kind: str, props: Props) -> None:
        self.facts.log_groups += 1
        self.retentions.append(props.get("RetentionInDays"))

    def _mapping(self, _logical_id: str, _kind: str, props: Props) -> None:
        # A disabled mapping (queue_polling off) does not poll, so costs nothing idle.
        if props.get("Enabled", True) is not False:
            self.facts.sqs_mappings += _is_sqs_source(self.template, props.get("EventSourceArn"))

    def _global_table(self, logical_id: str, kind: str, props: Props) -> None:
        billing = self._billing(props)
        self.facts.pitr = self.facts.pitr or any(
            _pitr(r.get("PointInTimeRecoverySpecification")) for r in props.get("Replicas", [])
        )
        if billing == "PROVISIONED" or props.get("WriteProvisionedThroughputSettings"):
            self.facts.standing.append(Standing(logical_id, kind, "provisioned capacity", None))

    def _table(self, logical_id: str, kind: str, props: Props) -> None:
        billing = self._billing(props)
        self.facts.pitr = self.facts.pitr or bool(
            _pitr(props.get("PointInTimeRecoverySpecification"))
        )
        indexes = props.get("GlobalSecondaryIndexes", [])
        throughputs = [props.get("ProvisionedThroughput") or {}] + [
            gsi.get("ProvisionedThroughput") or {} for gsi in indexes
        ]
        wcu = sum(int(t.get("WriteCapacityUnits", 0)) for t in throughputs)
        rcu = sum(int(t.get("ReadCapacityUnits", 0)) for t in throughputs)
        if billing == "PROVISIONED" or wcu or rcu:
            prices = self.prices
            monthly = prices.hours_per_month * (
                wcu * prices["dynamodb_provisioned_wcu_hour"]
                + rcu * prices["dynamodb_provisioned_rcu_hour"]
            )
            self.facts.standing.append(
                Standing(logical_id, kind, f"provisioned capacity ({wcu} WCU, {rcu} RCU)", monthly)
            )

    def _billing(self, props: Props) -> str:
        billing = str(props.get("BillingMode") or "PROVISIONED")
        self.facts.table_billing.append(billing)
        return billing

    def _other(self, logical_id: str, kind: str, props: Props) -> None:
        standing = _standing(logical_id, kind, props, self.prices)
        if standing:
            self.facts.standing.append(standing)


def _pitr(spec: Props | None) -> Any:
    return (spec or {}).get("PointInTimeRecoveryEnabled")


def _function_name(props: Props, logical_id: str) -> str:
    handler = str(props.get("Handler", ""))
    if handler.startswith("functions."):
        from infra.wiring import WIRING

        for fn in WIRING.functions:
            if fn.handler == handler:
                return fn.name
    return logical_id


def _standing(logical_id: str, kind: str, props: Props, prices: Prices) -> Standing | None:
    """A resource billed by the hour or month whatever the traffic (None if it is not one)."""
    if kind in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
        provisioned = bool(props.get("ProvisionedConcurrencyConfig"))
        return Standing(logical_id, kind, "provisioned concurrency", None) if provisioned else None
    # gateway endpoints (S3, DynamoDB) are free; interface endpoints are billed per AZ-hour
    if kind == "AWS::EC2::VPCEndpoint" and props.get("VpcEndpointType") == "Interface":
        zones = max(1, len(props.get("SubnetIds", [])))
        monthly = prices.standing("vpc_interface_endpoint_hour", "hour", zones)
        return Standing(logical_id, kind, f"interface VPC endpoint ({zones} AZ)", monthly)
    if kind in prices.standing_by_type:
        spec = prices.standing_by_type[kind]
        what = spec.price_key.replace("_", " ")
        return Standing(logical_id, kind, what, prices.standing(spec.price_key, spec.per))
    if kind in prices.standing_unpriced_types:
        return Standing(logical_id, kind, "always-on compute or storage", None)
    return None


def _is_sqs_source(template: Template, arn: Any) -> bool:
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        target = template.get("Resources", {}).get(arn["Fn::GetAtt"][0], {})
        return bool(target.get("Type") == "AWS::SQS::Queue")
    return ":sqs:" in json.dumps(arn)


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


def settings_key(scenario: Scenario) -> str:
    """Scenarios with the same settings share one template ("" = cdk.json as it is)."""
    return json.dumps(scenario.settings, sort_keys=True) if scenario.settings else ""


def templates_for(
    scenarios: Mapping[str, Scenario],
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
            by_settings[key] = synth(scenario.settings or None)
        chosen[name] = by_settings[key]
    return chosen


def custom_metric_names(root: Path = PROJECT_ROOT) -> list[str]:
    """Powertools (EMF) metric names the code emits: each is a CloudWatch custom metric."""
    pattern = re.compile(r"add_metric\(\s*name=\"([A-Za-z0-9_]+)\"")
    names = {
        name
        for folder in ("functions", "shared")
        for path in (root / folder).rglob("*.py")
        for name in pattern.findall(path.read_text(encoding="utf-8"))
    }
    return sorted(names)
