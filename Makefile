# The two entry points: `make run` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-latest lint e2e install chromium fonts serve bench soak translations

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

# Browser tests drive Debian's Chromium; Playwright cannot download its own browser here.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Chromium from Debian for the browser tests"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; \
	fi

# The PDF draws emoji from Debian's Symbola (3 MB, too large to bundle); without it they print as a box.
fonts:
	@if [ ! -f /usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf ]; then \
		echo "Installing the Symbola font for emoji in the PDF"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq fonts-symbola; \
	fi

## run: start the server on SQLite with a simulated room to watch
run: install fonts
	$(BIN)/doorbraak serve --host $(HOST) --port $(PORT) --demo

## serve: start the server without the demo room
serve: install fonts
	$(BIN)/doorbraak serve --host $(HOST) --port $(PORT)

## test: the whole suite, browser tests included
test: install chromium fonts
	$(BIN)/python -m pytest

## test-latest: the live and storage tests against the newest uvicorn, websockets and SQLAlchemy, in a venv of their
# own (.venv-latest): what an upgrade would break, before the pins in pyproject.toml move; not part of CI or `make test`
LATEST := .venv-latest
LATEST_TESTS := tests/live tests/store tests/test_migrations.py tests/test_postgres.py

$(LATEST)/bin/.installed: pyproject.toml
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST)/bin/python -m pip install --quiet -e '.[dev]'
	touch $@

test-latest: $(LATEST)/bin/.installed
	@# past the pins on purpose: pip says which other pins the newest versions disagree with, and goes ahead
	$(LATEST)/bin/python -m pip install --quiet --upgrade 'uvicorn[standard]' websockets sqlalchemy
	@$(LATEST)/bin/python -m pip list 2>/dev/null | grep -iE '^(uvicorn|websockets|sqlalchemy|starlette|fastapi) '
	$(LATEST)/bin/python -m pytest -p no:cacheprovider $(LATEST_TESTS)

## bench: simulated phones over real websockets against a fresh server and a bare baseline (docs/performance.md)
bench: install
	$(BIN)/doorbraak bench --phones 200

## soak: phones joining and leaving for 10 minutes, the server's memory per minute (docs/performance.md, "Churn");
# not part of `make test`
soak: install
	$(BIN)/python scripts/soak.py --minutes 10 --phones 200

e2e: install chromium
	$(BIN)/python -m pytest tests/e2e

## translations: collect the interface texts and add new ones to app/locale/*/messages.po, keeping translations
# --ignore-dirs: the default also skips folders starting with "_", and with them templates/_partials;
# --no-fuzzy-matching: a guessed translation of a similar text must never pass as a real one
translations: install
	@pot=$$(mktemp --suffix=.pot) && trap 'rm -f "$$pot"' EXIT && \
	$(BIN)/pybabel -q extract -F babel.cfg --ignore-dirs=".* __pycache__" --add-location=file --sort-output \
		--project=Doorbraak -o "$$pot" . && \
	$(BIN)/pybabel update -i "$$pot" -d app/locale -D messages --no-fuzzy-matching --ignore-obsolete \
		--ignore-pot-creation-date

## lint: ruff, the layering contracts in pyproject.toml (import-linter; docs/architecture.md) and mypy on app/
lint: install
	$(BIN)/ruff check app tests scripts
	$(BIN)/ruff format --check app tests scripts
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
