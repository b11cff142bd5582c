# yiyangkang — everyday commands. Every target creates .venv on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench migrate seed clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

## run: migrate, seed the demo on first run, serve the API on http://127.0.0.1:8000 (docs at /schema)
run: $(STAMP)
	$(VENV)/bin/yyk db upgrade
	$(VENV)/bin/yyk seed demo --if-empty
	$(VENV)/bin/yyk serve

## test: lint (layers included), then the whole suite; "no tests collected" counts as a failure
test: $(STAMP) lint
	$(PY) -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

lint: $(STAMP)
	$(VENV)/bin/ruff check src apps tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
