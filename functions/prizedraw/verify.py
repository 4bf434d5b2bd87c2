"""Recompute a day's draw from the public API alone, and say whether it matches.

    python -m functions.prizedraw.verify verify-draw --api https://api.example --day 2027-03-08

Standard library only (and `algorithm.py`, which is too), so anyone can run it. Exit status:
0 the published result is what the algorithm gives, 1 it is not, 2 it cannot be checked (not
drawn yet, or the API could not be read).
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from functions.prizedraw import algorithm

MATCH, MISMATCH, UNVERIFIABLE = 0, 1, 2


def fetch_json(url: str) -> Any:
    if not url.startswith(("http://", "https://")):
        raise ValueError("the API URL must be http(s)")
    request = urllib.request.Request(url, headers={"accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - checked above
        return json.loads(response.read())


def _input_problems(record: dict[str, Any], entrants: list[str], seed: bytes) -> list[str]:
    """How the seed and the entrant list differ from what the record publishes about them."""
    problems: list[str] = []
    if algorithm.commitment(seed) != record["commitment"]:
        problems.append("sha256(seed) is not the published commitment")
    if entrants != sorted(set(entrants)):
        problems.append("the entrant list is not sorted and unique")
    if algorithm.entrants_hash(entrants) != record["entrants_hash"]:
        problems.append("the entrant list does not hash to entrants_hash")
    if len(entrants) != record["entrant_count"]:
        problems.append("entrant_count is not the number of entrants")
    return problems


def _winner_problems(
    winners: list[dict[str, Any]], entrants: list[str], state: algorithm.DrawState
) -> list[str]:
    """How the published winners differ from the recomputed ones."""
    problems: list[str] = []
    if len(winners) != min(len(entrants), len(winners)) or (entrants and not winners):
        problems.append("there are entrants but no winners")
    for w, expected in zip(winners, state.winners, strict=True):
        if w["entrant_id"] != expected:
            problems.append(
                f"position {w['position']}: published {w['entrant_id']}, recomputed {expected}"
            )
    return problems


def check(record: dict[str, Any], entrants: list[str]) -> list[str]:
    """Every way in which `record` differs from what the algorithm gives (empty: a match)."""
    if record.get("algorithm") != algorithm.ALGORITHM:
        return [f"unknown algorithm {record.get('algorithm')!r}"]
    seed = bytes.fromhex(record["seed"])
    problems = _input_problems(record, entrants, seed)
    winners = sorted(record["winners"], key=lambda w: w["position"])
    if [w["position"] for w in winners] != list(range(1, len(winners) + 1)):
        return [*problems, "positions are not 1..n"]
    try:
        state = algorithm.replay(
            seed,
            entrants,
            len(winners),
            [(r["position"], r["replaced_entrant_id"]) for r in record.get("redraws", [])],
        )
    except ValueError as exc:
        return [*problems, str(exc)]
    return problems + _winner_problems(winners, entrants, state)


def verify_draw(
    api: str,
    day: str,
    *,
    out: Callable[[str], None] = print,
    fetch: Callable[[str], Any] = fetch_json,
) -> int:
    base = api.rstrip("/")
    try:
        record = fetch(f"{base}/draws/{day}")
        if record.get("status") != "drawn":
            out(f"{day}: not drawn yet (commitment {record.get('commitment')})")
            return UNVERIFIABLE
        entrants = list(fetch(f"{base}/draws/{day}/entrants")["entrants"])
    except (OSError, ValueError, KeyError) as exc:
        out(f"cannot read the draw for {day}: {exc}")
        return UNVERIFIABLE
    out(f"day:            {day}")
    out(f"algorithm:      {record['algorithm']}")
    out(f"commitment:     {record['commitment']}")
    out(f"seed:           {record['seed']}")
    out(f"entrants:       {len(entrants)} (hash {algorithm.entrants_hash(entrants)})")
    for w in sorted(record["winners"], key=lambda w: w["position"]):
        out(f"position {w['position']}:     {w['entrant_id']} ({w['display_name']})")
    for r in record.get("redraws", []):
        out(
            f"redraw:         position {r['position']} replaced {r['replaced_entrant_id']}"
            f" ({r['reason']})"
        )
    problems = check(record, entrants)
    for p in problems:
        out(f"MISMATCH: {p}")
    out("result:         " + ("MISMATCH" if problems else "MATCH"))
    return MISMATCH if problems else MATCH


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions.prizedraw.verify")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify-draw", help="recompute a day's draw from the public API")
    verify.add_argument("--api", required=True, help="the API's base URL")
    verify.add_argument("--day", required=True, help="YYYY-MM-DD")
    args = parser.parse_args(argv)
    return verify_draw(args.api, args.day)


if __name__ == "__main__":
    sys.exit(main())
