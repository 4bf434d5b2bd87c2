"""One construct per concern; `infra.stack` composes them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def declared(items: Mapping[str, T], kind: str, name: str) -> T:
    """The resource the wiring names, or a KeyError saying it was never declared."""
    try:
        return items[name]
    except KeyError:
        raise KeyError(f"wiring names {kind} {name!r}, which is not declared") from None
