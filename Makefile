# 网格警务 — two commands on a fresh machine: `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
PYTHON ?= python3
PORT   ?= 8501
SCALE  ?= M
export PYTHONPATH := $(CURDIR)

.PHONY: run test test-fast lint bench demo migrate screenshots clean venv

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.dev

## make run: venv, database, demo city (first start only), then the app on http://localhost:$(PORT)
run: $(VENV)/.runtime
	$(PY) -m data_access demo --scale $(SCALE) --if-empty
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

## make test: the whole suite (unit, SQLite + PostgreSQL, AppTest, browser), 2 workers
test: $(VENV)/.dev
	$(PY) -m pytest -n 2 --dist loadgroup

test-fast: $(VENV)/.dev
	$(PY) -m pytest -n 2 -m "not e2e"

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

## make bench: benchmarks, results as JSON under bench/results/
bench: $(VENV)/.dev
	$(PY) -m bench

demo: $(VENV)/.runtime
	$(PY) -m data_access demo --scale $(SCALE)

migrate: $(VENV)/.runtime
	$(PY) -m data_access migrate

screenshots: $(VENV)/.dev
	$(PY) -m tests.e2e.screenshots

clean:
	rm -rf $(VENV) data .pytest_cache
