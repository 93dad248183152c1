# make demo  -- set up .venv if needed, then derive the documents' results
# make test  -- set up .venv if needed, then run the whole test suite
# make quick -- the suite without tests marked slow, property tests at a tenth of the examples
# make bench -- set up .venv if needed, then run the benchmarks in bench/
# make fuzz  -- the fuzz families (tests/test_fuzz_*.py) with 10,000 examples each (a few
#               hundred in make test)
# make mutate -- the compiler's existing tests against each of its mutants (tests/mutants.py)
# make serve -- the local web page on http://127.0.0.1:8000/
# make browser    -- install Debian's chromium and chromium-driver (for tests/test_web.py)
# make screenshot -- run the browser test and keep its screenshot as docs/web.png
# make katex      -- fetch KaTeX again from the npm registry into matcalc/web/katex
# make notebook   -- build and execute docs/derivations.ipynb (outputs kept)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup test quick demo bench fuzz mutate browser screenshot katex serve notebook clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: setup
	$(BIN)/python -m pytest -q

quick: setup
	HYPOTHESIS_PROFILE=quick $(BIN)/python -m pytest -q -m "not slow"

demo: setup
	$(BIN)/matcalc demo

fuzz: setup
	MATCALC_FUZZ_EXAMPLES=$${MATCALC_FUZZ_EXAMPLES:-10000} $(BIN)/python -m pytest -q -s \
		tests/test_fuzz_*.py

# about 20 minutes: a run of the compiler's tests per mutant, stopping at the first failure
mutate: setup
	$(BIN)/python tests/mutate.py

serve: setup
	$(BIN)/matcalc serve

browser:
	apt-get install -y chromium chromium-driver || \
		(apt-get update && apt-get install -y chromium chromium-driver)

screenshot: setup
	MATCALC_UPDATE_SCREENSHOT=1 $(BIN)/python -m pytest -q tests/test_web.py -k typing

KATEX := 0.16.47
katex:
	rm -rf .katex && mkdir .katex && cd .katex && npm pack katex@$(KATEX) --silent && \
		tar xzf katex-$(KATEX).tgz
	cp .katex/package/dist/katex.min.js .katex/package/dist/katex.min.css \
		.katex/package/LICENSE matcalc/web/katex/
	cp .katex/package/dist/fonts/*.woff2 matcalc/web/katex/fonts/
	rm -rf .katex

notebook: setup
	$(BIN)/python -m pip install --quiet -e '.[notebook]'
	$(BIN)/python docs/make_notebook.py

# torch==2.13.0 is the CPU build on this machine's disk; a newer pin would download a
# several-GB CUDA build
bench: setup
	$(BIN)/python -m pip install --quiet -e '.[bench]' 'torch==2.13.0'
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis
