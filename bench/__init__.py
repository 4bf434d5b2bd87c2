"""Benchmarks: `make bench` (= `python -m bench`) runs each module and records its figures.

Not tests: each module measures, prints a table, and returns a markdown section that
`bench.report` writes into docs/BENCHMARKS.md between its own markers. See docs/BENCHMARKS.md.
"""
