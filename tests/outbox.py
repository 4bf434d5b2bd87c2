"""The outbox in integration tests: deliver the table stream's outbox items to their consumer.

The same poller the local stack runs (`local.pollers.StreamPoller`, Lambda's stream mapping:
the wiring's filter, batches, partial batch responses, retries, dead letters), read from the
trim horizon each time: effects already done are read again and skipped, as redeliveries are.
"""

from __future__ import annotations

import threading
from typing import Any

from infra.wiring import WIRING


def consumer() -> Any:
    return next(fn for fn in WIRING.functions if fn.stream_sources)


def poller(*, retry_after_s: float = 0) -> Any:
    import boto3

    from local.pollers import StreamPoller
    from local.runtime import Invoker

    fn = consumer()
    source = fn.stream_sources[0]
    ddb = boto3.client("dynamodb")
    stream_arn = ddb.describe_table(TableName=WIRING.table.name)["Table"]["LatestStreamArn"]
    sqs = boto3.client("sqs")
    dead_letters = sqs.get_queue_url(QueueName=source.dead_letter)["QueueUrl"]
    # botocore derives an account endpoint from the stream ARN, which moto does not serve.
    region = ddb.meta.region_name
    streams = boto3.client(
        "dynamodbstreams", endpoint_url=f"https://streams.dynamodb.{region}.amazonaws.com"
    )
    return StreamPoller(
        streams,
        Invoker(),
        fn,
        source,
        stream_arn,
        threading.Event(),
        sqs=sqs,
        dead_letter_url=dead_letters,
        retry_after_s=retry_after_s,
    )


def drain() -> int:
    """Perform every owed effect now (what the stream's consumer does in the cloud)."""
    handed: int = poller().drain()
    return handed
