"""The CDN invalidation queue in the template: who may send to it, where its URL comes from."""

from __future__ import annotations

from typing import Any

from infra.wiring import CDN_INVALIDATIONS, WIRING, queue_url_variable
from shared.cdn import QUEUE
from tests.infra.conftest import of_type
from tests.infra.test_function_settings import _functions


def _statements(resources: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [
        s
        for policy in of_type(resources, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_takedown_functions_queue_invalidations_and_know_the_queue(resources):
    # shared.cdn and the wiring name the same queue
    assert QUEUE == CDN_INVALIDATIONS
    senders = {fn.name for fn in WIRING.functions if CDN_INVALIDATIONS in fn.queues_send}
    assert senders == {"upload-api", "moderation-api"}  # erasure's go by the outbox
    for name, props in _functions(resources).items():
        url = props["Environment"]["Variables"][queue_url_variable(CDN_INVALIDATIONS)]
        queue_id = url["Ref"]
        assert resources[queue_id]["Type"] == "AWS::SQS::Queue"
        statements = _statements(resources, props["Role"]["Fn::GetAtt"][0])
        sends = [s for s in statements if "sqs:SendMessage" in s["Action"]
                 and s["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}]
        if name in senders:
            (grant,) = sends
            assert grant["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}
        else:
            assert sends == []


def test_the_invalidation_queue_has_a_consumer_and_a_dead_letter_queue(resources):
    (consumer,) = [fn for fn in WIRING.functions
                   if any(s.queue == CDN_INVALIDATIONS for s in fn.queue_sources)]
    assert consumer.handler == "functions.moderation.invalidations.lambda_handler"
    assert consumer.invalidates_cdn and consumer.table is None
    queues = of_type(resources, "AWS::SQS::Queue")
    with_dlq = [q for q in queues.values() if q["Properties"].get("VisibilityTimeout") == 120]
    (queue,) = with_dlq
    assert queue["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 720
