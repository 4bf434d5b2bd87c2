"""The outbox in the template: the stream, its one filtered mapping, dead letters, alarms."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra.wiring import OUTBOX, OUTBOX_DEAD_LETTERS, WIRING
from tests.infra.conftest import of_type


def _stream_mappings(resources: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        m["Properties"]
        for m in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if "StreamArn" in str(m["Properties"]["EventSourceArn"])
    ]


def _logical_id(resources: dict[str, Any], handler: str) -> str:
    (found,) = [
        k
        for k, f in of_type(resources, "AWS::Lambda::Function").items()
        if f["Properties"]["Handler"] == handler
    ]
    return found


def _policy_text(resources: dict[str, Any], function_id: str) -> str:
    role = resources[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    return json.dumps(
        [
            p
            for p in of_type(resources, "AWS::IAM::Policy").values()
            if {"Ref": role} in p["Properties"]["Roles"]
        ]
    )


def test_the_table_streams_keys_only(resources):
    (table,) = of_type(resources, "AWS::DynamoDB::Table").values()
    # keys only: the consumer reads each effect back, so no email or token rides the stream
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "KEYS_ONLY"}


def test_one_mapping_feeds_only_new_outbox_items_to_the_consumer(resources):
    (mapping,) = _stream_mappings(resources)
    (consumer,) = [fn for fn in WIRING.functions if fn.stream_sources]
    assert mapping["FunctionName"] == {"Ref": _logical_id(resources, consumer.handler)}
    (pattern,) = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern == {
        "eventName": ["INSERT"],
        "dynamodb": {"Keys": {"pk": {"S": [{"prefix": OUTBOX}]}}},
    }
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert 0 < mapping["MaximumRetryAttempts"] <= 100
    destination = mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    assert resources[destination]["Type"] == "AWS::SQS::Queue"
    assert OUTBOX_DEAD_LETTERS.replace("-", "") in destination


def test_the_mapping_stays_on_after_the_event(modified_resources):
    # Erasure owes effects all year; Lambda's stream reads cost nothing while idle.
    (mapping,) = _stream_mappings(modified_resources)
    assert mapping.get("Enabled", True) is True


def test_ops_hear_of_outbox_dead_letters_and_of_an_effect_owed_too_long(resources):
    alarms = [a["Properties"] for a in of_type(resources, "AWS::CloudWatch::Alarm").values()]
    (age,) = [a for a in alarms if a["MetricName"] == "IteratorAge"]
    assert age["Statistic"] == "Maximum"
    assert age["Threshold"] == 15 * 60_000
    assert age["AlarmActions"]
    dead_letters = [
        a
        for a in alarms
        if a["MetricName"] == "ApproximateNumberOfMessagesVisible"
        and OUTBOX_DEAD_LETTERS.replace("-", "") in json.dumps(a["Dimensions"])
    ]
    assert len(dead_letters) == 1


@pytest.mark.parametrize(
    "handler",
    [
        "functions.moderation.handler.lambda_handler",
        "functions.upload.handler.lambda_handler",
        "functions.pledge.handler.lambda_handler",
        "functions.campaign.handler.lambda_handler",
        "functions.prizedraw.handler.lambda_handler",
        "functions.prizedraw.scheduled.lambda_handler",
    ],
)
def test_the_api_sends_no_email_and_deletes_no_file_itself(resources, handler):
    # Decisions, reports, pledges, packs and draws owe their emails, copies, deletions and
    # invalidations in their commits; the outbox performs them.
    api = _policy_text(resources, _logical_id(resources, handler))
    for action in ("ses:SendEmail", "s3:DeleteObject", "cloudfront:CreateInvalidation"):
        assert action not in api, action
    consumer = _policy_text(
        resources, _logical_id(resources, "functions.effects.handler.lambda_handler")
    )
    for action in ("ses:SendEmail", "s3:DeleteObject", "cloudfront:CreateInvalidation"):
        assert action in consumer, action


def _object_grants(resources: dict[str, Any], handler: str) -> set[tuple[str, str]]:
    """(action, key prefix) of each S3 object grant of a function's role."""
    role = resources[_logical_id(resources, handler)]["Properties"]["Role"]["Fn::GetAtt"][0]
    grants: set[tuple[str, str]] = set()
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        if {"Ref": role} not in policy["Properties"]["Roles"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
            prefixes = re.findall(r'"/(\w+)/\*"', json.dumps(statement["Resource"]))
            grants.update(
                (action, prefix)
                for action in actions
                if action.startswith("s3:")
                for prefix in prefixes
            )
    return grants


def test_only_the_outbox_copies_approved_photos_to_public(resources):
    # Settling an approval copies private/ to public/ (GetObject on the source, PutObject on the
    # copy), and an archived photo's takedown copies public/ back to private/ (its private
    # derivatives expired); the decision's function only signs organisers' URLs of private/.
    consumer = _object_grants(resources, "functions.effects.handler.lambda_handler")
    copies = {(a, p) for a, p in consumer if a in ("s3:GetObject", "s3:PutObject")}
    assert copies == {
        ("s3:GetObject", "private"),
        ("s3:PutObject", "public"),
        ("s3:GetObject", "public"),
        ("s3:PutObject", "private"),
    }
    moderation = _object_grants(resources, "functions.moderation.handler.lambda_handler")
    assert moderation == {("s3:GetObject", "private")}
    upload = _object_grants(resources, "functions.upload.handler.lambda_handler")
    assert upload == {("s3:PutObject", "incoming")}


def test_no_queue_carries_invalidations_any_more(resources):
    names = json.dumps(of_type(resources, "AWS::SQS::Queue"))
    assert "invalidation" not in names.lower()
    assert all(
        not fn.queues_send or "invalidation" not in str(fn.queues_send) for fn in WIRING.functions
    )
