# ktnas: two commands.
#   make app    create .venv, install from the lock, serve the Voila app on 127.0.0.1 (prints its URL)
#   make test   create or reuse .venv, install from the lock, run the whole test suite (browser tests included)
#
# Other targets:
#   make test-fast    the inner loop: no browser, no training, no slow scripts (under 3 minutes)
#   make lock         re-resolve requirements-lock.txt from pyproject.toml (pip-tools' pip-compile)
#   make test-latest  the newest releases that pyproject.toml's ranges allow, in .venv-latest, then the suite
#
# The lock pins every package but PyTorch, with hashes. TORCH_SPEC picks the PyTorch build, installed
# after the lock (its own dependencies come from the lock; `pip check` then proves they agree). The
# default is the CPU wheel these machines keep on disk; for CUDA, e.g.:
#   make app TORCH_SPEC="torch==2.13.0 --index-url <your CUDA wheel index>"

PYTHON      ?= python3
VENV        ?= .venv
LATEST_VENV ?= .venv-latest
TOOLS_VENV  ?= .venv-tools
TORCH_SPEC  ?= torch==2.13.0
HOST        ?= 127.0.0.1
PORT        ?= 8866
# pytest-xdist workers (browser tests stay together on one of them: tests/conftest.py)
WORKERS     ?= 2
PYTEST_ARGS ?=
LOCK        := requirements-lock.txt
PIP_TOOLS   := pip-tools==7.7.0
PIP_FLAGS   := --disable-pip-version-check --no-input
# The project's packages are compiled to bytecode at install (pip's default): where PYTHONDONTWRITEBYTECODE
# is set, as on CI machines, nothing is ever compiled later and every kernel and test process would parse
# every module from source (the app's kernel took 6.9-7.9 s to build the app instead of 3.6-4.2 s).
TOOL_FLAGS  := $(PIP_FLAGS) --no-compile
BIN         := $(VENV)/bin
STAMP       := $(VENV)/.ktnas-installed
FAST        := not browser and not training and not slow

.PHONY: app test test-fast test-latest install lock browser datasets tables check-tables bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Exactly the lock (hash-checked), then PyTorch, then ktnas itself without touching anything else.
# Reinstalls when the lock or pyproject.toml changes; tests/test_packaging.py fails if they disagree.
$(STAMP): $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/pip install $(PIP_FLAGS) --require-hashes --no-deps -r $(LOCK)
	$(BIN)/pip install $(PIP_FLAGS) $(TORCH_SPEC)
	$(BIN)/pip install $(PIP_FLAGS) --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	echo lock > $@

install: $(STAMP)

# One resolution for this platform and Python (CPython 3.11, Linux x86-64), every package pinned with
# its hashes, torch left to TORCH_SPEC (only its version constrains the resolution).
lock:
	test -x $(TOOLS_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(TOOLS_VENV) && \
	  $(TOOLS_VENV)/bin/pip install $(TOOL_FLAGS) $(PIP_TOOLS); }
	echo "$(firstword $(TORCH_SPEC))" > $(TOOLS_VENV)/torch-constraint.txt
	$(TOOLS_VENV)/bin/pip-compile --quiet --extra test --build-deps-for editable --generate-hashes \
	  --unsafe-package torch --constraint $(TOOLS_VENV)/torch-constraint.txt --strip-extras \
	  --no-emit-index-url --no-emit-find-links --no-emit-trusted-host --output-file $(LOCK) pyproject.toml

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
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile -m "$(FAST)" $(PYTEST_ARGS)

# Upstream drift, seen before users see it: no lock, the newest releases the ranges allow. Torch stays at
# TORCH_SPEC (the newest torch on the index is a multi-GB CUDA build); to try a newer one, name it there,
# e.g. make test-latest TORCH_SPEC=torch==2.14.1. Not part of .ci/run.
test-latest: browser datasets
	test -x $(LATEST_VENV)/bin/python || $(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/pip install $(PIP_FLAGS) $(TORCH_SPEC)
	echo "$(firstword $(TORCH_SPEC))" > $(LATEST_VENV)/torch-constraint.txt
	$(LATEST_VENV)/bin/pip install $(PIP_FLAGS) --upgrade --upgrade-strategy eager \
	  -c $(LATEST_VENV)/torch-constraint.txt -e ".[test]"
	echo latest > $(LATEST_VENV)/.ktnas-installed
	$(LATEST_VENV)/bin/pip freeze --exclude-editable > $(LATEST_VENV)/freeze.txt
	$(LATEST_VENV)/bin/python -m pytest -n $(WORKERS) --dist loadfile $(PYTEST_ARGS)

# Rebuild the shipped tables from ../shared/data, or check they rebuild byte for byte.
tables: install
	$(BIN)/python benchmarks/build_tables.py

check-tables: install
	$(BIN)/python benchmarks/build_tables.py --check

bench: install
	$(BIN)/python benchmarks/bench_load.py

clean:
	rm -rf $(VENV) $(LATEST_VENV) $(TOOLS_VENV) .pytest_cache .hypothesis build *.egg-info
