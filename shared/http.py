"""The HTTP side every API function shares: the resolver, problem+json, limits, organiser checks.

Each API function builds its resolver with `create_app()`: validation on, every domain exception
and validation error mapped to RFC 9457 problem+json in one place, bodies capped, and the
organiser group checked again inside the function (defence in depth behind the JWT authorizer).
"""

from __future__ import annotations

import copy
import hmac
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any, Generic, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, Field

from shared.aws import set_deadline, transient
from shared.config import BaseConfig, HttpConfig, load
from shared.csvsafe import csv_text
from shared.dynamo import Item, Table, TransactionConflict, decode_cursor, encode_cursor
from shared.errors import (
    DomainError,
    Forbidden,
    Invalid,
    RateLimited,
    ServiceUnavailable,
    TooLarge,
    Unauthorized,
)
from shared.observability import logger
from shared.ratelimit import hit, ip_key
from shared.secret import cursor_key

PROBLEM_JSON = "application/problem+json"
MAX_BODY_BYTES = 64 * 1024  # far above any form here; API Gateway itself stops at 10 MB
RETRY_AFTER_S = 2  # after an AWS failure that outlasted the SDK's retries
# Cancellation reasons of a transaction that may pass if simply tried again.
_RETRYABLE_CANCELLATIONS = frozenset(
    {"ThrottlingError", "TransactionConflict", "ProvisionedThroughputExceeded", "None"}
)
ORGANISERS_GROUP = "organisers"

T = TypeVar("T")
P = TypeVar("P", bound=BaseModel)

Limit = Annotated[int, Query(ge=1, le=50, description="Items per page (1..50)")]
Cursor = Annotated[
    str | None,
    Query(max_length=2048, description="Opaque cursor from the previous page's next_cursor"),
]
# `?status=` of the organisers' queues: `status: Annotated[SomeStatus, WHICH_QUEUE] = "pending"`.
WHICH_QUEUE = Query(description="Which queue")
HOUR_S = 3600


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


class ListPage(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="?cursor= for the next page; null at the end")


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    body: dict[str, Any] = {
        "type": f"https://techognition.org.uk/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return Response(
        status_code=status,
        content_type=PROBLEM_JSON,
        body=json.dumps(body),
        headers=headers or {},
    )


def _validation_problem(exc: RequestValidationError) -> Response[str]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(
            400, "Malformed body", "The request body is not valid JSON.", slug="malformed-body"
        )
    # loc and msg only: never echo the input, which may hold an email address.
    listed = [
        {"loc": [p for p in e.get("loc", ()) if isinstance(p, str | int)], "msg": e.get("msg", "")}
        for e in errors
    ]
    return problem_response(
        422,
        "Validation failed",
        "Some fields are missing or not valid: see errors.",
        slug="validation",
        errors=listed,
    )


def _refusal(exc: DomainError) -> dict[str, Any]:
    problem = problem_response(exc.status, exc.title, exc.detail, slug=exc.slug, errors=exc.errors)
    return {
        "statusCode": problem.status_code,
        "headers": {"Content-Type": PROBLEM_JSON},
        "body": problem.body,
        "isBase64Encoded": False,
    }


