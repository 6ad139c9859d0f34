# zeerec — the front door. On a fresh machine `make report` and `make test` are all you need:
# both create the virtual environment first when it is missing.
#
#   make report                      run notebooks 01..07 headless, write reports/
#   make report DATA=sample          ... on the synthetic sample
#   make report DATA=/path/to/ml-1m  ... on the files in that folder
#   make report PARAMS="-p movie='Toy Story' -p top_n=5"   pass notebook parameters
#   make test                        unit tests + notebook smoke runs on a small sample

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DATA   ?= auto
PARAMS ?=
STAMP  := $(VENV)/.installed

.PHONY: help setup data report test lab sync lint format clean

help:
	@sed -n '1,12p' Makefile

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name zeerec --display-name "Python (zeerec)"
	@touch $@

setup: $(STAMP)

data: $(STAMP)
	$(PY) -m zeerec data --dest data/raw

report: $(STAMP)
	$(PY) -m zeerec report --data "$(DATA)" $(PARAMS)

test: $(STAMP)
	$(PY) -m pytest

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

sync: $(STAMP)
	$(VENV)/bin/jupytext --sync notebooks/*.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks notebooks/*.py
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

clean:
	rm -rf reports/*.html reports/metrics.json reports/failed reports/.staging-* \
	       data/processed/* data/sample data/models .pytest_cache .ruff_cache
	@touch data/processed/.gitkeep
