"""Session-scoped synths of the stack (bundling skipped: only the asset hashes are computed)."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App
from aws_cdk.assertions import Template

from infra.app import build_app
from infra.stack import TechognitionStack
from infra.wiring import WIRING, Route, Wiring

SKIP_BUNDLING: dict[str, Any] = {"aws:cdk:bundling-stacks": []}


def synth(wiring: Wiring = WIRING, **context: Any) -> tuple[App, TechognitionStack, Template]:
    """Synthesize with cdk-nag attached; raises RuntimeError("ValidationFailed...") on findings."""
    app, stack = build_app(wiring, {**SKIP_BUNDLING, **context})
    assembly = app.synth()
    template = Template.from_json(assembly.get_stack_artifact(stack.artifact_id).template)
    return app, stack, template


def with_route(wiring: Wiring, function_name: str, route: Route) -> Wiring:
    """A copy of the wiring where `function_name` also serves `route` (the wiring stays data)."""
    functions = tuple(
        dataclasses.replace(fn, routes=(*fn.routes, route)) if fn.name == function_name else fn
        for fn in wiring.functions
    )
    return dataclasses.replace(wiring, functions=functions)


@pytest.fixture(scope="session")
def synthesized() -> tuple[App, TechognitionStack, Template]:
    return synth()


EXTRA_ROUTE = Route("GET", "/admin/stats", "organiser")
ORGANISER = "ada@school.example.org"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"


@pytest.fixture(scope="session")
def modified_template() -> dict[str, Any]:
    """One more synth for every "change the input, see the template change" test: the wiring
    with an extra organiser route, one organiser email in the event settings, point-in-time
    recovery, monitoring and queue polling switched off (as after the event) and a certificate
    for the site's own domain."""
    wiring = with_route(WIRING, "moderation-api", EXTRA_ROUTE)
    _, _, template = synth(
        wiring,
        techognition={
            "organiser_emails": [ORGANISER],
            "point_in_time_recovery": False,
            "monitoring": False,
            "queue_polling": False,
            "site_certificate_arn": CERTIFICATE,
        },
    )
    return dict(template.to_json())


@pytest.fixture(scope="session")
def modified_resources(modified_template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(modified_template["Resources"])


@pytest.fixture(scope="session")
def template(synthesized: tuple[App, TechognitionStack, Template]) -> Template:
    return synthesized[2]


@pytest.fixture(scope="session")
def template_json(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cfn") / "TechognitionStack.template.json"
    path.write_text(json.dumps(template.to_json()), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def resources(template: Template) -> dict[str, dict[str, Any]]:
    return dict(template.to_json()["Resources"])


def of_type(resources: dict[str, dict[str, Any]], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in resources.items() if v["Type"] == cfn_type}
