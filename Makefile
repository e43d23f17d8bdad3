# Two commands on a fresh machine with Python 3.11+:
#   make run   - venv, install, migrate, demo users, gunicorn on http://127.0.0.1:8000
#   make test  - venv, install, ruff, mypy, pytest (DATABASE_URL, SQLite when unset)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck pytest install node-deps migrate seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo --with-data

# lifecycle.welcome prints the URLs, demo logins and client commands once the server answers;
# exec makes gunicorn its parent, so it gives up if gunicorn exits first.
run: seed
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python -m lifecycle.welcome http://$(HOST):$(PORT) & \
	exec $(BIN)/gunicorn reflective.wsgi:application -c gunicorn.conf.py --bind $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

# The node-seal client test (tests/node) and the TypeScript client (clients/typescript) need
# their npm packages, installed from their lockfiles; skipped without node.
node-deps:
	@if command -v node >/dev/null 2>&1; then npm ci --prefix tests/node --no-audit --no-fund; fi
	@if command -v node >/dev/null 2>&1; then npm ci --prefix clients/typescript --no-audit --no-fund; fi

pytest: install node-deps
	$(BIN)/pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) reflective.sqlite3 staticfiles .pytest_cache .mypy_cache .ruff_cache

# docs/SCALING.md: two app nodes behind haproxy, a synchronous replica, Redis, and a
# failover under load, as private instances on this machine (installs haproxy if absent).
.PHONY: cluster-drill cluster-measure
cluster-drill: install
	deploy/cluster/drill.sh

cluster-measure: install
	$(BIN)/python bench/cluster_measure.py
