"""What Lambda's event source mappings and EventBridge Scheduler do, done locally.

A poller per queue source long-polls SQS and hands batches to the handler in the exact SQS event
shape; it deletes what succeeded and lets failures return (partial batch responses), so retries
and the dead-letter redrive happen in the queue as in the cloud. A stream poller reads the
table's stream as a DynamoDB event source mapping does. A ticker fires each schedule at its
minute, in the event's time zone.
"""

from __future__ import annotations

import json
import threading
import time
import traceback
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from infra.wiring import Function, QueueSource, Schedule, StreamSource
from local.runtime import Invoker

RETRY_AFTER_S = 1  # locally a failed message comes back after a second, not the full timeout


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "Records": [
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
        ]
    }


class QueuePoller:
    def __init__(
        self,
        sqs: Any,
        invoker: Invoker,
        fn: Function,
        source: QueueSource,
        queue_url: str,
        queue_arn: str,
        stop: threading.Event,
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
                    QueueUrl=self.queue_url,
                    ReceiptHandle=m["ReceiptHandle"],
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


def stream_event(records: list[dict[str, Any]], stream_arn: str) -> dict[str, Any]:
    """Lambda's DynamoDB stream event: moto's records plus the source ARN, times as epochs."""
    shaped = []
    for record in records:
        dynamodb = dict(record["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
        shaped.append({**record, "dynamodb": dynamodb, "eventSourceARN": stream_arn})
    return {"Records": shaped}


class StreamPoller:
    """Lambda's DynamoDB stream mapping: every shard read in order from its trim horizon, the
    records the source's filter lets through handed over in batches; with a partial batch
    response the records before the first failure are done and the rest is retried; after
    `retry_attempts` the failing record's position goes to the dead-letter queue and reading
    goes on (Lambda bisects first; with one record to blame, the outcome is the same)."""

    def __init__(
        self,
        streams: Any,
        invoker: Invoker,
        fn: Function,
        source: StreamSource,
        stream_arn: str,
        stop: threading.Event,
        *,
        sqs: Any = None,
        dead_letter_url: str | None = None,
        retry_after_s: float = RETRY_AFTER_S,
    ) -> None:
        self.streams, self.invoker, self.fn, self.source = streams, invoker, fn, source
        self.stream_arn, self.stop = stream_arn, stop
        self.sqs, self.dead_letter_url, self.retry_after_s = sqs, dead_letter_url, retry_after_s
        self.iterators: dict[str, str | None] = {}
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.attempts: dict[str, int] = {}

    def _shards(self) -> list[str]:
        described = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in described.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id not in self.iterators:
                self.iterators[shard_id] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                self.pending[shard_id], self.attempts[shard_id] = [], 0
        return list(self.iterators)

    def poll_once(self) -> int:
        """Read new records of each shard and run one batch per shard. Returns how many records
        were handed to the function (retries included)."""
        handed = 0
        for shard_id in self._shards():
            pending = self.pending[shard_id]
            if not pending and self.iterators[shard_id]:
                answer = self.streams.get_records(
                    ShardIterator=self.iterators[shard_id], Limit=1000
                )
                self.iterators[shard_id] = answer.get("NextShardIterator")
                pending.extend(r for r in answer.get("Records", []) if self.source.matches(r))
            if pending:
                handed += self._run(shard_id, pending)
        return handed

    def _run(self, shard_id: str, pending: list[dict[str, Any]]) -> int:
        batch = pending[: self.source.batch_size]
        try:
            result = self.invoker.invoke(self.fn, stream_event(batch, self.stream_arn)) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception:  # the whole batch failed
            traceback.print_exc()
            failed = {r["dynamodb"]["SequenceNumber"] for r in batch}
        first = next(
            (i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed), None
        )
        if first is None:
            del pending[: len(batch)]
            self.attempts[shard_id] = 0
            return len(batch)
        del pending[:first]  # checkpointed: retried from the first failure
        self.attempts[shard_id] += 1
        if self.attempts[shard_id] > self.source.retry_attempts:
            self._dead_letter(shard_id, pending.pop(0))
            self.attempts[shard_id] = 0
        elif self.retry_after_s:
            self.stop.wait(self.retry_after_s)
        return len(batch)

    def _dead_letter(self, shard_id: str, record: dict[str, Any]) -> None:
        """What Lambda sends to an on-failure destination: where the record is, not the record."""
        sequence = record["dynamodb"]["SequenceNumber"]
        if self.sqs is None or not self.dead_letter_url:
            return
        self.sqs.send_message(
            QueueUrl=self.dead_letter_url,
            MessageBody=json.dumps(
                {
                    "version": "1.0",
                    "timestamp": datetime.now().astimezone().isoformat(),
                    "requestContext": {
                        "condition": "RetryAttemptsExhausted",
                        "functionArn": self.fn.name,
                    },
                    "DDBStreamBatchInfo": {
                        "shardId": shard_id,
                        "startSequenceNumber": sequence,
                        "endSequenceNumber": sequence,
                        "batchSize": 1,
                        "streamArn": self.stream_arn,
                    },
                }
            ),
        )

    def drain(self, *, max_rounds: int = 1000) -> int:
        """Poll until nothing is pending or new (tests: "then the effects have happened")."""
        total = 0
        for _ in range(max_rounds):
            handed = self.poll_once()
            total += handed
            if not handed:
                return total
        raise RuntimeError("the stream did not drain")

    def run(self, idle_s: float = 0.5) -> None:
        while not self.stop.is_set():
            try:
                if not self.poll_once():
                    self.stop.wait(idle_s)
            except Exception:  # keep polling: a local hiccup must not end the stack
                if self.stop.is_set():
                    return
                traceback.print_exc()
                time.sleep(1)


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
    def __init__(
        self, invoker: Invoker, fn: Function, schedule: Schedule, tz: str, stop: threading.Event
    ) -> None:
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
