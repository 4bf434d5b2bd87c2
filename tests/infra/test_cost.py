"""The cost model (`make cost`, infra/cost/): it reads the real template, its prices say where
they come from, and it is honest about standing charges. The goals themselves are a report,
not asserted here."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest

from infra import cost
from infra.wiring import WIRING

from .conftest import of_type


@pytest.fixture(scope="module")
def prices() -> cost.Prices:
    return cost.load_prices()


@pytest.fixture(scope="module")
def usage() -> cost.Usage:
    return cost.load_usage()


@pytest.fixture(scope="module")
def template_dict(template) -> dict[str, Any]:
    return dict(template.to_json())


@pytest.fixture(scope="module")
def facts(template_dict, prices) -> cost.Facts:
    return cost.read_template(template_dict, prices)


def _total(lines: list[cost.Line]) -> float:
    return sum(line.usd for line in lines)


def test_the_model_reads_every_function_memory_and_architecture_from_the_template(facts):
    # Given the synthesized stack, When the model reads it, Then each wired function is found
    # with the wiring's memory, on arm64, traced
    by_name = {f.name: f for f in facts.functions.values()}
    for spec in WIRING.functions:
        fn = by_name[spec.name]
        assert (fn.memory_mb, fn.architecture, fn.traced) == (spec.memory_mb, "arm64", True)


def test_the_model_counts_what_the_template_holds(facts, resources):
    assert facts.alarms == len(of_type(resources, "AWS::CloudWatch::Alarm"))
    assert facts.dashboards == len(of_type(resources, "AWS::CloudWatch::Dashboard"))
    assert facts.log_groups == len(of_type(resources, "AWS::Logs::LogGroup"))
    assert facts.sqs_mappings == sum(len(fn.queue_sources) for fn in WIRING.functions)
    assert facts.table_billing == ["PAY_PER_REQUEST"]
    assert facts.pitr is True
    assert facts.distributions == 1


def test_the_real_template_has_no_unexpected_standing_charge(facts):
    # Alarms and dashboards are standing charges too, but the model prices them per scenario
    assert facts.standing == []


def test_every_price_has_a_unit_and_the_file_names_its_source_and_date(prices):
    assert "AWS public price pages for eu-west-2" in prices.source
    assert prices.taken == "2026-11-22"
    assert "not verified live" in prices.caveat
    for key, item in prices.items.items():
        assert item.price >= 0, key
        assert item.unit.startswith("USD per"), key
    for spec in prices.standing_by_type.values():
        assert spec.price_key in prices.items


def test_every_usage_operation_runs_on_a_function_of_the_template(usage, facts):
    names = {f.name for f in facts.functions.values()}
    for op, spec in usage.operations.items():
        assert spec.function is None or spec.function in names, op


@pytest.mark.parametrize("key", ["uploads", "api_calls", "image_views"])
def test_more_usage_never_costs_less(key, facts, usage, prices):
    # Given the busy week, When one driver of usage doubles, Then the cost does not fall
    busy = usage.scenarios["busy_week"]
    doubled = busy.model_copy(update={key: getattr(busy, key) * 2})
    before = _total(cost.estimate(facts, busy, usage, prices))
    after = _total(cost.estimate(facts, doubled, usage, prices))
    assert after > before


@pytest.mark.parametrize(("checks", "calls"), [("faces", 1), ("all", 2), ("off", 0)])
def test_rekognition_is_costed_per_call_the_prescreen_setting_makes(
    checks, calls, template_dict, usage, prices
):
    # Given the template with its functions' PRESCREEN_CHECKS set to one setting
    changed = json.loads(
        json.dumps(template_dict).replace(
            '"PRESCREEN_CHECKS": "faces"', f'"PRESCREEN_CHECKS": "{checks}"'
        )
    )
    facts = cost.read_template(changed, prices)
    busy = usage.scenarios["busy_week"]
    # When the busy week is costed, Then Rekognition is uploads x calls a photo
    rekognition = [
        line for line in cost.estimate(facts, busy, usage, prices) if line.service == "Rekognition"
    ]
    assert facts.prescreen_calls == calls
    assert rekognition[0].quantity == busy.uploads * calls
    assert rekognition[0].usd == pytest.approx(busy.uploads * calls * 0.00116)


def test_cached_public_reads_reach_no_function_and_every_api_call_goes_through_the_cdn(
    facts, usage, prices
):
    # Given the busy week on the template (the API behind the CDN, public reads cacheable)
    busy = usage.scenarios["busy_week"]
    assert facts.api_behind_cdn and "GET /pledges/summary" in facts.cdn_cached_routes
    cached = cost.estimate(facts, busy, usage, prices)
    uncached = cost.estimate(facts, busy.model_copy(update={"cdn_cache": False}), usage, prices)

    def line(lines, service, start):
        return next(x for x in lines if x.service == service and x.item.startswith(start))

    # Then API Gateway sees fewer requests by the assumed hits, Lambda and DynamoDB cost less
    hits = sum(
        n * usage.operations[op].cdn_hit_ratio
        for op, n in cost.operation_counts(busy, usage).items()
        if usage.operations[op].route in facts.cdn_cached_routes
    )
    assert hits > 50_000
    api_cached = line(cached, "API Gateway", "HTTP API").quantity
    assert api_cached == pytest.approx(line(uncached, "API Gateway", "HTTP API").quantity - hits)
    for service in ("Lambda", "DynamoDB"):
        assert _service(cached, service) < _service(uncached, service)
    # And CloudFront carries every API call and answer either way
    assert line(cached, "CloudFront", "API requests").quantity == busy.api_calls
    assert _total(cached) < _total(uncached)


def _service(lines: list[cost.Line], service: str) -> float:
    return sum(x.usd for x in lines if x.service == service)


def test_the_idle_month_has_no_per_request_costs(facts, usage, prices):
    idle = usage.scenarios["idle_month"]
    lines = cost.estimate(facts, idle, usage, prices, ["SomeMetric"])
    assert [line for line in lines if line.kind == "request" and line.usd] == []
    standing = {line.service for line in lines if line.kind == "standing" and line.usd}
    assert "CloudWatch" in standing  # alarms and the dashboard are charged, honestly


def test_alarms_and_dashboards_are_priced_in_the_idle_month(facts, usage, prices):
    idle = usage.scenarios["idle_month"]
    lines = {line.item: line for line in cost.estimate(facts, idle, usage, prices)}
    alarms = lines[f"alarms ({facts.alarms})"]
    assert alarms.usd == pytest.approx(facts.alarms * prices["cloudwatch_alarm"], rel=1e-3)
    dashboards = lines[f"dashboards ({facts.dashboards})"]
    assert dashboards.usd == pytest.approx(
        facts.dashboards * prices["cloudwatch_dashboard"], rel=1e-3
    )


def _hand_made(template_dict: dict[str, Any]) -> dict[str, Any]:
    """The real template with its table switched to provisioned capacity and a NAT gateway."""
    changed = copy.deepcopy(template_dict)
    resources = changed["Resources"]
    (table,) = [r for r in resources.values() if r["Type"] == "AWS::DynamoDB::Table"]
    table["Properties"]["BillingMode"] = "PROVISIONED"
    table["Properties"]["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    resources["Nat"] = {"Type": "AWS::EC2::NatGateway", "Properties": {}}
    resources["Key"] = {"Type": "AWS::KMS::Key", "Properties": {}}
    resources["Endpoint"] = {
        "Type": "AWS::EC2::VPCEndpoint",
        "Properties": {"VpcEndpointType": "Interface", "SubnetIds": ["a", "b"]},
    }
    resources["Gateway"] = {"Type": "AWS::EC2::VPCEndpoint", "Properties": {}}
    resources["Search"] = {"Type": "AWS::OpenSearchService::Domain", "Properties": {}}
    return changed


def test_provisioned_capacity_nat_gateway_and_friends_are_standing_costs(
    template_dict, prices, usage
):
    # Given a template with a provisioned table, a NAT gateway, a KMS key, an interface endpoint,
    # a free gateway endpoint and an OpenSearch domain
    facts = cost.read_template(_hand_made(template_dict), prices)
    # When the model reads it, Then each (and only the paid ones) is a standing charge
    found = {s.logical_id: s for s in facts.standing}
    assert set(found) == {
        "Nat",
        "Key",
        "Endpoint",
        "Search",
        next(
            k for k, r in template_dict["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"
        ),
    }
    assert found["Nat"].monthly_usd == pytest.approx(prices["nat_gateway_hour"] * 730)
    assert found["Endpoint"].monthly_usd == pytest.approx(
        prices["vpc_interface_endpoint_hour"] * 730 * 2
    )
    assert found["Search"].monthly_usd is None  # no price in the file: still reported
    # And the idle month carries them (an unpriced one makes the total NaN: it cannot pass)
    idle = usage.scenarios["idle_month"]
    lines = cost.estimate(facts, idle, usage, prices)
    standing = [line for line in lines if line.service == "STANDING"]
    assert len(standing) == 5
    assert math.isnan(_total(lines))
    assert not cost.verdict(lines, idle).passed


@pytest.fixture(scope="module")
def off_facts(modified_template, prices) -> cost.Facts:
    """The template synthesized with monitoring and point-in-time recovery off."""
    return cost.read_template(modified_template, prices)


def test_the_report_prints_every_scenario_and_checks_the_busy_and_idle_goals(
    usage, capsys, template_json, modified_template, tmp_path
):
    # Given the event's template and the one synthesized with monitoring off (the pre-screening
    # scenarios are synthesized by the report itself, with their settings)
    off = tmp_path / "off.template.json"
    off.write_text(json.dumps(modified_template), encoding="utf-8")
    # When the report runs on them
    argv = ["--template", str(template_json), "--template", f"idle_month_monitoring_off={off}"]
    assert cost.main(argv) == 0
    out = capsys.readouterr().out
    # Then it shows the busy week per pre-screen setting, the idle month with monitoring on, off
    titles = [scenario.title for scenario in usage.scenarios.values()]
    assert len(titles) == 6
    assert all(f"## {title}" in out for title in titles)
    assert "## Busy week, monitoring on" in out
    assert "## Idle month, monitoring on" in out and "## Idle month, monitoring off" in out
    # And the reference week and the idle month off are checked; the rest are for information
    assert out.count("goal: < $") == 2
    assert out.count("for information (goal not checked here)") == 4
    assert out.index("goal: < $25.00") < out.index("## Busy week, pre-screening all")
    assert out.rindex("goal: < $0.50") > out.index("## Idle month, monitoring off")
    # And each pre-screen setting shows its calls a photo
    assert "images analysed (1 calls a photo)" in out  # faces, the default
    assert "images analysed (2 calls a photo)" in out  # all
    # And the busy week has its per-service breakdown and a subtotal without Rekognition
    busy = out[: out.index("## Idle month")]
    assert "per service:" in busy and "Rekognition" in busy
    assert "TOTAL without Rekognition" in busy
    assert "stored media" in out
    assert "alarms 0; dashboards 0" in out  # the monitoring-off template was read


def test_an_unknown_scenario_name_for_a_template_is_refused(template_json):
    with pytest.raises(SystemExit):
        cost.main(["--template", f"no_such_scenario={template_json}"])


def test_each_scenario_is_costed_on_the_template_of_its_own_settings(usage):
    # Given scenarios with and without settings, and a synth that records what it was asked
    scenario = usage.scenarios["busy_week"]
    asked: list[Any] = []

    def synth(settings):
        asked.append(settings)
        return {"Resources": {}, "settings": settings}

    scenarios = {
        "busy": scenario,
        "idle_on": scenario,
        "idle_off": scenario.model_copy(update={"settings": {"monitoring": False}}),
        "idle_off_again": scenario.model_copy(update={"settings": {"monitoring": False}}),
    }
    # When no template is given, Then each distinct setting is synthesized once
    chosen = cost.templates_for(scenarios, {}, synth)
    assert asked == [None, {"monitoring": False}]
    assert chosen["busy"] is chosen["idle_on"]
    assert chosen["idle_off"] is chosen["idle_off_again"]
    assert chosen["idle_off"]["settings"] == {"monitoring": False}
    # When templates are given (unnamed: for the scenarios without settings), Then they are used
    asked.clear()
    given = {"": {"Resources": {}, "given": True}, "idle_off": {"Resources": {}, "named": True}}
    chosen = cost.templates_for(scenarios, given, synth)
    assert chosen["busy"]["given"] and chosen["idle_on"]["given"]
    assert chosen["idle_off"]["named"]
    assert asked == [{"monitoring": False}]  # idle_off_again had no template of its own


def test_with_monitoring_off_the_idle_month_has_no_cloudwatch_standing_charge(
    facts, off_facts, usage, prices
):
    # Given the idle month on the event's template and on the monitoring-off template
    on = cost.estimate(facts, usage.scenarios["idle_month"], usage, prices)
    off_scenario = usage.scenarios["idle_month_monitoring_off"]
    off = cost.estimate(off_facts, off_scenario, usage, prices)

    def cloudwatch(lines: list[cost.Line]) -> float:
        return sum(line.usd for line in lines if line.service == "CloudWatch")

    # Then alarms and the dashboard cost money only with monitoring on
    assert (off_facts.alarms, off_facts.dashboards) == (0, 0)
    assert cloudwatch(on) >= prices["cloudwatch_dashboard"]
    assert cloudwatch(off) == 0
    # And PITR and queue polling are off too, as deployed after the week
    assert off_scenario.settings == {
        "monitoring": False,
        "point_in_time_recovery": False,
        "queue_polling": False,
    }
    assert not any(line.item == "point-in-time recovery" for line in off)
    assert off_facts.sqs_mappings == 0
    assert sum(line.usd for line in off if line.service == "SQS" and line.kind == "standing") == 0


def test_the_sqs_polling_note_appears_only_when_polling_alone_breaks_the_goal(facts, usage, prices):
    # Given an idle month on the event's template, whose mappings poll, and its polling cost
    scenario = usage.scenarios["idle_month"]
    lines = cost.estimate(facts, scenario, usage, prices)
    polling = sum(line.usd for line in lines if line.service == "SQS" and line.kind == "standing")
    counted = cost.verdict(lines, scenario).counted
    assert polling > 0

    def note(goal: float) -> str:
        over = scenario.model_copy(update={"goal_usd": goal})
        return "\n".join(cost.sqs_polling_note(lines, over, usage))

    # When polling alone tips it over, Then the note says so, with the fix and the free tier
    text = note(counted - polling / 2)
    assert "OVER only because of Lambda's SQS polling" in text
    assert "queue_polling false" in text
    assert "services-sqs-scaling" in text  # the source of the pollers assumption
    assert "always-free tier" in text
    # When it would be over even without polling, or passes, Then there is no note
    assert note(counted - polling * 2) == ""
    assert note(counted + 1) == ""
