"""What Lambda's event source mappings and EventBridge Scheduler do, done locally.

A poller per queue source long-polls SQS and hands batches to the handler in the exact SQS event
shape; it deletes what succeeded and lets failures return (partial batch responses), so retries
and the dead-letter redrive happen in the queue as in the cloud. A ticker fires each schedule
at its minute, in the event's time zone.
"""

from __future__ import annotations

import threading
import traceback
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from infra.wiring import Function, QueueSource, Schedule
from local.runtime import Invoker

RETRY_AFTER_S = 1  # locally a failed message comes back after a second, not the full timeout


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {"Records": [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": {
                name: {
                    "stringValue": attr.get("StringValue"),
                    "binaryValue": attr.get("BinaryValue"),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": attr["DataType"],
                }
                for name, attr in m.get("MessageAttributes", {}).items()
            },
            "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        }
        for m in messages
    ]}


class QueuePoller:
    def __init__(
        self, sqs: Any, invoker: Invoker, fn: Function, source: QueueSource,
        queue_url: str, queue_arn: str, stop: threading.Event,
    ) -> None:
        self.sqs, self.invoker, self.fn, self.source = sqs, invoker, fn, source
        self.queue_url, self.queue_arn, self.stop = queue_url, queue_arn, stop

    def poll_once(self, wait_s: int = 1) -> int:
        """Receive one batch, run it, settle it. Returns how many messages it saw."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(self.source.batch_size, 10),
            WaitTimeSeconds=wait_s,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        event = sqs_event(messages, self.queue_arn, self.sqs.meta.region_name)
        try:
            result = self.invoker.invoke(self.fn, event) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception:  # the whole batch failed: every message returns
            traceback.print_exc()
            failed = {m["MessageId"] for m in messages}
        for m in messages:
            if m["MessageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"],
                    VisibilityTimeout=RETRY_AFTER_S,
                )
            else:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
        return len(messages)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.poll_once()
            except Exception:  # keep polling: a local hiccup must not end the stack
                if self.stop.is_set():
                    return
                traceback.print_exc()
                self.stop.wait(1)


def next_fire(schedule: Schedule, now: datetime, tz: str) -> datetime:
    """The next instant at `schedule.minute` past an hour (hours "*" only, as declared today)."""
    local = now.astimezone(ZoneInfo(tz)).replace(second=0, microsecond=0)
    candidate = local.replace(minute=schedule.minute)
    if candidate <= local:
        candidate += timedelta(hours=1)
    return candidate


def schedule_event(schedule: Schedule) -> dict[str, Any]:
    return {"source": "schedule", "schedule": schedule.name}


class Ticker:
    def __init__(self, invoker: Invoker, fn: Function, schedule: Schedule, tz: str,
                 stop: threading.Event) -> None:
        self.invoker, self.fn, self.schedule, self.tz, self.stop = invoker, fn, schedule, tz, stop

    def fire(self) -> Any:
        return self.invoker.invoke(self.fn, schedule_event(self.schedule))

    def run(self) -> None:
        while not self.stop.is_set():
            now = datetime.now(ZoneInfo(self.tz))
            wait = (next_fire(self.schedule, now, self.tz) - now).total_seconds()
            if self.stop.wait(max(wait, 0)):
                return
            try:
                self.fire()
            except Exception:
                traceback.print_exc()
