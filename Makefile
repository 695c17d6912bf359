# NET Guide: `make run` serves the site, `make test` runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
DEBUG_ENV := DJANGO_DEBUG=1

.PHONY: run test serve bench audit install install-dev messages help
.DEFAULT_GOAL := help

help:
	@echo "make run   - install, migrate, import content/, create demo accounts, serve on http://127.0.0.1:8000/"
	@echo "make test  - install dev dependencies and run the whole test suite"
	@echo "make serve - production stack locally: gunicorn, PostgreSQL, Redis, DEBUG off"
	@echo "make bench - load-test the production stack with wrk (see docs/benchmarks.md)"
	@echo "make audit - Lighthouse scores for the home page and a treatment page"
	@echo "make messages - update locale/es/ after changing interface text (needs gettext)"

$(VENV)/.installed: pyproject.toml scripts/install-venv
	@scripts/install-venv $(VENV) ""
	@touch $@

$(VENV)/.installed-dev: pyproject.toml scripts/install-venv
	@scripts/install-venv $(VENV) dev
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(DEBUG_ENV) $(PY) manage.py migrate --noinput
	$(DEBUG_ENV) $(PY) manage.py import_content
	$(DEBUG_ENV) $(PY) manage.py load_demo
	$(DEBUG_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: install-dev
	$(PY) -m pytest

serve: install
	scripts/serve

bench: install
	scripts/bench

audit: install
	scripts/audit

# Interface text changed: collect it into locale/es/LC_MESSAGES/django.po, translate the
# new entries there, then compile. The compiled .mo is committed, so `make run` needs
# no gettext tools; a test checks it matches the .po.
messages: install
	$(DEBUG_ENV) $(PY) manage.py makemessages -l es --no-location --ignore ".venv/*" --ignore "tests/*" --ignore "docs/*"
	$(DEBUG_ENV) $(PY) manage.py compilemessages --ignore ".venv/*"
