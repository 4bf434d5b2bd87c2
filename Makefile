# The two commands a newcomer needs: `make run` and `make test`. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := 1

.PHONY: run test unit lint synth deploy openapi bench cost clean screenshots

$(VENV_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## run: the whole backend locally on embedded AWS (moto server); Ctrl-C stops it
run: $(VENV_STAMP)
	$(PY) -m local

## test: lint, then every test (unit, integration, infra, e2e)
test: $(VENV_STAMP) $(NODE_STAMP) lint
	$(PY) -m pytest -q -n 2 --dist loadfile

unit: $(VENV_STAMP)
	$(PY) -m pytest -q tests/unit

lint: $(VENV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .

## screenshots: refresh docs/screenshots/ (the site at phone and desktop widths) from the browser tests
screenshots: $(VENV_STAMP)
	UPDATE_SCREENSHOTS=1 $(PY) -m pytest -q tests/e2e/test_site_pages.py tests/e2e/test_site_journeys.py

## openapi: regenerate docs/openapi.json from the handlers
openapi: $(VENV_STAMP)
	$(PY) -m local.openapi

synth: $(VENV_STAMP) $(NODE_STAMP)
	npx cdk synth --quiet

## deploy: cdk deploy (needs AWS credentials; see docs/OPERATIONS.md)
deploy: $(VENV_STAMP) $(NODE_STAMP)
	npx cdk deploy

## bench: every benchmark under bench/, figures into docs/BENCHMARKS.md
bench: $(VENV_STAMP)
	$(PY) -m bench

clean:
	rm -rf cdk.out .local .pytest_cache .mypy_cache .ruff_cache

## cost: the cost model (synthesized template x docs/usage.json x docs/prices.json); a report
cost: $(VENV_STAMP)
	$(PY) -m infra.cost
