"""What each function is given: its environment (all that shared.config reads), the CDN
invalidation grant for the functions that take photos down, the backlog alarm, and the settings
that switch standing charges off after the event (PITR, monitoring)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from infra.app import build_app
from infra.quotas import concurrency_problems
from infra.settings import SettingsError, load_settings
from infra.wiring import WIRING, Wiring
from tests.settings import AllSettings

from .conftest import ORGANISER, SKIP_BUNDLING, of_type

Resources = dict[str, dict[str, Any]]

# Fields with a default that the cloud must still set (the defaults suit only the local stack).
SET_IN_THE_CLOUD = {
    "ORGANISER_EMAILS",
    "DRAW_EXCLUDED_EMAILS",
    "WINNERS_PER_DAY",
    "DRAW_DEADLINE_HOURS",
    "SES_CONFIGURATION_SET",
    "CDN_DISTRIBUTION_ID",
    "PRESCREEN",
    "MEDIA_BASE_URL",
    "SITE_URL",
    "SENDER_EMAIL",
    "EVENT_TZ",
    "RETENTION_DAYS",
}


def _functions(resources: Resources) -> dict[str, dict[str, Any]]:
    """Wiring function name -> its CloudFormation properties."""
    by_handler = {
        f["Properties"]["Handler"]: f["Properties"]
        for f in of_type(resources, "AWS::Lambda::Function").values()
    }
    return {fn.name: by_handler[fn.handler] for fn in WIRING.functions}


def test_every_function_gets_every_required_setting_and_the_cloud_ones(resources):
    required = {
        name.upper() for name, field in AllSettings.model_fields.items() if field.is_required()
    }
    assert {"TABLE_NAME", "MEDIA_BUCKET", "EVENT_START", "EVENT_END"} <= required
    assert {name.upper() for name in AllSettings.model_fields} >= SET_IN_THE_CLOUD
    for name, props in _functions(resources).items():
        env = props["Environment"]["Variables"]
        missing = (required | SET_IN_THE_CLOUD) - set(env)
        assert not missing, f"{name} lacks {sorted(missing)}"


def test_environment_values_come_from_settings_and_resources(resources, modified_resources):
    env = _functions(resources)["prizedraw-nightly"]["Environment"]["Variables"]
    assert env["DRAW_DEADLINE_HOURS"] == "36"
    assert env["ORGANISER_EMAILS"] == ""
    assert env["PRESCREEN"] == "rekognition"
    (config_set,) = of_type(resources, "AWS::SES::ConfigurationSet")
    assert env["SES_CONFIGURATION_SET"] == {"Ref": config_set}
    (distribution,) = of_type(resources, "AWS::CloudFront::Distribution")
    assert env["CDN_DISTRIBUTION_ID"] == {"Ref": distribution}
    assert env["MEDIA_BASE_URL"]["Fn::Join"][1][1] == {"Fn::GetAtt": [distribution, "DomainName"]}
    # The organisers named in the context are told about draws and never win
    changed = _functions(modified_resources)["prizedraw-nightly"]["Environment"]["Variables"]
    assert changed["ORGANISER_EMAILS"] == ORGANISER


def test_only_the_functions_that_take_photos_down_may_invalidate_the_cdn(resources):
    (distribution,) = of_type(resources, "AWS::CloudFront::Distribution")
    statements_by_role: dict[str, list[dict[str, Any]]] = {}
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        for role in policy["Properties"]["Roles"]:
            statements_by_role.setdefault(role["Ref"], []).extend(
                policy["Properties"]["PolicyDocument"]["Statement"]
            )
    invalidating = set()
    for name, props in _functions(resources).items():
        role = props["Role"]["Fn::GetAtt"][0]
        grants = [s for s in statements_by_role.get(role, []) if "cloudfront" in str(s["Action"])]
        if grants:
            invalidating.add(name)
            (grant,) = grants
            assert grant["Action"] == "cloudfront:CreateInvalidation"
            assert grant["Resource"]["Fn::Join"][1][-1] == {"Ref": distribution}
    # only the outbox's consumer: every takedown (a decision, a report, an erasure) owes its
    # invalidation in its own transaction (shared/outbox.py)
    assert invalidating == {"outbox"}
    assert invalidating == {fn.name for fn in WIRING.functions if fn.invalidates_cdn}


def test_a_moderation_backlog_older_than_six_hours_alarms_ops(resources):
    (alarm,) = [
        a["Properties"]
        for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "ModerationBacklogAgeSeconds"
    ]
    # The metric exactly as Powertools emits it (namespace and its `service` dimension)
    assert alarm["Namespace"] == "Techognition"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "techognition"}]
    assert alarm["Statistic"] == "Maximum"
    assert alarm["Period"] == 3600
    assert alarm["Threshold"] == 6 * 3600
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["EvaluationPeriods"] == 2 and alarm["DatapointsToAlarm"] == 2
    assert alarm["TreatMissingData"] == "notBreaching"
    (topic,) = [
        k
        for k, t in of_type(resources, "AWS::SNS::Topic").items()
        if t.get("Properties", {}).get("DisplayName") == "techognition alarms"
    ]
    assert alarm["AlarmActions"] == [{"Ref": topic}]


def test_a_draw_deadline_past_the_schedule_grace_fails_synth_clearly():
    with pytest.raises(ValueError, match=r"draw_deadline_hours 72 must be less than 72"):
        build_app(context={**SKIP_BUNDLING, "techognition": {"draw_deadline_hours": 72}})
    with pytest.raises(ValueError, match="draw_deadline_hours"):
        build_app(context={**SKIP_BUNDLING, "techognition": {"draw_deadline_hours": -1}})


def test_point_in_time_recovery_can_be_switched_off_after_the_event(resources, modified_resources):
    # Given the default settings (the event) and a synth with point_in_time_recovery false
    def pitr(res: Resources) -> bool:
        (table,) = of_type(res, "AWS::DynamoDB::Table").values()
        enabled: bool = table["Properties"]["PointInTimeRecoverySpecification"][
            "PointInTimeRecoveryEnabled"
        ]
        return enabled

    # Then it is on for the event and off after, and the table is kept either way
    assert pitr(resources) is True
    assert pitr(modified_resources) is False
    for res in (resources, modified_resources):
        (table,) = of_type(res, "AWS::DynamoDB::Table").values()
        assert table["DeletionPolicy"] == "Retain"
        assert table["Properties"]["DeletionProtectionEnabled"] is True


def test_monitoring_is_on_for_the_event_and_off_leaves_nothing_billed_monthly(
    resources, modified_resources
):
    # Given the default settings (the event) and a synth with monitoring false (after the event)
    def count(res: Resources, cfn_type: str) -> int:
        return len(of_type(res, cfn_type))

    def email_subscriptions(res: Resources) -> int:
        subscriptions = of_type(res, "AWS::SNS::Subscription").values()
        return sum(s["Properties"]["Protocol"] == "email" for s in subscriptions)

    # Then the event has its alarms, dashboard and ops subscription
    assert count(resources, "AWS::CloudWatch::Alarm") > 0
    assert count(resources, "AWS::CloudWatch::Dashboard") == 1
    assert email_subscriptions(resources) == 1
    # And after the event there are no alarms, dashboards, alarm topic or subscription
    assert count(modified_resources, "AWS::CloudWatch::Alarm") == 0
    assert count(modified_resources, "AWS::CloudWatch::Dashboard") == 0
    assert email_subscriptions(modified_resources) == 0
    topics = of_type(modified_resources, "AWS::SNS::Topic").values()
    assert all(t.get("Properties", {}).get("DisplayName") != "techognition alarms" for t in topics)
    # While everything else stays: the functions and their dead-letter queues still exist
    assert count(modified_resources, "AWS::Lambda::Function") == count(
        resources, "AWS::Lambda::Function"
    )
    assert count(modified_resources, "AWS::SQS::Queue") == count(resources, "AWS::SQS::Queue")


def test_monitoring_defaults_to_on_and_accepts_only_a_json_boolean():
    assert load_settings(None).monitoring is True
    assert load_settings('{"monitoring": false}').monitoring is False
    # Merged field by field: switching monitoring off keeps every other cdk.json value
    after = load_settings({"monitoring": False, "point_in_time_recovery": False})
    assert after.event_start == load_settings(None).event_start
    for wrong in ("false", 0, "off"):
        with pytest.raises(SettingsError, match=r"monitoring: Input should be a valid boolean"):
            load_settings({"monitoring": wrong})


def test_queue_polling_is_on_for_the_event_and_off_stops_every_mapping(
    resources, modified_resources
):
    def mappings(res):  # of queues: the outbox's stream is read for free and always on
        return [
            r["Properties"]
            for r in res.values()
            if r["Type"] == "AWS::Lambda::EventSourceMapping"
            and "StreamArn" not in str(r["Properties"]["EventSourceArn"])
        ]

    # During the event every queue source polls; after it, none does (and none is lost: the
    # mappings still exist, so turning polling back on resumes them)
    assert mappings(resources)
    assert all(m.get("Enabled", True) is True for m in mappings(resources))
    assert len(mappings(modified_resources)) == len(mappings(resources))
    assert all(m["Enabled"] is False for m in mappings(modified_resources))


def _with(wiring: Wiring, name: str, **changes: Any) -> Wiring:
    functions = tuple(
        dataclasses.replace(fn, **changes) if fn.name == name else fn for fn in wiring.functions
    )
    return dataclasses.replace(wiring, functions=functions)


def test_any_reserved_concurrency_fails_synth_on_a_new_accounts_quota():
    # Given the wiring with one reservation, as the prize draw once had
    wiring = _with(WIRING, "prizedraw-nightly", reserved_concurrency=1)
    # Then synth refuses it for the default quota (10, all of it kept unreserved), saying why
    with pytest.raises(
        ValueError,
        match=r"reserves 1 concurrent executions \(prizedraw-nightly 1\)"
        r".*quota of 10 only 0 can be reserved",
    ):
        build_app(wiring, {**SKIP_BUNDLING})


def test_reserved_concurrency_fits_once_the_quota_is_raised():
    wiring = _with(WIRING, "upload-processor", reserved_concurrency=20)
    assert concurrency_problems(wiring.functions, 30) == []
    (problem,) = concurrency_problems(wiring.functions, 29)
    assert "only 19 can be reserved" in problem
    # And the quota setting cannot be below what every account has
    assert load_settings({"lambda_concurrency_quota": 1000}).lambda_concurrency_quota == 1000
    with pytest.raises(SettingsError, match="lambda_concurrency_quota"):
        load_settings({"lambda_concurrency_quota": 5})


@pytest.mark.parametrize("cap", [0, 1, 1001])
def test_a_queue_source_cap_outside_sqs_limits_fails_synth(cap):
    (source,) = WIRING.function("upload-failures").queue_sources
    wiring = _with(
        WIRING, "upload-failures", queue_sources=(dataclasses.replace(source, max_concurrency=cap),)
    )
    with pytest.raises(
        ValueError,
        match=rf"upload-failures: max_concurrency {cap} of queue "
        r"'photo-uploads-dlq' must be between 2 and 1000",
    ):
        build_app(wiring, {**SKIP_BUNDLING})
