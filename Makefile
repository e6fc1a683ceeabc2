# 网格警务 — two commands on a fresh machine: `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
PYTHON ?= python3
PORT   ?= 8501
SCALE  ?= M
export PYTHONPATH := $(CURDIR)

.PHONY: run test test-fast lint bench demo migrate screenshots clean venv sysdeps cluster cluster-stop

## the Debian packages (chromium, postgresql, fonts-noto-cjk, nginx, python3-venv) when missing
sysdeps:
	@bash scripts/system-deps.sh

$(VENV)/.runtime: requirements.txt | sysdeps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.dev

## make run: venv, database, demo city (first start only), then the app on http://localhost:$(PORT)
run: sysdeps $(VENV)/.runtime
	$(PY) -m data_access demo --scale $(SCALE) --if-empty
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

## make test: the whole suite (unit, SQLite + PostgreSQL, AppTest, browser), 2 workers
test: sysdeps $(VENV)/.dev
	$(PY) -m pytest -n 2 --dist loadgroup

test-fast: $(VENV)/.dev
	$(PY) -m pytest -n 2 -m "not e2e"

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

## make bench: benchmarks, results as JSON under bench/results/
bench: $(VENV)/.dev
	$(PY) -m bench

## make cluster: PostgreSQL primary + read replica, demo city (S) if empty, app replicas on
## 127.0.0.1:8511-8513 and nginx on 127.0.0.1:8080 (deploy/cluster.py); make cluster-stop ends it all
cluster: sysdeps $(VENV)/.runtime
	$(PY) -m deploy.cluster start

cluster-stop: $(VENV)/.runtime
	$(PY) -m deploy.cluster stop

demo: $(VENV)/.runtime
	$(PY) -m data_access demo --scale $(SCALE)

migrate: $(VENV)/.runtime
	$(PY) -m data_access migrate

screenshots: sysdeps $(VENV)/.dev
	$(PY) -m tests.e2e.screenshots

clean:
	rm -rf $(VENV) data .pytest_cache
