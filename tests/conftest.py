"""Fixtures shared by every test layer."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

import functions  # noqa: F401 - first, as on Lambda: its __init__ defers eager packages
from infra.settings import load_settings
from infra.wiring import WIRING, environment

# The IAM check: every function's AWS calls evaluated against its synthesized policy.
pytest_plugins = ["tests.iam.plugin"]

REGION = "eu-west-2"

# The settings deployed functions get (infra/settings.py -> function_environment(), as the stack
# synthesizes them), for a fixed event week. No log level or metrics switch here: deployed
# functions log at INFO (Powertools' default) with metrics on, and so do the tests.
TEST_SETTINGS = {
    **load_settings(
        {
            "event_start": "2027-03-08",
            "event_end": "2027-03-14",
            "event_tz": "Europe/London",
            "site_url": "https://site.test",
            "sender_email": "hello@techognition.test",
        }
    ).function_environment(),
    "PRESCREEN": "caption",  # moto cannot run Rekognition (TOOLCHAIN.md): the local stand-in
}
# Variables that would make a test run differ from Lambda's configuration.
NOT_DEPLOYED = (
    "POWERTOOLS_LOG_LEVEL",
    "AWS_LAMBDA_LOG_LEVEL",
    "LOG_LEVEL",
    "POWERTOOLS_METRICS_DISABLED",
    "POWERTOOLS_DEV",
)


def _forget_process_state() -> None:
    """Configs, clients and the server secret are cached per process (per cold start)."""
    from shared import aws, config, secret

    config.load.cache_clear()
    secret.forget()
    aws.reset_clients()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Every wired resource on moto (in-process), and the functions' environment set."""
    from moto import mock_aws

    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    with mock_aws():
        import boto3

        from local.moto_patches import serialise_dynamodb
        from local.provision import provision

        # The table's stream as DynamoDB keeps it: a cancelled transaction (a lost race, an
        # entry already there) shows no record and the stream goes on (the outbox reads it).
        serialise_dynamodb(monkeypatch.setattr)

        session = boto3.session.Session(region_name=REGION)
        provisioned = provision(WIRING, session, sender_email=TEST_SETTINGS["SENDER_EMAIL"])
        env = environment(
            table_name=provisioned.table_name,
            media_bucket=provisioned.bucket_names["media"],
            media_base_url="https://media.test/",
            settings={**TEST_SETTINGS, "SES_CONFIGURATION_SET": provisioned.ses_configuration_set},
            queue_urls=provisioned.queue_urls,
        )
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        _forget_process_state()
        yield provisioned
    _forget_process_state()


@pytest.fixture
def atomic_dynamodb(aws_env: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """DynamoDB applies each request atomically; moto in-process does not (two threads can both
    pass a condition before either writes, and a cancelled transaction restores a copy of the
    whole table, undoing other threads' writes). One lock around each moto request models
    DynamoDB, while the races between requests, through our code and conditions, stay real."""
    from local.moto_patches import serialise_dynamodb

    serialise_dynamodb(monkeypatch.setattr)
    return aws_env


@pytest.fixture
def lambda_context() -> Any:
    from local.runtime import LocalContext

    class EachInvocation(LocalContext):
        """Tests pass one context to many invocations; each gets its whole timeout (API
        requests stop calling AWS near their deadline: shared.aws.set_deadline)."""

        def get_remaining_time_in_millis(self) -> int:
            return self.timeout_s * 1000

    return EachInvocation("test", 256, 30)


def pytest_configure(config: pytest.Config) -> None:
    """Run as Lambda runs: whatever the developer's shell says, no quieter log level."""
    for name in NOT_DEPLOYED:
        os.environ.pop(name, None)
