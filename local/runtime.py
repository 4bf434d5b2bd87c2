"""Calling the project's handlers in-process, one invocation at a time per function.

A Lambda execution environment runs one event at a time and the Powertools resolver keeps the
current event in module state, so each function gets a lock: concurrency across functions is
real, within one function it queues as it would behind a single warm instance.

Handler modules are imported one at a time. In the cloud each function imports its handler
alone in its own process; here the gateway and the pollers share one, and two threads
importing Powertools' packages at once can meet a partly initialised module (an ImportError,
answered 500, on a fresh stack's first requests).
"""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from infra.wiring import Function
from local import iam


@dataclass
class LocalContext:
    """The parts of `LambdaContext` that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = "local"
    log_stream_name: str = "local"
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        self.invoked_function_arn = (
            f"arn:aws:lambda:eu-west-2:123456789012:function:{self.function_name}"
        )

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


_IMPORTING = threading.Lock()  # first imports of handler modules, one at a time (see above)


def _handler(fn: Function) -> Any:
    with _IMPORTING:
        module = importlib.import_module(fn.module)
    return getattr(module, fn.attribute)


class Invoker:
    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        iam.install()  # records each function's AWS calls when the tests ask for it

    def invoke(self, fn: Function, event: dict[str, Any]) -> Any:
        with self._guard:
            lock = self._locks.setdefault(fn.name, threading.Lock())
        handler = _handler(fn)
        with lock, iam.running(fn.name):
            # The timeout starts when the invocation does, not while it queues for the lock:
            # Lambda would have run it at once in another instance.
            context = LocalContext(fn.name, fn.memory_mb, fn.timeout_s)
            return handler(event, context)
