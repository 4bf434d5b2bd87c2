"""Cold start: import-and-init time of every Lambda entry point, against bare boto3.

Each sample is a fresh `python -c` interpreter with the functions' placeholder environment. It
times `importlib.import_module(<handler module>)` plus the handler lookup (what Lambda's init
phase does), and then, as a second honest column, the first boto3 client the first request
makes (`shared.aws.client("dynamodb")`). The baseline is a bare handler that imports boto3 and
makes one client. Samples are interleaved round by round (baseline included, order shuffled),
so machine noise lands on every target alike; medians are compared as ratios.

    .venv/bin/python -m bench coldstart            # 15 rounds
    BENCH_COLDSTART_RUNS=31 .venv/bin/python -m bench coldstart
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.report import ROOT, median, show, table
from infra.wiring import WIRING, environment

RUNS = int(os.environ.get("BENCH_COLDSTART_RUNS", "15"))
GOAL = 1.25
BASELINE = "baseline"

# The function's environment with placeholder values: importing a handler must not need AWS.
ENV = {
    **environment(
        table_name="techognition",
        media_bucket="media",
        media_base_url="https://x/",
        settings={"EVENT_START": "2027-03-08", "EVENT_END": "2027-03-14"},
    ),
    "AWS_DEFAULT_REGION": "eu-west-2",
    "AWS_REGION": "eu-west-2",
    "POWERTOOLS_METRICS_DISABLED": "true",
}

_CHILD = """
import json, sys, time
target, attribute = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
if target == "baseline":
    import boto3
    boto3.client("dynamodb")
    t1 = t2 = time.perf_counter()
else:
    import importlib
    getattr(importlib.import_module(target), attribute)
    t1 = time.perf_counter()
    from shared.aws import client
    client("dynamodb")
    t2 = time.perf_counter()
print(json.dumps({"init": t1 - t0, "with_client": t2 - t0, "modules": len(sys.modules)}))
"""


@dataclass
class Target:
    name: str
    module: str
    attribute: str
    init: list[float] = field(default_factory=list)
    with_client: list[float] = field(default_factory=list)
    modules: int = 0


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "POWERTOOLS_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    return {**env, **ENV}


def import_in_child(name: str, command: list[str], cwd: Path, env: dict[str, str]) -> Any:
    """Runs a child that imports a handler and returns what it printed last (JSON measures)."""
    out = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if out.returncode:
        raise RuntimeError(f"{name}: import failed\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def sample(target: Target) -> None:
    command = [sys.executable, "-c", _CHILD, target.module, target.attribute]
    result = import_in_child(target.name, command, ROOT, _env())
    target.init.append(result["init"])
    target.with_client.append(result["with_client"])
    target.modules = result["modules"]


def built(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def measure(runs: int = RUNS) -> tuple[Target, list[Target], list[str]]:
    baseline = Target(BASELINE, BASELINE, "-")
    targets = [
        Target(fn.name, fn.module, fn.attribute) for fn in WIRING.functions if built(fn.module)
    ]
    missing = [fn.name for fn in WIRING.functions if not built(fn.module)]
    everyone = [baseline, *targets]
    for target in everyone:  # warm-up (bytecode caches, page cache), not counted
        sample(target)
        target.init.clear()
        target.with_client.clear()
    order = list(everyone)
    for _ in range(runs):
        random.shuffle(order)
        for target in order:
            sample(target)
    return baseline, targets, missing


def main() -> str:
    baseline, targets, missing = measure()
    base = median(baseline.init)
    rows: list[list[object]] = [
        [
            "bare boto3 + 1 client (baseline)",
            f"{base * 1000:.0f}",
            "1.00",
            f"{base * 1000:.0f}",
            "1.00",
            baseline.modules,
            "—",
        ]
    ]
    for t in targets:
        init, both = median(t.init), median(t.with_client)
        verdict = "meets" if init / base <= GOAL else "OVER"
        rows.append(
            [
                f"{t.name} (`{t.module}`)",
                f"{init * 1000:.0f}",
                f"{init / base:.2f}",
                f"{both * 1000:.0f}",
                f"{both / base:.2f}",
                t.modules,
                verdict,
            ]
        )
    rows.extend([name, "not built yet", "", "", "", "", ""] for name in missing)
    headers = [
        "entry point",
        "import+init ms (median)",
        "x baseline",
        "+ first boto3 client ms",
        "x baseline",
        "modules loaded",
        f"goal ≤ {GOAL}x",
    ]
    result = table(headers, rows)
    show(f"Cold start, median of {RUNS} fresh interpreters each (interleaved)", result)
    return f"""## Cold start

Command: `.venv/bin/python -m bench coldstart` (`BENCH_COLDSTART_RUNS` to change the {RUNS}
rounds). Each sample is a fresh interpreter that sets the functions' placeholder environment
and times `importlib.import_module(<handler module>)` + the handler lookup (Lambda's init
phase). The second pair of columns adds the first boto3 client the first request creates
(`shared.aws.client("dynamodb")`), for honesty: our handlers import boto3 lazily, so the
baseline's cost moves to the first request rather than vanishing. Baseline: a bare handler
that imports boto3 and creates `boto3.client("dynamodb")`. Samples are interleaved (shuffled
every round) so noise lands on every target alike. Goal: import+init ≤ {GOAL}x baseline.

{result}
"""


if __name__ == "__main__":
    main()
