# `make demo` and `make test` bootstrap their own virtual environment on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LEDGER ?= qbo
QBO_COUNTRY ?= CA
QBO_AST ?= 0

.PHONY: demo test check lint bench clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ledger-sync demo --ledger $(LEDGER) --qbo-country $(QBO_COUNTRY) \
		$(if $(filter 1,$(QBO_AST)),--automated-sales-tax,--no-automated-sales-tax)

# Style, the layers (import-linter contracts in pyproject.toml) and types (mypy, strict on core and engine).
lint: $(STAMP)
	$(BIN)/ruff check ledger_sync tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

# Browser tests drive Debian's Chromium (Playwright's own browser download cannot work here).
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "chromium is not installed and this is not root: browser tests will be skipped"; fi

# Two pytest-xdist workers: this machine's two cores (most tests wait on servers and subprocesses).
test: $(STAMP) lint | $(CHROMIUM)
	$(BIN)/pytest -n 2 --dist worksteal

# The developers' fast tier (under 3 minutes on 2 cores): lint, then all but chaos, browser and end-to-end tests
# (the real sync flow on a Prefect server: tests/e2e, tests/corpus, tests/prefect_e2e).
check: $(STAMP) lint
	$(BIN)/pytest -n 2 --dist worksteal -m "not chaos and not e2e and not browser"

# Every figure of issue 16 beside its goal (about 20 minutes on a quiet 2-core machine, far longer on a loaded one;
# bigger sizes: `$(BIN)/python bench/all.py --help`).
# The one-call-per-record peer needs the official python-quickbooks SDK, which only the benchmark uses.
bench: $(STAMP)
	$(BIN)/pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/all.py

clean:
	rm -rf $(VENV) .ledger-sync .pytest_cache
