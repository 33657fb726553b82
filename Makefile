# The two set-up commands of the README: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= /usr/bin/python3
VENV := .venv
BIN := $(VENV)/bin
export RESILIENCE_INSTANCE_PATH ?= instance
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test fuzz install install-test system-deps test-system-deps init demo lint translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python system-deps
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python test-system-deps
	$(BIN)/pip install --quiet -e '.[test]'

system-deps:
	@scripts/system-deps.sh run

test-system-deps:
	@scripts/system-deps.sh test

init: install
	$(BIN)/resilience init

demo: init
	$(BIN)/resilience demo

run: demo
	@echo "Serving http://$(HOST):$(PORT) (web + scheduler); Ctrl-C stops both."
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/resilience scheduler & \
	  $(BIN)/resilience serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest -p no:cacheprovider --require-all-dialects $(PYTEST_ARGS)

# The API fuzzer's long run (issue 15 item 1): many seeded examples per operation and the
# boundary-value phase, on both databases; CI runs the same test with a few (make test).
FUZZ_EXAMPLES ?= 200
fuzz: install-test
	RESILIENCE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) RESILIENCE_FUZZ_COVERAGE=1 \
	  $(BIN)/python -m pytest -p no:cacheprovider --require-all-dialects \
	  tests/web/test_api_fuzz.py $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy

translations:
	$(BIN)/pybabel compile -d web/translations

clean:
	rm -rf $(VENV) instance .pytest_cache
