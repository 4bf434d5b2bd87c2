"""Lazy, cached boto3 clients: nothing is imported or created until a request needs it.

The endpoint comes from boto3's own `AWS_ENDPOINT_URL` (the embedded moto server locally), the
region from the Lambda environment. Tests inject their own client with `set_client`.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

_injected: dict[str, Any] = {}


@cache
def _created(service: str) -> Any:
    import boto3
    from botocore.config import Config

    local = bool(os.environ.get("AWS_ENDPOINT_URL"))
    config = Config(
        signature_version="s3v4" if service == "s3" else None,
        s3={"addressing_style": "path" if local else "virtual"},
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=3,
        read_timeout=10,
    )
    return boto3.session.Session().client(service, config=config)  # type: ignore[call-overload]


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
