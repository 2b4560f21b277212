# The two commands a newcomer needs: `make run` and `make test`. Nothing to install by hand.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint format bench setup clean browser lock cluster nginx compose

$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -qq --disable-pip-version-check -r requirements.lock
	touch $@

setup: $(VENV)/.installed

run: setup
	$(PY) scripts/run_stack.py

# With PostgreSQL's binaries here (Debian's `postgresql`), the suite runs again on a real
# PostgreSQL: a throwaway cluster of its own (scripts/postgres.py), no service, no Docker.
INITDB := $(firstword $(shell command -v initdb) $(wildcard /usr/lib/postgresql/*/bin/initdb))

# The production topology on this machine (scripts/cluster.py, README "Production").
cluster: setup nginx
	$(PY) scripts/cluster.py

test: setup browser nginx compose
	$(VENV)/bin/ruff check --quiet .
	$(VENV)/bin/ruff format --check --quiet .
	$(PY) -m pytest $(PYTEST_ARGS)
ifneq ($(INITDB),)
	TEST_DATABASE=postgres $(PY) -m pytest $(PYTEST_ARGS)
else
	@echo "No PostgreSQL (apt-get install postgresql): the suite ran on SQLite only."
endif

# Browser tests drive Debian's chromium (Playwright cannot download its own browsers here).
browser:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; } || \
	  { echo "Install Debian's chromium (apt-get install chromium) for the browser tests."; exit 1; }

# Debian's nginx: the reverse proxy of `make cluster` and its test (run as a child, no service).
nginx:
	@test -x /usr/sbin/nginx || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; } || \
	  { echo "Install Debian's nginx (apt-get install nginx) for make cluster."; exit 1; }

# Debian's docker-compose checks docker-compose.yml (`docker-compose config`; no engine needed).
compose:
	@command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq --no-install-recommends docker-compose >/dev/null; } || \
	  { echo "Install Debian's docker-compose (apt-get install docker-compose) for its test."; exit 1; }

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup
	$(PY) bench/run_all.py

lock:
	$(PY) -m pip install --quiet uv && $(VENV)/bin/uv pip compile pyproject.toml --group dev --python-version 3.11 --no-header -o requirements.lock

clean:
	rm -rf $(VENV) var
