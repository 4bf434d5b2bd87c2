"""The hourly draw run (EventBridge Scheduler, Europe/London, minute 5 of every hour around the
event): each ended event day that is not drawn yet is drawn once its moderation queue is empty
or its deadline has passed. Retries and duplicate deliveries are harmless: the draw is
conditional, so a second run finds the day drawn and does nothing.

Each run also reports how long the oldest photo has waited for an organiser
(`ModerationBacklogAgeSeconds`): ops is alarmed when moderation falls hours behind.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.prizedraw import logic
from functions.prizedraw.ports import ports
from shared.observability import logger, metrics
from shared.types import utc_now


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, list[str]]:
    logger.info("draw schedule fired", schedule=str(event.get("schedule", "")))
    bundle, now = ports(), utc_now()
    result = logic.scheduled(bundle, now)
    backlog = bundle.draws.backlog_age(now)
    metrics.add_metric(name="ModerationBacklogAgeSeconds", unit=MetricUnit.Seconds, value=backlog)
    logger.info(
        "draw schedule done",
        drawn=result["drawn"],
        waiting=result["waiting"],
        already=len(result["already"]),
        backlog_age_s=backlog,
    )
    return result
