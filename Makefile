# The two commands of the README. Everything a fresh machine needs is installed here.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_RUN  := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
AXE        := tests/browser/node_modules/axe-core/axe.min.js

.PHONY: run test lint bench-import clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

# axe-core (accessibility checks of the browser tests) from the npm registry, as locked
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund
	touch $@

## make run: set up, create the embedded database, load Region Exempel if empty, serve on :8000
run: $(STAMP_RUN)
	$(BIN)/pks init --demo-if-empty
	$(BIN)/pks serve --host 127.0.0.1 --port 8000

## make test: set up with test extras and run the whole suite (SQLite and PostgreSQL), ruff and mypy
test: $(STAMP_TEST) $(AXE)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

lint: $(STAMP_TEST)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench-import: $(STAMP_TEST)
	$(BIN)/python bench/import_bench.py

clean:
	rm -rf $(VENV) pks-data .pytest_cache .mypy_cache .ruff_cache tests/browser/node_modules test-output
