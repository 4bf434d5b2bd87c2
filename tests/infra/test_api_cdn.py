"""The API behind the site's CloudFront distribution under /api/*: one origin, cached reads."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from infra.constructs.api_cdn import API_PATHS_FUNCTION, ORIGIN_VERIFY_HEADER
from infra.wiring import WIRING
from tests.infra.conftest import of_type


def _distribution(resources: dict[str, Any]) -> dict[str, Any]:
    (dist,) = of_type(resources, "AWS::CloudFront::Distribution").values()
    return dict(dist["Properties"]["DistributionConfig"])


def _api_behaviour(resources: dict[str, Any]) -> dict[str, Any]:
    (behaviour,) = [
        b for b in _distribution(resources)["CacheBehaviors"] if b["PathPattern"] == "/api/*"
    ]
    return dict(behaviour)


def test_the_api_is_an_origin_of_the_site_distribution_with_every_method(resources):
    behaviour = _api_behaviour(resources)
    (origin,) = [
        o for o in _distribution(resources)["Origins"] if o["Id"] == behaviour["TargetOriginId"]
    ]
    (api_id,) = of_type(resources, "AWS::ApiGatewayV2::Api")
    # The HTTP API's own host, over HTTPS, with the header only CloudFront sends
    assert {"Ref": api_id} in origin["DomainName"]["Fn::Join"][1]
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    (header,) = origin["OriginCustomHeaders"]
    assert header["HeaderName"] == ORIGIN_VERIFY_HEADER
    assert "AWS::StackId" in json.dumps(header["HeaderValue"])
    # Every method the wiring serves passes; only GET and HEAD are ever cached
    assert {route.method for route, _ in WIRING.routes()} <= set(behaviour["AllowedMethods"])
    assert sorted(behaviour["CachedMethods"]) == ["GET", "HEAD"]
    assert behaviour["ViewerProtocolPolicy"] == "https-only"


def test_the_cache_keeps_only_what_an_answer_allows_and_keys_on_the_token(resources):
    policy_id = _api_behaviour(resources)["CachePolicyId"]["Ref"]
    config = resources[policy_id]["Properties"]["CachePolicyConfig"]
    # Nothing without an s-maxage (admin lists, upload status, errors), at most a minute
    assert config["DefaultTTL"] == 0 and config["MinTTL"] == 0 and config["MaxTTL"] == 60
    keys = config["ParametersInCacheKeyAndForwardedToOrigin"]
    assert keys["QueryStringsConfig"]["QueryStringBehavior"] == "all"  # limit, cursor, edition
    assert keys["HeadersConfig"]["Headers"] == ["Authorization"]  # never one organiser's page
    assert keys["CookiesConfig"]["CookieBehavior"] == "none"


def test_the_functions_know_the_proof_cloudfront_sends(resources):
    behaviour = _api_behaviour(resources)
    origin = next(
        o for o in _distribution(resources)["Origins"] if o["Id"] == behaviour["TargetOriginId"]
    )
    sent = origin["OriginCustomHeaders"][0]["HeaderValue"]
    for fn in of_type(resources, "AWS::Lambda::Function").values():
        variables = fn["Properties"].get("Environment", {}).get("Variables", {})
        if "TABLE_NAME" in variables:
            assert variables["ORIGIN_VERIFY"] == sent


def _run_function(uri: str, viewer_ip: str, headers: dict[str, Any]) -> dict[str, Any]:
    """The CloudFront Function's code, run by node as cloudfront-js would (no CloudFront here)."""
    event = {"request": {"uri": uri, "headers": headers}, "viewer": {"ip": viewer_ip}}
    script = f"{API_PATHS_FUNCTION}\nconsole.log(JSON.stringify(handler({json.dumps(event)})));"
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout))


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("/api/photos", "/photos"),
        ("/api/photos/abc/reports", "/photos/abc/reports"),
        ("/api/admin/photos", "/admin/photos"),
    ],
)
def test_the_viewer_function_strips_the_prefix_and_sets_the_viewer_address(uri, expected):
    # Given a client that claims another address in the header
    request = _run_function(uri, "198.51.100.7", {"x-viewer-ip": {"value": "10.0.0.1"}})
    # Then the API sees its own path, and the address CloudFront saw, not the claimed one
    assert request["uri"] == expected
    assert request["headers"]["x-viewer-ip"] == {"value": "198.51.100.7"}


def test_the_pages_call_the_api_on_their_own_origin(resources):
    deployments = json.dumps(of_type(resources, "Custom::CDKBucketDeployment"))
    assert "execute-api" not in deployments


def test_only_public_reads_are_cached_and_each_names_its_seconds():
    cached = WIRING.cdn_cache_routes()
    assert "GET /photos" in cached and "GET /draws" in cached
    for route, _ in WIRING.routes():
        if route.route_key in cached:
            assert route.method == "GET" and route.auth == "public"
            assert 0 < cached[route.route_key] <= 60
    assert not any(key.startswith(("GET /admin", "GET /uploads")) for key in cached)
