"""The local stack keeps API.md's promises: health, the stack file, the spec, the authorizer."""

import json

import pytest
import requests

from infra.wiring import WIRING
from tests.e2e.conftest import ROOT, aws_client

ORGANISER_ROUTES = [r for r, _ in WIRING.routes() if r.auth == "organiser"]


def _concrete(path: str) -> str:
    return (
        path.replace("{day}", "2027-03-09")
        .replace("{photo_id}", "nope")
        .replace("{message_id}", "nope")
    )


def test_health_answers_ok(api):
    response = requests.get(f"{api}/health", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_stack_file_says_how_to_reach_everything(stack):
    for key in ("api_url", "aws_endpoint_url", "region", "user_pool_id", "user_pool_client_id"):
        assert stack[key]
    assert stack["organiser"]["username"] and stack["organiser"]["password"]
    assert stack["member"]["username"] != stack["organiser"]["username"]
    assert requests.get(f"{stack['aws_endpoint_url']}/moto-api/data.json", timeout=5).ok


def test_the_served_spec_is_the_committed_spec(api):
    served = requests.get(f"{api}/openapi.json", timeout=5)
    assert served.status_code == 200
    assert served.json() == json.loads((ROOT / "docs" / "openapi.json").read_text())


@pytest.mark.parametrize("route", ORGANISER_ROUTES, ids=lambda r: r.route_key)
def test_admin_routes_refuse_callers_without_a_token(api, route):
    response = requests.request(route.method, api + _concrete(route.path), json={}, timeout=5)
    assert response.status_code == 401


@pytest.mark.parametrize("route", ORGANISER_ROUTES, ids=lambda r: r.route_key)
def test_admin_routes_refuse_a_forged_token(api, route, organiser_token):
    # Given a real token whose payload was edited (the signature no longer matches)
    header, payload, signature = organiser_token.split(".")
    forged = ".".join(
        [header, payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB"), signature]
    )
    response = requests.request(
        route.method,
        api + _concrete(route.path),
        json={},
        headers={"Authorization": f"Bearer {forged}"},
        timeout=5,
    )
    assert response.status_code == 401


def test_the_pages_reach_the_api_under_api_as_through_the_cloud_cdn(api):
    # Given the pages' config, which names the API's path on their own origin
    config = requests.get(f"{api}/config.js", timeout=5).text
    assert '"apiUrl": "/api"' in config
    # When they call it there, Then it is the API (as CloudFront strips the prefix), organisers'
    # routes and their authorizer included; the API's own root answers the same
    assert requests.get(f"{api}/api/health", timeout=5).json() == {"status": "ok"}
    assert (
        requests.get(f"{api}/api/photos?limit=1", timeout=5).json().keys()
        == requests.get(f"{api}/photos?limit=1", timeout=5).json().keys()
    )
    assert requests.get(f"{api}/api/admin/photos", timeout=5).status_code == 401
    # and a path that only starts like the prefix is not the API
    assert requests.get(f"{api}/apihealth", timeout=5).status_code == 404


def test_unknown_paths_are_404(api):
    assert requests.get(f"{api}/no/such/route", timeout=5).status_code == 404


def test_the_local_cdn_serves_published_images_only(stack):
    # Given a published derivative and a private one in the media bucket
    s3 = aws_client(stack, "s3")
    s3.put_object(
        Bucket="media",
        Key="public/cdn-test/thumb.jpg",
        Body=b"jpeg",
        ContentType="image/jpeg",
        CacheControl="public, max-age=31536000, immutable",
    )
    s3.put_object(Bucket="media", Key="private/cdn-test/thumb.jpg", Body=b"secret")
    base = f"{stack['api_url']}/_local/media/"
    # Then only public/ is served, with its type and cache headers, as CloudFront would
    public = requests.get(base + "public/cdn-test/thumb.jpg", timeout=5)
    assert (public.status_code, public.content) == (200, b"jpeg")
    assert public.headers["content-type"] == "image/jpeg"
    assert "immutable" in public.headers["cache-control"]
    assert requests.get(base + "private/cdn-test/thumb.jpg", timeout=5).status_code == 403
    assert requests.get(base + "public/missing.jpg", timeout=5).status_code == 404
