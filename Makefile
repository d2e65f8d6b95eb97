# The commands of README.md. Only Python 3.11, pip and make are needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN = $(VENV)/bin
PY = $(BIN)/python
# make run is the local, embedded setup: DEBUG on unless you say otherwise.
RUN_ENV = DEBUG=$${DEBUG:-true} PATH="$(abspath $(BIN)):$$PATH"

.PHONY: run test install lint format migrate worker clean screenshots

$(BIN)/activate:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Both sets: the runtime (requirements.txt, all the Docker image installs) and the tests, lint
# and browser tools (requirements-dev.txt, which starts with -r requirements.txt).
$(VENV)/.installed: requirements.txt requirements-dev.txt $(BIN)/activate
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py setup_site
	$(RUN_ENV) $(BIN)/honcho start -f Procfile

test: install
	SECRET_KEY=$${SECRET_KEY:-tests-only-not-a-secret} $(PY) -m pytest $(PYTEST_ARGS)

# The main pages at desktop and phone width, light and dark, into docs/screenshots/ (shown in the README).
screenshots: install
	SECRET_KEY=$${SECRET_KEY:-tests-only-not-a-secret} $(PY) -m pytest tests/e2e/screenshots.py -p no:cacheprovider -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
