# Alliances — the two stable commands (`make run`, `make test`) and a few helpers.
# Needs only python3 >= 3.11 on the machine: everything else goes into .venv.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# pip: no progress bars, notices nor warnings (-qq); errors are still shown.
PIP := PIP_ROOT_USER_ACTION=ignore $(BIN)/python -m pip --quiet --quiet --disable-pip-version-check --no-input
PYTEST_ARGS ?=
RUN_ADDRESS ?= 127.0.0.1:8000

# Stamp files: the venv is (re)built only when missing or when a requirements file changes.
STAMP_VENV := $(VENV)/.stamp-venv
STAMP_BASE := $(VENV)/.stamp-base
STAMP_TEST := $(VENV)/.stamp-test

.DEFAULT_GOAL := help
.PHONY: help run test lint lock messages install install-test data-dir clean-venv

help:
	@echo "make run    install, migrate, load the pilot programme and demo data, serve http://$(RUN_ADDRESS) and run the periodic jobs"
	@echo "make test   install the test requirements and run pytest (extra options: PYTEST_ARGS=...)"
	@echo "make lint   ruff, makemigrations --check, import-linter (layers), xenon (complexity), module sizes, mypy"
	@echo "make lock   recompile requirements/*.txt (pinned, with hashes) from requirements/*.in, upgrading every pin"
	@echo "make messages  refresh locale/ from the sources (needs GNU gettext), then translate the new English entries"

$(STAMP_VENV):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "Python >= 3.11 is required ($(PYTHON) is $$($(PYTHON) --version 2>&1))." >&2; exit 1; }
	@test -x $(BIN)/python || { echo "Creating $(VENV) with $$($(PYTHON) --version)"; $(PYTHON) -m venv $(VENV); }
	@touch $@

$(STAMP_BASE): requirements/base.txt $(STAMP_VENV)
	@echo "Installing requirements/base.txt into $(VENV)"
	@$(PIP) install --require-hashes -r requirements/base.txt
	@touch $@

$(STAMP_TEST): requirements/test.txt requirements/base.txt $(STAMP_VENV)
	@echo "Installing requirements/test.txt into $(VENV)"
	@$(PIP) install --require-hashes -r requirements/test.txt
	@touch $@ $(STAMP_BASE)

install: $(STAMP_BASE)
install-test: $(STAMP_TEST)

# Prints the DEBUG the settings compute from the environment (settings only, no app loaded).
DEBUG_PROBE := import os; os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliances.settings"); \
	from django.conf import settings; print(settings.DEBUG)

# The embedded default keeps its SQLite file and emails in the data folder (DATA_DIR, ./data by default).
data-dir:
	@mkdir -p "$${DATA_DIR:-data}"

# The web server and, beside it, one Celery worker with beat embedded (manage.py run_embedded): the
# periodic jobs run and reminders go out to the data folder's emails/, with no server to install.
# Tasks go through files under the data folder (EMBEDDED_WORKER); links in e-mails point at RUN_ADDRESS.
run: export EMBEDDED_WORKER = true
run: export SITE_URL ?= http://$(RUN_ADDRESS)
run: $(STAMP_BASE) data-dir
	$(MANAGE) migrate --noinput
	$(MANAGE) load_pilot_programme
	$(MANAGE) load_demo
	@# Static files are served from the app folders while DEBUG is on; collected only when it is off.
	@if [ "$$($(BIN)/python -c '$(DEBUG_PROBE)')" != "True" ]; then \
		echo "DEBUG is off: collecting static files"; $(MANAGE) collectstatic --noinput --verbosity 0; fi
	$(MANAGE) run_embedded $(RUN_ADDRESS)

# axe-core for the accessibility tests, from package-lock.json (skipped with a message when npm is missing:
# those tests are then skipped outside CI).
NPM_STAMP := node_modules/.package-lock.json
$(NPM_STAMP): package-lock.json
	@if command -v npm >/dev/null 2>&1; then echo "Installing axe-core (npm ci)"; npm ci --no-audit --no-fund --silent; \
	else echo "npm not found: the accessibility tests will be skipped (apt-get install nodejs npm)"; fi

test: $(STAMP_TEST) $(NPM_STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

# Layers: the import-linter contracts of pyproject.toml. Complexity: no function above cyclomatic complexity 20
# (radon's rank C stops at 20: xenon --max-absolute C fails on any D, E or F). Sizes: no module above 600 lines,
# 400 in the notifications package. Migrations are left out of both. Types: mypy with django-stubs over the files
# [tool.mypy] lists in pyproject.toml.
LINT_PACKAGES := alliances networks sessions governance evaluation
NOTIFICATIONS := "^alliances/notifications(/|[.]py$$)"
MODULE_SIZES := find $(LINT_PACKAGES) -name '*.py' ! -path '*/migrations/*' -print0 | xargs -0 wc -l \
	| awk '$$2 != "total" { limit = $$2 ~ $(NOTIFICATIONS) ? 400 : 600; \
	if ($$1 > limit) { print $$2 ": " $$1 " lines, above " limit; too_long = 1 } } END { exit too_long }'
lint: $(STAMP_TEST) data-dir
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/lint-imports --no-cache
	$(BIN)/xenon --max-absolute C --exclude '*/migrations/*' $(LINT_PACKAGES)
	@echo "Module sizes: at most 600 lines, 400 in the notifications package"
	@$(MODULE_SIZES)
	$(BIN)/mypy

# The locks: base.txt from base.in, then test.txt from test.in constrained by base.txt (both pin the same versions).
# One universal resolution (every OS and Python >= 3.11) with the hashes of every file, installed with
# --require-hashes. Run it monthly, on a security advisory, and after editing a .in file. LOCK_UPGRADE= (empty)
# keeps the other pins; LOCK_UPGRADE="--upgrade-package weasyprint" moves just one package.
LOCK_UPGRADE ?= --upgrade
UV_COMPILE := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" $(LOCK_UPGRADE)
lock: $(STAMP_TEST)
	$(UV_COMPILE) requirements/base.in -o requirements/base.txt
	$(UV_COMPILE) requirements/test.in -o requirements/test.txt

# The source strings are French: the French catalogue is rebuilt from the template, repeating them
# (msgen), with the French plural rule (msginit); the English catalogue keeps its translations and gets the new strings empty, which
# tests/test_translations.py lists until they are translated. The .mo files are committed, so that
# `make run` needs no gettext tools. locale_overrides/ (the corrections of Django's and django-celery-beat's
# French, edited by hand) is never written by makemessages (alliances/management/commands/makemessages.py);
# compilemessages compiles it with the rest: commit its .mo too.
MESSAGES_IGNORE := --ignore=.venv --ignore=data --ignore=staticfiles --ignore=bench --ignore=tests --ignore=node_modules
FR_PO := locale/fr/LC_MESSAGES/django.po
messages: $(STAMP_BASE)
	$(MANAGE) makemessages -l en --no-obsolete --no-wrap --keep-pot $(MESSAGES_IGNORE)
	msginit --no-translator --no-wrap -l fr_FR.UTF-8 -i locale/django.pot -o - | msgen --no-wrap -o $(FR_PO) -
	rm locale/django.pot
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules

clean-venv:
	rm -rf $(VENV)
