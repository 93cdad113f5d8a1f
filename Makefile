# The two commands of the README: `make run` and `make test`. Each creates the
# virtualenv it needs from nothing but Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Test processes in parallel: one per core (pytest-xdist's "auto"). A test module runs
# whole on one worker (--dist loadscope), so the servers it shares among its tests
# (module-scoped fixtures) start once, not once per worker.
TEST_WORKERS ?= auto

.PHONY: run test test-unit lint typecheck check docs docs-check omdb-sim demo fuzz clean

# pip fetches uv (pinned in constraints.txt), uv installs the pinned set: about half a
# minute on a fresh 2-core machine, where pip alone took a minute and a half. Bytecode is
# compiled at install: where PYTHONDONTWRITEBYTECODE is set (as on these machines) Python
# would otherwise compile every imported library again in every process it starts.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## Set up and run the service on the embedded defaults (SQLite file, in-process cache).
run: $(STAMP)
	$(BIN)/movies-api serve

## Set up and run every check and test, in parallel, with coverage. PostgreSQL and Redis
## tests need the local servers and the browser tests Debian's chromium; without them
## those tests skip with the reason (CI sets MOVIES_TEST_REQUIRE_SERVERS=1: they fail).
test: $(STAMP) lint typecheck
	$(BIN)/python -m compileall -q src  # the tests start hundreds of processes that import it
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --durations=15 --cov --cov-report=term

## Unit tests only: no servers needed (Cloud Build runs these).
test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

## The code reference: pdoc renders every module's docstrings into site/ (open
## site/index.html). Warnings are errors, so a docstring pdoc cannot render fails the
## build (CI runs this). Alembic's env.py only runs inside Alembic, so it is left out.
docs: $(STAMP)
	rm -rf site
	$(BIN)/python -W error -m pdoc --output-directory site movies_api '!movies_api.db.migrations'

## The offline demo: the OMDb simulator on :8001, the service on :8000 seeded from it
## into a fresh demo.db, and an API key printed for the README's examples.
demo: $(STAMP)
	BIN=$(BIN) bash scripts/demo.sh

## Contract fuzzing: schemathesis against a live seeded service, with and without a key
## (FUZZ_EXAMPLES per operation and phase, default 100; ports FUZZ_PORT, FUZZ_SIM_PORT).
fuzz: $(STAMP)
	BIN=$(BIN) bash scripts/fuzz.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage* htmlcov site
