"""Moderation API: the organisers' photo queue, their decisions and the audit trail.

Every route sits behind the JWT authorizer AND checks the `organisers` group itself (401/403).
"""

from __future__ import annotations

from functools import cache
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
from shared.config import ApiConfig, load
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


@cache
def _ports() -> logic.Ports:
    from functions.moderation.store import DynamoPhotoStore, S3Media, TableDraw, mailer
    from shared.cdn import cdn
    from shared.dynamo import Table
    from shared.people import retention_ttl
    from shared.secret import cursor_key

    config = load(ApiConfig)
    table = Table(config.table_name)
    return logic.Ports(
        store=DynamoPhotoStore(table, cursor_key(config.table_name)),
        media=S3Media(config.media_bucket, config.media_base_url),
        draw=TableDraw(table, ttl=retention_ttl(config), clock=utc_now),
        cdn=cdn(config.cdn_distribution_id, config.cdn_invalidations_queue_url),
        mail=mailer(table, sender=config.sender_email,
                    configuration_set=config.ses_configuration_set),
        site_url=config.site_url,
    )


def _photo_id(value: str) -> str:
    if not is_id(value):
        raise NotFound("No such photo.")
    return value


def _email_claim() -> str | None:
    authorizer = app.current_event.request_context.authorizer
    claims = authorizer.jwt_claim if authorizer else None
    return str(claims["email"]) if claims and claims.get("email") else None


@app.get("/admin/photos", summary="The organisers' queue: flagged and reported first",
         responses=documented(200, ListPage[AdminPhoto], "A page of the queue", 400))
def list_photos(
    status: Annotated[QueueStatus, Query(description="Which queue")] = "pending_moderation",
    limit: Limit = 20,
    cursor: Cursor = None,
) -> ListPage[AdminPhoto]:
    organiser(app)
    items, next_cursor = logic.queue(_ports(), status, limit=limit, cursor=cursor)
    return ListPage[AdminPhoto](items=items, next_cursor=next_cursor)


@app.post("/admin/photos/<photo_id>/decision",
          summary="Approve, reject or take down a photo (the last decision wins; all audited)",
          responses=documented(200, AdminPhoto, "The photo as decided", 404, 409))
def decide(photo_id: PhotoId, body: PhotoDecisionIn) -> AdminPhoto:
    actor = organiser(app)
    return logic.decide(_ports(), _photo_id(photo_id), body, actor=actor,
                        actor_email=_email_claim(), clock=utc_now)


@app.get("/admin/photos/<photo_id>/audit", summary="Who did what to a photo, and when",
         responses=documented(200, PhotoAuditTrail, "The audit trail", 404))
def audit(photo_id: PhotoId) -> PhotoAuditTrail:
    organiser(app)
    items = logic.audit_trail(_ports(), _photo_id(photo_id))
    return PhotoAuditTrail(items=[PhotoAuditEntry(**item) for item in items])


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
