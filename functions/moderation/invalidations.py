"""CDN invalidations, retried until CloudFront accepts them (consumer of `cdn-invalidations`).

Every takedown (a report hiding a photo, a rejection, an erasure) queues the exact paths of the
photo's public copies (`shared.cdn.QueuedCdn`). A message fails back to the queue while
CloudFront refuses (throttled, too many invalidations in flight, an outage) and comes back after
the queue's visibility timeout; after many tries it parks in the dead-letter queue, whose alarm
tells ops. A retried message reuses its CallerReference, so CloudFront makes it once.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.cdn import CloudFrontCdn, parse
from shared.config import ApiConfig, load
from shared.observability import logger

# A failed record is reported back (not raised) even when it is the whole batch: SQS retries it.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:
    request = parse(record.body)
    if request is None:  # no retry would make it readable
        logger.warning("invalidation message not understood: dropped")
        return
    photo_id, reference = request
    distribution_id = load(ApiConfig).cdn_distribution_id
    if not distribution_id:
        logger.info("no CDN here: nothing to invalidate", photo_id=photo_id)
        return
    try:
        CloudFrontCdn(distribution_id).invalidate(photo_id, caller_reference=reference)
    except Exception:
        # The record fails and the queue brings it back after its visibility timeout.
        logger.warning("cdn invalidation refused: retried later", photo_id=photo_id,
                       receive_count=record.attributes.approximate_receive_count)
        raise


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response: dict[str, Any] = dict(process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    ))
    return response
