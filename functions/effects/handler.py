"""The outbox consumer: performs the effects committed changes owe (`shared.outbox`).

Invoked by the table's stream, filtered to new `OUTBOX#` items (`infra/wiring.py`), in order
per item. A record whose effect fails is reported back (partial batch response): Lambda
retries from it, bisecting the batch, and after the wiring's tries sends the batch's stream
position to the outbox dead-letter queue, whose alarm tells ops (docs/OPERATIONS.md, "Outbox");
the effect itself stays owed in the table (`redrive.py` performs it later).
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from functions.effects.perform import Performer, Settings
from functions.effects.settings import EffectsSettings, settings
from shared import outbox
from shared.assemble import assembled
from shared.batch import batch_handler
from shared.dynamo import Table
from shared.observability import logger
from shared.people import retention_ttl
from shared.types import utc_now

processor = BatchProcessor(
    event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False
)


def _build(settings: EffectsSettings) -> Performer:
    return Performer(
        Table(settings.table_name),
        Settings(
            bucket=settings.media_bucket,
            sender=settings.sender_email,
            configuration_set=settings.ses_configuration_set,
            distribution_id=settings.cdn_distribution_id,
            entry_ttl=retention_ttl(settings),
        ),
    )


performer = assembled(settings, _build)  # one per cold start (per settings: tests change them)


def record_handler(record: DynamoDBRecord) -> None:
    keys = (record.dynamodb.keys if record.dynamodb else None) or {}
    pk = str(keys.get("pk", ""))
    if not pk.startswith(outbox.PREFIX):  # the filter lets only these through
        return
    try:
        performer().perform(pk.removeprefix(outbox.PREFIX), now=utc_now())
    except Exception as exc:
        logger.warning("effect failed: retried", error_type=type(exc).__name__)
        raise


lambda_handler = batch_handler(processor, record_handler)
