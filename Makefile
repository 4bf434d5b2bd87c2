# The two commands a newcomer needs: `make run` and `make test`. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := 1

.PHONY: run test suite chromium unit lint synth deploy preflight openapi bench cost clean screenshots

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

## test: Chromium for the browser tests (installed if missing), lint, then every test
# The Chromium check finishes before anything else starts (even with -j): it may stop at once.
test: chromium
	@$(MAKE) --no-print-directory suite

# lint, then every test (unit, integration, infra, e2e)
suite: $(VENV_STAMP) $(NODE_STAMP) lint
	$(PY) -m pytest -q -n 2 --dist loadfile

# Debian's chromium at /usr/bin/chromium: apt-get installs it (root or sudo), or it says how.
chromium:
	@$(PYTHON) scripts/ensure_chromium.py

unit: $(VENV_STAMP)
	$(PY) -m pytest -q tests/unit

lint: $(VENV_STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .

## screenshots: refresh docs/screenshots/ (the site at phone and desktop widths) from the browser tests
screenshots: chromium $(VENV_STAMP)
	UPDATE_SCREENSHOTS=1 $(PY) -m pytest -q tests/e2e/test_site_*.py

## openapi: regenerate docs/openapi.json from the handlers
openapi: $(VENV_STAMP)
	$(PY) -m local.openapi

synth: $(VENV_STAMP) $(NODE_STAMP)
	npx cdk synth --quiet

## preflight: check the target account and region before a deploy (AWS credentials; ARGS=--strict)
preflight: $(VENV_STAMP)
	$(PY) -m infra.preflight $(ARGS)

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
