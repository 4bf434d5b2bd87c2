"""The report: what the template holds, each scenario's lines and totals, and its verdict against
the scenario's goal (with what dominates when over, and the note on Lambda's SQS polling)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .model import FIXES, Line
from .template import Facts
from .usage import Scenario, Usage


@dataclass(frozen=True)
class Verdict:
    total: float
    counted: float  # what the goal is measured against
    media: float
    goal: float
    passed: bool


def verdict(lines: list[Line], scenario: Scenario) -> Verdict:
    total = sum(line.usd for line in lines)
    media = sum(line.usd for line in lines if line.kind == "stored_media")
    counted = total - media if scenario.goal_excludes_stored_media else total
    goal = scenario.goal_usd
    return Verdict(total, counted, media, goal, counted < goal)


def sqs_polling_note(lines: list[Line], scenario: Scenario, usage: Usage) -> list[str]:
    """When Lambda's idle SQS polling alone puts a scenario over its goal: say so, with what
    would remove it, the range AWS describes and what the always-free tier would leave."""
    v = verdict(lines, scenario)
    polls = [line for line in lines if line.service == "SQS" and line.kind == "standing"]
    polling_usd = sum(line.usd for line in polls)
    if v.passed or not polling_usd or v.counted - polling_usd >= v.goal:
        return []
    polling = usage.sqs_polling
    requests = sum(line.quantity for line in polls)
    per_request = polling_usd / requests
    high, low = polling.pollers_per_mapping, polling.pollers_per_mapping_low
    free = polling.always_free_requests_per_month * scenario.days / 30.4167
    all_sqs = sum(line.quantity for line in lines if line.service == "SQS")
    return [
        f"OVER only because of Lambda's SQS polling: {polls[0].item} ${polling_usd:.2f}; "
        f"without it ${v.counted - polling_usd:.2f} -> PASS.",
        "  - the fix: deploy with queue_polling false outside the event (the mappings are "
        "then disabled and do not poll)",
        f"  - assumption: {high:g} idle pollers per mapping, each a {polling.wait_seconds} s "
        f"long poll; AWS may scale an idle mapping down to {low:g} "
        f"(${polling_usd * low / high:.2f} then). Source: {polling.source}",
        f"  - the always-free tier's first {free:,.0f} SQS requests (ignored by design) would "
        f"leave ${max(0.0, all_sqs - free) * per_request:.2f} of it.",
    ]


def render(title: str, lines: list[Line], scenario: Scenario, notes: Iterable[str] = ()) -> str:
    v = verdict(lines, scenario)
    return "\n".join(
        [
            f"## {title}",
            "",
            *_table(lines),
            "",
            *_per_service(lines, scenario, v),
            *_goal(lines, scenario, v),
            *notes,
        ]
    )


def _table(lines: list[Line]) -> list[str]:
    """Every line with a quantity or a cost."""
    out = [f"{'service':<22} {'item':<52} {'quantity':>14} {'unit':<16} {'USD':>9}  kind"]
    out += [
        f"{line.service:<22} {line.item[:52]:<52} {line.quantity:>14,.2f} "
        f"{line.unit:<16} {line.usd:>9.4f}  {line.kind}"
        for line in lines
        if line.quantity or line.usd
    ]
    return out


def _by_service(lines: Iterable[Line]) -> dict[str, float]:
    by_service: dict[str, float] = defaultdict(float)
    for line in lines:
        by_service[line.service] += line.usd
    return by_service


def _per_service(lines: list[Line], scenario: Scenario, v: Verdict) -> list[str]:
    """Each service's cost, the total, the subtotals the scenario asks for, the stored media."""
    by_service = _by_service(lines)
    out = ["per service:"]
    for service, usd in sorted(by_service.items(), key=lambda kv: -kv[1]):
        if usd:
            out.append(f"  {service:<24} {usd:>9.2f}")
    out.append(f"  {'TOTAL':<24} {v.total:>9.2f}")
    for service, label in scenario.subtotals_without.items():
        rest = v.total - by_service.get(service, 0.0)
        out.append(f"  {'TOTAL without ' + service:<24} {rest:>9.2f}  ({label})")
    if scenario.goal_excludes_stored_media:
        out.append(f"  {'of which stored media':<24} {v.media:>9.2f}  (outside the goal)")
    return out


def _goal(lines: list[Line], scenario: Scenario, v: Verdict) -> list[str]:
    """The verdict against the scenario's goal (checked, or for information) and, when over,
    what dominates and how each could be cut."""
    mark = "PASS" if v.passed else "OVER"
    basis = "excluding stored media" if scenario.goal_excludes_stored_media else "all in"
    if scenario.goal_checked:
        out = [f"goal: < ${v.goal:.2f} ({basis}): ${v.counted:.2f} -> {mark}"]
    else:
        out = [
            f"for information (goal not checked here): < ${v.goal:.2f} ({basis}): "
            f"${v.counted:.2f} -> would be {mark}"
        ]
    if not v.passed:
        out += _dominated_by(lines, scenario)
    return out


def _dominated_by(lines: list[Line], scenario: Scenario) -> list[str]:
    """The three services the goal's sum is made of most, and how each could be cut."""
    counted = _by_service(
        line
        for line in lines
        if line.kind != "stored_media" or not scenario.goal_excludes_stored_media
    )
    top = sorted(((s, u) for s, u in counted.items() if u > 0), key=lambda kv: -kv[1])[:3]
    out = ["dominated by: " + ", ".join(f"{s} ${u:.2f}" for s, u in top)]
    out += [f"  - {service}: {FIXES[service]}" for service, _ in top if FIXES.get(service)]
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
