"""Cost model (`make cost`): the synthesized template x a usage profile x a prices file.

    .venv/bin/python -m infra.cost [--template [SCENARIO=]PATH ...]

What exists, how big and how it is billed comes from the TEMPLATE (template.py: each function's
memory and architecture, tracing, alarms, dashboards, log retention, the table's billing mode and
PITR, the CDN, the queues' event source mappings, anything with a standing charge). How much it
is used comes from docs/usage.json (usage.py: the busy week and the idle months), the prices from
docs/prices.json (prices.py: eu-west-2, free tier off). model.py turns the three into cost lines,
report.py into text, cli.py is `make cost`. A scenario with `settings` (e.g. monitoring off) is
costed on the template synthesized with those settings merged over cdk.json's. One scenario's
goal is checked; the others are compared with their goal for information. A report, not a gate:
it always exits 0.
"""

from infra.cost.cli import main
from infra.cost.model import FIXES, Line, estimate, operation_counts
from infra.cost.prices import Prices, load_prices
from infra.cost.report import Verdict, describe, render, sqs_polling_note, verdict
from infra.cost.template import Facts, Function, Standing, read_template, templates_for
from infra.cost.usage import Operation, Scenario, Usage, load_usage

__all__ = [
    "FIXES",
    "Facts",
    "Function",
    "Line",
    "Operation",
    "Prices",
    "Scenario",
    "Standing",
    "Usage",
    "Verdict",
    "describe",
    "estimate",
    "load_prices",
    "load_usage",
    "main",
    "operation_counts",
    "read_template",
    "render",
    "sqs_polling_note",
    "templates_for",
    "verdict",
]
