"""The local stack (`python -m local`, what `make run` starts), driven over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def running_stack(state: Path, **env_overrides: str) -> Iterator[dict[str, Any]]:
    """A fresh `python -m local` on free ports, its files in `state`; stopped on exit."""
    log = (state / "stack.log").open("w")
    env = {**os.environ, "PORT": "0", "LOCAL_STATE_DIR": str(state), **env_overrides}
    process = subprocess.Popen(
        [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        stack_file = state / "stack.json"
        deadline = time.monotonic() + 60
        while not stack_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log_text = (state / "stack.log").read_text()
                raise RuntimeError("local stack did not start:\n" + log_text)
            time.sleep(0.1)
        info = json.loads(stack_file.read_text())
        info["log"] = state / "stack.log"
        yield info
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def stack_fixture(name: str, scope: Literal["session", "module"] = "module") -> Any:
    """A fixture giving its tests a stack of their own (`running_stack`, files in a fresh
    temporary folder named after `name`)."""

    @pytest.fixture(scope=scope)
    def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
        with running_stack(tmp_path_factory.mktemp(name)) as info:
            yield info

    return own_stack


stack = stack_fixture("stack", scope="session")  # the stack tests share


@pytest.fixture(scope="session")
def api(stack: dict[str, Any]) -> str:
    return str(stack["api_url"])


def aws_client(stack: dict[str, Any], service: str) -> Any:
    """A boto3 client of the stack's embedded AWS (which takes any keys: these say "local")."""
    import boto3

    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=stack["aws_endpoint_url"],
        region_name=stack["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def sign_in(stack: dict[str, Any], who: str) -> str:
    """A Cognito IdToken for the stack's `organiser` or `member`: USER_PASSWORD_AUTH, then the
    code of their authenticator app (the pool requires MFA, as in the cloud)."""
    from local.totp import fresh_code

    cognito = aws_client(stack, "cognito-idp")
    user = stack[who]
    asked = cognito.initiate_auth(
        ClientId=stack["user_pool_client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user["username"], "PASSWORD": user["password"]},
    )
    assert asked.get("ChallengeName") == "SOFTWARE_TOKEN_MFA", "a password alone signed in"
    result = cognito.respond_to_auth_challenge(
        ClientId=stack["user_pool_client_id"],
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=asked["Session"],
        ChallengeResponses={
            "USERNAME": user["username"],
            "SOFTWARE_TOKEN_MFA_CODE": fresh_code(user["totp_secret"]),
        },
    )
    return str(result["AuthenticationResult"]["IdToken"])


@pytest.fixture(scope="session")
def organiser_token(stack: dict[str, Any]) -> str:
    return sign_in(stack, "organiser")


@pytest.fixture(scope="session")
def member_token(stack: dict[str, Any]) -> str:
    return sign_in(stack, "member")


def sent_emails(stack: dict[str, Any]) -> list[dict[str, Any]]:
    """Every email the embedded SES has accepted. moto dumps its whole state for this, which
    grows with the session's stack: on a busy 2-core machine that took more than 5 s."""
    data = requests.get(f"{stack['aws_endpoint_url']}/moto-api/data.json", timeout=30).json()
    return list(data.get("ses", {}).get("Message", []))


def wait_for(predicate: Any, timeout_s: float = 20, every_s: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(every_s)
