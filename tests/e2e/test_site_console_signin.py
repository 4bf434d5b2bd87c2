"""An organiser's sign-in to the console in a real browser, against the local stack's Cognito.

The pool requires an authenticator app (TOTP MFA), locally as in the cloud. Organisers are
created by ops with a temporary password: their first sign-in asks for their own password
(NEW_PASSWORD_REQUIRED), then to set up the app (MFA_SETUP); every later one for its code
(SOFTWARE_TOKEN_MFA). moto answers all three and checks the codes (the local stack sets
MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true); it hands every user the same secret and accepts
only the current 30 s code, hence `fresh_code`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local.totp import fresh_code as _fresh_code
from tests.e2e.conftest import aws_client
from tests.e2e.site_helpers import chromium, page_of, screenshot

pytestmark = pytest.mark.e2e

TEMPORARY = "Temporary-Pass-2024!"
CHOSEN = "My-Own-Strong-Pass-42?"


@pytest.fixture(scope="module")
def browser(stack: dict[str, Any]) -> Iterator[Any]:
    with chromium() as b:
        yield b


def new_organiser(stack: dict[str, Any]) -> str:
    """What ops do: an organiser with a temporary password (no permanent one is set)."""
    client = aws_client(stack, "cognito-idp")
    username = f"organiser-{uuid.uuid4().hex[:8]}"
    client.admin_create_user(
        UserPoolId=stack["user_pool_id"],
        Username=username,
        TemporaryPassword=TEMPORARY,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": f"{username}@techognition.example"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    client.admin_add_user_to_group(
        UserPoolId=stack["user_pool_id"], Username=username, GroupName="organisers"
    )
    return username


def fresh_code(secret: str) -> str:
    """The current code, with enough of its 30 s left to be typed and checked."""
    return _fresh_code(secret, needed_s=6)


def enrol_authenticator(stack: dict[str, Any], username: str, password: str) -> str:
    """A first sign-in outside the console: own password, then the app (MFA_SETUP); returns
    the app's secret."""
    client = aws_client(stack, "cognito-idp")
    app = stack["user_pool_client_id"]
    asked = client.initiate_auth(
        ClientId=app,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": TEMPORARY},
    )
    assert asked["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    asked = client.respond_to_auth_challenge(
        ClientId=app,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=asked["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": password},
    )
    assert asked["ChallengeName"] == "MFA_SETUP"
    associated = client.associate_software_token(Session=asked["Session"])
    secret = str(associated["SecretCode"])
    verified = client.verify_software_token(
        Session=associated["Session"], UserCode=fresh_code(secret)
    )
    assert verified["Status"] == "SUCCESS"
    done = client.respond_to_auth_challenge(
        ClientId=app,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": username},
    )
    assert "AuthenticationResult" in done
    return secret


def csp_violations(page: Any) -> list[str]:
    """What the page's Content-Security-Policy refused, as Chromium reports it."""
    refused: list[str] = []
    page.on(
        "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
    )
    return refused


