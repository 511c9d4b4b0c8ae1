# Two commands for a newcomer: `make run` and `make test`.
# Python 3.12+ is found on PATH (pyenv shims honour .python-version).
PYTHON ?= $(shell for p in python3.13 python3.12 python3 $(HOME)/.pyenv/versions/3.13*/bin/python $(HOME)/.pyenv/versions/3.12*/bin/python; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then command -v $$p; break; fi; done)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export SITE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: production run test lint check bench install clean docs-screens

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required (none found on PATH)."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

# The task worker reconnects by itself when the database drops it; should it
# crash anyway, the loop starts it again (it exits 0 only when told to stop).
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Development mode (DEBUG=1, runserver, no page cache): serving $(SITE_URL)/ with a task worker (Ctrl-C stops both)."
	@echo "To see production behaviour (DEBUG=0, gunicorn, page cache): make production. Deploying: docs/deploying.md"
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

# Lint is its own target (make lint, make check; CI runs both before this).
test: install node_modules/.installed
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

# Production behaviour on this machine, without TLS: DEBUG=0, gunicorn with the
# shipped config, the page cache, static files from WhiteNoise. Media are not
# served (in production nginx does, see deploy/): hero images are missing here.
PROD_ENV := DEBUG=0 SECRET_KEY_FILE=var/secret-key ALLOWED_HOSTS=127.0.0.1,localhost \
	SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0 PORT=$(PORT) GUNICORN_BIND=127.0.0.1:$(PORT)
production: install
	@mkdir -p var && test -s var/secret-key || $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret-key
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PROD_ENV) $(PY) manage.py collectstatic --noinput -v 0
	@echo "Production mode (DEBUG=0, gunicorn, page cache) on $(SITE_URL)/ with a task worker (Ctrl-C stops both)."
	@trap 'kill 0' INT TERM EXIT; \
	$(PROD_ENV) $(PY) manage.py worker --queue-name '*' & \
	$(PROD_ENV) $(VENV)/bin/gunicorn -c python:newsroom.gunicorn_conf newsroom.wsgi:application
