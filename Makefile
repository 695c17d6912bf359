# NET Guide: `make run` serves the site, `make test` runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
DEBUG_ENV := DJANGO_DEBUG=1

.PHONY: run test test-fast test-slow serve bench audit install install-dev messages help
.DEFAULT_GOAL := help

help:
	@echo "make run   - install, migrate, import content/, create demo accounts, serve on http://127.0.0.1:8000/"
	@echo "make test  - install dev dependencies and run the whole test suite"
	@echo "make test-fast - everything but the browser and server tests"
	@echo "make test-slow - the browser and server tests (Chromium, PostgreSQL, Redis)"
	@echo "make serve - production stack locally: nginx with the published pages, gunicorn, PostgreSQL, Redis"
	@echo "make bench - load-test published files and gunicorn against nginx's ceiling (docs/benchmarks.md)"
	@echo "make audit - Lighthouse scores for the home page and a treatment page"
	@echo "make messages - update locale/es/ after changing interface text (needs gettext)"

$(VENV)/.installed: pyproject.toml scripts/install-venv
	@scripts/install-venv $(VENV) ""
	@touch $@

# Bytecode is compiled once here: where PYTHONDONTWRITEBYTECODE is set (as on our
# machines), every test process and every server a test starts would otherwise
# compile Django and the rest from source again (about 1.5 s of CPU each).
$(VENV)/.installed-dev: pyproject.toml scripts/install-venv
	@scripts/install-venv $(VENV) dev
	@$(PY) -m compileall -q -j 0 $(VENV)/lib >/dev/null
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(DEBUG_ENV) $(PY) manage.py migrate --noinput
	$(DEBUG_ENV) $(PY) manage.py import_content
	$(DEBUG_ENV) $(PY) manage.py load_demo
	$(DEBUG_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# MARKERS picks a group by pytest marker (see pyproject.toml); a group that selects
# no tests (pytest's exit status 5) is not a failure.
test: install-dev
	$(PY) -m pytest $(if $(MARKERS),-m "$(MARKERS)") || [ $$? -eq 5 -a -n "$(MARKERS)" ]

test-fast:
	@$(MAKE) --no-print-directory test MARKERS="not browser and not server"

test-slow:
	@$(MAKE) --no-print-directory test MARKERS="browser or server"

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
