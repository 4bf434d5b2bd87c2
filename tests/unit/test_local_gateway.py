"""The local gateway builds the events API Gateway HTTP API would, and checks JWTs as it would."""

import base64
import time
from dataclasses import replace

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from infra.wiring import WIRING, public
from local.gateway import Gateway, JwtVerifier
from local.runtime import Invoker

ISSUER = "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_pool"
AUDIENCE = "client-123"


def _gateway(wiring=WIRING):
    return Gateway(wiring, Invoker(), JwtVerifier("", ISSUER, AUDIENCE))


def _event(gateway, method, path, *, query="", body=b"", headers=None, claims=None):
    compiled, params = gateway.match(method, path)
    return gateway.build_event(
        compiled,
        params,
        method=method,
        raw_path=path,
        raw_query=query,
        headers={"host": "127.0.0.1:8000", **(headers or {})},
        body=body,
        source_ip="198.51.100.4",
        claims=claims,
    )


def test_a_request_becomes_a_payload_v2_event_with_route_key_and_parameters():
    event = _event(_gateway(), "GET", "/photos/abc123", query="limit=5&tag=a&tag=b")
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /photos/{photo_id}"
    assert event["pathParameters"] == {"photo_id": "abc123"}
    assert event["rawQueryString"] == "limit=5&tag=a&tag=b"
    assert event["queryStringParameters"] == {"limit": "5", "tag": "a,b"}
    assert event["requestContext"]["http"]["sourceIp"] == "198.51.100.4"
    assert event["requestContext"]["stage"] == "$default"
    assert "authorizer" not in event["requestContext"]


def test_json_bodies_pass_as_text_and_binary_bodies_as_base64():
    gateway = _gateway()
    text = _event(
        gateway, "POST", "/pledges", body=b'{"a": 1}', headers={"content-type": "application/json"}
    )
    assert (text["body"], text["isBase64Encoded"]) == ('{"a": 1}', False)
    binary = _event(
        gateway, "POST", "/pledges", body=b"\xff\xd8\xff", headers={"content-type": "image/jpeg"}
    )
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\xff\xd8\xff"


def test_claims_reach_the_function_flattened_like_http_api_does():
    event = _event(
        _gateway(),
        "GET",
        "/admin/photos",
        claims={"cognito:groups": ["organisers", "x"], "cognito:username": "ann"},
    )
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims == {"cognito:groups": "[organisers x]", "cognito:username": "ann"}


def test_unknown_routes_and_methods_do_not_match():
    gateway = _gateway()
    assert gateway.match("GET", "/nowhere") is None
    assert gateway.match("DELETE", "/photos") is None
    assert gateway.match("GET", "/photos/a/b") is None


def test_adding_a_route_to_the_wiring_adds_it_to_the_local_gateway():
    # Given the wiring with one more route on the upload function
    upload = WIRING.function("upload-api")
    extended = replace(upload, routes=(*upload.routes, public("GET", "/schools")))
    wiring = replace(
        WIRING,
        functions=tuple(extended if fn.name == "upload-api" else fn for fn in WIRING.functions),
    )
    # Then the local gateway serves it, and the original wiring does not
    found = _gateway(wiring).match("GET", "/schools")
    assert found is not None and found[0].function.name == "upload-api"
    assert _gateway().match("GET", "/schools") is None


@pytest.fixture(scope="module")
def keys():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048), rsa.generate_private_key(
        public_exponent=65537, key_size=2048
    )


def _token(key, **overrides):
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": int(time.time()) + 600,
        "cognito:username": "ann",
        "cognito:groups": ["organisers"],
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


def _verifier(key):
    verifier = JwtVerifier("unused", ISSUER, AUDIENCE)
    verifier._keys = {"k1": key.public_key()}
    return verifier


def test_a_token_signed_by_the_pool_passes_with_its_claims(keys):
    good, _ = keys
    claims = _verifier(good).claims("Bearer " + _token(good))
    assert claims is not None and claims["cognito:username"] == "ann"


@pytest.mark.parametrize(
    "case",
    ["missing", "not-bearer", "garbage", "other-key", "expired", "wrong-audience", "wrong-issuer"],
)
def test_bad_tokens_are_refused_like_the_jwt_authorizer(keys, case):
    good, other = keys
    header = {
        "missing": None,
        "not-bearer": "Basic " + _token(good),
        "garbage": "Bearer not.a.jwt",
        "other-key": "Bearer " + _token(other),
        "expired": "Bearer " + _token(good, exp=int(time.time()) - 5),
        "wrong-audience": "Bearer " + _token(good, aud="someone-else"),
        "wrong-issuer": "Bearer " + _token(good, iss="https://evil.example/pool"),
    }[case]
    assert _verifier(good).claims(header) is None


@pytest.fixture
def served_site(tmp_path):
    """A gateway serving `tmp_path/site`, with an .html page next to (outside) it."""
    site = tmp_path / "site"
    (site / "signup").mkdir(parents=True)
    (site / "index.html").write_text("<p>home</p>")
    (site / "signup" / "confirm.html").write_text("<p>confirm</p>")
    (tmp_path / "secret.html").write_text("<p>outside the site</p>")
    (tmp_path / "notes.txt").write_text("outside the site")
    gateway = Gateway(WIRING, Invoker(), JwtVerifier("", ISSUER, AUDIENCE), site_dir=site)
    gateway.content_security_policy = "default-src 'self'"
    port = gateway.serve("127.0.0.1", 0)
    yield port
    gateway.stop()


def _get(port, raw_path):
    """GET with the path sent byte for byte (no client-side normalisation of `..`)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", raw_path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "raw_path",
    [
        "/../secret",
        "/../secret.html",
        "/signup/../../secret",
        "/%2e%2e/secret",
        "/signup/%2E%2E/%2e%2e/secret",
        "/..%2fsecret",
        "/../notes.txt",
        "/secret%00",
        "/" + "a" * 5000,
    ],
)
def test_the_static_fallback_never_serves_a_file_outside_the_site(served_site, raw_path):
    # When a request climbs out of site/ with .. segments, plain or percent-encoded
    status, _, body = _get(served_site, raw_path)
    # Then the file next to the site is not served
    assert b"outside the site" not in body
    assert status == 404


def test_site_pages_are_served_with_extensionless_paths_and_the_security_headers(served_site):
    for path, text in [
        ("/", b"home"),
        ("/signup/confirm", b"confirm"),
        ("/signup/confirm.html", b"confirm"),
        ("/signup/../index", b"home"),
    ]:
        status, headers, body = _get(served_site, path)
        assert (status, text in body) == (200, True), path
        assert headers["content-security-policy"] == "default-src 'self'"
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
