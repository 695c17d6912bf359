# NET Guide: `make run` serves the site, `make test` runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
DEBUG_ENV := DJANGO_DEBUG=1

.PHONY: run test test-fast test-slow serve bench bench-tasks audit install install-dev messages help
.DEFAULT_GOAL := help

help:
	@echo "make run   - install, migrate, import content/, create demo accounts, serve on http://127.0.0.1:8000/ (PORT=...) with the background worker"
	@echo "make test  - install dev dependencies and run the whole test suite"
	@echo "make test-fast - everything but the browser and server tests"
	@echo "make test-slow - the browser and server tests (Chromium, PostgreSQL, Redis)"
	@echo "make serve - production stack locally: nginx with the published pages, gunicorn, the worker, PostgreSQL, Redis"
	@echo "make bench - load-test published files and gunicorn against nginx's ceiling (docs/benchmarks.md)"
	@echo "make bench-tasks - background work: enqueue, pickup, throughput, approvals (docs/background-work.md)"
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

# The web server on PORT and the background worker beside it (scripts/run).
PORT ?= 8000
# The demo data goes into an empty database once; later runs import what changed in
# content/ as drafts in the demo editor's name, and leave anything edited in the admin.
IMPORT_AS ?= demo-editor

run: install
	$(DEBUG_ENV) $(PY) manage.py migrate --noinput
	$(DEBUG_ENV) $(PY) manage.py load_demo
	$(DEBUG_ENV) $(PY) manage.py import_content --as $(IMPORT_AS)
	$(DEBUG_ENV) scripts/run $(PORT)

# MARKERS picks a group by pytest marker (see pyproject.toml); a group that selects
# no tests (pytest's exit status 5) is not a failure.
# WORKERS runs the tests in that many processes (pytest-xdist), a module at a time.
test: install-dev
	$(PY) -m pytest $(if $(MARKERS),-m "$(MARKERS)") \
		$(if $(WORKERS),-n $(WORKERS) --dist loadfile) || [ $$? -eq 5 -a -n "$(MARKERS)" ]

test-fast:
	@$(MAKE) --no-print-directory test MARKERS="not browser and not server"

test-slow:
	@$(MAKE) --no-print-directory test MARKERS="browser or server"

serve: install
	scripts/serve

bench: install
	scripts/bench

bench-tasks: install-dev
	$(PY) scripts/bench_tasks.py

audit: install
	scripts/audit

# Interface text changed: collect it into locale/es/LC_MESSAGES/django.po, translate the
# new entries there, then compile. The compiled .mo is committed, so `make run` needs
# no gettext tools; a test checks it matches the .po.
messages: install
	$(DEBUG_ENV) $(PY) manage.py makemessages -l es --no-location --ignore ".venv/*" --ignore "tests/*" --ignore "docs/*"
	$(DEBUG_ENV) $(PY) manage.py compilemessages --ignore ".venv/*"
