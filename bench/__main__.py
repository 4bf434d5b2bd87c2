"""`python -m bench [NAME ...]`: run every benchmark (or the named ones) and record them.

Without names, each module found under bench/ runs in its own fresh interpreter (moto's mocks,
environment variables and import state never leak from one benchmark into the next). With
names, they run here. A module's `main()` prints its tables and returns its markdown section
(or None when it wrote its own with `bench.report.write_section`).
"""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys
import time

from bench.report import ROOT, write_section

# Order matters only for reading: the quick ones first.
MODULES = (
    "coldstart",
    "coldstart_bundled",
    "package_size",
    "calls",
    "hotkeys",
    "load",
    "images",
    "draw",
)


def available() -> list[str]:
    return [name for name in MODULES if importlib.util.find_spec(f"bench.{name}") is not None]


def run_one(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    section = module.main()
    if section:
        write_section(name, section)


def main(argv: list[str]) -> int:
    if argv:
        unknown = [n for n in argv if importlib.util.find_spec(f"bench.{n}") is None]
        if unknown:
            print(f"no such benchmark: {', '.join(unknown)}; have: {', '.join(available())}")
            return 2
        for name in argv:
            run_one(name)
        return 0
    failed = []
    for name in available():
        print(f"\n=== bench {name} ===", flush=True)
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "bench", name], cwd=ROOT, check=False)
        print(
            f"=== {name}: {'ok' if done.returncode == 0 else 'FAILED'} "
            f"in {time.monotonic() - started:.0f} s ===",
            flush=True,
        )
        if done.returncode:
            failed.append(name)
    missing = [n for n in MODULES if n not in available()]
    if missing:
        print(f"not present (skipped): {', '.join(missing)}")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
