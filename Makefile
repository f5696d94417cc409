# Complaint portal — developer commands. `make run` starts everything; `make test` runs the suite.
# Recipes run in one bash per target (.ONESHELL) with strict flags, and work on a fresh machine.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help

VENV    ?= .venv
PY      := $(VENV)/bin/python
CELERY  := $(VENV)/bin/celery
MANAGE  := $(PY) manage.py
STAMP   := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
VAR     := $(CURDIR)/var
BROKER  := $(VAR)/broker
HOST    ?= 127.0.0.1
PORT    ?= 8000
PYTEST_ARGS ?=
MESSAGE_IGNORES := --ignore=.venv --ignore=staticfiles --ignore=var --ignore=node_modules

# Local Celery: kombu's filesystem transport (no Redis needed) unless CELERY_BROKER_URL is set. Producer
# and worker share one folder: the producer writes to data_folder_out, the worker reads data_folder_in.
define celery_env
	export CELERY_BROKER_URL="$${CELERY_BROKER_URL:-filesystem://localhost/}"
	export CELERY_TASK_ALWAYS_EAGER=false
	if [[ "$$CELERY_BROKER_URL" == filesystem://* ]]; then
		mkdir -p "$(BROKER)/queue" "$(BROKER)/processed" "$(BROKER)/control"
		if [ -z "$${CELERY_BROKER_TRANSPORT_OPTIONS:-}" ]; then
			export CELERY_BROKER_TRANSPORT_OPTIONS='{"data_folder_in": "$(BROKER)/queue", "data_folder_out": "$(BROKER)/queue", "processed_folder": "$(BROKER)/processed", "control_folder": "$(BROKER)/control", "store_processed": false}'
		fi
	fi
endef

# $(call apt_install,packages,what it is for): install as root with apt-get, otherwise say how; never fail.
define apt_install
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo ">> installing $(1) ($(2))"
		if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1); }; then
			echo "WARNING: could not install $(1); $(2) will not work until you do"
		fi
	else
		echo "WARNING: $(2) needs: sudo apt-get install -y $(1)   (or your system's equivalent)"
	fi
endef

# $(call apt_ensure,packages,what they are for): install those of the Debian packages that are missing.
define apt_ensure
	missing=""
	# Installed means "installed": a removed package whose configuration files remain still passes `dpkg -s`.
	for package in $(1); do
		status=$$(dpkg-query -W -f='$${db:Status-Status}' "$$package" 2>/dev/null || true)
		[ "$$status" = installed ] || missing="$$missing $$package"
	done
	if [ -z "$$missing" ]; then
		echo "ok: $(1)"
	else
		$(call apt_install,$$missing,$(2))
	fi
endef

.PHONY: help venv install install-dev requirements sysdeps testdeps run worker beat tsa test e2e lint fmt messages bench clean

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

# --- environment --------------------------------------------------------------------------------------

$(PY):
	@PYTHON="$$(command -v python3.11 || command -v python3 || true)"
	if [ -z "$$PYTHON" ]; then echo "ERROR: python3.11 (or python3) not found" >&2; exit 1; fi
	echo ">> creating $(VENV) with $$PYTHON"
	"$$PYTHON" -m venv $(VENV)

# requirements.txt is what production runs; requirements-dev.txt adds the test, lint and benchmark tools. Both are
# pinned with hashes by `make requirements` from the .in files.
$(STAMP): requirements.txt | $(PY)
	@echo ">> installing requirements"
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $(STAMP)

$(DEV_STAMP): requirements-dev.txt | $(PY)
	@echo ">> installing development requirements"
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $(STAMP) $(DEV_STAMP)

venv: $(PY)  ## create .venv if missing

install: $(STAMP)  ## pip install -r requirements.txt (what the site runs) when it changed

install-dev: $(DEV_STAMP)  ## pip install -r requirements-dev.txt (tests, lint, bench) when it changed

requirements: install-dev  ## pin requirements*.txt with hashes from requirements*.in (pip-tools)
	@$(VENV)/bin/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements.txt requirements.in
	$(VENV)/bin/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements-dev.txt requirements-dev.in

# Debian packages the project uses outside Python. PDFs: the CJK fonts, Pango, and HarfBuzz's subsetter — without
# libharfbuzz-subset0 WeasyPrint subsets fonts with fontTools and a dossier takes ~30 s instead of under one.
PDF_PACKAGES  := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
# Tests only: the browser the end-to-end story drives, and OpenSSL, whose `openssl ts` is the local RFC 3161 TSA.
TEST_PACKAGES := chromium openssl

