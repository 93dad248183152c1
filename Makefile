# make demo  -- set up .venv if needed, then derive the documents' results
# make test  -- set up .venv if needed, then run the whole test suite
# make bench -- set up .venv if needed, then run the benchmarks in bench/
# make fuzz  -- the fuzzer of tests/test_fuzz.py with 10,000 examples (300 in make test)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup test demo bench fuzz clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: setup
	$(BIN)/python -m pytest -q

demo: setup
	$(BIN)/matcalc demo

fuzz: setup
	MATCALC_FUZZ_EXAMPLES=$${MATCALC_FUZZ_EXAMPLES:-10000} $(BIN)/python -m pytest -q tests/test_fuzz.py

bench: setup
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis
