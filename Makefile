# The two commands of the README: `make run` and `make test`. Everything else is a step they use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORTAL_PORT ?= 8000
export PORTAL_PORT

.PHONY: run demo test install install-dev browser lint check messages lock audit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Every dependency from the lock, each file checked against its pinned hashes (pip's hash-checking mode),
# then the portal itself, built with the locked setuptools and nothing fetched beside the lock.
$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

## run: install, migrate the local SQLite database, load and publish the seeded challenges, serve on :$(PORTAL_PORT)
## (--with-worker: the outbox's e-mail is delivered by a worker the server starts and stops, no second command)
run: install
	$(BIN)/portal migrate
	$(BIN)/portal challenges load --publish --demo || [ $$? -eq 3 ]
	$(BIN)/portal serve --with-worker

## demo: like run, plus demo staff accounts (coordinators, evaluator, administrator) printed with their passwords,
## and a challenge past its deadline in evaluation (proposals, assignments, scores) to try the staff pages with
demo: install
	$(BIN)/portal migrate
	$(BIN)/portal challenges load --publish --demo || [ $$? -eq 3 ]
	PORTAL_DEMO=1 $(BIN)/portal demo
	PORTAL_DEMO=1 $(BIN)/portal serve --with-worker

## test: install what the tests need and run them (SQLite; PostgreSQL too when PORTAL_TEST_DATABASE_URL is set)
test: install-dev browser
	$(BIN)/python -m pytest -n 2

# Browser tests use Debian's chromium. Install it when we can (root); otherwise the tests say loudly they did not run.
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "!!! chromium is not installed and cannot be installed here: the browser tests will NOT run !!!"; \
	  fi; \
	fi

lint: install-dev
	$(BIN)/ruff check app tests bench scripts
	$(BIN)/ruff format --check app tests bench scripts
	$(BIN)/mypy app
	$(BIN)/lint-imports

## audit: the pinned dependencies against an advisory database on disk (ADVISORY_DB=path to OSV's PyPI all.zip);
## without one it fails loudly: a scan that cannot reach its data never passes
ADVISORY_DB ?=
audit: install-dev
	@$(BIN)/python scripts/audit_dependencies.py requirements-dev.lock --db "$(ADVISORY_DB)"

## messages: list strings in code and templates that have no Dutch translation yet
messages: install
	$(BIN)/python -c "from app.i18n import missing_translations as m; print('\n'.join(m('nl')) or 'Dutch is complete.')"

## lock: re-pin every dependency with its hashes after a change to pyproject.toml (pins already in the
## locks are kept; delete a line to let it move): requirements.lock for running, requirements-dev.lock for
## development and tests (the same runtime versions plus the development tools)
PIP_TOOLS := pip-tools==7.7.0
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --all-build-deps --no-emit-index-url --no-emit-find-links
lock:
	rm -rf /tmp/portal-lock && $(PYTHON) -m venv /tmp/portal-lock
	/tmp/portal-lock/bin/pip install --quiet '$(PIP_TOOLS)'
	/tmp/portal-lock/bin/pip-compile $(LOCK_FLAGS) -o requirements.lock pyproject.toml
	/tmp/portal-lock/bin/pip-compile $(LOCK_FLAGS) --extra dev -c requirements.lock -o requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
