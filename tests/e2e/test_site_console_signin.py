"""An organiser's sign-in to the console in a real browser, against the local stack's Cognito.

Organisers are created by ops with a temporary password (Cognito answers their first sign-in
with NEW_PASSWORD_REQUIRED), and may have enrolled an authenticator app (SOFTWARE_TOKEN_MFA).
moto answers both challenges; it checks TOTP codes only when
MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true, so the MFA tests run on their own stack with it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import running_stack
from tests.e2e.site_helpers import chromium, page_of, screenshot

pytestmark = pytest.mark.e2e

TEMPORARY = "Temporary-Pass-2024!"
CHOSEN = "My-Own-Strong-Pass-42?"


@pytest.fixture(scope="module")
def browser(stack: dict[str, Any]) -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def totp_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A local stack whose Cognito really checks TOTP codes (moto skips the check otherwise)."""
    with running_stack(tmp_path_factory.mktemp("totp-stack"),
                       MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP="true") as info:
        yield info


def cognito(stack: dict[str, Any]) -> Any:
    return boto3.client(
        "cognito-idp", endpoint_url=stack["aws_endpoint_url"], region_name=stack["region"],
        aws_access_key_id="local", aws_secret_access_key="local",
    )


def new_organiser(stack: dict[str, Any]) -> str:
    """What ops do: an organiser with a temporary password (no permanent one is set)."""
    client = cognito(stack)
    username = f"organiser-{uuid.uuid4().hex[:8]}"
    client.admin_create_user(
        UserPoolId=stack["user_pool_id"], Username=username, TemporaryPassword=TEMPORARY,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": f"{username}@techognition.example"},
                        {"Name": "email_verified", "Value": "true"}],
    )
    client.admin_add_user_to_group(UserPoolId=stack["user_pool_id"], Username=username,
                                   GroupName="organisers")
    return username


