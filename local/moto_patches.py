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

DYNAMODB_REQUESTS = ("transact_write_items", "put_item", "update_item", "delete_item",
                     "get_item", "query", "scan", "batch_write_item", "batch_get_item")


def serialise_dynamodb(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Wrap moto's DynamoDB backend so each request runs alone (`setattr_` lets tests undo it)."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in DYNAMODB_REQUESTS:
        original = getattr(DynamoDBBackend, name)

        def locked(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        setattr_(DynamoDBBackend, name, locked)