def type_credentials(page: Any, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def focused_id(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def refuses_a_wrong_code(page: Any, field: Any, secret: str, button: str) -> None:
    """Sends a code one off the app's and sees it refused in plain words, the field marked."""
    field.fill(str((int(fresh_code(secret)) + 1) % 1_000_000).zfill(6))
    page.get_by_role("button", name=button).click()
    page.locator("#console-status", has_text="That code didn't match").wait_for()
    assert field.get_attribute("aria-invalid") == "true"


def cognito_calls(page: Any) -> list[str]:
    """The Cognito actions the page sends, in order."""
    calls: list[str] = []
    page.on(
        "request",
        lambda r: (
            calls.append(r.headers["x-amz-target"].split(".")[-1])
            if "x-amz-target" in r.headers
            else None
        ),
    )
    return calls


def test_a_new_organiser_chooses_a_password_sets_up_an_authenticator_and_uses_both_next_time(
    browser, stack
):
    # Given an organiser ops created with a temporary password
    username = new_organiser(stack)
    with page_of(browser) as page:
        calls = cognito_calls(page)
        refused = csp_violations(page)
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
        # Then the console has them set up an authenticator app: the key to type, its link
        page.locator("#mfa-setup-form").wait_for()
        page.wait_for_function(
            "document.activeElement && document.activeElement.id === 'mfa-setup-code'"
        )
        secret = page.locator("#mfa-secret").inner_text().replace(" ", "")
        assert secret.isalnum()  # base32 (moto: always "asdfasdfasdf", the cloud: 32 characters)
        uri = urlsplit(page.locator("#mfa-uri").inner_text())
        assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
        assert uri.path == f"/TECHOGNITION%3A{username}"
        query = parse_qs(uri.query)
        assert query["secret"] == [secret] and query["issuer"] == ["TECHOGNITION"]
        field = page.get_by_label("6-digit code the app now shows")
        assert field.get_attribute("autocomplete") == "one-time-code"
        screenshot(page, "admin-mfa-setup")
        assert calls == ["InitiateAuth", "RespondToAuthChallenge", "AssociateSoftwareToken"]

        # A wrong code is refused in plain words and they can try again
        refuses_a_wrong_code(page, field, secret, "Finish and sign in")
        assert focused_id(page) == "mfa-setup-code"

        # When they type the code their app (computing from that key) shows now
        field.fill(fresh_code(secret))
        page.get_by_role("button", name="Finish and sign in").click()
        # Then they land in the console, signed in as themselves, the queue loaded
        page.locator("#console").wait_for(state="visible")
        assert page.locator("#who").inner_text() == username
        page.wait_for_function(
            "/photos? /.test(document.querySelector('#console-status').textContent)"
        )
        assert page.locator("#queue").is_visible()
        assert calls == [
            "InitiateAuth",
            "RespondToAuthChallenge",
            "AssociateSoftwareToken",
            "VerifySoftwareToken",
            "VerifySoftwareToken",
            "RespondToAuthChallenge",
        ]

        # And after signing out, the temporary password no longer works...
        page.get_by_role("button", name="Sign out").click()
        type_credentials(page, username, TEMPORARY)
        page.locator("#console-status", has_text="Wrong username or password").wait_for()
        assert focused_id(page) == "password"
        # ...their own password alone is not enough: the app's code is asked for
        type_credentials(page, username, CHOSEN)
        page.locator("#mfa-form").wait_for()
        page.get_by_label("6-digit code from your authenticator app").fill(fresh_code(secret))
        page.get_by_role("button", name="Check the code").click()
        page.locator("#console").wait_for(state="visible")
        assert calls[-2:] == ["InitiateAuth", "RespondToAuthChallenge"]
        assert page.errors == []
        assert refused == []


def test_the_console_is_served_with_its_content_security_policy(stack):
    answer = requests.get(f"{stack['api_url']}/admin.html", timeout=5)
    policy = dict(
        d.strip().split(" ", 1) for d in answer.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["connect-src"] == f"'self' {stack['aws_endpoint_url']}"
    assert policy["frame-ancestors"] == "'none'"
    assert answer.headers["x-frame-options"] == "DENY"


def test_an_organiser_who_takes_too_long_choosing_a_password_is_asked_to_start_again(
    browser, stack
):
    # Given a new organiser at the new-password step
    username = new_organiser(stack)
    with page_of(browser) as page:
        page.goto(f"{stack['api_url']}/admin.html")
        with page.expect_response(
            lambda r: r.request.headers.get("x-amz-target", "").endswith("InitiateAuth")
        ) as answered:
            type_credentials(page, username, TEMPORARY)
        session = json.loads(answered.value.text())["Session"]
        page.locator("#new-password-form").wait_for()
        # When that sign-in's Session stops being valid (here: used up elsewhere; moto retires
        # a Session only when a sign-in ends with an authenticator code, and checks no more)
        aws_client(stack, "cognito-idp").respond_to_auth_challenge(
            ClientId=stack["user_pool_client_id"],
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=session,
            ChallengeResponses={
                "USERNAME": username,
                "SOFTWARE_TOKEN_MFA_CODE": fresh_code(stack["organiser"]["totp_secret"]),
            },
        )
        page.get_by_label("New password", exact=True).fill(CHOSEN)
        page.get_by_label("Repeat the new password").fill(CHOSEN)
        page.get_by_role("button", name="Save my password and sign in").click()
        # Then the console says to start again and shows the sign-in form, focused
        page.locator("#console-status", has_text="Please start again").wait_for()
        assert page.locator("#signin-form").is_visible()
        assert page.locator("#new-password-form").count() == 0
        assert focused_id(page) == "username"
        assert page.errors == []


def test_an_organiser_with_an_authenticator_app_signs_in_with_its_code(browser, stack):
    # Given an organiser who enrolled an authenticator app
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
        refuses_a_wrong_code(page, field, secret, "Check the code")
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


@pytest.mark.parametrize(
    "challenge",
    [
        {"ChallengeName": "SELECT_MFA_TYPE", "ChallengeParameters": {}},
        {"ChallengeName": "MFA_SETUP", "ChallengeParameters": {"MFAS_CAN_SETUP": '["SMS_MFA"]'}},
    ],
)
def test_unit_level_console_explains_a_challenge_it_cannot_answer_with_a_stubbed_cognito(
    browser, stack, challenge
):
    """Unit-level browser test of the console's handling: Cognito is stubbed with page.route
    (this pool never asks for these), only for its InitiateAuth call."""
    with page_of(browser) as page:

        def stub(route: Any) -> None:
            if route.request.method == "OPTIONS":
                route.continue_()
                return
            route.fulfill(
                status=200,
                content_type="application/x-amz-json-1.1",
                headers={"Access-Control-Allow-Origin": "*"},
                body=json.dumps({**challenge, "Session": "s" * 40}),
            )

        page.route(f"{stack['aws_endpoint_url']}/**", stub)
        page.goto(f"{stack['api_url']}/admin.html")
        type_credentials(page, "someone", CHOSEN)
        status = page.locator("#console-status", has_text="can't do yet")
        status.wait_for()
        assert "ask ops" in status.inner_text()
        assert page.locator("#signin-form").is_visible()
        assert page.locator("#challenge").inner_text() == ""
        assert page.errors == []
