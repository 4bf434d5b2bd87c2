"""Lazy, cached boto3 clients: nothing is imported or created until a request needs it.

The endpoint comes from boto3's own `AWS_ENDPOINT_URL` (the embedded moto server locally), the
region from the Lambda environment. Tests inject their own client with `set_client`.

Every client comes from one session: a session loads the endpoint and partition data once, so
a second service's client costs tens of milliseconds instead of a fresh session's hundreds (an
approval uses DynamoDB, S3 and SES). Sessions are not thread-safe, hence the lock (the local
stack runs functions in threads; Lambda itself is single-threaded).
"""

from __future__ import annotations

import os
import threading
from functools import cache
from typing import Any

_injected: dict[str, Any] = {}
_lock = threading.Lock()
_session: list[Any] = []  # the one boto3 Session, made on first use


def _shared_session() -> Any:
    if not _session:
        import boto3

        _session.append(boto3.session.Session())
    return _session[0]


@cache
def _created(service: str) -> Any:
    from botocore.config import Config

    local = bool(os.environ.get("AWS_ENDPOINT_URL"))
    config = Config(
        signature_version="s3v4" if service == "s3" else None,
        s3={"addressing_style": "path" if local else "virtual"},
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=3,
        read_timeout=10,
    )
    with _lock:
        return _shared_session().client(service, config=config)


def client(service: str) -> Any:
    return _injected.get(service) or _created(service)


def set_client(service: str, value: Any | None) -> None:
    """Replace (or with None, restore) the client of a service: for tests and stubs."""
    if value is None:
        _injected.pop(service, None)
    else:
        _injected[service] = value


def reset_clients() -> None:
    """Forget every client, e.g. after the endpoint changed (a new moto server in tests)."""
    _injected.clear()
    _created.cache_clear()
    with _lock:
        _session.clear()  # credentials, region and endpoint are read again
