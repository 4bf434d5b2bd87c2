"""Cold start as Lambda runs it: the asset as bundled, on CPython 3.13, read-only.

`bench coldstart` imports from this checkout on the venv's Python with a warm `__pycache__`, so
it never sees what a real cold start pays: Lambda's code directory is read-only, and whatever
module has no `.pyc` for the runtime's exact Python is compiled from source at every start.
This benchmark builds each function's asset with the project's own bundler
(`infra/bundling.py`: pruned, bytecode compiled by CPython 3.13), only for this machine's
processor instead of arm64, plus a "runtime" directory holding boto3 precompiled as Lambda's
python3.13 runtime does. Each sample is a fresh CPython 3.13 (`infra/runtime_python.py`) with
`PYTHONDONTWRITEBYTECODE=1`, `/var/task`-style `sys.path` (asset, then runtime), the functions'
placeholder environment, timing the handler import plus the first boto3 client.

Columns: the asset as bundled now; the same asset with its `.pyc` files removed (what was
bundled before, `--no-compile`: boto3 precompiled, everything else from source); and the
baseline, a bare `import boto3; boto3.client("dynamodb")` on the same runtime directory.
Samples are interleaved round by round (order shuffled), medians compared as ratios.

    .venv/bin/python -m bench coldstart_bundled
    BENCH_BUNDLED_RUNS=15 .venv/bin/python -m bench coldstart_bundled
"""

from __future__ import annotations

import os
import platform
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bench.coldstart import ENV, GOAL, import_in_child
from bench.report import ROOT, median, show, table
from infra import runtime_python
from infra.bundling import LocalBundler, asset_hash, compile_bytecode, pip_command
from infra.wiring import WIRING

RUNS = int(os.environ.get("BENCH_BUNDLED_RUNS", "7"))
CACHE = ROOT / "bench" / ".cache" / "lambda"
HOST_PLATFORM = {"x86_64": "manylinux2014_x86_64", "aarch64": "manylinux2014_aarch64"}[
    platform.machine()
]

_CHILD = """
import json, sys, time
target, attribute = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
if target == "baseline":
    import boto3
    boto3.client("dynamodb")
elif target == "floor":
    exec(attribute)
else:
    import importlib
    getattr(importlib.import_module(target), attribute)
    from shared.aws import client
    client("dynamodb")
t1 = time.perf_counter()
print(json.dumps({"with_client": t1 - t0, "modules": len(sys.modules)}))
"""


# What any function of this design imports before a line of its own (STYLE.md: Powertools'
# logger and metrics, pydantic, an HTTP resolver with validation or a batch processor), plus the
# first client: the least an entry point can cost, shown beside the baseline in the same run.
def _floor(stack: str) -> str:
    return (
        "import functions; from shared.observability import logger, metrics; "
        f"from pydantic import BaseModel; {stack}; "
        "from shared.aws import client; client('dynamodb')"
    )


FLOORS = {
    "floor: HTTP API stack, no routes": (
        "pledge-api",
        _floor(
            "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver; "
            "from aws_lambda_powertools.event_handler.openapi.params import Path; "
            "APIGatewayHttpResolver(enable_validation=True)"
        ),
    ),
    "floor: SQS batch stack, no handler": (
        "outbox",
        _floor(
            "from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType; "
            "BatchProcessor(event_type=EventType.SQS)"
        ),
    ),
}


@dataclass
class Variant:
    name: str
    module: str
    attribute: str
    path: list[Path]
    with_client: list[float] = field(default_factory=list)
    modules: int = 0


def _built(directory: Path, build: object) -> Path:
    """A cached build: `build(dir)` runs once per input hash (its name), then is reused."""
    done = directory / ".built"
    if not done.exists():
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        build(directory)  # type: ignore[operator]
        done.touch()
    return directory


def runtime_dir() -> Path:
    """boto3 as the python3.13 runtime ships it: installed, and compiled for its Python."""

    def build(out: Path) -> None:
        subprocess.run(pip_command(str(out), ("boto3",), HOST_PLATFORM), check=True)
        compile_bytecode(out)

    return _built(CACHE / f"runtime-{HOST_PLATFORM}", build)


def assets() -> dict[str, tuple[Path, Path]]:
    """Per function: (the asset as bundled, the same without bytecode: hard links, no pycs)."""
    found = {}
    for fn in WIRING.functions:
        name = f"{fn.name}-{asset_hash(fn)[:12]}-{HOST_PLATFORM}"
        bundled = _built(
            CACHE / name,
            lambda out, fn=fn: LocalBundler(fn, platform=HOST_PLATFORM).try_bundle(str(out), None),
        )

        def strip(out: Path, source: Path = bundled) -> None:
            shutil.rmtree(out)
            shutil.copytree(source, out, copy_function=os.link)
            for cache in out.rglob("__pycache__"):
                shutil.rmtree(cache)

        found[fn.name] = (bundled, _built(CACHE / f"{name}-source", strip))
    return found


