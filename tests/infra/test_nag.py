"""cdk-nag runs on every synth; the stack has no unacknowledged findings, and findings do fail."""

from __future__ import annotations

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from infra.app import build_app
from infra.constructs.nag import acknowledge

from .conftest import SKIP_BUNDLING


def test_stack_synthesizes_with_no_unacknowledged_nag_findings(synthesized):
    # Given / When: the session synth (which raises on any unacknowledged finding)
    app, stack, _ = synthesized
    # Then: the assembly holds the stack, and the nag plugin was attached to the app
    assert app.node.find_child(stack.node.id) is stack


def _app_with_bare_bucket() -> tuple[App, Stack]:
    app = App(context=SKIP_BUNDLING)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    stack = Stack(app, "Violations")
    s3.Bucket(stack, "NoSslNoLogs")  # no enforce_ssl, no access logs: S1 and S10
    return app, stack


def test_an_unacknowledged_violation_fails_synth():
    # Given a bucket that breaks AwsSolutions rules under the same nag plugin
    app, _ = _app_with_bare_bucket()
    # When / Then
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()


def test_acknowledging_each_finding_makes_that_synth_pass():
    # Given the same bucket with both findings acknowledged through our helper
    app, stack = _app_with_bare_bucket()
    bucket = stack.node.find_child("NoSslNoLogs")
    acknowledge(bucket, "S1", "test fixture")
    acknowledge(bucket, "S10", "test fixture")
    # When / Then: no error
    assembly = app.synth()
    assert assembly.get_stack_by_name("Violations")


def test_invalid_event_settings_fail_synth_with_a_clear_message():
    with pytest.raises(ValueError, match=r"event_end .* is before event_start"):
        build_app(context={**SKIP_BUNDLING, "techognition": {"event_end": "2027-03-01"}})
    with pytest.raises(ValueError, match="IANA time zone"):
        build_app(context={**SKIP_BUNDLING, "techognition": {"event_tz": "Mars/Olympus"}})
    with pytest.raises(ValueError, match="does not look like an email"):
        build_app(context={**SKIP_BUNDLING, "techognition": {"organiser_emails": ["nobody"]}})


def test_synth_in_a_concrete_environment_has_no_unacknowledged_findings(monkeypatch):
    # Given the environment `cdk synth` / `cdk deploy` set once credentials are configured:
    # findings then name literal partitions, regions and accounts instead of tokens
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", "123456789012")
    monkeypatch.setenv("CDK_DEFAULT_REGION", "eu-west-2")
    app, stack = build_app(context=SKIP_BUNDLING)
    # When / Then: no ValidationFailed
    assembly = app.synth()
    assert assembly.get_stack_artifact(stack.artifact_id).environment.region == "eu-west-2"
