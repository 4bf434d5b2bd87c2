"""`make preflight` (infra/preflight.py): each check against moto, or a botocore Stubber where moto
has no such call (sesv2 GetAccount, lambda GetAccountSettings, rekognition ListCollections) or
cannot give the answer (a verified SES identity, a denied call)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError, NoCredentialsError
from botocore.stub import Stubber
from moto import mock_aws

from infra import preflight
from infra.constants import STACK_ID
from infra.preflight import Finding, exit_status, report, run
from infra.settings import load_settings
from infra.wiring import WIRING

REGION = "eu-west-2"
ACCOUNT = "123456789012"  # moto's
SENDER = "hello@techognition.org.uk"
SETTINGS = load_settings({"sender_email": SENDER, "event_start": "2027-03-08"})
TODAY = date(2026, 11, 28)


class Clients:
    """moto's clients for the target region, with a Stubber-driven client per stubbed service."""

    def __init__(self) -> None:
        self.session = boto3.Session(region_name=REGION)
        self.stubbed: dict[str, Any] = {}

    def stub(self, service: str) -> Stubber:
        client = self.session.client(service)  # type: ignore[call-overload]
        stubber = Stubber(client)
        stubber.activate()
        self.stubbed[service] = client
        return stubber

    def __call__(self, service: str) -> Any:
        if service not in self.stubbed:  # one client per service, as the command has
            self.stubbed[service] = self.session.client(service)  # type: ignore[call-overload]
        return self.stubbed[service]


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clients]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        yield Clients()


def account(stubber: Stubber, *, production: bool, review: str | None = None) -> None:
    response: dict[str, Any] = {
        "ProductionAccessEnabled": production,
        "SendingEnabled": True,
        "SendQuota": {"Max24HourSend": 50000.0 if production else 200.0},
    }
    if review:
        response["Details"] = {"ReviewDetails": {"Status": review}}
    stubber.add_response("get_account", response, {})


def quota(stubber: Stubber, concurrent: int) -> None:
    stubber.add_response(
        "get_account_settings",
        {
            "AccountLimit": {
                "ConcurrentExecutions": concurrent,
                "UnreservedConcurrentExecutions": concurrent,
            },
        },
        {},
    )


def bootstrap(clients: Clients, version: str = "27") -> None:
    clients("ssm").put_parameter(Name=preflight.BOOTSTRAP_PARAMETER, Value=version, Type="String")


def deployed(clients: Clients, name: str) -> None:
    clients("cloudformation").create_stack(
        StackName=name, TemplateBody='{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}'
    )


# -- CDK bootstrap --------------------------------------------------------------------------------
def test_a_fresh_account_must_be_bootstrapped_first(clients):
    finding = preflight.bootstrap(clients, ACCOUNT, REGION)
    assert finding.status == "blocker"
    assert finding.action.startswith(f"npx cdk bootstrap aws://{ACCOUNT}/{REGION}")


def test_a_bootstrap_version_the_template_accepts_passes_and_an_old_one_blocks(clients):
    bootstrap(clients, "27")
    assert preflight.bootstrap(clients, ACCOUNT, REGION) == Finding(
        "CDK bootstrap", "ok", f"bootstrap version 27 in {REGION}"
    )
    clients("ssm").put_parameter(
        Name=preflight.BOOTSTRAP_PARAMETER, Value="5", Type="String", Overwrite=True
    )
    old = preflight.bootstrap(clients, ACCOUNT, REGION)
    assert old.status == "blocker" and "version 5 is older than 6" in old.detail


def test_without_ssm_access_the_toolkit_stack_tells(clients):
    # Given an operator who may not read SSM parameters
    clients.stub("ssm").add_client_error("get_parameter", "AccessDeniedException")
    # Then no CDKToolkit stack blocks, and a complete one passes
    assert preflight.bootstrap(clients, ACCOUNT, REGION).status == "blocker"
    clients.stub("ssm").add_client_error("get_parameter", "AccessDeniedException")
    deployed(clients, "CDKToolkit")
    finding = preflight.bootstrap(clients, ACCOUNT, REGION)
    assert finding == Finding("CDK bootstrap", "ok", "CDKToolkit stack is CREATE_COMPLETE")


