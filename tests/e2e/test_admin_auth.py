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

ORGANISER_ROUTES = [route for route, _ in WIRING.routes() if route.auth == "organiser"]


def _url(api: str, path: str) -> str:
    return api + path.replace("{day}", "2027-03-09").replace("{photo_id}", "nope").replace(
        "{message_id}", "nope")


def _call(api: str, route: Any, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.request(route.method, _url(api, route.path), json={}, headers=headers,
                            timeout=10)


def _claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _signed_by_another_key(real_token: str, **changes: Any) -> str:
    """The organiser's own claims (and the pool's key id), signed with a key we just made."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    header = jwt.get_unverified_header(real_token)
    return jwt.encode({**_claims_of(real_token), **changes}, key, algorithm="RS256",
                      headers={"kid": header["kid"]})


@pytest.fixture(scope="module")
def forged_tokens(organiser_token: str) -> dict[str, str]:
    return {
        "forged": _signed_by_another_key(organiser_token),
        "expired": _signed_by_another_key(organiser_token, exp=int(time.time()) - 3600,
                                          iat=int(time.time()) - 7200),
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
