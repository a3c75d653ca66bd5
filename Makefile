# ownit: `make run` serves a demo on SQLite at http://127.0.0.1:8080; `make test` runs every check.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PORT ?= 8080
export OWNIT_PORT ?= $(PORT)
DEMO_DB ?= var/demo.db
export OWNIT_DATABASE_URL ?= sqlite:///$(DEMO_DB)

.PHONY: install run test lint typecheck imports deadcode pytest bench screenshots clean demo-monitoring

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c .ci/constraints.txt -e '.[test,chaos]'
	touch $@

install: $(VENV)/.installed

run: install
	@mkdir -p var
	@$(BIN)/ownit db upgrade >/dev/null
	@$(BIN)/ownit catalog apply examples/demo.yaml --source demo
	@$(PY) scripts/demo_token.py var/demo-token
	@$(PY) scripts/demo_login.py var/demo-login
	@$(PY) scripts/demo_history.py
	@$(BIN)/ownit serve

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: install
	$(BIN)/mypy

imports: install
	$(BIN)/lint-imports

# Unused code in src/ (settings in pyproject.toml; uses vulture cannot see: vulture_allow.py).
deadcode: install
	$(BIN)/vulture src vulture_allow.py

# Three processes on two cores: many tests wait on real servers; each process has its own
# schemas and files (tests/conftest.py), so they never share state.
pytest: install
	$(BIN)/pytest -W error -n 3

test: lint typecheck imports deadcode pytest

screenshots: install  ## refresh docs/screenshots/ from the browser test
	OWNIT_SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest -W error tests/e2e/test_web_browser.py

# Prometheus + Alertmanager + ownit + a Chaos Toolkit experiment, on loopback (docs/practice.md)
demo-monitoring: install
	$(PY) examples/monitoring/run.py

bench: install
	$(PY) benchmarks/ingest.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
