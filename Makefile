# Goteo: make demo | make test | make test-fast | make lint | make bench | make screenshots
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/goteo demo $(DEMO_ARGS)

# The whole suite: lint, types, unit, integration on SQLite, then on PostgreSQL, each spread
# over the machine's cores (at most four test processes; PYTEST_ARGS="-n 0" runs them in one).
XDIST ?= -n auto --maxprocesses 4 --dist worksteal
test: $(STAMP)
	$(MAKE) lint
	$(BIN)/python -m pytest -p no:cacheprovider $(XDIST) tests $(PYTEST_ARGS)
	GOTEO_TEST_DB=postgres $(BIN)/python -m pytest -p no:cacheprovider $(XDIST) tests/integration $(PYTEST_ARGS)

# The edit loop: lint, then everything but the tests marked slow, on SQLite only.
test-fast: $(STAMP)
	$(MAKE) lint
	$(BIN)/python -m pytest -p no:cacheprovider $(XDIST) -m "not slow" tests $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/mypy tests
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m benchmarks.send_throughput $(BENCH_ARGS)

# Screenshots of the web app's pages into docs/screenshots/ (needs Debian's chromium).
screenshots: $(STAMP)
	$(BIN)/python -m tests.e2e.screenshots docs/screenshots

clean:
	rm -rf $(VENV) .goteo .goteo-demo
