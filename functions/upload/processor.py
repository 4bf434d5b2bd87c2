"""Upload processor: S3 `ObjectCreated` notifications (through SQS) → derivatives for moderation.

One SQS message at a time (batch size 1, partial batch responses). A message whose body is not
an S3 event is dropped (no retry would make it readable); `s3:TestEvent` is skipped. Any error
that is not the file's fault (S3, DynamoDB, a crash) fails the record so SQS retries it; the
dead-letter queue's consumer (`failures.py`) ends such an upload `failed`.

Idempotency: the photo record itself is the guard, not a separate idempotency table. The first
step is a conditional claim (awaiting_upload → processing, or processing → processing by the
same S3 object version), every later write is conditioned on `processing`, derivatives are
deterministic, and the original is deleted last, so a retry after a crash at any point finishes
the job exactly once, and any other event changes nothing.
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

from functions.upload import imaging, logic
from shared.config import ApiConfig, load
from shared.dynamo import Table
from shared.media import S3Media
from shared.observability import logger
from shared.prescreen import prescreen
from shared.types import utc_now

# A failed record is reported back (not raised) even when it is the whole batch: SQS retries it.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:
    config = load(ApiConfig)
    table = Table(config.table_name)

    def screen(image: bytes, caption: str) -> dict[str, Any]:
        return prescreen(image, caption, mode=config.prescreen,
                         min_confidence=config.prescreen_min_confidence,
                         checks=config.prescreen_checks)

    for obj in logic.s3_objects(record.body):
        if obj.bucket != config.media_bucket:
            logger.warning("event from another bucket ignored")
            continue
        outcome = logic.process_upload(
            table, S3Media(obj.bucket), config, obj,
            process_image=imaging.process, prescreen=screen, now=utc_now,
        )
        logger.info("upload event handled", outcome=outcome,
                    receive_count=record.attributes.approximate_receive_count)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response: dict[str, Any] = dict(process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    ))
    return response
