"""The browser's `sha256-mod-v1` (site/js/drawcheck.js) agrees with the Python algorithm.

The page's verifier is only worth something if it computes exactly what the draw computes, so
the same random draws, with redraws, are replayed in Chromium and in Python and compared; and a
tampered record must be caught.
"""

from __future__ import annotations

import functools
import hashlib
import random
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from functions.prizedraw.algorithm import commitment, entrants_hash, replay
from tests.e2e.site_helpers import ROOT, chromium, page_of


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    """A blank page of the site served by a plain file server: the module needs no backend."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(ROOT / "site"))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with chromium() as browser, page_of(browser) as p:
            p.goto(f"http://127.0.0.1:{server.server_address[1]}/favicon.svg")
            yield p
    finally:
        server.shutdown()
        server.server_close()


def record_of(
    seed: bytes, entrants: list[str], positions: int, redraws: list[tuple[int, str]]
) -> dict[str, Any]:
    state = replay(seed, entrants, positions, [])
    published = []
    for position, _ in redraws:  # redraw the holder of `position` at that moment
        replaced = state.winners[position - 1]
        state.redraw(position)
        published.append(
            {
                "position": position,
                "replaced_entrant_id": replaced,
                "reason": "did not reply",
                "at": "2026-03-10T10:00:00Z",
            }
        )
    ordered = sorted(set(entrants))
    return {
        "day": "2026-03-10",
        "status": "drawn",
        "algorithm": "sha256-mod-v1",
        "commitment": commitment(seed),
        "seed": seed.hex(),
        "entrants_hash": entrants_hash(ordered),
        "entrant_count": len(ordered),
        "winners": [
            {
                "position": i + 1,
                "entrant_id": w,
                "display_name": "x",
                "school": "y",
                "photo_id": "p",
            }
            for i, w in enumerate(state.winners)
        ],
        "redraws": published,
        "drawn_at": "2026-03-10T09:00:00Z",
        "trigger": "schedule",
    }


VERIFY = """async ([record, entrants]) => {
  const m = await import("/js/drawcheck.js");
  return await m.verify(record, entrants, record.commitment);
}"""


@pytest.mark.parametrize("case", range(6))
def test_the_browser_recomputes_the_same_winners_as_python(page, case):
    rng = random.Random(case)
    seed = rng.randbytes(32)
    entrants = sorted(
        {hashlib.sha256(rng.randbytes(8)).hexdigest()[:16] for _ in range(rng.randint(1, 40))}
    )
    positions = min(rng.randint(1, 3), len(entrants))
    redraws = [
        (rng.randint(1, positions), "")
        for _ in range(min(rng.randint(0, 2), len(entrants) - positions))
    ]
    record = record_of(seed, entrants, positions, redraws)

    result = page.evaluate(VERIFY, [record, entrants])

    assert result["ok"], result["checks"]
    published = [(r["position"], r["replaced_entrant_id"]) for r in record["redraws"]]
    assert result["winners"] == replay(seed, entrants, positions, published).winners
    assert len(result["steps"]) == positions + len(redraws)


def test_a_tampered_record_is_a_mismatch(page):
    seed = bytes(range(32))
    entrants = [f"{i:016x}" for i in range(10)]
    record = record_of(seed, entrants, 1, [])
    others = [e for e in entrants if e != record["winners"][0]["entrant_id"]]

    forged_winner = {**record, "winners": [{**record["winners"][0], "entrant_id": others[0]}]}
    forged_seed = {**record, "seed": "00" * 32}
    missing_entrant = entrants[1:]

    assert not page.evaluate(VERIFY, [forged_winner, entrants])["ok"]
    assert not page.evaluate(VERIFY, [forged_seed, entrants])["ok"]
    assert not page.evaluate(VERIFY, [record, missing_entrant])["ok"]
    assert page.evaluate(VERIFY, [record, entrants])["ok"]


def test_an_empty_day_verifies_with_no_winners(page):
    seed = bytes(32)
    record = record_of(seed, [], 0, [])
    result = page.evaluate(VERIFY, [record, []])
    assert result["ok"], result["checks"]
    assert result["steps"] == []
