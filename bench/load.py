"""Load on the local stack: a bounded run of mixed requests, counting errors and lost ones.

Starts `python -m local` (moto server + gateway + handlers in one process, as `make run`) on
free ports, sends a fixed number of mixed requests from a thread pool (one `requests.Session`
per thread), and reports throughput, p50/p99 latency, errors (5xx, connection errors,
timeouts) and lost requests (sent - answered). Routes answering 404/501 count as "not built".
This measures our code path on this machine, not AWS: the local gateway runs each function's
handler one request at a time, as a single Lambda instance would.

    .venv/bin/python -m bench load                            # 2,000 requests (~2 min)
    BENCH_LOAD_REQUESTS=5000 .venv/bin/python -m bench load   # the issue's 5,000
    BENCH_LOAD_REQUESTS=20000 BENCH_LOAD_CONCURRENCY=64 .venv/bin/python -m bench load
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench.report import ROOT, percentile, show, table

REQUESTS = int(os.environ.get("BENCH_LOAD_REQUESTS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_LOAD_CONCURRENCY", "32"))
MIX = (("reserve", 0.30), ("gallery", 0.35), ("pledge", 0.15), ("summary", 0.20))
TIMEOUT_S = 30


@dataclass
class Outcome:
    kind: str
    status: int | None  # None: no answer (connection error or timeout)
    seconds: float
    error: str = ""


def start_stack(state: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    log = (state / "stack.log").open("w")
    env = {
        **os.environ,
        "PORT": "0",
        "LOCAL_STATE_DIR": str(state),
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "UPLOADS_PER_EMAIL_PER_DAY": "1000",
        "WRITES_PER_IP_PER_HOUR": "1000000",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    stack_file = state / "stack.json"
    deadline = time.monotonic() + 90
    while not stack_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("local stack did not start:\n" + (state / "stack.log").read_text())
        time.sleep(0.1)
    return process, json.loads(stack_file.read_text())


def stop_stack(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def plan(n: int, seed: int = 8) -> list[str]:
    rng = random.Random(seed)
    return rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX], k=n)


def reservation(unique: str) -> dict[str, Any]:
    return {
        "caption": "Chromatography set up for year 8",
        "display_name": "Sam",
        "school": "Hilltop Academy",
        "email": f"t{unique}@school.test",
        "content_type": "image/jpeg",
        "size_bytes": 2_000_000,
        "consent": True,
    }


def pledge(unique: str) -> dict[str, Any]:
    return {
        "name": "Ada",
        "email": f"p{unique}@school.test",
        "role": "teacher",
        "organisation": "Hilltop Academy",
        "show_on_wall": True,
    }


def run(api: str, kinds: list[str]) -> tuple[list[Outcome], float]:
    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session  # type: ignore[no-any-return]

    def one(kind: str) -> Outcome:
        unique = uuid.uuid4().hex[:10]
        started = time.perf_counter()
        try:
            if kind == "reserve":
                r = session().post(f"{api}/uploads", json=reservation(unique), timeout=TIMEOUT_S)
            elif kind == "gallery":
                r = session().get(f"{api}/photos", params={"limit": 20}, timeout=TIMEOUT_S)
            elif kind == "pledge":
                r = session().post(f"{api}/pledges", json=pledge(unique), timeout=TIMEOUT_S)
            else:
                r = session().get(f"{api}/pledges/summary", timeout=TIMEOUT_S)
            return Outcome(kind, r.status_code, time.perf_counter() - started)
        except requests.RequestException as exc:
            return Outcome(kind, None, time.perf_counter() - started, type(exc).__name__)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        outcomes = list(pool.map(one, kinds))
    return outcomes, time.perf_counter() - started


def main() -> str:
    state = Path(tempfile.mkdtemp(prefix="bench-load-"))
    process, stack = start_stack(state)
    try:
        api = str(stack["api_url"])
        requests.get(f"{api}/health", timeout=TIMEOUT_S)  # imports the upload handler
        kinds = plan(REQUESTS)
        outcomes, elapsed = run(api, kinds)
    finally:
        stop_stack(process)
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_kind[o.kind].append(o)
    rows = []
    for kind, _ in MIX:
        rows.append(_row(kind, by_kind[kind]))
    rows.append(_row("all", outcomes))
    answered = sum(o.status is not None for o in outcomes)
    lost = len(kinds) - answered
    errors = sum(o.status is None or o.status >= 500 for o in outcomes)
    headers = [
        "requests",
        "sent",
        "answered",
        "statuses",
        "p50 ms",
        "p99 ms",
        "errors",
        "not built",
    ]
    result = table(headers, rows)
    summary = (
        f"{len(kinds)} requests at concurrency {CONCURRENCY} in {elapsed:.1f} s: "
        f"{len(kinds) / elapsed:.0f} req/s; errors {errors}; lost {lost} "
        f"(goal: zero errors, none lost: {'met' if not errors and not lost else 'NOT met'})"
    )
    show(f"Load on the local stack: {summary}", result)
    print(f"stack log (kept for diagnosis): {state / 'stack.log'}")
    return f"""## Load on the local stack

Command: `.venv/bin/python -m bench load` (`BENCH_LOAD_REQUESTS`, `BENCH_LOAD_CONCURRENCY` to
change the {REQUESTS} requests at concurrency {CONCURRENCY}). The local stack (`python -m local`,
moto server + gateway, handlers in-process, each function one request at a time) on free ports;
a seeded mix of {", ".join(f"{k} {w:.0%}" for k, w in MIX)} (reserve = `POST /uploads`,
gallery = `GET /photos?limit=20`, pledge = `POST /pledges`, summary = `GET /pledges/summary`),
every email fresh. Errors = 5xx, connection errors or timeouts; lost = sent - answered;
"not built" = 404/501. This measures our code path on this machine, not AWS.

**{summary}**

{result}
"""


def _row(kind: str, outcomes: list[Outcome]) -> list[object]:
    statuses = Counter(str(o.status) if o.status is not None else o.error for o in outcomes)
    seconds = [o.seconds * 1000 for o in outcomes if o.status is not None]
    errors = sum(o.status is None or o.status >= 500 for o in outcomes)
    not_built = sum(o.status in (404, 501) for o in outcomes)
    return [
        kind,
        len(outcomes),
        sum(o.status is not None for o in outcomes),
        ", ".join(f"{s}x{n}" for s, n in sorted(statuses.items())),
        f"{percentile(seconds, 50):.0f}",
        f"{percentile(seconds, 99):.0f}",
        errors,
        not_built,
    ]


if __name__ == "__main__":
    main()
