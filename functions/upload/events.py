"""The upload queue's messages: S3 notifications in SQS, parsed once at the edge.

Both consumers of the queue (the processor, and the dead-letter queue's consumer) are one
scaffold, `s3_notice_handler`: Powertools' `BatchProcessor` validates each SQS record into
`UploadNotice` (Powertools' `SqsRecordModel` whose body is `Json[...]`) and the consumer is
called once per created object. Partial batch responses: a record whose handling raises is
reported failed, and SQS retries it.

The body model is ours, not Powertools' `S3Model`: that one requires fields S3 sends but the
local stack's embedded S3 (moto) leaves out (`userIdentity`, `requestParameters`,
`responseElements`, the bucket's `ownerIdentity`), so it would refuse every local upload. Ours
names only what we read. A body that is neither an S3 notification nor S3's `s3:TestEvent`
(not JSON, another shape) is kept as text and dropped with a warning: no retry could make it
readable, so it must not fail the record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Json

from shared.batch import LambdaHandler, batch_handler
from shared.observability import logger


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class S3ObjectRef(_Lenient):
    key: Annotated[str, AfterValidator(unquote_plus)]  # S3 event keys are URL-encoded
    size: int = 0
    eTag: str = ""
    sequencer: str = ""  # absent from moto's events


class S3BucketRef(_Lenient):
    name: str


class S3Entity(_Lenient):
    bucket: S3BucketRef
    object: S3ObjectRef


class S3EventRecord(_Lenient):
    eventName: str
    s3: S3Entity


class S3EventNotification(_Lenient):
    """What S3 sends for object events (the part we read)."""

    Records: list[S3EventRecord]


class S3TestEvent(_Lenient):
    """What S3 sends once when a notification is configured."""

    Event: Literal["s3:TestEvent"]


NoticeBody = Annotated[
    Json[S3EventNotification] | Json[S3TestEvent] | str,
    Field(union_mode="left_to_right"),  # the first that fits; text only when nothing else does
]


class UploadNotice(SqsRecordModel):
    """One message of the upload queue (or its dead-letter queue)."""

    body: NoticeBody  # type: ignore[assignment]  # Powertools types it as str | BaseModel


@dataclass(frozen=True)
class S3Object:
    """A created object, as one notification announced it."""

    bucket: str
    key: str  # already URL-decoded
    etag: str
    sequencer: str
    size: int

    @property
    def claim(self) -> str:
        """The object version the event announced (the photo's processing claim)."""
        return f"{self.etag}#{self.sequencer}"


def created_objects(body: S3EventNotification | S3TestEvent | str) -> list[S3Object]:
    """The created objects a message announces (none for a test event or anything else)."""
    if isinstance(body, str):
        logger.warning("message body is not an S3 event: dropped")
        return []
    if isinstance(body, S3TestEvent):
        return []
    return [
        S3Object(
            bucket=r.s3.bucket.name,
            key=r.s3.object.key,
            etag=r.s3.object.eTag,
            sequencer=r.s3.object.sequencer,
            size=r.s3.object.size,
        )
        for r in body.Records
        if r.eventName.startswith("ObjectCreated")
    ]


NoticeConsumer = Callable[[S3Object, UploadNotice], None]


def s3_notice_handler(consume: NoticeConsumer) -> LambdaHandler:
    """The Lambda handler of a queue of S3 notifications: `consume` each created object."""
    # A failed record is reported back (not raised) even when it is the whole batch: SQS
    # retries it.
    processor = BatchProcessor(
        event_type=EventType.SQS, model=UploadNotice, raise_on_entire_batch_failure=False
    )

    def record_handler(record: UploadNotice) -> None:
        for obj in created_objects(record.body):
            consume(obj, record)

    return batch_handler(processor, record_handler)
