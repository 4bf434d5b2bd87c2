"""Moderation API: the organisers' photo queue, their decisions and the audit trail.

Every route sits behind the JWT authorizer AND checks the `organisers` group itself (401/403).
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.moderation import logic
from functions.moderation.models import (
    AdminPhoto,
    PhotoAuditEntry,
    PhotoAuditTrail,
    PhotoDecisionIn,
    QueueStatus,
)
from functions.moderation.settings import ModerationSettings, settings
from shared.assemble import assembled
from shared.errors import NotFound
from shared.http import (
    Cursor,
    Limit,
    ListPage,
    create_app,
    documented,
    organiser,
)
from shared.observability import logger
from shared.types import is_id, utc_now

app = create_app()

PhotoId = Annotated[str, Path(max_length=64, description="The photo's id")]


def _build(settings: ModerationSettings) -> logic.Ports:
    """The ports (imports here: the adapters' boto3 stays out of module import, which the
    OpenAPI build and the unit tests do)."""
    from functions.moderation.store import DynamoPhotoStore
    from shared.dynamo import Table
    from shared.media import S3Media
    from shared.secret import cursor_key

    return logic.Ports(
        store=DynamoPhotoStore(Table(settings.table_name), cursor_key(settings.table_name)),
        media=S3Media(settings.media_bucket, settings.media_base_url),
        site_url=settings.site_url,
    )


_ports = assembled(settings, _build)  # one bundle per cold start


def _photo_id(value: str) -> str:
    if not is_id(value):
        raise NotFound("No such photo.")
    return value


def _email_claim() -> str | None:
    authorizer = app.current_event.request_context.authorizer
    claims = authorizer.jwt_claim if authorizer else None
    return str(claims["email"]) if claims and claims.get("email") else None


@app.get(
    "/admin/photos",
    summary="The organisers' queue: flagged and reported first",
    responses=documented(200, ListPage[AdminPhoto], "A page of the queue", 400),
)
def list_photos(
    status: Annotated[QueueStatus, Query(description="Which queue")] = "pending_moderation",
    limit: Limit = 20,
    cursor: Cursor = None,
) -> ListPage[AdminPhoto]:
    organiser(app)
    items, next_cursor = logic.queue(_ports(), status, limit=limit, cursor=cursor)
    return ListPage[AdminPhoto](items=items, next_cursor=next_cursor)


@app.post(
    "/admin/photos/<photo_id>/decision",
    summary="Approve, reject or take down a photo (the last decision wins; all audited)",
    responses=documented(200, AdminPhoto, "The photo as decided", 404, 409),
)
def decide(photo_id: PhotoId, body: PhotoDecisionIn) -> AdminPhoto:
    actor = organiser(app)
    return logic.decide(
        _ports(), _photo_id(photo_id), body, actor=actor, actor_email=_email_claim(), clock=utc_now
    )


@app.get(
    "/admin/photos/<photo_id>/audit",
    summary="Who did what to a photo, and when",
    responses=documented(200, PhotoAuditTrail, "The audit trail", 404),
)
def audit(photo_id: PhotoId) -> PhotoAuditTrail:
    organiser(app)
    items = logic.audit_trail(_ports(), _photo_id(photo_id))
    return PhotoAuditTrail(items=[PhotoAuditEntry(**item) for item in items])


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
