# Aura Control Center — everyday commands. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Test processes running the suite in parallel (pytest-xdist), each with its own test database: one per
# core of a 2-core machine. PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= 2

.PHONY: install run test test-fast screenshots lint format worker browser wrk bench mutate clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## run: set up, migrate (presets and the model catalog load with the migrations), ensure an admin, serve
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: install what the tests need (Python packages, Debian's chromium) and run the whole suite in
## PYTEST_WORKERS processes; prints the ten slowest tests
test: install browser wrk
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --durations=10 $(PYTEST_ARGS)

## test-fast: everything but the browser tests and the slow ones (marked `slow`)
test-fast: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not e2e and not slow" $(PYTEST_ARGS)

## screenshots: run the browser scenarios, which save full-page screenshots in tests/e2e/screenshots/
screenshots: install browser
	$(BIN)/python -m pytest -m e2e $(PYTEST_ARGS)

## browser: Debian's chromium for the browser tests (never a downloaded browser build)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## wrk: Debian's wrk, the HTTP load generator of the benchmarks (and of their smoke test)
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "Installing Debian's wrk for the benchmarks"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

## bench: every benchmark on a throw-away `<name>_bench` database of DATABASE_URL's PostgreSQL server
## (SQLite when DATABASE_URL is not set); BENCH_ARGS, e.g. "--scale 0.1" or "export http"
BENCH_ARGS ?=
bench: install wrk
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

## worker: a Celery worker (needs CELERY_BROKER_URL)
worker: install
	$(BIN)/celery -A aura_site worker -l INFO

## mutate: mutation testing of the rules that guard money and models, on SQLite, MUTATE_CHILDREN workers
## in parallel, each with its own test database file; prints one score per target (see tests/MUTATION.md)
MUTATE_CHILDREN ?= 2
mutate: install
	rm -rf mutants
	env -u DATABASE_URL -u CELERY_BROKER_URL -u CELERY_RESULT_BACKEND \
	  $(BIN)/mutmut run --max-children $(MUTATE_CHILDREN) $$($(BIN)/python tests/mutation_report.py --patterns) \
	  > mutants.log 2>&1 || { tail -n 40 mutants.log; exit 1; }
	$(BIN)/python tests/mutation_report.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles
