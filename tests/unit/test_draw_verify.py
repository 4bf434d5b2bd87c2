"""The verify-draw command: exit 0 on a match, 1 on a mismatch, 2 when it cannot check."""

from __future__ import annotations

from typing import Any

from functions.prizedraw import algorithm
from functions.prizedraw.verify import MATCH, MISMATCH, UNVERIFIABLE, verify_draw

SEED = bytes(range(1, 33))
ENTRANTS = [f"{n:016x}" for n in range(1, 11)]
API = "https://api.test"


def published(winners: int = 2) -> dict[str, Any]:
    state = algorithm.draw(SEED, ENTRANTS, winners)
    return {
        "day": "2027-03-09",
        "status": "drawn",
        "algorithm": "sha256-mod-v1",
        "commitment": algorithm.commitment(SEED),
        "seed": SEED.hex(),
        "entrants_hash": state.hash_hex,
        "entrant_count": len(ENTRANTS),
        "winners": [
            {
                "position": n,
                "entrant_id": e,
                "display_name": f"T{n}",
                "school": "S",
                "photo_id": "p",
            }
            for n, e in enumerate(state.winners, 1)
        ],
        "redraws": [],
        "drawn_at": "2027-03-10T00:05:00Z",
        "trigger": "schedule",
    }


def run(record: dict[str, Any], entrants: list[str]) -> tuple[int, list[str]]:
    lines: list[str] = []
    pages = {
        f"{API}/draws/2027-03-09": record,
        f"{API}/draws/2027-03-09/entrants": {"entrants": entrants},
    }
    code = verify_draw(API + "/", "2027-03-09", out=lines.append, fetch=pages.__getitem__)
    return code, lines


def test_a_true_record_matches():
    code, lines = run(published(), ENTRANTS)
    assert code == MATCH
    assert lines[-1].endswith("MATCH")


def test_a_steered_winner_is_a_mismatch_and_says_which_position():
    record = published()
    record["winners"][1]["entrant_id"] = next(
        e for e in ENTRANTS if e not in {w["entrant_id"] for w in record["winners"]}
    )
    code, lines = run(record, ENTRANTS)
    assert code == MISMATCH
    assert any("position 2" in line for line in lines)


def test_a_changed_commitment_or_entrant_list_is_a_mismatch():
    assert run({**published(), "commitment": "0" * 64}, ENTRANTS)[0] == MISMATCH
    assert run(published(), ENTRANTS[:-1])[0] == MISMATCH


def test_an_open_day_cannot_be_verified_yet():
    code, lines = run({"status": "open", "commitment": "c" * 64}, [])
    assert code == UNVERIFIABLE
    assert "not drawn yet" in lines[0]
