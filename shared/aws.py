"""Lazy, cached boto3 clients: nothing is imported or created until a request needs it.

The endpoint comes from boto3's own `AWS_ENDPOINT_URL` (the embedded moto server locally), the
region from the Lambda environment. Tests inject their own client with `set_client`.

Every client comes from one session: a session loads the endpoint and partition data once, so
a second service's client costs tens of milliseconds instead of a fresh session's hundreds (an
approval uses DynamoDB, S3 and SES). Sessions are not thread-safe, hence the lock (the local
stack runs functions in threads; Lambda itself is single-threaded).

Time budget: every call is one of at most `MAX_ATTEMPTS` tries of `CONNECT_TIMEOUT_S` +
`READ_TIMEOUT_S` each (standard retries: jittered backoff and a retry quota, so an outage does
not multiply the load). An HTTP request also has a deadline (`set_deadline`, from its Lambda
context): a try that could not finish before it is not started, and the call fails with
`DeadlineReached` instead, so the function answers a clean 503 (`shared.http`) rather than being
killed at its timeout with no answer at all.
"""

from __future__ import annotations

import os
import threading
import time
from functools import cache
from typing import Any

_injected: dict[str, Any] = {}
_lock = threading.Lock()
_session: list[Any] = []  # the one boto3 Session, made on first use
_request = threading.local()  # this thread's request deadline (the local stack runs threads)

MAX_ATTEMPTS = 3
CONNECT_TIMEOUT_S = 1
READ_TIMEOUT_S = 2  # one DynamoDB, SES or S3 small-object call answers in milliseconds
# Services whose single call legitimately takes longer (image analysis, CloudFront's API).
SLOW_READ_TIMEOUT_S = {"rekognition": 10, "cloudfront": 5}
ANSWER_MARGIN_S = 0.5  # kept for answering once the last AWS call gave up

# Error codes of a failure that may pass if the same request is made again later.
_TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "ServiceUnavailable",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
        "TransactionInProgressException",
    }
)


def _shared_session() -> Any:
    if not _session:
        import boto3

        _session.append(boto3.session.Session())
    return _session[0]


@cache
def deadline_error() -> type[Exception]:
    """`DeadlineReached`: a BotoCoreError, so code that already tolerates a failed AWS call
    (a committed change's email, say) tolerates this one too. Made on first use: botocore is not
    imported before a request needs it."""
    from botocore.exceptions import BotoCoreError

    class DeadlineReached(BotoCoreError):
        fmt = "No time left for another AWS call before the function's deadline."

    return DeadlineReached


def _deadline_check(one_try_s: float) -> Any:
    def check(**_: Any) -> None:
        end = getattr(_request, "end", None)
        if end is not None and time.monotonic() + one_try_s > end:
            raise deadline_error()()

    return check


@cache
def _created(service: str) -> Any:
    from botocore.config import Config

    local = bool(os.environ.get("AWS_ENDPOINT_URL"))
    read_timeout = SLOW_READ_TIMEOUT_S.get(service, READ_TIMEOUT_S)
    config = Config(
        signature_version="s3v4" if service == "s3" else None,
        s3={"addressing_style": "path" if local else "virtual"},
        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=read_timeout,
    )
    with _lock:
        made = _shared_session().client(service, config=config)
    # Before every try, retries included: is there still time for a whole one?
    made.meta.events.register_first(
        "before-send", _deadline_check(CONNECT_TIMEOUT_S + read_timeout)
    )
    return made


def set_deadline(remaining_ms: int | None) -> None:
    """Start a request that must answer within `remaining_ms` (None: no deadline, as for the
    queue and stream consumers, whose retries come from their event source).

    A try may start only while one whole try (connect + read timeout) and the answer still fit.
    """
    _request.end = (
        None if remaining_ms is None else (time.monotonic() + remaining_ms / 1000 - ANSWER_MARGIN_S)
    )


def transient(exc: BaseException) -> bool:
    """Whether `exc` is an AWS failure that outlasted the SDK's retries and may pass later
    (throttling, a 5xx, a timeout, no connection, no time left): the caller should hear 503."""
    if type(exc).__name__ == "DeadlineReached" and isinstance(exc, deadline_error()):
        return True
    if not type(exc).__module__.startswith("botocore"):
        return False  # not botocore's: and botocore need not be imported to know it
    from botocore.exceptions import (
        ClientError,
        ConnectionError,
        HTTPClientError,
    )

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return error.get("Code") in _TRANSIENT_CODES or status >= 500
    return isinstance(exc, ConnectionError | HTTPClientError)


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
