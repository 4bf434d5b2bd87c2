"""`make preflight`: is this AWS account and region ready for `make deploy` (and for the event)?

Run with the operator's credentials (`AWS_PROFILE` / `AWS_REGION`, or --profile / --region). It
only reads: CDK bootstrap, the SES sender identity and sandbox, the Lambda concurrency quota, and
whether Cognito, EventBridge Scheduler and Rekognition answer in the region. Each finding says
what to do. Exit status 1 when something would make the deploy fail (a blocker), or with --strict
also when something must still be done before the event.

    .venv/bin/python -m infra.preflight [--region eu-west-2] [--profile ops] [--strict]
        [--context '{"sender_email": "..."}']   # merged over cdk.json like `cdk deploy -c`
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

from infra.constants import STACK_ID
from infra.quotas import EVENT_QUOTA, REQUESTED_QUOTA, UNRESERVED_MINIMUM, reserved_total
from infra.settings import EventSettings, SettingsError, load_settings
from infra.wiring import WIRING, Function

Status = Literal["ok", "todo", "blocker"]
Clients = Callable[[str], Any]  # service name -> boto3 client for the target account and region

BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"  # CDK's default qualifier
BOOTSTRAP_STACK = "CDKToolkit"
# The synthesized template's CheckBootstrapVersion rule refuses bootstrap versions 1 to 5.
MIN_BOOTSTRAP_VERSION = 6
LAMBDA_QUOTA_CODE = "L-B99A9384"  # Service Quotas: Lambda concurrent executions
SES_REVIEW_WEEKS = 4  # ask this long before the event: review, questions, possibly a second try


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    detail: str
    action: str = ""


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _unknown(check: str, exc: Exception, by_hand: str) -> Finding:
    reason = _code(exc) if isinstance(exc, ClientError) else type(exc).__name__
    return Finding(check, "todo", f"could not check ({reason})", f"check by hand: {by_hand}")


def caller_account(clients: Clients) -> tuple[str | None, Finding]:
    check = "AWS credentials"
    try:
        identity = clients("sts").get_caller_identity()
    except NoCredentialsError:
        return None, Finding(
            check,
            "blocker",
            "no credentials found",
            "aws configure (or aws sso login), or set AWS_PROFILE",
        )
    except ClientError as exc:
        return None, Finding(
            check,
            "blocker",
            f"credentials refused ({_code(exc)})",
            "refresh them: aws sso login, or new access keys",
        )
    account = str(identity["Account"])
    return account, Finding(check, "ok", f"account {account} as {identity['Arn']}")


def bootstrap(clients: Clients, account: str, region: str) -> Finding:
    check = "CDK bootstrap"
    command = f"npx cdk bootstrap aws://{account}/{region}"
    try:
        value = clients("ssm").get_parameter(Name=BOOTSTRAP_PARAMETER)["Parameter"]["Value"]
    except ClientError as exc:
        if _code(exc) != "ParameterNotFound":
            return _bootstrap_stack(clients, check, command)  # e.g. no ssm:GetParameter
        return Finding(
            check,
            "blocker",
            f"not bootstrapped in {region}: {BOOTSTRAP_PARAMETER} is missing, "
            "so `cdk deploy` has no asset bucket or deploy roles",
            f"{command}   (once per account and region)",
        )
    version = int(value) if str(value).isdigit() else 0
    if version < MIN_BOOTSTRAP_VERSION:
        return Finding(
            check,
            "blocker",
            f"bootstrap version {value} is older than {MIN_BOOTSTRAP_VERSION}, which "
            "the synthesized template requires",
            f"{command}   (upgrades it in place)",
        )
    return Finding(check, "ok", f"bootstrap version {version} in {region}")


# An update that rolled back leaves the previous, working version (ROLLBACK_COMPLETE does not).
_USABLE_STACK = frozenset(
    {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"}
)


def _bootstrap_stack(clients: Clients, check: str, command: str) -> Finding:
    try:
        stacks = clients("cloudformation").describe_stacks(StackName=BOOTSTRAP_STACK)["Stacks"]
    except ClientError as exc:
        if _code(exc) == "ValidationError":  # CloudFormation's "does not exist"
            return Finding(
                check,
                "blocker",
                f"no {BOOTSTRAP_STACK} stack in this region",
                f"{command}   (once per account and region)",
            )
        return _unknown(
            check, exc, f"aws cloudformation describe-stacks --stack-name {BOOTSTRAP_STACK}"
        )
    status = stacks[0]["StackStatus"]
    if status not in _USABLE_STACK:
        return Finding(check, "blocker", f"{BOOTSTRAP_STACK} stack is {status}", command)
    return Finding(check, "ok", f"{BOOTSTRAP_STACK} stack is {status}")


def _stack_exists(clients: Clients) -> bool | None:
    try:
        clients("cloudformation").describe_stacks(StackName=STACK_ID)
    except ClientError as exc:
        return False if _code(exc) == "ValidationError" else None
    return True


def _identity(clients: Clients, identity: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = clients("sesv2").get_email_identity(EmailIdentity=identity)
    except ClientError as exc:
        if _code(exc) == "NotFoundException":
            return None
        raise
    return found


def ses_identity(clients: Clients, settings: EventSettings) -> Finding:
    check = "SES sender identity"
    sender = settings.sender_email
    domain = sender.rsplit("@", 1)[1]
    try:
        address = _identity(clients, sender)
        verified_domain = bool((_identity(clients, domain) or {}).get("VerifiedForSendingStatus"))
    except ClientError as exc:
        return _unknown(check, exc, f"aws sesv2 get-email-identity --email-identity {sender}")
    deployed = _stack_exists(clients)
    if address is not None and deployed is False:
        # The stack creates this identity; CloudFormation fails on one made by hand.
        return Finding(
            check,
            "blocker",
            f"{sender} already exists as an SES identity outside the stack, so the "
            "first deploy fails (AWS::SES::EmailIdentity ... already exists)",
            f"aws sesv2 delete-email-identity --email-identity {sender}   (the deploy "
            "creates it again and SES mails a new verification link)",
        )
    if address is not None and address.get("VerifiedForSendingStatus"):
        return Finding(check, "ok", f"{sender} is verified")
    if verified_domain:
        return Finding(check, "ok", f"domain {domain} is verified (covers {sender})")
    if address is not None:
        return Finding(
            check,
            "todo",
            f"{sender} is not verified yet: nothing is sent until it is",
            f"click the link SES mailed to {sender} (resend: aws ses "
            f"verify-email-identity --email-address {sender})",
        )
    return Finding(
        check,
        "todo",
        f"no identity for {sender} or {domain} yet",
        f"after the deploy, click the verification link SES mails to {sender}",
    )


def ses_sandbox(clients: Clients, settings: EventSettings, today: date) -> Finding:
    check = "SES production access"
    try:
        account = clients("sesv2").get_account()
    except ClientError as exc:
        return _unknown(check, exc, "aws sesv2 get-account")
    if not account.get("SendingEnabled", True):
        return Finding(
            check,
            "todo",
            "sending is paused for this account (SES enforcement)",
            "read the SES console's reputation page and contact AWS support",
        )
    if account.get("ProductionAccessEnabled"):
        quota = account.get("SendQuota", {}).get("Max24HourSend")
        return Finding(check, "ok", f"out of the sandbox (up to {quota} emails a day)")
    review = account.get("Details", {}).get("ReviewDetails", {}).get("Status")
    weeks = (settings.event_start - today).days // 7
    detail = (
        "still in the SES sandbox: mail reaches verified addresses only (no sign-up "
        f"confirmations, draw results or moderation emails); the event starts "
        f"{settings.event_start}, in {weeks} weeks"
        + (f"; production access review: {review}" if review else "")
    )
    return Finding(
        check,
        "todo",
        detail,
        f"request production access at least {SES_REVIEW_WEEKS} weeks before the event (AWS may "
        "ask questions or refuse, and each answer takes about a day): SES console, Account "
        "dashboard, Request production access, or `aws sesv2 put-account-details "
        "--production-access-enabled ...` as in docs/OPERATIONS.md",
    )


def lambda_quota(
    clients: Clients, settings: EventSettings, functions: Sequence[Function]
) -> Finding:
    check = "Lambda concurrency quota"
    try:
        limit = clients("lambda").get_account_settings()["AccountLimit"]
    except ClientError as exc:
        return _unknown(check, exc, "aws lambda get-account-settings")
    quota = int(limit["ConcurrentExecutions"])
    reserved = reserved_total(functions)
    request = (
        f"aws service-quotas request-service-quota-increase --service-code lambda "
        f"--quota-code {LAMBDA_QUOTA_CODE} --desired-value {REQUESTED_QUOTA}"
    )
    if reserved > quota - UNRESERVED_MINIMUM:
        return Finding(
            check,
            "blocker",
            f"quota {quota}: the wiring reserves {reserved}, but Lambda keeps "
            f"{UNRESERVED_MINIMUM} unreserved, so the deploy fails",
            f"reserve nothing in infra/wiring.py, or {request}",
        )
    caps = sum(s.max_concurrency for fn in functions for s in fn.queue_sources)
    if quota < EVENT_QUOTA:
        return Finding(
            check,
            "todo",
            f"quota {quota}: enough to deploy, not for the event (the queue consumers "
            f"alone may run {caps} at once; the API needs the rest)",
            f"{request}   (takes a day or more)",
        )
    note = ""
    if settings.lambda_concurrency_quota > quota:
        note = f"; lambda_concurrency_quota says {settings.lambda_concurrency_quota}: set {quota}"
    return Finding(
        check,
        "ok",
        f"quota {quota} ({limit.get('UnreservedConcurrentExecutions')} unreserved){note}",
    )


# Services the stack needs, with a cheap read that answers wherever the service exists.
SERVICES: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("Cognito (organiser sign-in)", "cognito-idp", "list_user_pools", {"MaxResults": 1}),
    ("EventBridge Scheduler (the draw)", "scheduler", "list_schedules", {"MaxResults": 1}),
    ("Rekognition (pre-screening)", "rekognition", "list_collections", {"MaxResults": 1}),
)


def service_available(
    clients: Clients,
    region: str,
    check: str,
    service: str,
    operation: str,
    params: dict[str, Any],
) -> Finding:
    try:
        getattr(clients(service), operation)(**params)
    except EndpointConnectionError:
        return Finding(
            check,
            "blocker",
            f"no {service} endpoint in {region}",
            "deploy to a region that has every service (eu-west-2, London, does)",
        )
    except ClientError as exc:
        return _unknown(check, exc, f"the AWS console's region list for {service}")
    return Finding(check, "ok", f"available in {region}")


def run(
    clients: Clients,
    region: str,
    settings: EventSettings,
    functions: Sequence[Function] = WIRING.functions,
    today: date | None = None,
) -> list[Finding]:
    account, who = caller_account(clients)
    if account is None:
        return [who]  # nothing else can be checked
    today = today or date.today()
    return [
        who,
        bootstrap(clients, account, region),
        ses_identity(clients, settings),
        ses_sandbox(clients, settings, today),
        lambda_quota(clients, settings, functions),
        *(service_available(clients, region, *service) for service in SERVICES),
    ]


_LABEL = {"ok": "OK", "todo": "TO DO", "blocker": "BLOCKER"}


def report(findings: Sequence[Finding]) -> str:
    lines = []
    for f in findings:
        lines.append(f"  {_LABEL[f.status]:<8} {f.check}: {f.detail}")
        if f.action:
            lines.append(f"  {'':<8}   -> {f.action}")
    blockers = sum(f.status == "blocker" for f in findings)
    todos = sum(f.status == "todo" for f in findings)
    lines.append(
        f"{blockers} blocker(s): fix them before `make deploy`."
        if blockers
        else "Nothing blocks `make deploy`."
    )
    if todos:
        lines.append(f"{todos} thing(s) to do before the event.")
    return "\n".join(lines)


def exit_status(findings: Sequence[Finding], *, strict: bool) -> int:
    failing = {"blocker", "todo"} if strict else {"blocker"}
    return 1 if any(f.status in failing for f in findings) else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make preflight", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--region", help="target region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's)"
    )
    parser.add_argument("--profile", help="AWS profile (default: AWS_PROFILE / default)")
    parser.add_argument("--context", help="JSON merged over cdk.json's techognition context")
    parser.add_argument(
        "--strict", action="store_true", help="also exit 1 on what must be done before the event"
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.context)
    except SettingsError as exc:
        print(f"preflight: {exc}", file=sys.stderr)
        return 2
    try:
        # The CDK CLI reads AWS_REGION; boto3 reads only AWS_DEFAULT_REGION and the profile.
        region_name = args.region or os.environ.get("AWS_REGION") or None
        session = boto3.Session(profile_name=args.profile, region_name=region_name)
    except BotoCoreError as exc:
        print(f"preflight: {exc}", file=sys.stderr)
        return 1
    region = session.region_name
    if not region:
        print(
            "preflight: no region: set AWS_REGION or pass --region (e.g. eu-west-2)",
            file=sys.stderr,
        )
        return 1
    config = Config(connect_timeout=5, read_timeout=15, retries={"max_attempts": 2})

    @cache
    def clients(service: str) -> Any:
        return session.client(service, config=config)  # type: ignore[call-overload]

    print(
        f"Preflight for {STACK_ID} in {region} (settings: cdk.json"
        f"{' + --context' if args.context else ''})"
    )
    try:
        findings = run(clients, region, settings)
    except NoRegionError:
        print("preflight: no region: set AWS_REGION or pass --region", file=sys.stderr)
        return 1
    print(report(findings))
    return exit_status(findings, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
