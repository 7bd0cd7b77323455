# Two commands do everything on a fresh machine:  make demo  and  make test.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements-bootstrap.lock requirements.lock pyproject.toml | sha256sum | cut -c1-12)
# Exactly the lock's files: no resolver (--no-deps; the locks are complete), wheels only, hashes checked,
# then pip check proves the set is consistent. The pinned pip of requirements-bootstrap.lock does it all.
PIP_INSTALL := $(PY) -m pip install -q --disable-pip-version-check --no-deps --require-hashes --only-binary :all:
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export OMP_THREAD_LIMIT := 1

.PHONY: demo test lint system venv lock bench bench-deps clean

demo: venv
	$(VENV)/bin/sohoa demo

test: venv lint
	SOHOA_DATA_DIR=$$(mktemp -d) $(PY) -m pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy sohoa flows ocr normalize linkage loaders review reports samples

system:
	@scripts/ensure-system.sh

venv: system $(STAMP)

$(STAMP): requirements-bootstrap.lock requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found): install python3.11 or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip >/dev/null
	$(PIP_INSTALL) -r requirements-bootstrap.lock
	$(PIP_INSTALL) -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	scripts/check-env.sh $(PY) requirements-bench.overrides
	@rm -f $(VENV)/.installed-* $(VENV)/.bench-* && touch $(STAMP)

# Re-pin every dependency (needs uv: pip install uv). Commit the new lock.
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock
	uv pip compile pyproject.toml --extra dev --extra bench --override requirements-bench.overrides \
	  --python-version 3.11 --generate-hashes -o requirements-bench.lock

# The peers the benchmarks measure sohoa against (img2table, Splink) go into .venv from their own lock
# (--no-deps: the lock is complete, and img2table's GUI OpenCV is overridden by the headless contrib build).
BENCH_STAMP := $(VENV)/.bench-$(shell cat requirements-bench.lock | sha256sum | cut -c1-12)

bench: bench-deps
	$(PY) benchmarks/samples_bench.py --pages 100
	$(PY) benchmarks/ocr_bench.py --pages 20 --style typed
	$(PY) benchmarks/report_bench.py --records 1000000 --db both
	$(PY) benchmarks/search_bench.py --records 300000 --db both
	$(PY) benchmarks/flow_bench.py --pages 200 --workers 1,2
	$(PY) benchmarks/link_bench.py --mentions 100000 --seed 4401

bench-deps: venv $(BENCH_STAMP)

$(BENCH_STAMP): requirements-bench.lock
	$(PIP_INSTALL) -r requirements-bench.lock
	scripts/check-env.sh $(PY) requirements-bench.overrides
	@rm -f $(VENV)/.bench-* && touch $(BENCH_STAMP)

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
