# The two commands a person needs: `make run` and `make test`. Both install first if needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Optional mypyc-compiled evaluators (evaluators/_build.py): rebuilt when an evaluator source
# changes; a failed build only warns, and `import evaluators` then runs pure Python.
COMPILED_STAMP := build/evaluators-compiled/.make-attempted
EVALUATOR_SOURCES := $(shell find evaluators -name '*.py' -not -path '*/__pycache__/*')

.PHONY: install run test bench docs clean

install: $(STAMP) $(COMPILED_STAMP)

# Re-install only when the project's metadata changes; safe to run any number of times.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Attempted once per source change, success or not (no compiler: a warning, then pure Python).
$(COMPILED_STAMP): $(STAMP) $(EVALUATOR_SOURCES)
	@$(BIN)/python -m evaluators._build || echo "warning: compiled evaluators not built; pure Python is used (slower, same results)" >&2
	@mkdir -p $(@D) && touch $@

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
