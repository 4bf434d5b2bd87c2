"""What the draw's storage port raises when the table refuses a write: the domain's own
exceptions, so that `logic.py` imports no adapter (`store.py` raises these)."""

from __future__ import annotations


class StaleRecord(Exception):
    """The draw record changed since it was read (drawn, new entry, or a concurrent redraw)."""


class WinnerTaken(Exception):
    """A picked person won on another day meanwhile."""


class PrizeFrozen(Exception):
    """The day is drawn: its prize is what the draw recorded."""
