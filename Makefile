# zeerec — the front door. On a fresh machine `make report` and `make test` are all you need:
# both create the virtual environment first when it is missing.
#
#   make report                      run notebooks 01..07 headless, write reports/
#   make report DATA=sample          ... on the synthetic sample
#   make report DATA=sample SCALE=25 ... on 25M synthetic ratings in ML-25M's shape (see README)
#   make report DATA=/path/to/ml-1m  ... on the files in that folder
#   make data DATASET=ml-25m         download a MovieLens release (default ml-1m) into data/raw
#   make report PARAMS="-p movie='Toy Story' -p top_n=5"   pass notebook parameters
#   make report SPARK=1              ... and 08 on Spark (Java 17 + '.[spark]'); SPARK=0 skips it
#   make report JOBS=1               ... one notebook at a time (default: two side by side)
#   make test                        unit tests + notebook smoke runs on a small sample
#   make lab                         JupyterLab on notebooks/ (project kernel, jupytext pairs)
#   make lock                        re-pin requirements-lock.txt after editing dependencies
#   make lock UPGRADE=1              ... moving every pin to the newest release that fits

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
DATA   ?= auto
DATASET ?= ml-1m
# millions of synthetic ratings for DATA=sample, in the shape of the nearest MovieLens release
SCALE  ?= 1
PARAMS ?=
# notebooks run side by side (each once those it reads from are done); 1: one at a time
JOBS   ?= 2
# notebook 08 (Spark): 1 runs it, 0 leaves it out, empty runs it when PySpark and Java are here
SPARK  ?=
STAMP  := $(VENV)/.installed
# Every package at one pinned version with its hashes, for Python 3.11-3.13 (the same
# version of a package on each, uv's "fewest" strategy); `make setup` installs exactly this.
LOCK   := requirements-lock.txt
LOCK_PYTHONS := 3.11 3.12 3.13
UPGRADE ?=

.PHONY: help setup lock data report test lab sync lint format clean

help:
	@sed -n '1,15p' Makefile

# Exactly the lock, nothing resolved on the day: --no-deps so that nothing outside the
# lock comes in, pip check so that a dependency added to pyproject.toml without
# `make lock` fails here, not at import time in a notebook.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	$(PY) -m ipykernel install --sys-prefix --name zeerec --display-name "Python (zeerec)"
	@touch $@

setup: $(STAMP)

# Run after changing dependencies in pyproject.toml (then `make setup`, and commit the
# lock). It keeps the pins it can; UPGRADE=1 moves every pin to the newest fitting release.
# Then it proves the locked set installs, from wheels alone and with nothing missing, on
# Linux x86_64 under each of LOCK_PYTHONS.
lock:
	@test -x $(UV) || { test -x $(PY) || $(PYTHON) -m venv $(VENV); $(PY) -m pip install -q uv; }
	$(UV) pip compile pyproject.toml --extra dev --universal --fork-strategy fewest \
	    --python-version 3.11 --generate-hashes --quiet $(if $(UPGRADE),--upgrade) -o $(LOCK)
	@sed -n 's/^\([a-z0-9][^ ]*==[^ ]*\).*/\1/p' $(LOCK) > $(VENV)/lock-pins.txt
	@for version in $(LOCK_PYTHONS); do \
	    $(UV) pip compile $(LOCK) --python-version $$version --only-binary :all: \
	        --python-platform x86_64-manylinux_2_28 --no-header --no-annotate --quiet \
	        -o $(VENV)/lock-check.txt || exit 1; \
	    if grep -vxF -f $(VENV)/lock-pins.txt $(VENV)/lock-check.txt; then \
	        echo "Python $$version needs the packages above, which $(LOCK) lacks"; exit 1; \
	    fi; \
	    echo "$(LOCK) installs on Python $$version (Linux x86_64, wheels only)"; \
	done

# DATASET=ml-10m, ml-20m, ml-25m, ml-32m or ml-latest-small: into data/raw/NAME, checked
# against the MD5 GroupLens publishes beside the archive; then make report DATA=data/raw/NAME.
data: $(STAMP)
	$(PY) -m zeerec data --dataset $(DATASET) --dest data/raw

report: $(STAMP)
	ZEEREC_SPARK=$(SPARK) $(PY) -m zeerec report --data "$(DATA)" --scale $(SCALE) --jobs $(JOBS) $(PARAMS)

test: $(STAMP)
	$(PY) -m pytest

# Served from the project root so that jupytext finds jupytext.toml: a notebook saved in
# Lab writes its .py twin too. Right-click a .py > Open With > Jupytext Notebook opens it.
lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks

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
