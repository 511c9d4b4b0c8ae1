# Two commands for a newcomer: `make run` and `make test`.
# Python 3.12+ is found on PATH (pyenv shims honour .python-version).
PYTHON ?= $(shell for p in python3.13 python3.12 python3 $(HOME)/.pyenv/versions/3.13*/bin/python $(HOME)/.pyenv/versions/3.12*/bin/python; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then command -v $$p; break; fi; done)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export SITE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test lint check bench install clean docs-screens

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required (none found on PATH)."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + p["optional-dependencies"]["dev"]))' > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r $(VENV)/requirements.txt
	@touch $@

# The task worker reconnects by itself when the database drops it; should it
# crash anyway, the loop starts it again (it exits 0 only when told to stop).
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Serving on $(SITE_URL)/ with a task worker (Ctrl-C stops both)."
	@trap 'kill 0' INT TERM EXIT; \
	until $(PY) manage.py worker --queue-name '*'; do \
		echo "The task worker exited with status $$?; starting it again in 2 s."; \
		sleep 2; \
	done & \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djhtml --check templates jinja2

check: install
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run

test: lint check node_modules/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

# The HTML and accessibility checkers the tests run (package.json pins them).
# --ignore-scripts: vnu-jar's install script would fetch a Java runtime; the
# machine's own Java runs it. Without npm the tests that need them skip
# (they fail instead when REQUIRE_BROWSER=1).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the Nu HTML Checker and axe-core tests will be skipped."; fi

# The guides' pictures (docs/images) are taken by the browser tests that check
# those screens, so they show the product as it is.
docs-screens: install
	SCREENSHOT_DIR=docs/images $(PY) -m pytest tests/browser -q

bench: install
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache node_modules
