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
export MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR := false
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test test-slow test-spark test-browser test-notebooks test-readme test-all lint bench taxonomy clean help

help:
	@echo "make demo   - install, generate the demo world and run the main job end to end"
	@echo "make test   - install and run the default test suite"
	@echo "make test-slow | test-spark | test-browser | test-notebooks | test-readme | test-all | lint | bench | clean"

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
# setuptools: every logged model carries the project as a wheel built then (pip wheel --no-build-isolation).
# `mlflow models serve --env-manager virtualenv` also needs pyenv with this Python (docs/serving.md).
	$(PIP) install -q --upgrade pip "setuptools>=70.1"
	$(PIP) install -q $(TORCH)
	$(PIP) install -q -e ".[$(EXTRAS)]"
	@touch $@

install: $(VENV)/.installed

INDEXES ?= artifacts/demo/indexes
MODEL   ?= models:/recsys@champion
STORE   ?= stores/demo

# example world → validate → index → train (MLflow run, register, gate @champion) → evaluate →
# the live store (world loaded, the examples' résumé and job posting ingested) → shortlists from it
demo: install
	@test -f $(WORLD)/manifest.json || $(VENV)/bin/recsys generate --config configs/world-demo.yaml --out $(WORLD)
	$(VENV)/bin/recsys validate $(WORLD)
	$(VENV)/bin/recsys summary $(WORLD)
	$(VENV)/bin/recsys index build --world $(WORLD) --out $(INDEXES) --config configs/index.yaml
	$(VENV)/bin/recsys train --config configs/train.yaml --world $(WORLD) --indexes $(INDEXES)
	$(VENV)/bin/recsys evaluate --model $(MODEL) --world $(WORLD)
	$(VENV)/bin/recsys store init --store $(STORE) --world $(WORLD) --model $(MODEL)
	$(VENV)/bin/recsys ingest --store $(STORE) --model $(MODEL) examples/ingest/resume-priya.json \
	  examples/ingest/posting-data-engineer.json
	$(VENV)/bin/recsys shortlist --model $(MODEL) --store $(STORE) --k 10 --role $$($(PY) -c "import pandas as pd; \
	  r = pd.read_parquet('$(WORLD)/roles.parquet'); print(r.sort_values(['opened_at', 'role_id']).role_id.iloc[-1])")
	$(VENV)/bin/recsys shortlist --model $(MODEL) --store $(STORE) --k 5 --role JP-2025-017
	@echo "MLflow UI: $(VENV)/bin/mlflow ui --backend-store-uri sqlite:///mlflow.db"

test: install
	$(VENV)/bin/pytest -q

test-slow: install
	$(VENV)/bin/pytest -q -m slow

# Spark needs Java; pyspark is the [spark] extra.  Both are installed here when missing.
test-spark: install
	@command -v java >/dev/null || (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless)
	$(PIP) install -q -e ".[$(EXTRAS),spark]"
	$(VENV)/bin/pytest -q -m spark

# The recruiter page is tested in headless Chromium from Debian's packages, driven by Playwright
# (the [browser] extra; it uses that chromium, no browser download) with axe-core from npm.
AXE_CORE ?= axe-core@4.14.1
test-browser: install
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	@command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq npm)
	$(PIP) install -q -e ".[$(EXTRAS),browser]"
	@test -f .cache/browser/node_modules/axe-core/axe.min.js || npm install --silent --no-save \
	  --no-package-lock --no-audit --no-fund --prefix .cache/browser $(AXE_CORE)
	$(VENV)/bin/pytest -q -m browser

# Every numbered notebook, on tiny worlds written under artifacts/notebooks (nbmake runs each from
# notebooks/, hence the absolute folder); 03 trains and registers its own champion there.
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]-*.ipynb))
test-notebooks: install
	env -u MLFLOW_TRACKING_URI RECSYS_NOTEBOOK_DIR=$(CURDIR)/artifacts/notebooks \
	  $(VENV)/bin/pytest -q -p no:randomly --nbmake --nbmake-timeout=900 $(NOTEBOOKS)

# Every README command block, run in README order on a tiny world (tests/test_readme.py says how;
# 5-15 min on 2 cores, also part of test-slow) plus the fast static checks of the same blocks.
test-readme: install
	$(VENV)/bin/pytest -q -m "slow or not slow" tests/test_readme.py

test-all: test test-slow test-spark test-browser

# Benchmarks print JSON; sizes as in the issues (minutes each on 2 cores).  BUNDLE: a trained bundle
# folder (a model bundle: it serves WORLD).
BUNDLE ?= artifacts/train/bundle
bench: install
	$(PY) benchmarks/generate.py --sizes 10000 100000 1000000 --json
	$(PY) benchmarks/embedding.py --json
	$(PY) benchmarks/retrieval.py --n 1000000 --dim 384 --json
	$(PY) benchmarks/latency.py --model $(BUNDLE) --world $(WORLD) --candidates 1000000 --json
	$(PY) benchmarks/latency.py --model $(BUNDLE) --world $(WORLD) --candidates 100000 --http --seconds 60 --workers 2 --concurrency 16 --json
	$(PY) benchmarks/batch.py --model $(BUNDLE) --world $(WORLD) --pairs 100000 1000000 10000000 --json

taxonomy: install
	$(PY) scripts/build_taxonomy.py --src ../shared/data --out recsys/data/taxonomy

lint: install
	$(VENV)/bin/ruff check recsys recsys_training tests benchmarks scripts notebooks/*.py
	$(VENV)/bin/ruff format --check recsys recsys_training tests benchmarks scripts notebooks/*.py

clean:
	rm -rf worlds stores artifacts mlruns mlflow.db .cache .pytest_cache
