"""The processor may call Rekognition only as its pre-screen setting does (cdk.json prescreen)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import of_type, synth


def _rekognition_actions(resources: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            listed = statement["Action"]
            actions |= {
                a
                for a in ([listed] if isinstance(listed, str) else listed)
                if a.startswith("rekognition:")
            }
    return actions


def _environment_checks(resources: dict[str, Any]) -> set[str]:
    return {
        fn["Properties"]["Environment"]["Variables"].get("PRESCREEN_CHECKS", "")
        for fn in of_type(resources, "AWS::Lambda::Function").values()
        if "TABLE_NAME" in json.dumps(fn["Properties"].get("Environment", {}))
    }


def test_the_default_faces_setting_grants_detect_faces_only(resources):
    assert _rekognition_actions(resources) == {"rekognition:DetectFaces"}
    assert _environment_checks(resources) == {"faces"}


@pytest.mark.parametrize(
    ("setting", "granted"),
    [
        ("all", {"rekognition:DetectFaces", "rekognition:DetectModerationLabels"}),
        ("off", set()),
    ],
)
def test_each_other_setting_grants_exactly_its_calls(setting, granted):
    _app, _stack, template = synth(techognition={"prescreen": setting})
    resources = template.to_json()["Resources"]
    assert _rekognition_actions(resources) == granted
    assert _environment_checks(resources) == {setting}
