"""The IAM check can fail: a grant taken out of the wiring makes it deny the call that needs it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from infra.wiring import WIRING, Wiring
from local.iam import requests_for
from tests.iam import policy
from tests.iam.synth import paths_of
from tests.infra.conftest import synth

SENDER = "hello@techognition.test"
CONFIG_SET = "techognition-mail"


def without(wiring: Wiring, function_name: str, **grants: Any) -> Wiring:
    functions = tuple(
        dataclasses.replace(fn, **grants) if fn.name == function_name else fn
        for fn in wiring.functions
    )
    return dataclasses.replace(wiring, functions=functions)


@pytest.fixture
def recorded_send(monkeypatch: pytest.MonkeyPatch) -> list[policy.Call]:
    """What the recorder writes for the decision email, sent by the outbox (SES v1 SendEmail)."""
    monkeypatch.setenv("SENDER_EMAIL", SENDER)
    monkeypatch.setenv("SES_CONFIGURATION_SET", CONFIG_SET)
    params = {
        "Source": SENDER,
        "Destination": {"ToAddresses": ["ada@school.test"]},
        "Message": {},
        "ConfigurationSetName": CONFIG_SET,
    }
    requests = requests_for("ses", "ses", "SendEmail", params, policy.REGION)
    return [
        policy.Call(
            "outbox", r.action, r.resource, r.context, r.operation, "tests/infra/test_iam_check.py"
        )
        for r in requests
    ]


def policies_of(app_stack_template: tuple[Any, Any, Any]) -> dict[str, list[policy.Statement]]:
    _, stack, template = app_stack_template
    return policy.function_policies(template.to_json(), paths_of(stack))


def test_the_deployed_policy_allows_the_decision_email(synthesized, recorded_send):
    # Given the identity and the configuration set the send names
    assert [c.resource.rsplit(":", 1)[1] for c in recorded_send] == [
        "identity/${SENDER_EMAIL}",
        "configuration-set/${SES_CONFIGURATION_SET}",
    ]
    # When both are evaluated against the outbox's policy as synthesized
    verdict = policy.evaluate(policies_of(synthesized), recorded_send)
    # Then nothing is denied
    assert verdict.denied == []


def test_removing_sends_email_from_the_wiring_makes_the_check_deny_the_send(recorded_send):
    # Given the wiring without the outbox's email grant, synthesized
    synthesized = synth(without(WIRING, "outbox", sends_email=False))
    # When the recorded send is evaluated against it
    verdict = policy.evaluate(policies_of(synthesized), recorded_send)
    # Then both resources of the send are denied, and the message names the call
    assert len(verdict.denied) == 2
    message = verdict.denied[0][0].describe()
    assert message.startswith("outbox: ses:SendEmail on arn:aws:ses:eu-west-2:")
    assert "identity/${SENDER_EMAIL}" in message
    assert verdict.denied[0][1] == "no statement allows it"
