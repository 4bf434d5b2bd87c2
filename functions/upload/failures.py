"""Dead-letter consumer of the upload queue: an upload whose processing ran out of retries ends
`failed` ("we couldn't process this upload, please try again"), so none stays `processing`.

The dead message's body is the original S3 event; the photo id comes from its object key. Only a
photo still `awaiting_upload` or `processing` is changed (a conditional write).
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

from functions.upload import logic
from shared.config import ApiConfig, load
from shared.dynamo import Table
from shared.media import photo_id_of
from shared.observability import logger
from shared.types import utc_now

# A failed record is reported back (not raised) even when it is the whole batch: SQS retries it.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:
    config = load(ApiConfig)
    table = Table(config.table_name)
    for obj in logic.s3_objects(record.body):
        photo_id = photo_id_of(obj.key)
        if photo_id is None:
            continue
        changed = logic.fail_dead_letter(table, photo_id, now=utc_now())
        logger.info("dead upload message handled", photo_id=photo_id, marked_failed=changed)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response: dict[str, Any] = dict(process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    ))
    return response