sysdeps:  ## Chinese fonts, Pango and HarfBuzz-subset for fast PDFs (apt-get as root, else the command)
	@$(call apt_ensure,$(PDF_PACKAGES),PDF rendering)

testdeps: sysdeps  ## what the tests need besides Python: sysdeps plus Chromium and OpenSSL
	@$(call apt_ensure,$(TEST_PACKAGES),the browser tests)

# --- running ------------------------------------------------------------------------------------------

run: sysdeps install  ## migrate, seed demo data, start a Celery worker + beat and the dev server
	@mkdir -p "$(VAR)"
	$(celery_env)
	$(MANAGE) migrate --noinput
	if command -v msgfmt >/dev/null 2>&1; then
		$(MANAGE) compilemessages $(MESSAGE_IGNORES) -v 0
	else
		echo "gettext not installed: using the committed .mo files"
	fi
	$(MANAGE) seed_demo
	echo ">> Celery worker + beat ($$CELERY_BROKER_URL), log: var/worker.log"
	$(CELERY) -A portal worker -B --pool=solo -l info \
		--schedule "$(VAR)/celerybeat-schedule" >"$(VAR)/worker.log" 2>&1 &
	WORKER_PID=$$!
	trap 'kill -TERM $$WORKER_PID 2>/dev/null || true; wait $$WORKER_PID 2>/dev/null || true' EXIT INT TERM
	sleep 2
	if ! kill -0 $$WORKER_PID 2>/dev/null; then
		echo "ERROR: the Celery worker did not start:" >&2; tail -n 30 "$(VAR)/worker.log" >&2; exit 1
	fi
	echo ">> http://$(HOST):$(PORT)/  (Ctrl-C stops the server and the worker)"
	$(MANAGE) runserver $(HOST):$(PORT)

worker:  ## a Celery worker alone (same broker defaults as make run)
	@$(celery_env)
	exec $(CELERY) -A portal worker --pool=solo -l info

beat:  ## Celery beat alone (schedules sweeps; needs a worker)
	@$(celery_env)
	mkdir -p "$(VAR)"
	exec $(CELERY) -A portal beat -l info --schedule "$(VAR)/celerybeat-schedule"

TSA_PORT ?= 3161
tsa:  ## a local RFC 3161 TSA (OpenSSL, test CA) on TSA_PORT; prints the TSA_URL and TSA_CA_CERTIFICATES to use
	@$(call apt_ensure,openssl,the local TSA)
	mkdir -p "$(VAR)/tsa"
	echo ">> export TSA_URL=http://$(HOST):$(TSA_PORT)/ TSA_CA_CERTIFICATES=$(VAR)/tsa/ca.pem"
	exec python3 tools/local_tsa.py --host $(HOST) --port $(TSA_PORT) --state-dir "$(VAR)/tsa"

# --- checks -------------------------------------------------------------------------------------------

test: testdeps install-dev  ## pytest, after installing what it needs (honours DATABASE_URL, CELERY_BROKER_URL, PYTEST_ARGS)
	@$(PY) -m pytest $(PYTEST_ARGS)

e2e: testdeps install-dev  ## browser tests against a live server (Debian's Chromium)
	@$(PY) -m pytest -m e2e $(PYTEST_ARGS)

lint: install-dev  ## ruff check + format check + the import layers
	@$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff format --check .

fmt: install-dev  ## ruff format + safe fixes
	@$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install-dev  ## update the catalogues, fill zh_Hans from its glossary (lists what is missing), compile
	@$(MANAGE) makemessages -l zh_Hans -l en --no-obsolete $(MESSAGE_IGNORES) --ignore=tests
	$(PY) locale/zh_Hans/apply_glossary.py
	$(MANAGE) compilemessages $(MESSAGE_IGNORES)

bench: install-dev  ## time pages, APIs, sweep, filing on DATABASE_URL (PostgreSQL); appends to docs/benchmarks.md
	@$(PY) -m bench $(BENCH_ARGS)

clean:  ## remove local runtime state (SQLite db, broker folders, uploads under var/)
	@rm -rf "$(VAR)" db.sqlite3 staticfiles .pytest_cache
