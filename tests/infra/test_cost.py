"""The cost model (`make cost`, infra/cost.py): it reads the real template, its prices say where
they come from, and it is honest about standing charges. The goals themselves are a report,
not asserted here."""

from __future__ import annotations

import copy
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
def usage() -> dict[str, Any]:
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
        assert isinstance(item["price"], int | float) and item["price"] >= 0, key
        assert str(item["unit"]).startswith("USD per"), key
    for spec in prices.standing_by_type.values():
        assert spec["price_key"] in prices.items


def test_every_usage_operation_runs_on_a_function_of_the_template(usage, facts):
    names = {f.name for f in facts.functions.values()}
    for op, spec in usage["operations"].items():
        assert spec.get("function") is None or spec["function"] in names, op


@pytest.mark.parametrize("key", ["uploads", "api_calls", "image_views"])
def test_more_usage_never_costs_less(key, facts, usage, prices):
    # Given the busy week, When one driver of usage doubles, Then the cost does not fall
    busy = usage["scenarios"]["busy_week"]
    doubled = {**busy, key: busy[key] * 2}
    before = _total(cost.estimate(facts, busy, usage, prices))
    after = _total(cost.estimate(facts, doubled, usage, prices))
    assert after > before


def test_the_idle_month_has_no_per_request_costs(facts, usage, prices):
    idle = usage["scenarios"]["idle_month"]
    lines = cost.estimate(facts, idle, usage, prices, ["SomeMetric"])
    assert [line for line in lines if line.kind == "request" and line.usd] == []
    standing = {line.service for line in lines if line.kind == "standing" and line.usd}
    assert "CloudWatch" in standing  # alarms and the dashboard are charged, honestly


def test_alarms_and_dashboards_are_priced_in_the_idle_month(facts, usage, prices):
    idle = usage["scenarios"]["idle_month"]
    lines = {line.item: line for line in cost.estimate(facts, idle, usage, prices)}
    alarms = lines[f"alarms ({facts.alarms})"]
    assert alarms.usd == pytest.approx(facts.alarms * prices["cloudwatch_alarm"], rel=1e-3)
    dashboards = lines[f"dashboards ({facts.dashboards})"]
    assert dashboards.usd == pytest.approx(
        facts.dashboards * prices["cloudwatch_dashboard"], rel=1e-3)


def _hand_made(template_dict: dict[str, Any]) -> dict[str, Any]:
    """The real template with its table switched to provisioned capacity and a NAT gateway."""
    changed = copy.deepcopy(template_dict)
    resources = changed["Resources"]
    (table,) = [r for r in resources.values() if r["Type"] == "AWS::DynamoDB::Table"]
    table["Properties"]["BillingMode"] = "PROVISIONED"
    table["Properties"]["ProvisionedThroughput"] = {"ReadCapacityUnits": 5,
                                                    "WriteCapacityUnits": 5}
    resources["Nat"] = {"Type": "AWS::EC2::NatGateway", "Properties": {}}
    resources["Key"] = {"Type": "AWS::KMS::Key", "Properties": {}}
    resources["Endpoint"] = {"Type": "AWS::EC2::VPCEndpoint",
                             "Properties": {"VpcEndpointType": "Interface",
                                            "SubnetIds": ["a", "b"]}}
    resources["Gateway"] = {"Type": "AWS::EC2::VPCEndpoint", "Properties": {}}
    resources["Search"] = {"Type": "AWS::OpenSearchService::Domain", "Properties": {}}
    return changed


def test_provisioned_capacity_nat_gateway_and_friends_are_standing_costs(template_dict, prices,
                                                                          usage):
    # Given a template with a provisioned table, a NAT gateway, a KMS key, an interface endpoint,
    # a free gateway endpoint and an OpenSearch domain
    facts = cost.read_template(_hand_made(template_dict), prices)
    # When the model reads it, Then each (and only the paid ones) is a standing charge
    found = {s.logical_id: s for s in facts.standing}
    assert set(found) == {"Nat", "Key", "Endpoint", "Search", next(
        k for k, r in template_dict["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table")}
    assert found["Nat"].monthly_usd == pytest.approx(prices["nat_gateway_hour"] * 730)
    assert found["Endpoint"].monthly_usd == pytest.approx(
        prices["vpc_interface_endpoint_hour"] * 730 * 2)
    assert found["Search"].monthly_usd is None  # no price in the file: still reported
    # And the idle month carries them (an unpriced one makes the total NaN: it cannot pass)
    idle = usage["scenarios"]["idle_month"]
    lines = cost.estimate(facts, idle, usage, prices)
    standing = [line for line in lines if line.service == "STANDING"]
    assert len(standing) == 5
    assert math.isnan(_total(lines))
    assert not cost.verdict(lines, idle).passed


def test_the_report_prints_both_scenarios_with_a_verdict(facts, usage, prices, capsys,
                                                         template_json):
    assert cost.main(["--template", str(template_json)]) == 0
    out = capsys.readouterr().out
    for scenario in usage["scenarios"].values():
        assert f"## {scenario['title']}" in out
    assert out.count("goal: < $") == 2
    assert "stored media" in out
    assert "PASS" in out or "OVER" in out
