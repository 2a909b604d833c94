# The two entry points: `make run` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint e2e install chromium fonts serve bench translations

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

## bench: simulated phones over real websockets against a fresh server and a bare baseline (docs/performance.md)
bench: install
	$(BIN)/doorbraak bench --phones 200

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

## lint: ruff, and the layering contracts in pyproject.toml (import-linter; docs/architecture.md)
lint: install
	$(BIN)/ruff check app tests scripts
	$(BIN)/ruff format --check app tests scripts
	$(BIN)/lint-imports --no-cache
