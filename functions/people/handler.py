"""People API: an organiser erases everything held about one email, or exports the confirmed
sign-ups of the mailing list.

Thin: each route checks the organiser, makes one domain call and maps the result; errors become
problem+json in `shared.http`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.people import logic
from functions.people.models import ErasureIn, ErasureResult
from functions.people.ports import ports
from shared.http import create_app, csv_documented, csv_response, documented, organiser
from shared.observability import logger
from shared.types import utc_now

app = create_app()


@app.post(
    "/admin/erasure",
    summary="Erase everything held about one email",
    responses=documented(200, ErasureResult, "Counts of what was erased", 413, 422),
)
def erase(body: ErasureIn) -> ErasureResult:
    actor = organiser(app)
    return ErasureResult(erased=logic.erase(ports(), body.email, actor=actor, now=utc_now()))


@app.get(
    "/admin/signups/export",
    summary="CSV of confirmed, subscribed sign-ups",
    responses=csv_documented("CSV with a header row"),
)
def export_signups() -> Response[str]:
    organiser(app)
    return csv_response(logic.EXPORT_COLUMNS, logic.signups_export(ports()), filename="signups.csv")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
