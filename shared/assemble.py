"""One way to assemble a function: its `Ports` bundle, built once per cold start.

Each function package declares a frozen `Ports` dataclass (its repositories, adapters and
settings-derived values) and a `build(settings) -> Ports`; `ports = assembled(settings, build)`
then gives every entry point the same bundle. It is cached per settings object, so a process
whose environment changes (tests, the local stack's functions in one process) is assembled again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import cache
from typing import TypeVar

S = TypeVar("S", bound=Hashable)
P = TypeVar("P")


def assembled(settings: Callable[[], S], build: Callable[[S], P]) -> Callable[[], P]:
    built = cache(build)

    def ports() -> P:
        return built(settings())

    return ports
