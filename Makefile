# Comptoir: `make run` (demo app on SQLite) and `make test` (every test).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := core.app:create_app

.PHONY: run test setup lint bench translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

translations: $(VENV)/.installed
	@for d in core/translations modules/*/translations; do \
		[ -d $$d ] && $(BIN)/pybabel compile -q -f -d $$d || true; done

setup: $(VENV)/.installed translations

run: setup
	COMPTOIR_SCHEDULER_EMBEDDED=1 $(BIN)/comptoir db upgrade
	$(BIN)/comptoir demo
	@echo "Sign in at http://127.0.0.1:5000 as admin@comptoir.example / comptoir-demo-2026"
	COMPTOIR_SCHEDULER_EMBEDDED=1 $(BIN)/comptoir run --debug --host 127.0.0.1 --port 5000

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) instance .pytest_cache
