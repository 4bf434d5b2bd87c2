"""SES bounce and complaint feedback (SES → SNS → SQS): suppress the addresses concerned.

Each SQS body is an SNS envelope whose `Message` is the SES notification. Addresses are kept only
as pseudonyms (`shared.mail.suppress`), and every later send to them is skipped. A record that
fails on AWS is retried alone (partial batch response); one that cannot be parsed is dropped,
since no retry would make it readable.
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

from functions.pledge.logic import feedback_addresses
from shared.config import ApiConfig, load
from shared.dynamo import Table
from shared.mail import suppress
from shared.observability import logger
from shared.people import person_id

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    config = load(ApiConfig)
    table = Table(config.table_name)
    found = feedback_addresses(record.body)
    for email, reason in found:
        suppress(table, person_id(config, email), reason)
    logger.info("email feedback handled", suppressed=len(found))


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response: dict[str, Any] = dict(process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    ))
    return response