# -- SES identity and sandbox ---------------------------------------------------------------------
def test_no_identity_yet_is_created_by_the_deploy(clients):
    finding = preflight.ses_identity(clients, SETTINGS)
    assert finding.status == "todo"
    assert "after the deploy, click the verification link" in finding.action


def test_an_identity_made_by_hand_before_the_first_deploy_blocks_it(clients):
    # Given the sender created in the SES console, and no stack yet
    clients("sesv2").create_email_identity(EmailIdentity=SENDER)
    finding = preflight.ses_identity(clients, SETTINGS)
    # Then CloudFormation would fail creating it: delete it first
    assert finding.status == "blocker"
    assert finding.action.startswith(f"aws sesv2 delete-email-identity --email-identity {SENDER}")
    # And once the stack exists (it owns the identity), it only waits for its link
    deployed(clients, STACK_ID)
    later = preflight.ses_identity(clients, SETTINGS)
    assert later.status == "todo" and "not verified yet" in later.detail


def test_a_verified_sender_or_domain_passes(clients):
    deployed(clients, STACK_ID)
    ses = clients.stub("sesv2")
    identity = {"IdentityType": "EMAIL_ADDRESS", "VerifiedForSendingStatus": True}
    ses.add_response("get_email_identity", identity, {"EmailIdentity": SENDER})
    ses.add_client_error("get_email_identity", "NotFoundException", http_status_code=404)
    assert preflight.ses_identity(clients, SETTINGS).status == "ok"
    # Only the domain, verified with DKIM: it covers every address in it
    ses.add_client_error("get_email_identity", "NotFoundException", http_status_code=404)
    domain = {"IdentityType": "DOMAIN", "VerifiedForSendingStatus": True}
    ses.add_response("get_email_identity", domain, {"EmailIdentity": "techognition.org.uk"})
    finding = preflight.ses_identity(clients, SETTINGS)
    assert finding == Finding(
        "SES sender identity", "ok", f"domain techognition.org.uk is verified (covers {SENDER})"
    )
    ses.assert_no_pending_responses()


def test_the_sandbox_says_how_long_is_left_to_ask_for_production_access(clients):
    account(clients.stub("sesv2"), production=False, review="PENDING")
    finding = preflight.ses_sandbox(clients, SETTINGS, TODAY)
    assert finding.status == "todo"
    assert "still in the SES sandbox" in finding.detail
    assert "the event starts 2027-03-08, in 14 weeks" in finding.detail
    assert "review: PENDING" in finding.detail
    assert "at least 4 weeks before the event" in finding.action
    account(clients.stub("sesv2"), production=True)
    assert preflight.ses_sandbox(clients, SETTINGS, TODAY) == Finding(
        "SES production access", "ok", "out of the sandbox (up to 50000.0 emails a day)"
    )


# -- Lambda concurrency ---------------------------------------------------------------------------
def test_a_new_accounts_quota_deploys_but_must_be_raised_for_the_event(clients):
    quota(clients.stub("lambda"), 10)
    finding = preflight.lambda_quota(clients, SETTINGS, WIRING.functions)
    assert finding.status == "todo"
    assert "quota 10: enough to deploy, not for the event" in finding.detail
    assert "--quota-code L-B99A9384 --desired-value 1000" in finding.action
    quota(clients.stub("lambda"), 1000)
    assert preflight.lambda_quota(clients, SETTINGS, WIRING.functions).status == "ok"


def test_a_reservation_the_quota_cannot_give_blocks(clients):
    functions = tuple(
        dataclasses.replace(fn, reserved_concurrency=1) if fn.name == "prizedraw-nightly" else fn
        for fn in WIRING.functions
    )
    quota(clients.stub("lambda"), 10)
    finding = preflight.lambda_quota(clients, SETTINGS, functions)
    assert finding.status == "blocker"
    assert "the wiring reserves 1, but Lambda keeps 10 unreserved" in finding.detail
    quota(clients.stub("lambda"), 11)
    assert preflight.lambda_quota(clients, SETTINGS, functions).status == "todo"  # fits, < 100


