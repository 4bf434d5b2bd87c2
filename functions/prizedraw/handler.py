"""Prize draw API: the public, verifiable record of each day's draw, and the organisers' triggers.

Thin: each route parses, makes one domain call (`logic`, over the cold start's `ports()`) and
maps the result; errors become problem+json in `shared.http`.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.prizedraw import logic
from functions.prizedraw.models import (
    DrawList,
    DrawRecord,
    DrawRequest,
    Entrants,
    Prize,
    PrizeRequest,
    RedrawRequest,
)
from functions.prizedraw.ports import ports
from shared.edition_query import EditionParam
from shared.http import create_app, documented, organiser
from shared.observability import logger
from shared.types import Day, utc_now

app = create_app()

DayPath = Annotated[Day, Path(description="YYYY-MM-DD in the event's time zone")]


@app.get(
    "/draws",
    summary="Every event day's draw: commitment, status and winners (an "
    "edition's; default: the current one)",
)
def list_draws(edition: EditionParam = None) -> DrawList:
    return logic.list_draws(ports(), utc_now(), edition)


@app.get(
    "/draws/<day>",
    summary="A day's audit record (enough to recompute the draw)",
    responses=documented(200, DrawRecord, "The day's audit record", 400, 404, 422),
)
def get_draw(day: DayPath) -> DrawRecord:
    return logic.get_draw(ports(), day, utc_now())


@app.get(
    "/draws/<day>/entrants",
    summary="A day's entrant ids, sorted ascending",
    responses=documented(200, Entrants, "The day's entrant ids", 400, 404, 422),
)
def get_entrants(day: DayPath) -> Entrants:
    return logic.get_entrants(ports(), day, utc_now())


@app.post(
    "/admin/draws",
    summary="Draw a day now (organisers)",
    responses=documented(
        201, DrawRecord, "The audit record of the draw just made", 400, 401, 403, 409, 413, 422
    ),
)
def create_draw(body: DrawRequest) -> Response[DrawRecord]:
    actor = organiser(app)
    record = logic.run_draw(
        ports(), body.day, trigger="organiser", force=body.force, actor=actor, now=utc_now()
    )
    return Response(status_code=201, content_type="application/json", body=record)


@app.post(
    "/admin/draws/<day>/redraw",
    summary="Redraw one position (organisers)",
    responses=documented(
        200,
        DrawRecord,
        "The day's audit record after the redraw",
        400,
        401,
        403,
        404,
        409,
        413,
        422,
    ),
)
def redraw(day: DayPath, body: RedrawRequest) -> DrawRecord:
    actor = organiser(app)
    return logic.redraw(
        ports(), day, position=body.position, reason=body.reason, actor=actor, now=utc_now()
    )


@app.put(
    "/admin/draws/<day>/prize",
    summary="Name a day's prize and sponsor (organisers)",
    responses=documented(
        200, Prize, "The day's prize, as stored", 400, 401, 403, 404, 409, 413, 422
    ),
)
def put_prize(day: DayPath, body: PrizeRequest) -> Prize:
    actor = organiser(app)
    return logic.set_prize(ports(), day, body, actor=actor, now=utc_now())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
