"""Domain exceptions, each carrying the HTTP problem it becomes (RFC 9457).

Logic raises these; `shared.http` maps every one of them to `application/problem+json` in one
exception handler, so no handler formats an error of its own.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    slug: ClassVar[str] = "bad-request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class BadRequest(DomainError):
    pass


class Unauthorized(DomainError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(DomainError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(DomainError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(DomainError):
    status, title, slug = 409, "Conflict", "conflict"


class TooLarge(DomainError):
    status, title, slug = 413, "Request too large", "too-large"


class Invalid(DomainError):
    status, title, slug = 422, "Validation failed", "validation"


class RateLimited(DomainError):
    status, title, slug = 429, "Too many requests", "rate-limited"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = max(1, retry_after_s)


class ServiceUnavailable(DomainError):
    """A dependency (an AWS service) failed for longer than our retries: try again shortly.
    Never raised for anything the request itself did wrong."""

    status, title, slug = 503, "Service unavailable", "unavailable"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = max(1, retry_after_s)