# -- Services in the region -----------------------------------------------------------------------
@pytest.mark.parametrize(("check", "service", "operation", "params"), preflight.SERVICES[:2])
def test_cognito_and_scheduler_answer_in_the_region(clients, check, service, operation, params):
    finding = preflight.service_available(clients, REGION, check, service, operation, params)
    assert finding == Finding(check, "ok", f"available in {REGION}")


def test_a_service_missing_from_the_region_blocks_and_a_denied_one_is_left_to_check():
    class NoEndpoint:
        def list_schedules(self, **_: Any) -> None:
            raise EndpointConnectionError(endpoint_url="https://scheduler.xx-none-1.amazonaws.com")

    def missing(service: str) -> Any:
        return NoEndpoint()

    finding = preflight.service_available(
        missing, "xx-none-1", "Scheduler", "scheduler", "list_schedules", {"MaxResults": 1}
    )
    assert finding.status == "blocker" and finding.detail == "no scheduler endpoint in xx-none-1"
    client = boto3.client(
        "cognito-idp", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        stubber.add_client_error("list_user_pools", "AccessDeniedException")
        denied = preflight.service_available(
            lambda _: client, REGION, "Cognito", "cognito-idp", "list_user_pools", {"MaxResults": 1}
        )
    assert denied.status == "todo" and denied.detail == "could not check (AccessDeniedException)"


# -- The whole run --------------------------------------------------------------------------------
def _stub_the_rest(clients: Clients, *, production: bool, concurrent: int) -> None:
    ses = clients.stub("sesv2")
    for _ in (SENDER, "techognition.org.uk"):  # no identity yet: the deploy creates it
        ses.add_client_error("get_email_identity", "NotFoundException", http_status_code=404)
    account(ses, production=production)
    quota(clients.stub("lambda"), concurrent)
    clients.stub("rekognition").add_response(
        "list_collections", {"CollectionIds": []}, {"MaxResults": 1}
    )


def test_a_brand_new_account_is_blocked_then_ready_to_deploy_then_ready_for_the_event(clients):
    # Given a brand-new account: not bootstrapped, in the sandbox, quota 10
    _stub_the_rest(clients, production=False, concurrent=10)
    findings = run(clients, REGION, SETTINGS, today=TODAY)
    assert [f.check for f in findings if f.status == "blocker"] == ["CDK bootstrap"]
    assert exit_status(findings, strict=False) == 1
    assert "1 blocker(s): fix them before `make deploy`." in report(findings)
    # When it is bootstrapped, the deploy may go ahead; the event still needs work
    bootstrap(clients)
    _stub_the_rest(clients, production=False, concurrent=10)
    findings = run(clients, REGION, SETTINGS, today=TODAY)
    assert exit_status(findings, strict=False) == 0
    assert exit_status(findings, strict=True) == 1
    assert {f.check for f in findings if f.status == "todo"} == {
        "SES sender identity",
        "SES production access",
        "Lambda concurrency quota",
    }
    assert "Nothing blocks `make deploy`." in report(findings)
    # When production access and the quota are granted, only the link remains before the event
    _stub_the_rest(clients, production=True, concurrent=1000)
    findings = run(clients, REGION, SETTINGS, today=TODAY)
    assert [f.check for f in findings if f.status != "ok"] == ["SES sender identity"]


def test_without_credentials_nothing_else_is_tried():
    class NoCredentials:
        def get_caller_identity(self) -> None:
            raise NoCredentialsError()

    def clients(service: str) -> Any:
        assert service == "sts", f"called {service} without credentials"
        return NoCredentials()

    (finding,) = run(clients, REGION, SETTINGS)
    assert finding.status == "blocker" and finding.check == "AWS credentials"


def test_the_command_names_the_missing_region(monkeypatch, capsys):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    assert preflight.main([]) == 1
    assert "no region: set AWS_REGION or pass --region" in capsys.readouterr().err
