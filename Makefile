# Comptoir: `make run` (demo app on SQLite) and `make test` (every test).
PYTHON ?= python3.11
JOBS ?= 2
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := core.app:create_app

.PHONY: run test setup lint bench translations messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

translations: $(VENV)/.installed
	@for d in core/translations modules/*/translations; do \
		if [ -d $$d ]; then $(BIN)/pybabel -q compile -f -d $$d || exit 1; fi; done

# Extract the English strings of the core and of each module that has any, and merge them
# into the French catalogue (<pkg>/translations/fr/LC_MESSAGES/messages.po); translate the
# new entries there, then `make translations` compiles them.
messages: $(VENV)/.installed
	@for pkg in core modules/*/; do \
		pkg=$${pkg%/}; [ -f $$pkg/__init__.py ] || continue; \
		pot=$$pkg/translations/messages.pot; po=$$pkg/translations/fr/LC_MESSAGES/messages.po; \
		mkdir -p $$pkg/translations; \
		$(BIN)/pybabel -q extract -F babel.cfg -k _l -k N_ --add-location=file --sort-output --width=120 \
			--project=Comptoir -o $$pot $$pkg || exit 1; \
		if ! grep -q '^msgid "[^"]' $$pot; then \
			rm -f $$pot; rmdir $$pkg/translations 2>/dev/null; continue; fi; \
		if [ -f $$po ]; then \
			$(BIN)/pybabel -q update --width=120 --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date -i $$pot -o $$po -l fr || exit 1; \
		else \
			$(BIN)/pybabel -q init -i $$pot -o $$po -l fr || exit 1; fi; \
		echo "$$pkg: $$(grep -c '^msgid "[^"]' $$pot) strings"; \
	done

setup: $(VENV)/.installed translations

# The development server: debug mode (and its development secret key), the scheduler in
# a thread. Production runs gunicorn and `comptoir scheduler` (see README.md).
run: setup
	FLASK_DEBUG=1 $(BIN)/comptoir db upgrade
	FLASK_DEBUG=1 $(BIN)/comptoir demo
	@echo "Sign in at http://127.0.0.1:5000 as admin@comptoir.example / comptoir-demo-2026"
	FLASK_DEBUG=1 COMPTOIR_SCHEDULER_EMBEDDED=1 $(BIN)/comptoir run --host 127.0.0.1 --port 5000

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(JOBS) $(PYTEST_ARGS)
	$(BIN)/pip install --quiet --no-deps -e examples/comptoir-webhooks
	$(BIN)/python -m pytest examples/comptoir-webhooks/tests

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python -m bench.run --quick

.PHONY: security
# Static analysis (bandit must pass) and the dependency audit (pip-audit; says clearly
# when the vulnerability data cannot be reached here). See docs/security.md.
security: setup
	@$(BIN)/python -c "import bandit, pip_audit" 2>/dev/null || $(BIN)/pip install --quiet bandit pip-audit
	$(BIN)/bandit -q -r core modules -c pyproject.toml
	$(BIN)/python -m tests.security.pip_audit

clean:
	rm -rf $(VENV) instance .pytest_cache
