"""Which AWS calls a piece of code makes: the real (moto) client answers, the names are kept."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def aws_calls(service: str) -> Iterator[list[str]]:
    """The names of the `service` client's methods called meanwhile, in order."""
    from shared.aws import client, set_client

    real, calls = client(service), list[str]()

    class Spy:
        def __getattr__(self, name: str) -> Any:
            calls.append(name)
            return getattr(real, name)

    set_client(service, Spy())
    try:
        yield calls
    finally:
        set_client(service, None)
