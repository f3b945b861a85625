# 大调解 portal — `make run` and `make test` are the two commands in the README.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app app

.PHONY: help run test lint bench db-check install install-dev system-deps clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/activate:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/activate system-deps ## Install the portal into .venv
	$(BIN)/pip install -q -e .

install-dev: $(BIN)/activate system-deps ## Install the portal with test and lint tools
	$(BIN)/pip install -q -e '.[dev]'

system-deps: ## Install OS packages (HarfBuzz subsetting, CJK fonts, Chromium) where apt and root allow
	@sh scripts/system-deps.sh

run: install ## Migrate the SQLite database, load demo data if empty, serve on 127.0.0.1:$(PORT)
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install-dev ## Run the whole test suite
	$(BIN)/python -m pytest -n 2 -q

lint: install-dev ## ruff and mypy
	$(BIN)/ruff check portal tests bench
	$(BIN)/ruff format --check portal tests bench
	$(BIN)/mypy

db-check: install ## Upgrade an empty database and check that models and migrations agree
	$(FLASK) db upgrade
	$(FLASK) db check

bench: install-dev ## Run the benchmark scripts
	$(BIN)/python bench/ledger.py

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
