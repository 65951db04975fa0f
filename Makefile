# Goteo: make demo | make test | make test-fast | make lint | make bench
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/goteo demo $(DEMO_ARGS)

# The whole suite: lint, types, unit, integration on SQLite, then on PostgreSQL.
test: $(STAMP)
	$(MAKE) lint
	$(BIN)/python -m pytest -p no:cacheprovider tests $(PYTEST_ARGS)
	GOTEO_TEST_DB=postgres $(BIN)/python -m pytest -p no:cacheprovider tests/integration $(PYTEST_ARGS)

# The edit loop: lint, then everything but the tests marked slow, on SQLite only.
test-fast: $(STAMP)
	$(MAKE) lint
	$(BIN)/python -m pytest -p no:cacheprovider -m "not slow" tests $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/mypy tests
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m benchmarks.send_throughput $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .goteo .goteo-demo
