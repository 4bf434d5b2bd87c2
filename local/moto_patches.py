"""Making moto behave like the services it stands in for, where its in-process model differs.

DynamoDB applies each request atomically. moto does not: two threads can both pass a condition
before either writes, and a cancelled transaction restores a copy of the whole table, undoing
other threads' writes (or fails with "dictionary changed size during iteration"). One lock
around each request models DynamoDB, while races between requests stay real.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

DYNAMODB_REQUESTS = (
    "transact_write_items",
    "put_item",
    "update_item",
    "delete_item",
    "get_item",
    "query",
    "scan",
    "batch_write_item",
    "batch_get_item",
)
# A stream shows committed writes only; moto appends a transaction's records as it applies
# them and drops them again if it is cancelled (restoring the table), so a reader between the
# two would see a record that never was and skip the next one, which reuses its number.
STREAM_REQUESTS = ("get_records", "get_shard_iterator", "describe_stream")


def serialise_dynamodb(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Wrap moto's DynamoDB backend so each request runs alone (`setattr_` lets tests undo it)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    lock = threading.RLock()
    for backend, names in (
        (DynamoDBBackend, DYNAMODB_REQUESTS),
        (DynamoDBStreamsBackend, STREAM_REQUESTS),
    ):
        for name in names:
            original = getattr(backend, name)

            def locked(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
                with lock:
                    return _original(self, *args, **kwargs)

            setattr_(backend, name, locked)
    transact = DynamoDBBackend.transact_write_items  # the locked one

    def cancellable(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return _keeping_streams_whole(self, transact, *args, **kwargs)

    setattr_(DynamoDBBackend, "transact_write_items", cancellable)


def _keeping_streams_whole(backend: Any, transact: Any, *args: Any, **kwargs: Any) -> Any:
    """A cancelled transaction leaves its table's stream as it was, and the same stream.

    moto rolls a cancelled transaction back by putting a copy of the table, taken before it,
    in the table's place. That copy has its own stream shard, while every reader's iterator
    holds the old one: a stream reader would see the cancelled writes as records and then
    nothing ever again. DynamoDB never shows a cancelled write, and its stream goes on.
    """
    shards = {
        name: table.stream_shard
        for name, table in backend.tables.items()
        if getattr(table, "stream_shard", None) is not None
    }
    lengths = {name: len(shard.items) for name, shard in shards.items()}
    try:
        return transact(backend, *args, **kwargs)
    except Exception:
        for name, shard in shards.items():
            del shard.items[lengths[name] :]  # the cancelled writes' records
            restored = backend.tables.get(name)
            if restored is not None and restored.stream_shard is not shard:
                restored.stream_shard, shard.table = shard, restored
        raise
