# The two commands of the README: `make run` and `make test`. Each creates the
# virtualenv it needs from nothing but Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-unit lint typecheck check docs-check omdb-sim demo clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## Set up and run the service on the embedded defaults (SQLite file, in-process cache).
run: $(STAMP)
	$(BIN)/movies-api serve

## Set up and run every check and test (PostgreSQL and Redis tests need the local servers).
test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest --cov --cov-report=term

## Unit tests only: no servers needed (Cloud Build runs these).
test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

## The offline demo: a local OMDb simulator and the service seeded from it.
demo: $(STAMP)
	$(BIN)/movies-api omdb-sim --port 8001 & SIM=$$!; \
	trap 'kill $$SIM 2>/dev/null' EXIT INT TERM; \
	MOVIES_OMDB_BASE_URL=http://127.0.0.1:8001/ MOVIES_OMDB_API_KEY=demo \
	MOVIES_DATABASE_URL=sqlite:///demo.db $(BIN)/movies-api serve

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage* htmlcov
