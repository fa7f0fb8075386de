# ktnas: two commands.
#   make app    create .venv, install, serve the Voila app on 127.0.0.1 (prints its URL)
#   make test   create or reuse .venv, install, run the whole test suite (browser tests included)
#
# TORCH_SPEC picks the PyTorch build installed before everything else. The default is the
# CPU wheel these machines keep on disk; for CUDA, e.g.:
#   make app TORCH_SPEC="torch==2.5.1 --index-url <your CUDA wheel index>"

PYTHON     ?= python3
VENV       ?= .venv
TORCH_SPEC ?= torch==2.13.0
HOST       ?= 127.0.0.1
PORT       ?= 8866
PYTEST_ARGS ?=
BIN        := $(VENV)/bin
STAMP      := $(VENV)/.ktnas-installed

.PHONY: app test install browser datasets tables check-tables bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check $(TORCH_SPEC)
	$(BIN)/pip install --disable-pip-version-check -e ".[test]"
	touch $@

install: $(STAMP)

# Debian's Chromium for the browser tests (never a browser download of a test tool).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# Debian's Fashion-MNIST for the real-training tests (the files land in /usr/share/datasets).
datasets:
	@test -d /usr/share/datasets/fashion-mnist || { \
	  echo "installing Debian's dataset-fashion-mnist for the training tests"; \
	  apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null; }

# Voila locked down (widgets/hosting.py: sources stripped, no files served, no code from the page);
# `make app DEMO=1` adds a runs folder per visitor and the demo limits (README: "Running a shared demo safely").
app: install
	@echo "ktnas app: http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	KTNAS_RUNS_DIR="$(CURDIR)/runs" $(BIN)/python -m widgets.hosting --host=$(HOST) --port=$(PORT) \
	  $(if $(filter 1 yes true,$(DEMO)),--demo)

test: install browser datasets
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Rebuild the shipped tables from ../shared/data, or check they rebuild byte for byte.
tables: install
	$(BIN)/python benchmarks/build_tables.py

check-tables: install
	$(BIN)/python benchmarks/build_tables.py --check

bench: install
	$(BIN)/python benchmarks/bench_load.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
