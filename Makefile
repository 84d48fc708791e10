# Set-up and the two everyday jobs. `make demo` and `make test` work on a fresh machine:
# they create .venv with Python >= 3.11 and install drugscenes into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo test lint bench clean postgis postgis-stop serve-demo

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "drugscenes needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

## Build the demo county and its report (open demo/demo.gpkg in QGIS).
demo: $(STAMP)
	$(BIN)/drugscenes demo --out demo

## Lint and run the whole test suite; a run in which no test ran fails (pytest's exit 5).
test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

## Start a throwaway PostgreSQL + PostGIS server in .postgis/ (local, no password, for
## trying the shared workspace; no real survey data) and print the URL to give every
## command, e.g. `drugscenes init URL --municipalities F`, `drugscenes summary URL`.
postgis: $(STAMP)
	$(BIN)/python -m drugscenes.store.postgis.localserver start .postgis

postgis-stop: $(STAMP)
	$(BIN)/python -m drugscenes.store.postgis.localserver stop .postgis

## The agencies' web app on the demo county: builds it once into .drugscenes-web/, copies
## it into a throwaway local PostGIS server there, prints one demo login per role (new
## passwords at every start) and serves http://127.0.0.1:8000/ until Ctrl-C.
serve-demo: $(STAMP)
	$(BIN)/drugscenes serve --demo

clean:
	rm -rf $(VENV) demo .pytest_cache .ruff_cache
