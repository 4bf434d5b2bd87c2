"""Writes benchmark sections into docs/BENCHMARKS.md, each between its own markers.

A section named NAME lives between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->`;
writing it replaces only that span (or appends it), so every other section, marked or not,
stays as it was. Any bench module can call `write_section` itself, or just return its markdown
from `main()` and let `python -m bench` write it under the module's name.
"""

from __future__ import annotations

import platform
import statistics
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "BENCHMARKS.md"

HEADER = """# Benchmarks

Measured, not assumed. Every figure below comes from a benchmark under `bench/`, run with

    make bench                          # all of them (= .venv/bin/python -m bench)
    .venv/bin/python -m bench coldstart # one (or several) by name

Each benchmark prints its table and rewrites only its own section of this file (between its
`<!-- bench:NAME:start/end -->` markers); text outside the markers is kept. Machines are noisy:
absolute times mean little, so timings are given as ratios against a baseline measured in the
same run. None of this is asserted in tests.
"""


def start_marker(name: str) -> str:
    return f"<!-- bench:{name}:start -->"


def end_marker(name: str) -> str:
    return f"<!-- bench:{name}:end -->"


def write_section(name: str, markdown: str, doc: Path = DOC) -> None:
    """Replace (or append) the section `name` of the benchmarks document."""
    text = doc.read_text() if doc.exists() else HEADER
    start, end = start_marker(name), end_marker(name)
    block = f"{start}\n{markdown.strip()}\n\n_{stamp()}_\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)


def stamp() -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"measured {when}, Python {platform.python_version()} on {platform.machine()}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table (also readable when printed)."""
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def show(title: str, markdown_table: str) -> None:
    print(f"\n{title}\n{markdown_table}", flush=True)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def python() -> str:
    return sys.executable
