"""Every organiser route in the wiring, over HTTP: 401 without a good token, 403 outside the group.

Routes come from `infra.wiring.WIRING`, so a route added later is covered without editing this.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from infra.wiring import WIRING
from tests.e2e.conftest import aws_client

ORGANISER_ROUTES = [route for route, _ in WIRING.routes() if route.auth == "organiser"]


def _url(api: str, path: str) -> str:
    return api + path.replace("{day}", "2027-03-09").replace("{photo_id}", "nope").replace(
        "{message_id}", "nope"
    )


def _call(api: str, route: Any, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.request(
        route.method, _url(api, route.path), json={}, headers=headers, timeout=10
    )


def _claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _signed_by_another_key(real_token: str, **changes: Any) -> str:
    """The organiser's own claims (and the pool's key id), signed with a key we just made."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    header = jwt.get_unverified_header(real_token)
    return jwt.encode(
        {**_claims_of(real_token), **changes},
        key,
        algorithm="RS256",
        headers={"kid": header["kid"]},
    )


@pytest.fixture(scope="module")
def forged_tokens(organiser_token: str) -> dict[str, str]:
    return {
        "forged": _signed_by_another_key(organiser_token),
        "expired": _signed_by_another_key(
            organiser_token, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200
        ),
        "garbage": "not-a-jwt",
        "unsigned": jwt.encode(_claims_of(organiser_token), key="", algorithm="none"),
    }


def test_every_admin_route_is_declared_for_organisers_only():
    paths = {route.path for route, _ in WIRING.routes() if route.path.startswith("/admin")}
    assert paths == {route.path for route in ORGANISER_ROUTES}
    assert len(ORGANISER_ROUTES) >= 3


@pytest.mark.parametrize("route", ORGANISER_ROUTES, ids=lambda r: r.route_key)
def test_admin_route_refuses_anonymous_and_bad_tokens_with_401(api, route, forged_tokens):
    for name, token in [("none", None), *forged_tokens.items()]:
        response = _call(api, route, token)
        assert (name, response.status_code) == (name, 401)


@pytest.mark.parametrize("route", ORGANISER_ROUTES, ids=lambda r: r.route_key)
def test_admin_route_refuses_a_signed_in_member_with_403(api, route, member_token):
    response = _call(api, route, member_token)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("route", ORGANISER_ROUTES, ids=lambda r: r.route_key)
def test_admin_route_lets_the_organiser_through(api, route, organiser_token):
    # The refusals above mean something only if the organiser's token does get in.
    response = _call(api, route, organiser_token)
    assert response.status_code not in (401, 403, 500), response.text


def test_a_password_alone_does_not_sign_an_organiser_in(stack):
    # Given the organiser's right password
    cognito = aws_client(stack, "cognito-idp")
    asked = cognito.initiate_auth(
        ClientId=stack["user_pool_client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": stack["organiser"]["username"],
            "PASSWORD": stack["organiser"]["password"],
        },
    )
    # Then Cognito asks for the authenticator's code instead of handing out tokens
    assert asked["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert "AuthenticationResult" not in asked
    # And a wrong code is refused
    from local.totp import fresh_code

    right = fresh_code(stack["organiser"]["totp_secret"])
    with pytest.raises(cognito.exceptions.CodeMismatchException):
        cognito.respond_to_auth_challenge(
            ClientId=stack["user_pool_client_id"],
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=asked["Session"],
            ChallengeResponses={
                "USERNAME": stack["organiser"]["username"],
                "SOFTWARE_TOKEN_MFA_CODE": f"{(int(right) + 1) % 1_000_000:06d}",
            },
        )


@pytest.mark.parametrize("group", ["x,organisers", "organisers,x"])
def test_a_group_whose_name_holds_organisers_and_a_comma_grants_nothing(stack, group):
    # Given a user in a Cognito group named e.g. "x,organisers" (a comma is allowed in names)
    from local.totp import fresh_code

    cognito, pool, app = (
        aws_client(stack, "cognito-idp"),
        stack["user_pool_id"],
        stack["user_pool_client_id"],
    )
    username, password = f"commas-{group.index(',')}-{time.time_ns()}", "Commas-in-Groups-1!"
    cognito.create_group(UserPoolId=pool, GroupName=group)
    cognito.admin_create_user(
        UserPoolId=pool, Username=username, TemporaryPassword=password, MessageAction="SUPPRESS"
    )
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName=group)
    # who signs in as a new user does: own password, authenticator app, tokens
    asked = cognito.initiate_auth(
        ClientId=app,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    asked = cognito.respond_to_auth_challenge(
        ClientId=app,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=asked["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": password + "2"},
    )
    associated = cognito.associate_software_token(Session=asked["Session"])
    verified = cognito.verify_software_token(
        Session=associated["Session"], UserCode=fresh_code(associated["SecretCode"])
    )
    tokens = cognito.respond_to_auth_challenge(
        ClientId=app,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": username},
    )["AuthenticationResult"]
    assert _claims_of(tokens["IdToken"])["cognito:groups"] == [group]
    # When they call an organiser route (HTTP API hands the group over as "[x,organisers]")
    answer = requests.get(
        f"{stack['api_url']}/admin/photos",
        timeout=10,
        headers={"Authorization": f"Bearer {tokens['IdToken']}"},
    )
    # Then they are not an organiser
    assert answer.status_code == 403, answer.text
