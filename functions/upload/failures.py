"""Dead-letter consumer of the upload queue: an upload whose processing ran out of retries ends
`failed` ("we couldn't process this upload, please try again"), so none stays `processing`.

The dead message's body is the original S3 event (the scaffold is the processor's,
`events.s3_notice_handler`); the photo id comes from its object key. Only a photo still
`awaiting_upload` or `processing` is changed (a conditional write).
"""

from __future__ import annotations

from functions.upload import processing
from functions.upload.events import S3Object, UploadNotice, s3_notice_handler
from functions.upload.settings import FailuresSettings, failures_settings
from shared.assemble import assembled
from shared.dynamo import Table
from shared.media import photo_id_of
from shared.observability import logger
from shared.types import utc_now


def _build(settings: FailuresSettings) -> processing.DeadLetterPorts:
    return processing.DeadLetterPorts(table=Table(settings.table_name), clock=utc_now)


_ports = assembled(failures_settings, _build)  # one bundle per cold start


def fail(obj: S3Object, _notice: UploadNotice) -> None:
    photo_id = photo_id_of(obj.key)
    if photo_id is None:
        return
    changed = processing.fail_dead_letter(_ports(), photo_id)
    logger.info("dead upload message handled", photo_id=photo_id, marked_failed=changed)


lambda_handler = s3_notice_handler(fail)
