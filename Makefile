# The two commands of the README: `make demo` (the main job) and `make test`.
# Each creates or updates the local virtual environment .venv first: `make demo`
# with what the demo needs only (the demo extra), `make test` with the test extra.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
DOCS_STAMP := $(VENV)/.installed-docs
BENCH_STAMP := $(VENV)/.installed-bench
# One torch thread: on 2 cores torch's default threads made small LSTMs several
# times slower (see the NextEventClassifier docs).
export OMP_NUM_THREADS ?= 1

.PHONY: demo test install bench docs dist clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip

$(DEMO_STAMP): pyproject.toml constraints.txt | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --quiet -c constraints.txt -e ".[demo]"
	touch $(DEMO_STAMP)

$(STAMP): pyproject.toml constraints.txt | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(DEMO_STAMP)
	$(VENV)/bin/python -m sklearn_seqlstm demo --output demo_output --overwrite

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m pytest --doctest-modules sklearn_seqlstm tests

# statsmodels (the bench extra) holds the series and models of bench_next_value.py.
$(BENCH_STAMP): $(STAMP)
	$(VENV)/bin/python -m pip install --quiet -c constraints.txt -e ".[bench]"
	touch $(BENCH_STAMP)

# Every script runs, even after one fails (a download refused offline, say); the
# failed ones are named at the end. Scripts without their data skip with one line.
bench: $(BENCH_STAMP)
	@failed=""; for script in benchmarks/bench_*.py; do \
		echo "== $$script"; $(VENV)/bin/python $$script || failed="$$failed $$script"; \
	done; if [ -n "$$failed" ]; then echo "failed:$$failed"; exit 1; fi

# The HTML site, in docs/_build/html. The gallery runs the examples (they train
# models); SEQLSTM_DOCS_NO_GALLERY=1 make docs builds their pages without running them.
$(DOCS_STAMP): $(STAMP)
	$(VENV)/bin/python -m pip install --quiet -c constraints.txt -e ".[docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(VENV)/bin/python -m sphinx -b html docs docs/_build/html

# The site as CI builds it: every warning is an error and every reference must resolve
# (nitpicky); the gallery's pages are built without running the examples.
.PHONY: docs-check
docs-check: $(DOCS_STAMP)
	SEQLSTM_DOCS_NO_GALLERY=1 $(VENV)/bin/python -m sphinx -W --keep-going -b html docs docs/_build/html

# The wheel and the sdist in dist/, their metadata checked as an index would.
dist: $(STAMP)
	rm -rf dist
	$(VENV)/bin/python -m build --outdir dist .
	$(VENV)/bin/python -m twine check --strict dist/*

clean:
	rm -rf $(VENV) demo_output dist
