# From a fresh clone, every target sets itself up: it creates (or reuses) a virtualenv in .venv, installs
# the project into it with the extras it needs, then runs. Bare `make` lists the targets.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

# The extras each target installs (see README.md, Install). demo, test and lint share one set, so
# running one after another installs nothing new.
DEV_EXTRAS := dev+notebooks
DOCS_EXTRAS := dev+notebooks+docs

.DEFAULT_GOAL := help
.PHONY: help demo test test-full lint docs dist bench notebooks system-deps clean

help:  ## list the targets
	@echo "make targets (each creates .venv and installs what it needs):"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 20
	@echo "options: make demo DEMO_ARGS='--compiled --steps 50', make bench BENCH_ARGS=--quick"

$(PY):
	$(PYTHON) -m venv $(VENV)

# One stamp per set of extras, remade when pyproject.toml changes.
$(VENV)/.installed-%: pyproject.toml | $(PY)
	$(PIP) -e ".[$(subst +,$(comma),$*)]"
	@touch $@

comma := ,

# Graphviz's `dot` renders the graph pictures; headless Chromium runs the backprop-view tests.
system-deps:
	@missing=""; \
	command -v dot >/dev/null 2>&1 || missing="$$missing graphviz"; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "note: missing system packages:$$missing. Install them with 'sudo apt-get install$$missing'"; \
	    echo "      (macOS: 'brew install graphviz'); tests that need them are skipped."; \
	  fi; \
	fi

DEMO_ARGS ?=
demo: system-deps $(VENV)/.installed-$(DEV_EXTRAS)  ## train micrograd's moons demo; pictures in out/
	$(PY) -m nn.demo $(DEMO_ARGS)

test: system-deps $(VENV)/.installed-$(DEV_EXTRAS)  ## run the test suite (parity tests skip without torch)
	$(PY) -m pytest

# PyTorch 2.13.0, micrograd and scikit-learn, so the PyTorch-parity and micrograd/scikit-learn comparison
# tests run instead of skipping. Always a pinned torch; to pick a CPU-only build from another index, pass
# e.g. TORCH="torch==2.13.0 --extra-index-url URL" (pip's default Linux wheel bundles CUDA: several GB).
TORCH ?= torch==2.13.0
test-full: system-deps $(VENV)/.installed-$(DEV_EXTRAS)  ## the test suite with torch==2.13.0 and the bench extra
	$(PIP) $(TORCH) -e ".[dev,notebooks,bench]"
	$(PY) -m pytest

LINTED := autograd_core nn
lint: $(VENV)/.installed-$(DEV_EXTRAS)  ## ruff check, ruff format --check and mypy on autograd_core and nn
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy

docs: $(VENV)/.installed-$(DOCS_EXTRAS)  ## build the documentation site into site/ (warnings are errors)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

# setuptools warns "byte-compiling is disabled" when PYTHONDONTWRITEBYTECODE is set; the build is the same.
dist: $(VENV)/.installed-$(DEV_EXTRAS)  ## build the sdist and wheel into dist/ and check them with twine
	rm -rf dist
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m build
	$(VENV)/bin/twine check --strict dist/*

bench: $(VENV)/.installed-bench  ## benchmarks against micrograd (installs micrograd 0.1.0)
	$(PY) benchmarks/bench.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_compile.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_gc.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_fit.py

notebooks: system-deps $(VENV)/.installed-$(DEV_EXTRAS)  ## re-execute the teaching notebooks in place
	$(PY) notebooks/run_notebooks.py

clean:  ## remove .venv and everything built
	rm -rf $(VENV) out site dist build .pytest_cache .hypothesis .mypy_cache .ruff_cache
