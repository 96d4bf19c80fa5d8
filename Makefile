# The two commands a newcomer needs: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
VAR := $(CURDIR)/var
SERVICES := accounts referrals notifications

export PATH := $(BIN):$(PATH)

# What `make run` (and its `migrate`) configure; tests set their own, so these stay out of `make test`.
migrate run: export HUB_VAR_DIR ?= $(VAR)
migrate run: export ACCOUNTS_BOOTSTRAP_CLIENT_ID ?= hub-operator
migrate run: export NOTIFICATIONS_ALLOW_PRIVATE_URLS ?= 1
migrate run: export HUB_DEMO_DATA ?= 1

.PHONY: install run migrate test schemas bench bench-quick bench-scale audit clean help

help:
	@echo "make run    - install, migrate and start the whole hub on embedded defaults (no servers)"
	@echo "make test   - install and run every test (real-server tests too when HUB_TEST_* are set)"
	@echo "make bench  - benchmarks with baselines (RabbitMQ + PostgreSQL on 127.0.0.1); report in bench/results/"
	@echo "make bench-scale - 1,000,000 referrals: list and statistics latency; report in bench/results/scale.md"
	@echo "make audit  - pip-audit of the installed dependencies (needs PyPI's JSON API or OSV)"
	@echo "make schemas - export the event JSON Schemas to docs/events/"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# A random operator secret per checkout, kept in var/ (never in the repository).
$(VAR)/operator-secret:
	@mkdir -p $(VAR)
	@$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(32))" > $@
	@chmod 600 $@

migrate: install $(VAR)/operator-secret
	@for service in $(SERVICES); do \
	  ACCOUNTS_BOOTSTRAP_CLIENT_SECRET="$$(cat $(VAR)/operator-secret)" $(BIN)/python -m $$service migrate || exit 1; \
	done

run: migrate
	@echo "Operator client: $$ACCOUNTS_BOOTSTRAP_CLIENT_ID / secret in var/operator-secret"
	@echo "accounts http://127.0.0.1:$${ACCOUNTS_PORT:-8001}  referrals http://127.0.0.1:$${REFERRALS_PORT:-8002}  notifications http://127.0.0.1:$${NOTIFICATIONS_PORT:-8003}"
	ACCOUNTS_BOOTSTRAP_CLIENT_SECRET="$$(cat $(VAR)/operator-secret)" $(BIN)/honcho -f Procfile start

test: install
	$(BIN)/pytest

# Benchmarks against a baseline measured in the same run (RabbitMQ + PostgreSQL on 127.0.0.1).
bench: install
	$(BIN)/python -m bench.run

bench-quick: install
	$(BIN)/python -m bench.run --quick

# 1,000,000 referrals across 520 organisations: list pages and statistics latency (bench/scale.py).
bench-scale: install
	$(BIN)/python -m bench.scale

# Known vulnerabilities in the installed dependencies (needs PyPI's JSON API or OSV to know the versions).
audit: install
	$(BIN)/python -m pip install --quiet pip-audit
	$(BIN)/pip-audit --strict --progress-spinner off --skip-editable

schemas: install
	$(BIN)/python -m shared.contracts.export docs/events

# The web forms' pages, photographed in Debian's Chromium (apt-get install chromium), to docs/screenshots/.
screenshots: install
	$(BIN)/python -m tests.web.screenshots docs/screenshots

# The web forms' catalogs: extract the strings, merge them into fi/sv, compile (the .mo files are committed).
WEB_TRANSLATIONS := services/referrals/referrals/translations
translations: install
	cd services/referrals/referrals && $(BIN)/pybabel extract -F translations/babel.cfg -k _l \
	  -o translations/messages.pot --no-location --omit-header --sort-output .
	$(BIN)/pybabel update -i $(WEB_TRANSLATIONS)/messages.pot -d $(WEB_TRANSLATIONS) --omit-header
	$(BIN)/pybabel compile -d $(WEB_TRANSLATIONS) --statistics

clean:
	rm -rf $(VAR) .pytest_cache
