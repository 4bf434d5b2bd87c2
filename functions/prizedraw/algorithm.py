"""The draw algorithm `sha256-mod-v1`, exactly as `API.md` publishes it. Standard library only
(and `shared/commitment.py`, which is too: the commitment is made before the draw, by whichever
function records a day's first entry).

Anyone can recompute a draw from the public record with these functions (see `verify.py`);
the draw itself uses the very same ones, so the published record and the picks cannot drift.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from shared.commitment import ALGORITHM, commitment

__all__ = ["ALGORITHM", "DrawState", "commitment", "draw", "entrants_hash", "pick", "replay"]


def entrants_hash(entrant_ids: Iterable[str]) -> str:
    """sha256 of the sorted entrant ids joined by newlines, hex."""
    return hashlib.sha256("\n".join(sorted(entrant_ids)).encode()).hexdigest()


def pick_index(seed: bytes, hash_hex: str, k: int, size: int) -> int:
    """The index that position-draw `k` picks among `size` remaining entrants."""
    if size < 1:
        raise ValueError("nobody left to pick from")
    digest = hashlib.sha256(seed + bytes.fromhex(hash_hex) + k.to_bytes(4, "big")).digest()
    return int.from_bytes(digest, "big") % size


def pick(seed: bytes, hash_hex: str, k: int, remaining: Sequence[str]) -> str:
    """`remaining` must already be sorted ascending (the published order)."""
    return remaining[pick_index(seed, hash_hex, k, len(remaining))]


@dataclass
class DrawState:
    """A day's draw as it stands: who holds each position and which k comes next."""

    entrants: list[str]  # sorted
    hash_hex: str
    seed: bytes
    winners: list[str] = field(default_factory=list)  # index = position - 1
    picked: list[str] = field(default_factory=list)  # everyone ever picked, in order
    disqualified: list[str] = field(default_factory=list)
    next_k: int = 1

    def remaining(self) -> list[str]:
        gone = set(self.picked) | set(self.disqualified)
        return [e for e in self.entrants if e not in gone]

    def draw_next(self) -> str:
        chosen = pick(self.seed, self.hash_hex, self.next_k, self.remaining())
        self.next_k += 1
        self.picked.append(chosen)
        return chosen

    def redraw(self, position: int) -> tuple[str, str]:
        """Disqualify the holder of `position` and fill it with the next unused k.

        Returns (replaced, chosen). Raises ValueError if nobody is left.
        """
        replaced = self.winners[position - 1]
        if not self.remaining():
            raise ValueError("nobody left to pick from")
        self.disqualified.append(replaced)
        chosen = self.draw_next()
        self.winners[position - 1] = chosen
        return replaced, chosen


def draw(seed: bytes, entrants: Iterable[str], winners_per_day: int) -> DrawState:
    """The initial draw: positions 1..min(winners_per_day, n) with k = position."""
    ordered = sorted(set(entrants))
    state = DrawState(entrants=ordered, hash_hex=entrants_hash(ordered), seed=seed)
    for _ in range(min(winners_per_day, len(ordered))):
        state.winners.append(state.draw_next())
    return state


def replay(
    seed: bytes,
    entrants: Iterable[str],
    positions: int,
    redraws: Sequence[tuple[int, str]],
) -> DrawState:
    """Recompute a published draw: `positions` initial picks, then each (position, replaced)
    redraw in order. Raises ValueError if a redraw names someone who did not hold that position.
    """
    state = draw(seed, entrants, positions)
    if len(state.winners) != positions:
        raise ValueError(f"{positions} positions published but only {len(state.winners)} entrants")
    for position, replaced in redraws:
        if not 1 <= position <= positions:
            raise ValueError(f"redraw of position {position}, which does not exist")
        holder = state.winners[position - 1]
        if holder != replaced:
            raise ValueError(
                f"redraw of position {position} replaced {replaced}, but {holder} held it"
            )
        state.redraw(position)
    return state
