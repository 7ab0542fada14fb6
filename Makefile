# Every target sets itself up: a fresh machine with Python 3.10+ needs nothing else.
# `make reports` builds all force reports on synthetic data; `make test` runs the tests.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
SOTERIA := $(VENV)/bin/soteria
STAMP  := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-stamp
KERNEL := soteria
NATIONAL_DATA := synthetic_data/national/cases.parquet
SEED ?= 0

.PHONY: setup test reports bench audit lab lint reference dictionary clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (soteria)" >/dev/null
	@touch $(STAMP)

setup: $(STAMP)

test: setup
	$(PY) -m pytest -q

$(NATIONAL_DATA): | setup
	$(SOTERIA) generate --out $(NATIONAL_DATA) --seed $(SEED)

reports: setup $(NATIONAL_DATA)
	$(SOTERIA) report --data $(NATIONAL_DATA) --forces all --out reports --run national

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[test,bench]"
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) benchmarks/run_all.py $(ARGS)

# The truth audit at full size: all 43 forces at national scale, every published figure against
# the synthetic truth; prints the coverage table (ARGS, e.g. ARGS="--scale 0.3", to shrink it).
audit: setup
	$(PY) -m soteria_research.reporting.audit --forces all --scale 1.0 --out reports/audit $(ARGS)

# JupyterLab refuses to start as root (as on many research servers and containers) unless told.
lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

lint: setup
	$(VENV)/bin/ruff check soteria_research tests benchmarks

dictionary: setup
	$(SOTERIA) dictionary

# Regenerates the R reference values kept in tests/reference/ (needs R: apt-get install -y
# r-base-core r-cran-survival r-cran-cmprsk). The tests read the committed values, not R.
reference:
	for script in tests/reference/make_reference_*.R; do Rscript $$script || exit 1; done

clean:
	rm -rf $(VENV) reports/*/ .pytest_cache
