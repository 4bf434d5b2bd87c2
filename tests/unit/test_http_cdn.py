"""The HTTP layer behind the CDN: which answers it may cache, and whose address a request has."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.config import HttpConfig, load
from shared.errors import NotFound
from shared.http import create_app, source_ip

app = create_app()


@app.get("/photos")
def _gallery() -> dict[str, Any]:
    return {"items": []}


@app.get("/photos/<photo_id>")
def _photo(photo_id: str) -> dict[str, Any]:
    raise NotFound("No such photo.")


@app.get("/uploads/<photo_id>")
def _status(photo_id: str) -> dict[str, Any]:
    return {"photo_id": photo_id}


@app.post("/uploads")
def _reserve() -> dict[str, Any]:
    return {"ip": source_ip(app)}


@pytest.fixture(autouse=True)
def cdn_settings(monkeypatch: pytest.MonkeyPatch) -> Any:
    routes = {"GET /photos": 30, "GET /photos/{photo_id}": 30}
    monkeypatch.setenv("CDN_CACHE_ROUTES", json.dumps(routes))
    monkeypatch.setenv("ORIGIN_VERIFY", "stack-uuid")
    load.cache_clear()
    yield
    load.cache_clear()


def _event(method: str, route: str, path: str, headers: dict[str, str] | None = None) -> Any:
    return {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", **(headers or {})},
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "203.0.113.1"},
            "stage": "$default",
            "requestId": "r",
        },
        "isBase64Encoded": False,
    }


def _call(event: dict[str, Any]) -> dict[str, Any]:
    return dict(app.resolve(event, None))  # type: ignore[arg-type]  # no context needed


def test_a_cached_public_read_tells_the_cdn_how_long_and_browsers_to_revalidate():
    response = _call(_event("GET", "/photos", "/photos"))
    assert response["statusCode"] == 200
    assert response["headers"]["Cache-Control"] == "public, max-age=0, s-maxage=30"


def test_an_error_of_a_cached_route_and_an_uncached_route_carry_no_cache_header():
    missing = _call(_event("GET", "/photos/{photo_id}", "/photos/nope"))
    status = _call(_event("GET", "/uploads/{photo_id}", "/uploads/abc"))
    assert missing["statusCode"] == 404 and "Cache-Control" not in missing.get("headers", {})
    assert status["statusCode"] == 200 and "Cache-Control" not in status.get("headers", {})


def test_the_viewer_address_is_believed_only_with_cloudfronts_proof():
    # Through the CDN: the proof, and the address CloudFront's function set
    through_cdn = _call(
        _event(
            "POST",
            "/uploads",
            "/uploads",
            {"x-origin-verify": "stack-uuid", "x-viewer-ip": "198.51.100.7"},
        )
    )
    # Straight to the API, claiming another address: the address API Gateway saw
    forged = _call(
        _event(
            "POST",
            "/uploads",
            "/uploads",
            {"x-origin-verify": "guess", "x-viewer-ip": "198.51.100.99"},
        )
    )
    plain = _call(_event("POST", "/uploads", "/uploads", {"x-viewer-ip": "198.51.100.99"}))
    assert json.loads(through_cdn["body"])["ip"] == "198.51.100.7"
    assert json.loads(forged["body"])["ip"] == "203.0.113.1"
    assert json.loads(plain["body"])["ip"] == "203.0.113.1"


def test_without_a_configured_proof_no_header_is_believed(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("ORIGIN_VERIFY")
    load.cache_clear()
    assert load(HttpConfig).origin_verify is None
    answer = _call(
        _event(
            "POST", "/uploads", "/uploads", {"x-origin-verify": "", "x-viewer-ip": "198.51.100.99"}
        )
    )
    assert json.loads(answer["body"])["ip"] == "203.0.113.1"


def test_the_wiring_gives_every_function_the_cached_routes():
    from infra.wiring import WIRING, environment

    env = environment(table_name="t", media_bucket="m", media_base_url="https://x/", settings={})
    assert json.loads(env["CDN_CACHE_ROUTES"]) == WIRING.cdn_cache_routes()
