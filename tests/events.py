"""Builders for real-shaped Lambda events, for handler tests that don't go over HTTP."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

from infra.wiring import WIRING
from local.gateway import CompiledRoute, _flatten_claims

_ROUTES = [CompiledRoute.of(r, fn) for r, fn in WIRING.routes()]

ORGANISER_CLAIMS = {
    "cognito:username": "org-ann",
    "cognito:groups": ["organisers"],
    "email": "ann@organisers.test",
    "sub": "sub-ann",
}
MEMBER_CLAIMS = {"cognito:username": "mel", "cognito:groups": [], "sub": "sub-mel"}


def http_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    query: dict[str, str] | None = None,
    claims: dict[str, Any] | None = None,
    source_ip: str = "203.0.113.7",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (v2) event for a wired route, as the gateway would build it."""
    route, params = next(
        (c, m.groupdict())
        for c in _ROUTES
        if c.route.method == method
        for m in [c.pattern.match(path)]
        if m
    )
    raw_body = body if isinstance(body, str) or body is None else json.dumps(body)
    all_headers = {"content-type": "application/json", "user-agent": "pytest", **(headers or {})}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route.route_key,
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "test",
            "domainName": "api.test",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": "pytest",
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": route.route.route_key,
            "stage": "$default",
            "time": "08/Mar/2027:23:12:00 +0000",
            "timeEpoch": 1804547520000,
        },
        "isBase64Encoded": False,
    }
    if raw_body is not None:
        event["body"] = raw_body
    if query:
        event["queryStringParameters"] = query
    if params:
        event["pathParameters"] = params
    if claims is not None:
        event["requestContext"]["authorizer"] = {
            "jwt": {"claims": _flatten_claims(claims), "scopes": None}
        }
    return event


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None
