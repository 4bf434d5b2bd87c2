"""Share pages (GET /p/{photo_id}) on the site's own address: CloudFront sends /p/* to the API."""

from __future__ import annotations

from typing import Any

from infra.wiring import WIRING
from shared import cdn
from shared.share import share_path
from tests.infra.conftest import of_type


def _distribution(resources: dict[str, Any]) -> dict[str, Any]:
    (dist,) = of_type(resources, "AWS::CloudFront::Distribution").values()
    return dict(dist["Properties"]["DistributionConfig"])


def _behaviour(resources: dict[str, Any], pattern: str) -> dict[str, Any]:
    (behaviour,) = [
        b for b in _distribution(resources)["CacheBehaviors"] if b["PathPattern"] == pattern
    ]
    return dict(behaviour)


def test_share_pages_go_to_the_api_origin_unchanged_and_read_only(resources):
    share = _behaviour(resources, "/p/*")
    api = _behaviour(resources, f"{cdn.API_PREFIX}/*")
    # The same origin as the API (with its proof header), no path rewriting, GET and HEAD only
    assert share["TargetOriginId"] == api["TargetOriginId"]
    assert "FunctionAssociations" not in share
    assert sorted(share["AllowedMethods"]) == ["GET", "HEAD"]
    assert share["ViewerProtocolPolicy"] == "redirect-to-https"
    # and the API Host header: no viewer headers forwarded
    assert "OriginRequestPolicyId" not in share
    # The route exists on the API, cached as briefly as the other public reads
    assert WIRING.cdn_cache_routes()["GET /p/{photo_id}"] == 30


def test_share_pages_are_cached_one_copy_per_path_so_a_takedown_reaches_every_copy(resources):
    policy_id = _behaviour(resources, "/p/*")["CachePolicyId"]["Ref"]
    config = resources[policy_id]["Properties"]["CachePolicyConfig"]
    assert config["DefaultTTL"] == 0 and config["MaxTTL"] <= 60
    keys = config["ParametersInCacheKeyAndForwardedToOrigin"]
    # ?fbclid=... and friends do not make copies that an exact-path invalidation would miss
    assert keys["QueryStringsConfig"]["QueryStringBehavior"] == "none"
    assert keys["HeadersConfig"]["HeaderBehavior"] == "none"
    assert keys["CookiesConfig"]["CookieBehavior"] == "none"


def test_a_takedown_invalidates_the_paths_the_cdn_serves_the_photo_under():
    items = cdn.paths("p1")
    assert share_path("p1") == "/p/p1" and "/p/p1" in items  # the /p/* behaviour
    assert f"{cdn.API_PREFIX}/photos/p1" in items  # the pages' cached read, as the viewer asks
