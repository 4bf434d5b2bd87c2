"""The local S3 refuses browser POST uploads as S3 does: a WSGI check in front of moto's server.

moto stores whatever a multipart POST carries. `PostPolicyGuard` reads such a request, applies
S3's rules (`local.s3_post_policy`) and answers S3's error document itself, so a refused form
never reaches moto and nothing is stored; an accepted one is replayed to moto unchanged.
"""

from __future__ import annotations

import io
import ipaddress
import secrets as random
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from threading import Thread
from typing import Any
from urllib.parse import unquote

from local.s3_post_policy import Refused, check, error_xml, is_form_upload, parse_form

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
REASONS = {400: "Bad Request", 403: "Forbidden"}


def _now() -> datetime:
    return datetime.now(UTC)


def bucket_of(environ: Mapping[str, Any]) -> str:
    """The bucket a request names, as moto reads it: the host's first label for virtual-hosted
    style (`b.s3.local`), else the path's first segment (IP addresses, `localhost`)."""
    host = str(environ.get("HTTP_HOST", "")).rsplit(":", 1)[0].strip("[]")
    path = unquote(str(environ.get("PATH_INFO", "")))
    try:
        ipaddress.ip_address(host)
        virtual = False
    except ValueError:
        virtual = "." in host and not host.startswith("localhost")
    return host.split(".")[0] if virtual else path.lstrip("/").split("/")[0]


class PostPolicyGuard:
    """WSGI middleware: multipart/form-data POSTs are checked; every other request passes."""

    def __init__(
        self,
        app: WsgiApp,
        credentials: Mapping[str, str],
        region: str | None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.app = app
        self.credentials = credentials
        self.region = region
        self.clock = clock

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        content_type = str(environ.get("CONTENT_TYPE", ""))
        length = str(environ.get("CONTENT_LENGTH") or "")
        if (
            not is_form_upload(str(environ.get("REQUEST_METHOD", "")), content_type)
            or not length.isdigit()
        ):
            return self.app(environ, start_response)  # without a length moto answers 411
        body = environ["wsgi.input"].read(int(length))
        try:
            check(
                parse_form(body, content_type),
                bucket=bucket_of(environ),
                now=self.clock(),
                secrets=self.credentials,
                region=self.region,
            )
        except Refused as refused:
            return self._refuse(refused, environ, start_response)
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads the same bytes
        return self.app(environ, start_response)

    @staticmethod
    def _refuse(
        refused: Refused, environ: Mapping[str, Any], start_response: Callable[..., Any]
    ) -> list[bytes]:
        request_id = random.token_hex(8).upper()
        document = error_xml(refused, request_id)
        headers = [
            ("Content-Type", "application/xml"),
            ("Content-Length", str(len(document))),
            ("x-amz-request-id", request_id),
        ]
        origin = environ.get("HTTP_ORIGIN")
        if origin:  # as moto's own answers carry (its server allows every origin)
            headers.append(("Access-Control-Allow-Origin", str(origin)))
        start_response(f"{refused.status} {REASONS.get(refused.status, 'Error')}", headers)
        return [document]


class GuardedMotoServer:
    """moto's `ThreadedMotoServer`, with the POST policy check in front of its application."""

    def __init__(
        self, ip_address: str, port: int, credentials: Mapping[str, str], region: str | None
    ) -> None:
        self.ip_address, self.port = ip_address, port
        self.credentials, self.region = credentials, region
        self._server: Any = None
        self._thread: Thread | None = None

    def start(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        app = PostPolicyGuard(
            DomainDispatcherApplication(create_backend_app), self.credentials, self.region
        )
        self._server = make_server(
            self.ip_address, self.port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = Thread(target=self._server.serve_forever, daemon=True, name="moto")
        self._thread.start()

    def get_host_and_port(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join()
