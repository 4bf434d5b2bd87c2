"""Package size: each function's deployable asset, as `cdk synth` bundles it, in MB unzipped.

Reads the synthesized template (`cdk.out/*.template.json`) to find each Lambda function's
asset directory. When `cdk.out` is missing or older than the sources, runs `npx cdk synth
--quiet --output <temp dir>` first (never touching the project's own cdk.out); if that fails,
measures the existing cdk.out and says it may be stale. For each asset: its size, its largest
top-level entries, what it bundles that the Lambda runtime already has (boto3, botocore,
s3transfer, urllib3, dateutil), and which bundled packages the handler never imports at init
(measured by importing the handler here and listing the top-level modules it loaded).

Goal: API functions under 15 MB unzipped; nothing bundled that the runtime has or the function
never imports.

    .venv/bin/python -m bench package_size
    BENCH_SYNTH=0 .venv/bin/python -m bench package_size   # measure cdk.out as it is
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.coldstart import ENV
from bench.report import ROOT, show, table
from infra.wiring import WIRING

MB = 1024 * 1024
GOAL_MB = 15
IN_RUNTIME = {"boto3", "botocore", "s3transfer", "urllib3", "dateutil"}
METADATA = (".dist-info", ".egg-info")


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _newest_source() -> float:
    return max(
        (
            p.stat().st_mtime
            for d in ("functions", "shared", "infra")
            for p in (ROOT / d).rglob("*.py")
        ),
        default=0.0,
    )


def assembly() -> tuple[Path, str]:
    """A cloud assembly directory to measure, and where it came from."""
    existing = ROOT / "cdk.out"
    templates = list(existing.glob("*.template.json"))
    fresh = templates and min(t.stat().st_mtime for t in templates) >= _newest_source()
    if fresh or (templates and os.environ.get("BENCH_SYNTH") == "0"):
        return existing, "cdk.out" + (" (up to date)" if fresh else " (BENCH_SYNTH=0: as is)")
    out = Path(tempfile.mkdtemp(prefix="bench-synth-"))
    env = {
        **os.environ,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CDK_DISABLE_VERSION_CHECK": "1",
    }
    done = subprocess.run(
        ["npx", "cdk", "synth", "--quiet", "--output", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == 0 and list(out.glob("*.template.json")):
        return out, f"fresh `npx cdk synth --quiet --output {out}`"
    reason = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["?"]
    if templates:
        return existing, f"cdk.out (MAY BE STALE: synth failed: {reason[0][:120]})"
    raise RuntimeError(f"no cloud assembly and synth failed: {reason}")


def assets(out: Path) -> dict[str, Path]:
    """handler dotted path -> its asset directory."""
    found: dict[str, Path] = {}
    for template in out.glob("*.template.json"):
        for resource in json.loads(template.read_text())["Resources"].values():
            path = resource.get("Metadata", {}).get("aws:asset:path")
            handler = resource.get("Properties", {}).get("Handler")
            if resource["Type"] == "AWS::Lambda::Function" and path and handler:
                found[handler] = out / path
    return found


def imported_at_init(module: str) -> set[str]:
    code = (
        "import importlib, json, sys; importlib.import_module(sys.argv[1]); "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, module],
        cwd=ROOT,
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    return set(json.loads(done.stdout)) if done.returncode == 0 else set()


def top_level(asset: Path) -> dict[str, int]:
    """Importable top-level names of an asset -> their size (dist-info and bin counted apart)."""
    sizes: dict[str, int] = {}
    for entry in asset.iterdir():
        name = entry.name.removesuffix(".py")
        if entry.name.endswith(METADATA) or name in ("bin", "docs"):
            name = "(metadata, bin, docs)"
        elif entry.suffix == ".so":
            name = entry.name.split(".")[0]
        sizes[name] = sizes.get(name, 0) + size_of(entry)
    return sizes


def main() -> str:
    out, source = assembly()
    try:
        return _measure(out, source)
    finally:
        if out.name.startswith("bench-synth-"):
            shutil.rmtree(out, ignore_errors=True)


def _measure(out: Path, source: str) -> str:
    by_handler = assets(out)
    rows = []
    notes = []
    seen: dict[Path, str] = {}
    for fn in WIRING.functions:
        asset = by_handler.get(fn.handler)
        if asset is None or not asset.exists():
            rows.append([fn.name, "no asset in the assembly", "", "", "", ""])
            continue
        sizes = top_level(asset)
        total = sum(sizes.values())
        api = bool(fn.routes)
        verdict = ("meets" if total / MB < GOAL_MB else "OVER") if api else "(no goal: not API)"
        runtime = sorted(IN_RUNTIME & set(sizes))
        imported = imported_at_init(fn.module)
        unused = sorted(
            n
            for n in sizes
            if n not in imported
            and not n.startswith("(")
            and not n.endswith(".libs")  # shared libraries of a binary module
            and n not in ("functions", "shared")
        )
        biggest = ", ".join(
            f"{n} {s / MB:.1f}" for n, s in sorted(sizes.items(), key=lambda kv: -kv[1])[:4]
        )
        rows.append(
            [
                fn.name,
                f"{total / MB:.1f}",
                verdict,
                ", ".join(runtime) or "none",
                ", ".join(unused) or "none",
                biggest,
            ]
        )
        if asset in seen:
            notes.append(
                f"{fn.name} shares its asset with {seen[asset]} (same package, same "
                "requirements: one upload)."
            )
        seen.setdefault(asset, fn.name)
    headers = [
        "function",
        "MB unzipped",
        f"goal < {GOAL_MB} MB (API)",
        "bundled but in the runtime",
        "bundled, not imported at init",
        "largest (MB)",
    ]
    result = table(headers, rows)
    show(f"Package size ({source})", result)
    origin = source.split(" (", maxsplit=1)[0]
    listed = "\n".join(f"- {n}" for n in notes)
    return f"""## Package size

Command: `.venv/bin/python -m bench package_size`. Measured from {origin}: each
Lambda function's asset directory as `cdk synth` bundles it (`infra/bundling.py`: our sources +
`pip install --platform manylinux2014_aarch64 --python-version 3.13 --only-binary=:all:
--no-compile`). "Not imported at init" = bundled top-level packages that importing the handler
here does not load (a request may still import some lazily, e.g. Pillow in the processor).

{result}

{listed}
"""


if __name__ == "__main__":
    main()
