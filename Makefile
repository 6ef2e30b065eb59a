# Two commands set everything up on a fresh machine:  `make demo`  and  `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# torch first, pinned: an unpinned torch pulls a multi-GB CUDA build; 2.13.0 is the CPU wheel.
TORCH  ?= torch==2.13.0
EXTRAS ?= dev,serve,notebooks
WORLD  ?= worlds/demo
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export MLFLOW_DISABLE_TELEMETRY := true
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test test-slow test-spark test-browser test-all lint taxonomy clean help

help:
	@echo "make demo   - install, generate the demo world and run the main job end to end"
	@echo "make test   - install and run the default test suite"
	@echo "make test-slow | test-spark | test-browser | test-all | lint | bench | clean"

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q $(TORCH)
	$(PIP) install -q -e ".[$(EXTRAS)]"
	@touch $@

install: $(VENV)/.installed

demo: install
	@test -f $(WORLD)/manifest.json || $(VENV)/bin/recsys generate --config configs/world-demo.yaml --out $(WORLD)
	$(VENV)/bin/recsys validate $(WORLD)
	$(VENV)/bin/recsys summary $(WORLD)

test: install
	$(VENV)/bin/pytest -q

test-slow: install
	$(VENV)/bin/pytest -q -m slow

# Spark needs Java; pyspark is the [spark] extra.  Both are installed here when missing.
test-spark: install
	@command -v java >/dev/null || (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless)
	$(PIP) install -q -e ".[$(EXTRAS),spark]"
	$(VENV)/bin/pytest -q -m spark

# The recruiter page is tested in headless Chromium from Debian's packages.
test-browser: install
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	$(VENV)/bin/pytest -q -m browser

test-all: test test-slow test-spark test-browser

taxonomy: install
	$(PY) scripts/build_taxonomy.py --src ../shared/data --out recsys/data/taxonomy

lint: install
	$(VENV)/bin/ruff check recsys training tests benchmarks scripts
	$(VENV)/bin/ruff format --check recsys training tests benchmarks scripts

clean:
	rm -rf worlds artifacts mlruns mlflow.db .cache .pytest_cache
