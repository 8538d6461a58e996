# kubesvc: two commands do all the setup.  `make up` runs the system, `make test` checks it.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= ./data

.PHONY: up test lint typecheck unit bench deps clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

deps: $(STAMP)
	bash scripts/install-system-deps.sh

up: $(STAMP)
	$(BIN)/python -m kubesvc up --data-dir $(DATA_DIR)

lint: $(STAMP)
	$(BIN)/ruff check kubesvc tests bench
	$(BIN)/ruff format --check kubesvc tests bench

typecheck: $(STAMP)
	$(BIN)/mypy kubesvc

unit: $(STAMP)
	$(BIN)/pytest tests/unit

test: deps lint typecheck
	$(BIN)/pytest -n 2 --dist loadfile --durations=25 tests

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info
