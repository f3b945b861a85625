# 大调解 portal — `make run` and `make test` are the two commands in the README.
# `make help` lists every target.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app app

.PHONY: help run serve test lint db-check install install-dev clean screenshots flask worker

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/activate:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/activate ## Install the portal into .venv (plus OS fonts/HarfBuzz where apt and root allow)
	@WITH_BROWSER=0 sh scripts/system-deps.sh
	$(BIN)/pip install -q -e .

install-dev: $(BIN)/activate ## Install the portal with test and lint tools (plus Chromium for browser tests)
	@WITH_BROWSER=1 sh scripts/system-deps.sh
	$(BIN)/pip install -q -e '.[dev]'

run: install ## Migrate the SQLite database, load demo data if empty, serve on 127.0.0.1:$(PORT)
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

serve: install ## Migrate the database and serve it with gunicorn (deploy/gunicorn.conf.py) on 127.0.0.1:$(PORT)
	$(FLASK) db upgrade
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:$(PORT) app:app

test: install-dev ## Run the whole test suite (DATABASE_URL=postgresql+psycopg://… runs it on PostgreSQL)
	HYPOTHESIS_STORAGE_DIRECTORY=$${TMPDIR:-/tmp}/portal-hypothesis $(BIN)/python -m pytest -n 2 -q

lint: install-dev ## ruff, mypy and the import-layer contract
	$(BIN)/ruff check portal tests
	$(BIN)/ruff format --check portal tests
	$(BIN)/mypy
	$(BIN)/lint-imports

screenshots: install-dev ## Run the browser tests and keep their screenshots in docs/screenshots/
	PORTAL_SCREENSHOTS=docs $(BIN)/python -m pytest -q -m browser -p no:cacheprovider

flask: install ## Any portal command in the venv: make flask ARGS='create-user wang --name 王芳 --org 城关 --role entry'
	$(FLASK) $(ARGS)

worker: install ## Run a batch-print worker (needs REDIS_URL)
	$(FLASK) print-worker

db-check: install ## Upgrade an empty database and check that models and migrations agree
	$(FLASK) db upgrade
	$(FLASK) db check

.PHONY: load faults
load: install-dev ## Load test: 50 users for 300 s on gunicorn + PostgreSQL + RQ (bench/load.py, docs/reliability.md)
	$(BIN)/python bench/load.py --users 50 --seconds 300

faults: install-dev ## The three fault runs under load: PostgreSQL restart, gunicorn worker kill, RQ worker kill
	$(BIN)/python bench/faults.py --users 50 --seconds 300

.PHONY: bench
bench: install-dev ## Run the benchmarks
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/pdf.py

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
