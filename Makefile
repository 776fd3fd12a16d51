# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint install browser loadgen openapi reference docs

$(BIN)/openpxs: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,docs]'
	touch $(BIN)/openpxs

install: $(BIN)/openpxs browser loadgen

# What the guest website's browser tests (tests/e2e/test_guest_website_browser.py) drive
# and inject: Debian's chromium, installed with apt when it is missing and apt can run
# (never a browser download), and axe-core from npm, pinned in package.json.
browser: node_modules/axe-core/axe.min.js
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	fi

# What the benchmark's one-operation runs load the server with (python -m bench --only,
# bench/wrk.py): Debian's wrk, installed with apt when it is missing and apt can run.
loadgen:
	@if ! command -v wrk >/dev/null && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	fi

node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

# Installs, creates the demo merchants in ./openpxs.db (every command's default database;
# delete the file to start afresh) and serves http://127.0.0.1:8080
demo: install
	$(BIN)/openpxs demo

# Installs, then runs lint, types and the test suite (SQLite; set
# OPENPXS_TEST_DATABASE_URL=postgresql://... to run it on PostgreSQL).
test: install lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# Regenerates the committed API reference (docs/api/openapi.json) with the member
# descriptions it takes from ../shared/spec, and the guides written from its examples
# (docs/guides/); the tests fail when any differs from what the code serves, so a change
# of the wire contract is always seen. Re-record the examples themselves with
# OPENPXS_RECORD_EXAMPLES=1 .venv/bin/pytest tests/api/test_examples.py.
openapi: install
	$(BIN)/python -m tools.field_notes
	$(BIN)/openpxs openapi --output docs/api/openapi.json
	$(BIN)/python -m tools.guides

# Regenerates the committed references generated from the code: the program file
# reference and its JSON Schema, and the command line reference (tests fail when they
# are stale).
reference: install
	$(BIN)/openpxs config reference --output docs/reference/config.md
	$(BIN)/openpxs config schema --output docs/reference/program.schema.json
	$(BIN)/python -m openpxs.cli_reference --output docs/reference/cli.md

# Builds the documentation site into site/ (MkDocs + Material); --strict fails on a
# broken link or anchor, as CI does.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
