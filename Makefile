# Syllabus — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# pytest-xdist workers; "auto" = one per core
WORKERS ?= auto
export SYLLABUS_DATA_DIR ?= $(CURDIR)/var

.PHONY: install interop lock lint demo serve test test-postgres bench messages clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: Syllabus needs Python 3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Exact versions come from requirements.lock (`make lock` writes it from pyproject.toml); a
# dependency added to pyproject.toml but not yet locked still installs, and
# tests/test_dependencies.py fails until `make lock` pins it.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test,lint]'
	touch $@

lock: | $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra test --extra lint --strip-extras --no-emit-index-url \
	  --no-emit-find-links --output-file requirements.lock pyproject.toml

# ruff (pyflakes, bugbear, Django, datetime, import rules) and mypy with django-stubs
lint: install
	$(BIN)/ruff check syllabus tests bench
	$(BIN)/mypy

# independent identity providers and citation readers for the interoperability tests (docs/interop.md), exact versions
# from scripts/interop/package-lock.json; needs Node.js 20+ and npm
INTEROP := scripts/interop
$(INTEROP)/node_modules/.installed: $(INTEROP)/package.json $(INTEROP)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm not found: the interoperability tests need Node.js 20+ and npm"; exit 1; }
	npm ci --prefix $(INTEROP) --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed

interop: $(INTEROP)/node_modules/.installed

# SITE_URL: the letters the demo prints link to this server (unless set otherwise)
demo: install
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/syllabus demo
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} PORT=$(PORT) $(BIN)/syllabus serve --port $(PORT)

serve: install
	PORT=$(PORT) $(BIN)/syllabus serve --port $(PORT)

# --durations: the 25 slowest steps end every run's report, so a slow new test is seen in CI's log;
# PYTHONDONTWRITEBYTECODE emptied: the compiled modules (and pytest's rewritten test modules) are
# kept for the next run and for the suite's own subprocesses — collecting the suite costs each
# worker 30 s of CPU without them, 15 s with them (how long the suite takes and why:
# docs/DEVELOPING.md, "How long the suite takes")
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(WORKERS) --durations=25
test: install interop
	$(PYTEST) $(PYTEST_ARGS)

test-postgres: install interop
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(PYTEST) $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

messages: install
	cd syllabus && ../$(BIN)/syllabus makemessages -l fr --no-obsolete && ../$(BIN)/syllabus compilemessages -l fr

clean:
	rm -rf $(VENV) var .pytest_cache $(INTEROP)/node_modules
