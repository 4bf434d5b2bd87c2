"""Upload processor: S3 `ObjectCreated` notifications (through SQS) → derivatives for moderation.

One SQS message at a time (batch size 1, partial batch responses; the scaffold is
`events.s3_notice_handler`). A message whose body is not an S3 event is dropped (no retry would
make it readable); `s3:TestEvent` is skipped. Any error that is not the file's fault (S3,
DynamoDB, a crash) fails the record so SQS retries it; the dead-letter queue's consumer
(`failures.py`) ends such an upload `failed`.

Idempotency: the photo record itself is the guard, not a separate idempotency table. The first
step is a conditional claim (awaiting_upload → processing, or processing → processing by the
same S3 object version), every later write is conditioned on `processing`, derivatives are
deterministic, and the original is deleted last, so a retry after a crash at any point finishes
the job exactly once, and any other event changes nothing.
"""

from __future__ import annotations

from typing import Any

from functions.upload import imaging, processing
from functions.upload.events import S3Object, UploadNotice, s3_notice_handler
from functions.upload.settings import ProcessorSettings, processor_settings
from shared.assemble import assembled
from shared.dynamo import Table
from shared.media import S3Media
from shared.observability import logger
from shared.prescreen import prescreen
from shared.types import utc_now


def _build(settings: ProcessorSettings) -> processing.Ports:
    def screen(image: bytes, caption: str) -> dict[str, Any]:
        return prescreen(
            image,
            caption,
            mode=settings.prescreen,
            min_confidence=settings.prescreen_min_confidence,
            checks=settings.prescreen_checks,
        )

    return processing.Ports(
        table=Table(settings.table_name),
        media=S3Media(settings.media_bucket),
        settings=settings,
        process_image=imaging.process,
        prescreen=screen,
        clock=utc_now,
    )


_ports = assembled(processor_settings, _build)  # one bundle per cold start


def process(obj: S3Object, notice: UploadNotice) -> None:
    ports = _ports()
    if obj.bucket != ports.settings.media_bucket:
        logger.warning("event from another bucket ignored")
        return
    outcome = processing.process_upload(ports, obj)
    logger.info(
        "upload event handled",
        outcome=outcome,
        receive_count=notice.attributes.ApproximateReceiveCount,
    )


lambda_handler = s3_notice_handler(process)
