"""The draw algorithm `sha256-mod-v1`: fixed vectors, the published-record property, fairness."""

from __future__ import annotations

import hashlib
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.prizedraw import algorithm
from functions.prizedraw.verify import check

SEED = bytes(range(32))
ENTRANTS = [f"{i * 0x1111111111111:016x}" for i in range(1, 8)]


def spec_pick(seed: bytes, hash_hex: str, k: int, remaining: list[str]) -> str:
    """API.md's formula, written out again independently of the module under test."""
    digest = hashlib.sha256(seed + bytes.fromhex(hash_hex) + k.to_bytes(4, "big")).digest()
    return remaining[int.from_bytes(digest, "big") % len(remaining)]


def test_fixed_vectors_for_commitment_hash_and_picks():
    # Given a fixed seed and seven entrants
    # When the commitment, the entrants hash and a three-winner draw are computed
    state = algorithm.draw(SEED, reversed(ENTRANTS), 3)
    # Then they are the published vectors (recorded once; a change here breaks every old draw)
    assert algorithm.commitment(SEED) == (
        "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
    )
    assert state.hash_hex == "c3421ba86a71b35ef02bc71cee0a8b4b4ded0eec45ef81e19f6c265716bca0df"
    assert state.winners == ["0002222222222222", "0001111111111111", "0003333333333333"]
    assert state.next_k == 4


def test_fixed_vector_for_a_redraw_uses_the_next_k_and_skips_everyone_picked():
    # Given the three-winner draw above
    state = algorithm.draw(SEED, ENTRANTS, 3)
    # When position 2 is redrawn
    replaced, chosen = state.redraw(2)
    # Then k=4 picks from the four never-picked entrants
    assert (replaced, chosen) == ("0001111111111111", "0006666666666666")
    remaining = [
        e for e in ENTRANTS if e not in {"0002222222222222", "0001111111111111", "0003333333333333"}
    ]
    assert chosen == spec_pick(SEED, state.hash_hex, 4, remaining)
    assert state.winners == ["0002222222222222", "0006666666666666", "0003333333333333"]


def test_empty_day_hashes_the_empty_string_and_has_no_winners():
    state = algorithm.draw(SEED, [], 1)
    assert state.hash_hex == hashlib.sha256(b"").hexdigest()
    assert state.winners == []


entrant_ids = st.lists(
    st.text("0123456789abcdef", min_size=16, max_size=16), min_size=0, max_size=40, unique=True
)


@settings(max_examples=200, deadline=None)
@given(
    seed=st.binary(min_size=32, max_size=32),
    entrants=entrant_ids,
    winners=st.integers(1, 6),
    redraws=st.lists(st.integers(1, 6), max_size=4),
)
def test_picks_are_exactly_those_the_published_record_implies(seed, entrants, winners, redraws):
    # Given any seed, entrants, winners per day and a sequence of redraws
    state = algorithm.draw(seed, entrants, winners)
    published_redraws = []
    for position in redraws:
        if position > len(state.winners) or not state.remaining():
            continue
        replaced, _ = state.redraw(position)
        published_redraws.append((position, replaced))
    # When a verifier recomputes from the published parts (sorted list, seed, redraws) alone
    ordered = sorted(entrants)
    expected: list[str] = []
    picked: list[str] = []
    h = hashlib.sha256("\n".join(ordered).encode()).hexdigest()
    for k in range(1, min(winners, len(ordered)) + 1):
        chosen = spec_pick(seed, h, k, [e for e in ordered if e not in picked])
        picked.append(chosen)
        expected.append(chosen)
    k = len(expected) + 1
    for position, replaced in published_redraws:
        assert expected[position - 1] == replaced
        chosen = spec_pick(seed, h, k, [e for e in ordered if e not in picked])
        picked.append(chosen)
        expected[position - 1] = chosen
        k += 1
    # Then it gets the same winners, and nobody holds two positions
    assert state.winners == expected
    assert len(set(state.winners)) == len(state.winners)
    replayed = algorithm.replay(seed, entrants, len(state.winners), published_redraws)
    assert replayed.winners == state.winners


def test_each_entrant_wins_about_equally_often_over_many_seeds():
    # Given 5 entrants and 5,000 seeds from a fixed RNG (reproducible)
    rng = random.Random(20270308)
    counts = dict.fromkeys(ENTRANTS[:5], 0)
    trials = 5000
    # When each seed draws one winner
    for _ in range(trials):
        seed = rng.getrandbits(256).to_bytes(32, "big")
        counts[algorithm.draw(seed, counts, 1).winners[0]] += 1
    # Then the chi-square statistic is below the critical value for p = 0.001 with 4 degrees of
    # freedom (18.467, from the chi-square table: no scipy needed)
    expected = trials / len(counts)
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2 < 18.467, counts


def test_a_biased_picker_fails_the_same_chi_square_bound():
    # The bound is not vacuous: always favouring one entrant 10% of the time is caught
    rng = random.Random(1)
    counts = [0] * 5
    for _ in range(5000):
        counts[0 if rng.random() < 0.1 else rng.randrange(5)] += 1
    chi2 = sum((c - 1000) ** 2 / 1000 for c in counts)
    assert chi2 > 18.467


def _record(state: algorithm.DrawState, redraws=()):
    return {
        "algorithm": "sha256-mod-v1",
        "seed": state.seed.hex(),
        "commitment": algorithm.commitment(state.seed),
        "entrants_hash": state.hash_hex,
        "entrant_count": len(state.entrants),
        "winners": [
            {"position": n, "entrant_id": e, "display_name": "x"}
            for n, e in enumerate(state.winners, 1)
        ],
        "redraws": [
            {"position": p, "replaced_entrant_id": r, "reason": "r", "at": "t"} for p, r in redraws
        ],
    }


def test_verifier_accepts_a_true_record_and_rejects_a_steered_one():
    # Given a true record with a redraw
    state = algorithm.draw(SEED, ENTRANTS, 2)
    replaced, _ = state.redraw(1)
    record = _record(state, [(1, replaced)])
    # Then it matches; a swapped winner, another seed or a dropped entrant do not
    assert check(record, ENTRANTS) == []
    assert check(
        {
            **record,
            "winners": [dict(record["winners"][0], entrant_id=ENTRANTS[6]), record["winners"][1]],
        },
        ENTRANTS,
    )
    other = bytes(32)
    assert check({**record, "seed": other.hex()}, ENTRANTS)
    assert check(record, ENTRANTS[1:])