class Resolver(APIGatewayHttpResolver):
    """Refuses what must be refused before anything parses the request.

    Powertools validates a request before any route code or middleware runs, so without this a
    huge body would be parsed first, and a signed-in non-organiser sending a bad body to an
    admin route would learn about the body (a 422) instead of hearing "no" (a 403).
    """

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        try:
            if len(event.get("body") or "") > MAX_BODY_BYTES:
                raise TooLarge(f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB.")
            _refuse_a_body_that_is_not_an_object(event)
            if str(event.get("rawPath", "")).startswith("/admin/"):
                authorizer = event.get("requestContext", {}).get("authorizer") or {}
                organiser_name(authorizer.get("jwt", {}).get("claims"))
        except DomainError as exc:
            return _refusal(exc)
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        set_deadline(remaining() if callable(remaining) else None)
        try:
            return cacheable(event, super().resolve(event, context))
        finally:
            set_deadline(None)


def _refuse_a_body_that_is_not_an_object(event: Mapping[str, Any]) -> None:
    """Every body here is one JSON object; Powertools would read `[{...}]` as the object it
    holds (and accept it), so anything else is refused before validation."""
    body = event.get("body")
    if not body or event.get("isBase64Encoded"):
        return
    try:
        parsed = json.loads(body)
    except ValueError:
        return  # not JSON at all: validation answers 400 "Malformed body"
    if not isinstance(parsed, dict):
        raise Invalid(
            "The request body must be a JSON object.",
            errors=[{"loc": ["body"], "msg": "Input should be a JSON object"}],
        )


CDN_ONLY = "public, max-age=0, s-maxage={seconds}"  # browsers revalidate; the CDN keeps it


def cacheable(event: Mapping[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """Mark a successful answer of a CDN-cached route (infra/wiring.py `cdn_cache_s`) as
    cacheable by the CDN for its seconds; everything else carries no cache header, which the
    CDN's policy (default TTL 0) never caches."""
    seconds = load(HttpConfig).cdn_cache_routes.get(str(event.get("routeKey", "")))
    if seconds and response.get("statusCode") == HTTPStatus.OK:
        response.setdefault("headers", {})["Cache-Control"] = CDN_ONLY.format(seconds=seconds)
    return response


def unavailable(exc: Exception) -> bool:
    """An AWS failure that outlasted the retries (throttling, 5xx, timeouts, a transaction
    cancelled only by contention): not the caller's fault, and worth retrying shortly."""
    if isinstance(exc, TransactionConflict):
        return set(exc.reasons) <= _RETRYABLE_CANCELLATIONS and set(exc.reasons) != {"None"}
    return transient(exc)


def create_app() -> APIGatewayHttpResolver:
    """A resolver with validation, problem+json errors and a body cap."""
    app = Resolver(enable_validation=True)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[str]:
        return _validation_problem(exc)

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response[str]:
        retry_after = exc.retry_after_s if isinstance(exc, RateLimited | ServiceUnavailable) else 0
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return problem_response(
            exc.status, exc.title, exc.detail, slug=exc.slug, errors=exc.errors, headers=headers
        )

    @app.not_found
    def _not_found(_exc: Exception) -> Response[str]:
        return problem_response(404, "Not found", "No such resource.", slug="not-found")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[str]:
        if unavailable(exc):
            # Logged by type only: AWS error messages can quote keys and addresses.
            logger.warning("aws unavailable", error_type=type(exc).__name__)
            return problem_response(
                503,
                ServiceUnavailable.title,
                "A service we depend on is busy or failing: please try again shortly.",
                slug=ServiceUnavailable.slug,
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
        # Our fault, not the caller's: logged with its stack (no request data), answered plainly.
        logger.exception("unhandled error", error_type=type(exc).__name__)
        return problem_response(
            500, "Internal error", "Something went wrong on our side.", slug="internal"
        )

    return app


def _groups(claims: dict[str, Any]) -> set[str]:
    """`cognito:groups` as a set, whether a list or HTTP API's flattened "[a b]" string.

    Only whitespace separates: a group name may contain a comma, so "organisers,x" is one name.
    """
    raw = claims.get("cognito:groups", [])
    if isinstance(raw, str):
        raw = raw.removeprefix("[").removesuffix("]").split()
    return {str(g) for g in raw}


def organiser(app: APIGatewayHttpResolver) -> str:
    """The signed-in organiser's username; 401 without verified claims, 403 outside the group."""
    authorizer = app.current_event.request_context.authorizer
    return organiser_name(authorizer.jwt_claim if authorizer else None)


def organiser_name(claims: dict[str, Any] | None) -> str:
    if not claims:
        raise Unauthorized("Sign in as an organiser to use this.")
    if ORGANISERS_GROUP not in _groups(claims):
        raise Forbidden("This account is not an organiser.")
    return str(claims.get("cognito:username") or claims.get("username") or claims.get("sub"))


def source_ip(app: APIGatewayHttpResolver) -> str:
    """The client's address: CloudFront's viewer address when the request came through our
    distribution (it proves so with X-Origin-Verify and sets X-Viewer-Ip itself, overwriting
    any a client sent); else the address API Gateway saw (a direct call to the API)."""
    event = app.current_event
    verify = load(HttpConfig).origin_verify
    if verify and hmac.compare_digest(event.headers.get("x-origin-verify", ""), verify):
        viewer = event.headers.get("x-viewer-ip", "")
        if viewer:
            return viewer
    return str(event.request_context.http.source_ip or "unknown")


def documented(
    status: int, model: Any, description: str, *problem_statuses: int
) -> dict[int, OpenAPIResponse]:
    """OpenAPI `responses` of a route: its success (which Powertools leaves out as soon as
    `responses` is given) and the problem+json statuses it can answer."""
    success: OpenAPIResponse = {
        "description": description,
        "content": {"application/json": {"model": model}},
    }
    return {status: success, **problems(*problem_statuses)}


def problems(*statuses: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI `responses` for the problem+json statuses a route can answer."""
    titles = {
        400: "Malformed body or cursor",
        401: "No or bad token",
        403: "Not an organiser",
        404: "Not found",
        409: "Conflict",
        413: "Too large",
        422: "Validation failed",
        429: "Rate limited",
        503: "Service unavailable (retry after Retry-After)",
    }
    return {
        s: {
            "description": titles[s],
            "content": {PROBLEM_JSON: {"schema": _problem_schema()}},
        }
        for s in statuses
    }


_PROBLEM_SCHEMA: dict[str, Any] = {}


def _problem_schema() -> dict[str, Any]:
    """Problem's JSON schema, generated once per process: every route declares its problem
    responses at import, and regenerating it each time was a tenth of a handler's cold start."""
    if not _PROBLEM_SCHEMA:
        _PROBLEM_SCHEMA.update(Problem.model_json_schema())
    return copy.deepcopy(_PROBLEM_SCHEMA)  # callers own their copy, as before


# -- the pieces every API function assembles ---------------------------------------------------
@dataclass(frozen=True)
class Cursors:
    """Signs and reads the opaque cursors of lists; each list signs with its own `scope`, so a
    cursor of one list is refused by another. The key (from the server secret) is read when
    first used, not when the function is assembled."""

    table_name: str

    def start(self, cursor: str | None, scope: str) -> Item | None:
        return decode_cursor(cursor, secret=cursor_key(self.table_name), scope=scope)

    def next(self, last: Item | None, scope: str) -> str | None:
        return encode_cursor(last, secret=cursor_key(self.table_name), scope=scope)


@dataclass(frozen=True)
class WriteLimit:
    """Public writes: one client IP may make so many an hour (the IP is kept only as a keyed
    pseudonym, `shared.ratelimit.ip_key`)."""

    table: Table
    config: BaseConfig
    per_hour: int

    def count(self, app: APIGatewayHttpResolver, now: datetime) -> None:
        """Count this request's write; 429 once the hour's allowance is used up."""
        hit(self.table, ip_key(self.config, source_ip(app)), self.per_hour, HOUR_S, now)


def accepted(body: BaseModel) -> Response[Any]:
    """202: a write accepted (its effects, an email or moderation, come later)."""
    return Response(status_code=202, content_type="application/json", body=body)


def listed(page_type: type[P], page: tuple[Sequence[Any], str | None]) -> P:
    """A list route's answer: `ListPage[Item]` of one page's (items, next cursor)."""
    items, next_cursor = page
    return page_type(items=list(items), next_cursor=next_cursor)


def organiser_page(
    app: APIGatewayHttpResolver,
    page_type: type[P],
    read: Callable[[], tuple[Sequence[Any], str | None]],
) -> P:
    """An organisers' list route: check the organiser, then read one page and answer it."""
    organiser(app)
    return listed(page_type, read())


def csv_response(
    columns: Sequence[str], rows: Iterable[Mapping[str, Any]], *, filename: str
) -> Response[str]:
    """An export: CSV with a header row (cells neutralised against formula injection), as an
    attachment that no cache keeps."""
    return Response(
        status_code=200,
        content_type="text/csv; charset=utf-8",
        body=csv_text(columns, rows),
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def csv_documented(description: str) -> dict[int, OpenAPIResponse]:
    """OpenAPI `responses` of an export route."""
    return {
        200: {"description": description, "content": {"text/csv": {"schema": {"type": "string"}}}}
    }
