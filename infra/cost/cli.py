"""`make cost`: print the model's report for every scenario of docs/usage.json."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path

from .model import estimate
from .prices import PRICES, Prices, load_prices
from .report import describe, render, sqs_polling_note
from .template import Facts, Template, custom_metric_names, read_template, templates_for
from .usage import USAGE, Usage, load_usage


def _template_argument(value: str) -> tuple[str, Path]:
    """`PATH` (the template of scenarios without settings) or `SCENARIO=PATH`."""
    name, sep, path = value.partition("=")
    return (name, Path(path)) if sep else ("", Path(value))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m infra.cost", description="Cost model (`make cost`)"
    )
    parser.add_argument(
        "--template",
        action="append",
        default=[],
        type=_template_argument,
        metavar="[SCENARIO=]PATH",
        help="a synthesized template, for the scenarios without settings or for SCENARIO "
        "(repeatable; default: synth each scenario's settings in-process)",
    )
    parser.add_argument("--usage", type=Path, default=USAGE)
    parser.add_argument("--prices", type=Path, default=PRICES)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    prices = load_prices(args.prices)
    usage = load_usage(args.usage)
    unknown = sorted(name for name, _ in args.template if name and name not in usage.scenarios)
    if unknown:
        known = sorted(usage.scenarios)
        parser.error(f"--template names unknown scenarios {unknown}; known: {known}")
    given = {name: json.loads(path.read_text(encoding="utf-8")) for name, path in args.template}
    templates = templates_for(usage.scenarios, given)
    facts = {name: read_template(template, prices) for name, template in templates.items()}
    print(_templates_read(prices, usage, templates, facts))
    metrics = custom_metric_names()
    for name, scenario in usage.scenarios.items():
        lines = estimate(facts[name], scenario, usage, prices, metrics)
        notes = sqs_polling_note(lines, scenario, usage) if scenario.goal_checked else []
        print()
        print(render(scenario.title, lines, scenario, notes))
    return 0  # a report, not a gate


def _templates_read(
    prices: Prices, usage: Usage, templates: Mapping[str, Template], facts: Mapping[str, Facts]
) -> str:
    """Where the prices come from, and what each distinct template holds (once each)."""
    out = [
        f"# Cost model ({prices.source.split(':')[0]})",
        f"Prices taken {prices.taken}: {prices.caveat}",
    ]
    described: set[int] = set()
    for name, scenario in usage.scenarios.items():
        if id(templates[name]) not in described:
            described.add(id(templates[name]))
            out.append(describe(facts[name], scenario.settings))
    return "\n".join(out)
