# The commands of README.md. Only Python 3.11, pip and make are needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN = $(VENV)/bin
PY = $(BIN)/python
# make run is the local, embedded setup: DEBUG on (kept in var/local.env, see README).
# make run PORT=8200 HOST=0.0.0.0 VERBOSE=1: another port, every interface, worker at INFO.
PORT ?= 8000
HOST ?= 127.0.0.1
VERBOSE ?=
RUN_ENV = PORT=$(PORT) HOST=$(HOST) VERBOSE=$(VERBOSE) PATH="$(abspath $(BIN)):$$PATH"

.PHONY: run password test install lint format migrate worker clean screenshots

$(BIN)/activate:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt $(BIN)/activate
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

# Writes var/local.env on the first run, migrates, sets up the site, runs the Procfile's web,
# worker and beat, prints the organiser's credentials once they are up; Ctrl-C stops all (status 0).
run: install
	$(RUN_ENV) $(PY) -m clubsite.localrun

# A new password for the organiser account, printed (the old one stops working).
password: install
	$(PY) manage.py organiser_password

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