def totp(secret: str, at: float) -> str:
    """RFC 6238 TOTP (SHA-1, 30 s, 6 digits), what an authenticator app shows at `at`."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def fresh_code(secret: str) -> str:
    """The current code, with enough of its 30 s left to be typed and checked (moto allows no
    clock drift)."""
    if 30 - time.time() % 30 < 6:
        time.sleep(30 - time.time() % 30 + 0.2)
    return totp(secret, time.time())


def enrol_authenticator(stack: dict[str, Any], username: str, password: str) -> str:
    """The organiser enrols an authenticator app; returns its secret."""
    client = cognito(stack)
    client.admin_set_user_password(UserPoolId=stack["user_pool_id"], Username=username,
                                   Password=password, Permanent=True)
    tokens = client.initiate_auth(
        ClientId=stack["user_pool_client_id"], AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )["AuthenticationResult"]
    secret = str(client.associate_software_token(AccessToken=tokens["AccessToken"])["SecretCode"])
    verified = client.verify_software_token(AccessToken=tokens["AccessToken"],
                                            UserCode=fresh_code(secret))
    assert verified["Status"] == "SUCCESS"
    client.set_user_mfa_preference(AccessToken=tokens["AccessToken"],
                                   SoftwareTokenMfaSettings={"Enabled": True,
                                                             "PreferredMfa": True})
    return secret


def type_credentials(page: Any, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def focused_id(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def cognito_calls(page: Any) -> list[str]:
    """The Cognito actions the page sends, in order."""
    calls: list[str] = []
    page.on("request", lambda r: calls.append(r.headers["x-amz-target"].split(".")[-1])
            if "x-amz-target" in r.headers else None)
    return calls


def test_a_new_organiser_chooses_their_own_password_at_first_sign_in_and_uses_it_next_time(
    browser, stack
):
    # Given an organiser ops created with a temporary password
    username = new_organiser(stack)
    with page_of(browser) as page:
        calls = cognito_calls(page)
        page.goto(f"{stack['api_url']}/admin.html")
        # When they sign in with the temporary password
        type_credentials(page, username, TEMPORARY)
        # Then the console asks them to choose their own password, policy in words, focus there
        form = page.locator("#new-password-form")
        form.wait_for()
        assert page.locator("#signin-form").is_hidden()  # one step at a time
        assert focused_id(page) == "new-password"
        assert "at least 12 characters" in form.inner_text().lower()
        assert "symbol" in form.inner_text()
        assert page.locator("#new-password").get_attribute("autocomplete") == "new-password"
        screenshot(page, "admin-new-password")

        # A weak password and a different repeat are refused in the page, before sending
        page.get_by_label("New password", exact=True).fill("short")
        page.get_by_label("Repeat the new password").fill("shorter")
        page.get_by_role("button", name="Save my password and sign in").click()
        assert "needs at least 12 characters" in page.locator("#new-password-error").inner_text()
        assert "not the same" in page.locator("#new-password-again-error").inner_text()
        assert page.locator("#new-password").get_attribute("aria-invalid") == "true"
        assert focused_id(page) == "new-password"
        assert calls == ["InitiateAuth"]

        # When they choose a good one, repeated
        page.get_by_label("New password", exact=True).fill(CHOSEN)
        page.get_by_label("Repeat the new password").fill(CHOSEN)
        page.get_by_role("button", name="Save my password and sign in").click()
        # Then they land in the console, signed in as themselves, the queue loaded
        page.locator("#console").wait_for(state="visible")
        assert page.locator("#who").inner_text() == username
        page.wait_for_function("/photos? /.test(document.querySelector('#console-status')"
                               ".textContent)")
        assert page.locator("#queue").is_visible()
        assert calls == ["InitiateAuth", "RespondToAuthChallenge"]

        # And after signing out, the temporary password no longer works...
        page.get_by_role("button", name="Sign out").click()
        type_credentials(page, username, TEMPORARY)
        page.locator("#console-status", has_text="Wrong username or password").wait_for()
        assert focused_id(page) == "password"
        # ...but their own password signs them straight in, with no further step
        type_credentials(page, username, CHOSEN)
        page.locator("#console").wait_for(state="visible")
        assert calls[-1] == "InitiateAuth"
        assert page.errors == []


def test_an_organiser_who_takes_too_long_choosing_a_password_is_asked_to_start_again(
    browser, stack
):
    # Given a new organiser at the new-password step
    username = new_organiser(stack)
    with page_of(browser) as page:
        page.goto(f"{stack['api_url']}/admin.html")
        with page.expect_response(lambda r: r.request.headers.get(
                "x-amz-target", "").endswith("InitiateAuth")) as answered:
            type_credentials(page, username, TEMPORARY)
        session = json.loads(answered.value.text())["Session"]
        page.locator("#new-password-form").wait_for()
        # When that sign-in's Session stops being valid (here: used up elsewhere)
        cognito(stack).respond_to_auth_challenge(
            ClientId=stack["user_pool_client_id"], ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=session, ChallengeResponses={"USERNAME": username,
                                                     "NEW_PASSWORD": "Elsewhere-Pass-99!"})
        page.get_by_label("New password", exact=True).fill(CHOSEN)
        page.get_by_label("Repeat the new password").fill(CHOSEN)
        page.get_by_role("button", name="Save my password and sign in").click()
        # Then the console says to start again and shows the sign-in form, focused
        page.locator("#console-status", has_text="Please start again").wait_for()
        assert page.locator("#signin-form").is_visible()
        assert page.locator("#new-password-form").count() == 0
        assert focused_id(page) == "username"
        assert page.errors == []


def test_an_organiser_with_an_authenticator_app_signs_in_with_its_code(browser, totp_stack):
    # Given an organiser who enrolled an authenticator app
    stack = totp_stack
    username = new_organiser(stack)
    secret = enrol_authenticator(stack, username, CHOSEN)
    with page_of(browser) as page:
        calls = cognito_calls(page)
        page.goto(f"{stack['api_url']}/admin.html")
        # When they sign in with their password
        type_credentials(page, username, CHOSEN)
        # Then the console asks for the 6-digit code, with the phone's one-time-code keyboard
        page.locator("#mfa-form").wait_for()
        field = page.get_by_label("6-digit code from your authenticator app")
        assert focused_id(page) == "mfa-code"
        assert field.get_attribute("inputmode") == "numeric"
        assert field.get_attribute("autocomplete") == "one-time-code"
        screenshot(page, "admin-mfa")

        # A wrong code is refused in plain words and they can try again
        right = fresh_code(secret)
        field.fill(str((int(right) + 1) % 1_000_000).zfill(6))
        page.get_by_role("button", name="Check the code").click()
        page.locator("#console-status", has_text="That code didn't match").wait_for()
        assert field.get_attribute("aria-invalid") == "true"
        assert focused_id(page) == "mfa-code"

        # When they type the code the app shows now (spaces as the app groups it are fine)
        code = fresh_code(secret)
        field.fill(f"{code[:3]} {code[3:]}")
        page.get_by_role("button", name="Check the code").click()
        # Then they are in the console
        page.locator("#console").wait_for(state="visible")
        assert page.locator("#who").inner_text() == username
        assert calls == ["InitiateAuth", "RespondToAuthChallenge", "RespondToAuthChallenge"]
        assert page.errors == []


def test_unit_level_console_explains_a_challenge_it_cannot_answer_with_a_stubbed_cognito(
    browser, stack
):
    """Unit-level browser test of the console's handling: Cognito is stubbed with page.route
    (moto's pool here cannot ask for MFA_SETUP), only for its InitiateAuth call."""
    with page_of(browser) as page:
        def stub(route: Any) -> None:
            if route.request.method == "OPTIONS":
                route.continue_()
                return
            route.fulfill(status=200, content_type="application/x-amz-json-1.1",
                          headers={"Access-Control-Allow-Origin": "*"},
                          body=json.dumps({"ChallengeName": "MFA_SETUP",
                                           "Session": "s" * 40,
                                           "ChallengeParameters": {}}))

        page.route(f"{stack['aws_endpoint_url']}/**", stub)
        page.goto(f"{stack['api_url']}/admin.html")
        type_credentials(page, "someone", CHOSEN)
        status = page.locator("#console-status", has_text="can't do yet")
        status.wait_for()
        assert "ask ops" in status.inner_text()
        assert page.locator("#signin-form").is_visible()
        assert page.locator("#challenge").inner_text() == ""
        assert page.errors == []