def sample(variant: Variant, python: list[str]) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        **ENV,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": os.pathsep.join(str(p) for p in variant.path),
    }
    env.pop("POWERTOOLS_METRICS_DISABLED", None)
    command = [*python, "-s", "-c", _CHILD, variant.module, variant.attribute]
    result = import_in_child(variant.name, command, variant.path[0], env)
    variant.with_client.append(result["with_client"])
    variant.modules = result["modules"]


def main() -> str:
    python = runtime_python.interpreter()
    runtime = runtime_dir()
    baseline = Variant("baseline", "baseline", "-", [runtime])
    built = assets()
    rows_of: list[tuple[str, Variant, Variant]] = []
    for fn in WIRING.functions:
        bundled, source = built[fn.name]
        rows_of.append(
            (
                fn.name,
                Variant(fn.name, fn.module, fn.attribute, [bundled, runtime]),
                Variant(fn.name, fn.module, fn.attribute, [source, runtime]),
            )
        )
    floors = [
        Variant(name, "floor", code, [built[asset][0], runtime])
        for name, (asset, code) in FLOORS.items()
    ]
    everyone = [baseline, *floors, *[v for _, now, before in rows_of for v in (now, before)]]
    for variant in everyone:  # warm-up (page cache), not counted
        sample(variant, python)
        variant.with_client.clear()
    for _ in range(RUNS):
        random.shuffle(everyone)
        for variant in everyone:
            sample(variant, python)

    base = median(baseline.with_client)
    rows: list[list[object]] = [
        [
            "bare boto3 + 1 client (baseline)",
            f"{base * 1000:.0f}",
            "1.00",
            "",
            "",
            baseline.modules,
            "—",
        ]
    ]
    for floor in floors:
        least = median(floor.with_client)
        rows.append(
            [floor.name, f"{least * 1000:.0f}", f"{least / base:.2f}", "", "", floor.modules, "—"]
        )
    for name, as_bundled, from_source in rows_of:
        now, before = median(as_bundled.with_client), median(from_source.with_client)
        rows.append(
            [
                name,
                f"{now * 1000:.0f}",
                f"{now / base:.2f}",
                f"{before * 1000:.0f}",
                f"{before / base:.2f}",
                as_bundled.modules,
                "meets" if now / base <= GOAL else "OVER",
            ]
        )
    headers = [
        "entry point",
        "as bundled ms (median)",
        "x baseline",
        "without bytecode ms",
        "x baseline",
        "modules loaded",
        f"goal ≤ {GOAL}x",
    ]
    result = table(headers, rows)
    show(f"Cold start as bundled (CPython 3.13, read-only, median of {RUNS})", result)
    sizes = table(
        ["asset", "MB unzipped", "files", ".pyc files"],
        [
            [name, f"{_size(asset) / 1e6:.1f}", _count(asset, "*"), _count(asset, "*.pyc")]
            for name, (asset, _) in built.items()
        ],
    )
    show("Asset sizes as bundled", sizes)
    return f"""## Cold start as bundled

Command: `.venv/bin/python -m bench coldstart_bundled` (`BENCH_BUNDLED_RUNS`, default {RUNS}).
Each function's asset is built by the project's bundler (pruned, bytecode compiled by CPython
3.13 with `--invalidation-mode unchecked-hash`), for this machine's processor rather than arm64,
and run by CPython 3.13 (`infra/runtime_python.py`) with `PYTHONDONTWRITEBYTECODE=1`, as
Lambda's read-only `/var/task` does. boto3 comes from a runtime directory compiled the same way,
as the python3.13 runtime ships it. Each sample times the handler import plus the first boto3
client (`shared.aws.client("dynamodb")`); the baseline is `import boto3;
boto3.client("dynamodb")` on the same runtime directory. "Without bytecode" is the same asset
with its `.pyc` files removed: what the `--no-compile` bundle made every cold start pay.
The two "floor" rows import only what every function of this design needs before its own
code (Powertools' logger and metrics, pydantic, an HTTP resolver with validation or a batch
processor, `functions/__init__`) plus the first client: no entry point can start faster.
Goal: ≤ {GOAL}x the baseline.

{result}

Asset sizes (the same bundles; `.pyc` roughly doubles the Python part, the zip compresses it):

{sizes}
"""


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _count(path: Path, pattern: str) -> int:
    return sum(1 for p in path.rglob(pattern) if p.is_file())


if __name__ == "__main__":
    main()
