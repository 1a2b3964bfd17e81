# The two commands a person needs: `make run` and `make test`. Both install first if needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench docs clean

install: $(STAMP)

# Re-install only when the project's metadata changes; safe to run any number of times.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(BIN)/realise serve --host 127.0.0.1 --port 8000

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/accuracy.py
	$(BIN)/python bench/evaluators.py

docs: install
	$(BIN)/python -m evaluators.docs

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
