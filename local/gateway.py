"""A small local stand-in for API Gateway HTTP API: real v2 events, real JWT checks.

Routes come from the wiring (the same table CDK turns into `AWS::ApiGatewayV2::Route`s). Each
request becomes a payload-format-2.0 event (route key, raw path and query, lower-cased headers,
source IP, base64 body for binary types), organiser routes first pass the same checks as the
HTTP API JWT authorizer (signature against the pool's JWKS, issuer, audience, expiry: else 401
`{"message":"Unauthorized"}`), and the handler's result is written back as API Gateway would.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from infra.wiring import Function, Route, Wiring
from local.runtime import Invoker
from shared.cdn import API_PREFIX

MAX_PAYLOAD = 10 * 1024 * 1024  # HTTP API's own request limit
_TEXT_TYPES = re.compile(
    r"^(text/|application/(json|.*\+json|xml|.*\+xml|x-www-form-urlencoded|javascript))"
)


@dataclass(frozen=True)
class CompiledRoute:
    route: Route
    function: Function
    pattern: re.Pattern[str]

    @classmethod
    def of(cls, route: Route, fn: Function) -> CompiledRoute:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(route.path))
        return cls(route, fn, re.compile(f"^{regex}$"))


class JwtVerifier:
    """Verifies Cognito tokens exactly as the HTTP API JWT authorizer is configured to."""

    def __init__(self, jwks_url: str, issuer: str, audience: str) -> None:
        self.jwks_url, self.issuer, self.audience = jwks_url, issuer, audience
        self._keys: dict[str, Any] = {}

    def _key(self, kid: str) -> Any:
        if kid not in self._keys:
            import jwt
            import requests

            jwks = requests.get(self.jwks_url, timeout=5).json()
            self._keys = {str(k.key_id): k.key for k in jwt.PyJWKSet.from_dict(jwks).keys}
        return self._keys.get(kid)

    def claims(self, authorization: str | None) -> dict[str, Any] | None:
        import jwt

        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        token = authorization[7:].strip()
        try:
            key = self._key(jwt.get_unverified_header(token).get("kid", ""))
            if key is None:
                return None
            return dict(
                jwt.decode(
                    token,
                    key,
                    algorithms=["RS256"],
                    audience=self.audience,
                    issuer=self.issuer,
                    options={"require": ["exp", "iss"]},
                )
            )
        except (jwt.PyJWTError, ValueError):
            return None


def _flatten_claims(claims: dict[str, Any]) -> dict[str, str]:
    """HTTP API hands claims to the function as strings; arrays become "[a b]"."""
    flat: dict[str, str] = {}
    for name, value in claims.items():
        if isinstance(value, list):
            flat[name] = "[" + " ".join(str(v) for v in value) + "]"
        else:
            flat[name] = str(value)
    return flat


class Gateway:
    def __init__(
        self,
        wiring: Wiring,
        invoker: Invoker,
        verifier: JwtVerifier,
        *,
        site_dir: Path | None = None,
        extra: Callable[[str, str], dict[str, Any] | None] | None = None,
    ) -> None:
        self.routes = [CompiledRoute.of(r, fn) for r, fn in wiring.routes()]
        self.invoker, self.verifier = invoker, verifier
        self.site_dir = site_dir
        self.extra = extra  # local-only hooks under /_local/ (never an API route)
        # site: files generated at start-up (e.g. /config.js), served before `site_dir`
        self.generated: dict[str, tuple[str, bytes]] = {}
        # site: the pages' Content-Security-Policy (infra.csp), set once the endpoints are known
        self.content_security_policy = ""
        self._server: ThreadingHTTPServer | None = None

    def match(self, method: str, path: str) -> tuple[CompiledRoute, dict[str, str]] | None:
        for compiled in self.routes:
            if compiled.route.method == method:
                found = compiled.pattern.match(path)
                if found:
                    return compiled, found.groupdict()
        return None

    def build_event(
        self,
        compiled: CompiledRoute,
        path_params: dict[str, str],
        *,
        method: str,
        raw_path: str,
        raw_query: str,
        headers: dict[str, str],
        body: bytes,
        source_ip: str,
        claims: dict[str, Any] | None,
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        query: dict[str, list[str]] = {}
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            query.setdefault(key, []).append(value)
        content_type = headers.get("content-type", "")
        is_text = not body or bool(_TEXT_TYPES.match(content_type.lower()))
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": compiled.route.route_key,
            "rawPath": raw_path,
            "rawQueryString": raw_query,
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "local",
                "domainName": headers.get("host", "127.0.0.1"),
                "domainPrefix": "local",
                "http": {
                    "method": method,
                    "path": raw_path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": source_ip,
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": uuid.uuid4().hex,
                "routeKey": compiled.route.route_key,
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now.timestamp() * 1000),
            },
            "isBase64Encoded": not is_text,
        }
        if body:
            event["body"] = (
                body.decode("utf-8", "replace") if is_text else (base64.b64encode(body).decode())
            )
        if "cookie" in headers:
            event["cookies"] = [c.strip() for c in headers["cookie"].split(";")]
        if query:
            event["queryStringParameters"] = {k: ",".join(v) for k, v in query.items()}
        if path_params:
            event["pathParameters"] = path_params
        if claims is not None:
            event["requestContext"]["authorizer"] = {
                "jwt": {"claims": _flatten_claims(claims), "scopes": None}
            }
        return event

    # -- serving ---------------------------------------------------------------------------
    def serve(self, host: str, port: int) -> int:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the handlers log; access lines here would only repeat them

            def _any(self) -> None:
                gateway.handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _any

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # a burst of clients queues instead of being refused

        self._server = Server((host, port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return int(self._server.server_address[1])

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        split = urlsplit(request.path)
        if split.path.startswith(f"{API_PREFIX}/"):
            # As the cloud's CDN does for the pages (infra/constructs/api_cdn.py): `/api/x` is
            # the API's `/x`. The API also answers at the root, as its own endpoint does.
            split = split._replace(path=split.path.removeprefix(API_PREFIX))
        method = request.command
        body = self._read_body(request)
        if body is None:
            return
        if split.path.startswith("/_local/") and self.extra:
            result = self.extra(method, split.path)
            if result is not None:
                self._write_result(request, result)
                return
        found = self.match(method if method != "HEAD" else "GET", split.path)
        if found is not None:
            self._call_route(request, *found, split=split, body=body)
        elif not (method in ("GET", "HEAD") and self._serve_static(request, split.path)):
            self._reply(
                request, 404, {"content-type": "application/json"}, b'{"message":"Not Found"}'
            )

    def _read_body(self, request: BaseHTTPRequestHandler) -> bytes | None:
        """The request's body; None once a body over HTTP API's limit has been answered 413."""
        length = int(request.headers.get("content-length") or 0)
        if length > MAX_PAYLOAD:
            self._reply(
                request,
                413,
                {"content-type": "application/json"},
                b'{"message":"Request Entity Too Large"}',
            )
            request.close_connection = True
            return None
        return request.rfile.read(length) if length else b""

    def _call_route(
        self,
        request: BaseHTTPRequestHandler,
        compiled: CompiledRoute,
        params: dict[str, str],
        *,
        split: SplitResult,
        body: bytes,
    ) -> None:
        """A route's function called with its event (organiser routes once the JWT checks out),
        its result written back."""
        headers: dict[str, str] = {}
        for name, value in request.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        claims = None
        if compiled.route.auth == "organiser":
            claims = self.verifier.claims(headers.get("authorization"))
            if claims is None:
                self._reply(
                    request,
                    401,
                    {"content-type": "application/json", "www-authenticate": "Bearer"},
                    b'{"message":"Unauthorized"}',
                )
                return
        event = self.build_event(
            compiled,
            params,
            method=request.command,
            raw_path=split.path,
            raw_query=split.query,
            headers=headers,
            body=body,
            source_ip=request.client_address[0],
            claims=claims,
        )
        try:
            result = self.invoker.invoke(compiled.function, event)
        except Exception:  # the function crashed: API Gateway answers 500 on its behalf
            import traceback

            traceback.print_exc()
            result = {
                "statusCode": 500,
                "body": '{"message":"Internal Server Error"}',
                "headers": {"content-type": "application/json"},
            }
        self._write_result(request, result, head=request.command == "HEAD")

    def _write_result(
        self, request: BaseHTTPRequestHandler, result: Any, head: bool = False
    ) -> None:
        if not isinstance(result, dict) or "statusCode" not in result:
            # payload 2.0 inference: a bare value is a 200 JSON body
            body = json.dumps(result).encode()
            self._reply(request, 200, {"content-type": "application/json"}, body, head)
            return
        raw = result.get("body") or ""
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
        headers = {k.lower(): str(v) for k, v in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers[name.lower()] = ",".join(str(v) for v in values)
        cookies = result.get("cookies") or []
        self._reply(request, int(result["statusCode"]), headers, body, head, cookies)

    def _serve_static(self, request: BaseHTTPRequestHandler, path: str) -> bool:
        if path in self.generated:  # site: generated files such as /config.js
            content_type, data = self.generated[path]
            self._reply(
                request,
                200,
                {"content-type": content_type, "cache-control": "no-cache", **self._page_headers()},
                data,
                request.command == "HEAD",
            )
            return True
        if self.site_dir is None or not self.site_dir.is_dir():
            return False
        try:
            target = self._site_file(self.site_dir.resolve(), unquote(path))
        except (ValueError, OSError):  # e.g. %00, or a name too long for the file system
            target = None
        if target is None:
            return False
        types = {
            ".html": "text/html; charset=utf-8",
            ".js": "text/javascript",
            ".css": "text/css",
            ".json": "application/json",
            ".svg": "image/svg+xml",
            ".png": "image/png",
            ".pdf": "application/pdf",
            ".ico": "image/x-icon",
            ".webmanifest": "application/manifest+json",
        }
        content_type = types.get(target.suffix, "application/octet-stream")
        self._reply(
            request,
            200,
            {"content-type": content_type, "cache-control": "no-cache", **self._page_headers()},
            target.read_bytes(),
            request.command == "HEAD",
        )
        return True

    @staticmethod
    def _site_file(root: Path, path: str) -> Path | None:
        """The file under `root` a path names (`/x` may mean `/x.html`, `/d/` `/d/index.html`);
        None for anything that resolves outside it, e.g. through `..` or a symlink."""
        target = (root / path.lstrip("/")).resolve()
        if target.is_dir():
            target = target / "index.html"
        if target.is_relative_to(root) and target.is_file():
            return target
        if "." in Path(path).name:
            return None
        page = (root / (path.strip("/") + ".html")).resolve()
        return page if page.is_relative_to(root) and page.is_file() else None

    def _page_headers(self) -> dict[str, str]:
        """The security headers CloudFront's response headers policy adds to the site."""
        headers = {
            "x-content-type-options": "nosniff",
            "referrer-policy": "strict-origin-when-cross-origin",
            "x-frame-options": "DENY",
        }
        if self.content_security_policy:
            headers["content-security-policy"] = self.content_security_policy
        return headers

    @staticmethod
    def _reply(
        request: BaseHTTPRequestHandler,
        status: int,
        headers: dict[str, str],
        body: bytes,
        head: bool = False,
        cookies: list[str] | None = None,
    ) -> None:
        request.send_response(status)
        for name, value in headers.items():
            if name != "content-length":
                request.send_header(name, value)
        for cookie in cookies or []:
            request.send_header("set-cookie", cookie)
        request.send_header("content-length", str(len(body)))
        request.end_headers()
        if not head:
            request.wfile.write(body)
