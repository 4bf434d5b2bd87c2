"""SES bounce and complaint feedback (SES → SNS → SQS): suppress the addresses concerned.

Each SQS body is an SNS envelope whose `Message` is the SES notification, parsed once at the
edge with Powertools' parser model of SNS notifications (`SesFeedbackEnvelope` in
`functions/people/models.py`). Addresses are kept only as pseudonyms (`shared.mail.suppress`), and
every later send to them is skipped. A record that fails on AWS is retried alone (partial batch
response); one that cannot be parsed is dropped, since no retry would make it readable (so the
body is parsed here rather than by `BatchProcessor(model=...)`, which would retry it into the
dead-letter queue).
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from functions.people import logic
from functions.people.models import SesFeedbackEnvelope
from functions.people.ports import ports
from shared.batch import batch_handler
from shared.observability import logger

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    try:
        envelope = SesFeedbackEnvelope.model_validate_json(record.body)
    except ValidationError as exc:  # the input is not echoed: it names addresses
        logger.warning("email feedback unreadable: dropped", errors=exc.error_count())
        return
    suppressed = logic.suppress_feedback(ports(), envelope.Message)
    logger.info("email feedback handled", suppressed=suppressed)


lambda_handler = batch_handler(processor, record_handler)
