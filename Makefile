# Set-up and the two everyday jobs. `make demo` and `make test` work on a fresh machine:
# they create .venv with Python >= 3.11 and install drugscenes into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo test lint bench clean

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

## Lint and run the whole test suite (pytest's "no tests collected", exit 5, is not a failure).
test: $(STAMP) lint
	$(BIN)/python -m pytest; status=$$?; [ $$status -eq 0 ] || [ $$status -eq 5 ]

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) demo .pytest_cache .ruff_cache
