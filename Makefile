# NET Guide: `make run` serves the site, `make test` runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
DEBUG_ENV := DJANGO_DEBUG=1

.PHONY: run test serve bench audit install install-dev help
.DEFAULT_GOAL := help

help:
	@echo "make run   - install, migrate, import content/, create demo accounts, serve on http://127.0.0.1:8000/"
	@echo "make test  - install dev dependencies and run the whole test suite"
	@echo "make serve - production stack locally: nginx with the published pages, gunicorn, PostgreSQL, Redis"
	@echo "make bench - load-test published files and gunicorn against nginx's ceiling (docs/benchmarks.md)"
	@echo "make audit - Lighthouse scores for the home page and a treatment page"

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
