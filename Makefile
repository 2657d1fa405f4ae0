# Two commands on a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8501
WORKERS ?= 2

.PHONY: run serve stop test lint bench bench-class fixtures clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

run: $(VENV)/.runtime
	$(BIN)/streamlit run app.py --server.address $(HOST) --server.port $(PORT) --browser.gatherUsageStats false

# n workers behind nginx (Debian's nginx package); Ctrl+C or `make stop` stops them. See deploy/serve.py.
serve: $(VENV)/.runtime
	$(BIN)/python deploy/serve.py --workers $(WORKERS) --host $(HOST) --port $(PORT)

stop:
	$(BIN)/python deploy/serve.py --stop

lint: $(VENV)/.dev
	$(BIN)/ruff check .

# One test process per core, at most 4 (pytest-xdist); each file's tests stay in one process, in order, as some
# share a page. `.venv/bin/pytest FILE` runs a file in one process.
TEST_PROCESSES ?= auto

test: lint
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --maxprocesses 4 --dist loadfile

bench: $(VENV)/.dev
	@# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE, where a machine sets them, pin an older, slower kernel: time without them.
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python -m benchmarks

# The class load test: many sessions at once against 1 and 2 workers behind nginx (a few minutes; loopback only).
bench-class: $(VENV)/.dev
	$(BIN)/python -m benchmarks.class_load
	$(BIN)/python -m benchmarks.class_load --corpus --sessions 10 --workers 2

fixtures: $(VENV)/.dev
	$(BIN)/python tests/fixtures/make_fixtures.py
	$(BIN)/python tests/fixtures/make_models.py torch

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
